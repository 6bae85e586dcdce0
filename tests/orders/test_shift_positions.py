"""Shifts as real gig work: several places per shift (each booking its own order), a full shift
refused, places given back when a booking is cancelled or not paid, and no worker holding two
shifts at the same time — in the services, the API and on the pages. The races are in
test_concurrency (PostgreSQL)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict, PaymentFailed
from marketplace.models import Listing
from orders import services
from orders.cancellation import order_cancel
from orders.models import Order, OrderState
from tests.factories import ShiftListingFactory, UserFactory, shift_checked_in, shift_completed
from tests.gateways import use_gateway

pytestmark = pytest.mark.django_db


def _book(listing, worker=None):
    return services.order_create(actor=worker or UserFactory(), listing_id=listing.pk)


def _left(listing) -> int:
    return Listing.objects.get(pk=listing.pk).positions_left


def test_a_shift_with_three_places_takes_three_bookings_each_its_own_order():
    listing = ShiftListingFactory(positions=3, price=Decimal("90.00"))

    orders = [_book(listing) for _ in range(3)]

    assert len({o.pk for o in orders}) == 3
    assert len({o.provider_id for o in orders}) == 3
    assert all(o.payments.get().amount == Decimal("90.00") for o in orders)
    assert _left(listing) == 0
    with pytest.raises(Conflict) as full:
        _book(listing)
    assert full.value.code == "shift_full"
    assert Order.objects.filter(listing=listing).count() == 3


def test_a_cancelled_booking_gives_its_place_back():
    listing = ShiftListingFactory(positions=1)
    order = _book(listing)
    assert _left(listing) == 0

    order_cancel(order=order, actor=order.provider, reason="schedule_change")

    assert _left(listing) == 1
    assert _book(listing).state == OrderState.BOOKED


def test_a_declined_card_gives_the_place_back(settings):
    listing = ShiftListingFactory(positions=1)
    use_gateway(settings, "tests.gateways.DecliningGateway")
    try:
        with pytest.raises(PaymentFailed):
            _book(listing)
    finally:
        use_gateway(settings, "orders.gateways.SimulatedCardGateway")

    assert _left(listing) == 1
    assert _book(listing).state == OrderState.BOOKED


def test_a_worker_cannot_hold_two_shifts_at_the_same_time_and_is_told_which():
    worker = UserFactory()
    starts = timezone.now() + timedelta(days=3)
    first = ShiftListingFactory(starts_at=starts, ends_at=starts + timedelta(hours=6), title="Bar at the fair")
    held = _book(first, worker)
    overlapping = ShiftListingFactory(starts_at=starts + timedelta(hours=5), ends_at=starts + timedelta(hours=9))
    after = ShiftListingFactory(starts_at=starts + timedelta(hours=6), ends_at=starts + timedelta(hours=10))

    with pytest.raises(Conflict) as clash:
        _book(overlapping, worker)

    assert clash.value.code == "schedule_clash"
    assert clash.value.extra == {"order": held.pk}
    assert f"#{held.pk}" in clash.value.message and "Bar at the fair" in clash.value.message
    assert _left(overlapping) == 1  # nothing held
    assert _book(after, worker).state == OrderState.BOOKED  # back to back is fine


def test_a_finished_or_cancelled_shift_does_not_clash():
    done = shift_completed()
    worker = done.provider
    again = ShiftListingFactory(starts_at=done.starts_at, ends_at=done.ends_at)
    assert _book(again, worker).state == OrderState.BOOKED

    checked_in = shift_checked_in()
    overlapping = ShiftListingFactory(starts_at=checked_in.starts_at, ends_at=checked_in.ends_at)
    with pytest.raises(Conflict) as clash:
        _book(overlapping, checked_in.provider)
    assert clash.value.code == "schedule_clash"


def test_the_api_shows_places_and_answers_with_the_contracts_codes(api_as):
    listing = ShiftListingFactory(positions=2)
    worker = UserFactory()
    first = api_as(worker).post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    assert first.status_code == 201

    item = api_as(UserFactory()).get(f"/api/v1/listings/{listing.pk}/").json()
    assert (item["positions"], item["positions_left"]) == (2, 1)

    again = api_as(worker).post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "schedule_clash"
    assert again.json()["order"] == first.json()["id"]

    api_as(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    full = api_as(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")
    assert full.status_code == 409 and full.json()["code"] == "shift_full"
    assert full["Content-Type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"kind": "shift", "positions": 0}, "positions"),
        ({"kind": "shift", "positions": 501}, "positions"),
        ({"kind": "service", "positions": 2}, "positions"),
    ],
)
def test_places_out_of_range_are_a_field_error(api_as, payload, field):
    starts = timezone.now() + timedelta(days=2)
    body = {
        "title": "Crew",
        "price": "80.00",
        "delivery_days": 2,
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=4)).isoformat(),
        "location": "Utrecht",
        **payload,
    }
    response = api_as(UserFactory()).post("/api/v1/listings/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_the_listing_page_shows_the_places_left(client):
    listing = ShiftListingFactory(positions=4)
    _book(listing)

    page = client.get(reverse("listing_detail", args=[listing.pk])).content.decode()

    assert "3 of 4 places left" in page
