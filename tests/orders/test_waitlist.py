"""The waitlist of a full shift: join, the first worker waiting offered a place that opens (a
cancellation by anyone), the place kept for them for the policy's minutes, silence passing it on,
and the employer seeing who waits — in the services, the API and on the listing page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from core.exceptions import Conflict
from core.jobs import sweep_run
from marketplace.models import Notification
from orders import services, waitlist
from orders.cancellation import order_cancel
from orders.models import OrderState, WaitlistState
from tests.factories import ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def full_shift():
    listing = ShiftListingFactory(positions=1)
    booked = services.order_create(actor=UserFactory(), listing_id=listing.pk)
    return listing, booked


def test_only_a_full_shift_has_a_waitlist_and_a_worker_joins_it_once(full_shift):
    listing, booked = full_shift
    first, second = UserFactory(), UserFactory()

    assert waitlist.waitlist_position(waitlist.waitlist_join(listing=listing, worker=first)) == 1
    assert waitlist.waitlist_position(waitlist.waitlist_join(listing=listing, worker=second)) == 2
    with pytest.raises(Conflict) as again:
        waitlist.waitlist_join(listing=listing, worker=first)
    assert again.value.code == "already_waiting"
    with pytest.raises(Conflict) as booked_already:
        waitlist.waitlist_join(listing=listing, worker=booked.provider)
    assert booked_already.value.code == "already_booked"
    with pytest.raises(Conflict) as not_full:
        waitlist.waitlist_join(listing=ShiftListingFactory(positions=2), worker=first)
    assert not_full.value.code == "shift_not_full"


def test_a_cancelled_booking_offers_the_place_to_the_first_worker_who_books_it(full_shift):
    listing, booked = full_shift
    first, second, stranger = UserFactory(), UserFactory(), UserFactory()
    waitlist.waitlist_join(listing=listing, worker=first)
    waitlist.waitlist_join(listing=listing, worker=second)

    order_cancel(order=booked, actor=booked.client, reason="schedule_change")

    entry = waitlist.waitlist_entry_for(listing=listing, worker=first)
    assert entry.state == WaitlistState.OFFERED and entry.offer_expires_at is not None
    assert Notification.objects.filter(user=first, kind="waitlist_offer").exists()
    with pytest.raises(Conflict) as kept:  # the place is kept for the worker offered it
        services.order_create(actor=stranger, listing_id=listing.pk)
    assert kept.value.code == "shift_full"

    order = services.order_create(actor=first, listing_id=listing.pk)

    assert order.state == OrderState.BOOKED
    assert waitlist.waitlist_entry_for(listing=listing, worker=first) is None  # done: booked
    assert waitlist.waitlist_entry_for(listing=listing, worker=second).state == WaitlistState.WAITING


def test_silence_passes_the_offer_on(full_shift):
    listing, booked = full_shift
    first, second = UserFactory(), UserFactory()
    waitlist.waitlist_join(listing=listing, worker=first)
    waitlist.waitlist_join(listing=listing, worker=second)
    order_cancel(order=booked, actor=booked.provider, reason="schedule_change")
    offer = waitlist.waitlist_entry_for(listing=listing, worker=first)

    with time_machine.travel(offer.offer_expires_at + timedelta(seconds=1), tick=False):
        assert sweep_run("orders.expire_waitlist_offers").processed == 1

    assert waitlist.waitlist_entry_for(listing=listing, worker=first) is None
    assert waitlist.waitlist_entry_for(listing=listing, worker=second).state == WaitlistState.OFFERED


def test_leaving_with_an_offer_passes_it_on(full_shift):
    listing, booked = full_shift
    first, second = UserFactory(), UserFactory()
    waitlist.waitlist_join(listing=listing, worker=first)
    waitlist.waitlist_join(listing=listing, worker=second)
    order_cancel(order=booked, actor=booked.client, reason="schedule_change")

    waitlist.waitlist_leave(listing=listing, worker=first)

    assert waitlist.waitlist_entry_for(listing=listing, worker=second).state == WaitlistState.OFFERED


def test_the_api_and_the_page(api_as, client, full_shift):
    listing, _booked = full_shift
    worker = UserFactory()
    url = f"/api/v1/listings/{listing.pk}/waitlist/"

    joined = api_as(worker).post(url)
    assert joined.status_code == 201 and joined.json()["position"] == 1
    assert api_as(worker).post(url).json()["code"] == "already_waiting"
    assert [e["worker"] for e in api_as(listing.owner).get(url).json()] == [worker.username]

    client.force_login(listing.owner)
    assert worker.public_name in client.get(reverse("listing_detail", args=[listing.pk])).content.decode()
    client.force_login(worker)
    page = client.get(reverse("listing_detail", args=[listing.pk])).content.decode()
    assert "You are number 1 on the waitlist" in page

    assert api_as(worker).delete(url).status_code == 204
    assert api_as(worker).delete(url).status_code == 404
    client.post(reverse("waitlist_join", args=[listing.pk]))
    assert waitlist.waitlist_entry_for(listing=listing, worker=worker) is not None
