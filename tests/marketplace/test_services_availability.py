"""Availability: away now or for a period, listings hidden and no new orders meanwhile, and back
by itself at the end (computed from the dates, no job)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, ValidationFailed
from marketplace import services
from marketplace.selectors import availability_current, availability_of, listing_list
from orders.services import order_create
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory
from tests.marketplace.helpers import order_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return UserFactory(display_name="Chen Wei")


@pytest.fixture
def listing(provider):
    return ServiceListingFactory(owner=provider)


def test_available_by_default(provider, listing):
    assert availability_of(user=provider) is None
    assert availability_current(user=provider) is None
    assert listing in listing_list()


def test_unavailable_now_hides_the_listings_from_browsing(provider, listing):
    other = ServiceListingFactory()

    services.availability_set(user=provider, message="Moving house")

    assert list(listing_list()) == [other]
    assert list(listing_list(kind="service")) == [other]
    # The provider still sees their own listings.
    assert listing in listing_list(owner=provider, include_inactive=True)


def test_unavailable_now_refuses_new_orders_with_the_message_and_return_date(provider, listing):
    back = timezone.now() + timedelta(days=10)
    services.availability_set(user=provider, away_until=back, message="On holiday in Lisbon")
    before = order_snapshot()

    with pytest.raises(Conflict) as exc:
        order_create(actor=UserFactory(), listing_id=listing.pk)

    assert exc.value.code == "provider_unavailable"
    assert "Chen Wei is unavailable until" in exc.value.message
    assert timezone.localtime(back).strftime("%Y-%m-%d %H:%M") in exc.value.message
    assert "On holiday in Lisbon" in exc.value.message
    assert exc.value.extra == {"unavailable_until": back.isoformat()}
    assert order_snapshot() == before


def test_until_further_notice_says_so(provider, listing):
    services.availability_set(user=provider)

    with pytest.raises(Conflict) as exc:
        order_create(actor=UserFactory(), listing_id=listing.pk)

    assert "until further notice" in exc.value.message
    assert exc.value.extra == {"unavailable_until": None}


def test_a_planned_period_hides_nothing_until_it_begins(provider, listing):
    start = timezone.now() + timedelta(days=3)
    services.availability_set(user=provider, away_from=start, away_until=start + timedelta(days=7))

    assert listing in listing_list()
    assert order_create(actor=UserFactory(), listing_id=listing.pk).pk
    assert availability_of(user=provider).away_from == start

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert listing not in listing_list()
        with pytest.raises(Conflict):
            order_create(actor=UserFactory(), listing_id=listing.pk)


def test_the_provider_is_back_automatically_at_the_end(provider, listing):
    back = timezone.now() + timedelta(days=2)
    services.availability_set(user=provider, away_until=back)

    with time_machine.travel(back - timedelta(seconds=1), tick=False):
        assert listing not in listing_list()
        assert availability_current(user=provider) is not None

    with time_machine.travel(back, tick=False):
        assert listing in listing_list()
        assert availability_current(user=provider) is None
        assert availability_of(user=provider) is None  # an announcement that is over is not shown
        assert order_create(actor=UserFactory(), listing_id=listing.pk).pk


def test_switching_back_restores_listings_and_orders(provider, listing):
    services.availability_set(user=provider)

    services.availability_clear(user=provider)

    assert listing in listing_list()
    assert order_create(actor=UserFactory(), listing_id=listing.pk).pk


def test_a_new_announcement_replaces_the_old_one(provider):
    services.availability_set(user=provider, message="first")
    later = timezone.now() + timedelta(days=5)

    services.availability_set(user=provider, away_from=later, message="second")

    assert availability_of(user=provider).message == "second"
    assert availability_current(user=provider) is None


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (timedelta(days=2), timedelta(days=1), "away_until"),  # back before it begins
        (None, timedelta(days=-1), "away_until"),  # already over
        (timedelta(days=-3), timedelta(days=-1), "away_until"),  # a period in the past
    ],
)
def test_impossible_periods_are_refused(provider, start, end, field):
    now = timezone.now()

    with pytest.raises(ValidationFailed) as exc:
        services.availability_set(
            user=provider, away_from=now + start if start is not None else None, away_until=now + end
        )

    assert field in exc.value.errors
    assert availability_of(user=provider) is None


def test_a_message_has_at_most_280_characters(provider):
    with pytest.raises(ValidationFailed):
        services.availability_set(user=provider, message="x" * 281)

    assert availability_of(user=provider) is None


# --- Shifts ----------------------------------------------------------------------------------


def test_a_shift_posted_by_someone_away_is_hidden_and_cannot_be_booked():
    client = UserFactory()
    shift = ShiftListingFactory(owner=client)
    services.availability_set(user=client)
    before = order_snapshot()

    with pytest.raises(Conflict) as exc:
        order_create(actor=UserFactory(), listing_id=shift.pk)

    assert exc.value.code == "client_unavailable"
    assert shift not in listing_list()
    assert order_snapshot() == before


def test_a_worker_who_is_away_cannot_book_shifts(provider):
    shift = ShiftListingFactory()
    back = timezone.now() + timedelta(days=1)
    services.availability_set(user=provider, away_until=back)
    before = order_snapshot()

    with pytest.raises(Conflict) as exc:
        order_create(actor=provider, listing_id=shift.pk)

    assert exc.value.code == "provider_unavailable"
    assert "You announced that you are unavailable until" in exc.value.message
    assert order_snapshot() == before


def test_a_client_who_is_away_may_still_order_a_service(provider, listing):
    client = UserFactory()
    services.availability_set(user=client)

    assert order_create(actor=client, listing_id=listing.pk).client == client
