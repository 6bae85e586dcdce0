"""Shifts as real gig work: several places per shift (each booking its own order), a full shift
refused, places given back when a booking is cancelled or not paid, and no worker holding two
shifts at the same time — in the services, the API and on the pages. The races are in
test_concurrency (PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, timedelta
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


# --- a booking undone within minutes ---------------------------------------------------------------


def test_a_booking_made_by_mistake_is_undone_free_within_five_minutes():
    import time_machine

    from orders.cancellation import cancellation_quote
    from orders.models import Cancellation

    listing = ShiftListingFactory(positions=1, starts_at=timezone.now() + timedelta(hours=3), price=Decimal("80.00"))
    order = _book(listing)
    # three hours before the start a worker's cancellation costs a fee (the 2–24 h tier)...
    with time_machine.travel(order.created_at + timedelta(minutes=6), tick=False):
        later = cancellation_quote(order=order, actor=order.provider)
        assert later.decision.outcome.fee_to_platform > 0
    # ...but within five minutes of booking it is free, and the quote says until when
    with time_machine.travel(order.created_at + timedelta(minutes=4), tick=False):
        quote = cancellation_quote(order=order, actor=order.provider)
        assert quote.decision.tier == "booking undone within minutes of making it: free"
        assert quote.decision.valid_until == order.created_at + timedelta(minutes=5)
        order_cancel(order=order, actor=order.provider, reason="schedule_change")

    done = Cancellation.objects.get(order=order)
    assert (done.fee_to_platform, done.credit_delta, done.refund_to_client) == (0, 0, Decimal("80.00"))
    assert done.counts_against_completion_rate is False
    assert _left(listing) == 1


# --- check-out --------------------------------------------------------------------------------------


def test_the_worker_checks_out_and_the_hours_are_recorded_beside_the_booked_ones(api_as):
    import time_machine

    order = shift_checked_in(starts_in=timedelta(minutes=30))
    assert order.hours_booked == Decimal("6.00")

    early = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/check-out/")
    assert early.status_code == 409 and early.json()["code"] == "shift_not_started"
    with time_machine.travel(order.starts_at + timedelta(hours=5, minutes=30), tick=False):
        response = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/check-out/")
        again = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/check-out/")
        by_client = api_as(order.client).post(f"/api/v1/orders/{order.pk}/check-out/")

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["hours_worked"], body["hours_booked"]) == ("checked_in", "5.50", "6.00")
    assert again.status_code == 409 and again.json()["code"] == "already_checked_out"
    assert by_client.status_code in (403, 409)
    from marketplace.models import Notification

    assert Notification.objects.filter(user=order.client, kind="shift_checked_out").exists()


def test_the_order_page_offers_check_out_and_shows_the_hours(client):
    import time_machine

    order = shift_checked_in(starts_in=timedelta(minutes=30))
    client.force_login(order.provider)
    with time_machine.travel(order.starts_at + timedelta(hours=2), tick=False):
        page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
        assert reverse("order_action", args=[order.pk, "check_out"]) in page
        client.post(reverse("order_action", args=[order.pk, "check_out"]))
        page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "2.00 worked of 6.00 booked" in page


# --- reminders --------------------------------------------------------------------------------------


def test_both_sides_are_reminded_24_and_2_hours_before_with_the_terms_from_then_on():
    import time_machine

    from core.jobs import sweep_run
    from marketplace.models import Notification

    order = _book(ShiftListingFactory(starts_at=timezone.now() + timedelta(days=2), price=Decimal("100.00")))

    with time_machine.travel(order.starts_at - timedelta(hours=23), tick=False):
        assert sweep_run("orders.send_shift_reminders").processed == 1
        assert sweep_run("orders.send_shift_reminders").processed == 0  # once
    first = Notification.objects.filter(kind="shift_reminder")
    assert set(first.values_list("user_id", flat=True)) == {order.client_id, order.provider_id}
    worker_note = first.get(user=order.provider)
    assert "If you cancel from now on: a fee of 10.00 EUR" in worker_note.body_text
    client_note = first.get(user=order.client)
    assert "you are refunded" in client_note.body_text

    with time_machine.travel(order.starts_at - timedelta(hours=1, minutes=50), tick=False):
        assert sweep_run("orders.send_shift_reminders").processed == 1
    last = Notification.objects.filter(kind="shift_reminder", user=order.provider).order_by("-id").first()
    assert "-10 credit points" in last.body_text


def test_a_shift_booked_two_hours_before_gets_only_the_last_reminder():
    import time_machine

    from core.jobs import sweep_run
    from marketplace.models import Notification

    order = _book(ShiftListingFactory(starts_at=timezone.now() + timedelta(hours=1, minutes=30)))
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        sweep_run("orders.send_shift_reminders")
        sweep_run("orders.send_shift_reminders")

    assert Notification.objects.filter(kind="shift_reminder", user=order.provider).count() == 1


def test_the_listing_page_warns_a_worker_who_holds_a_shift_at_that_time(client):
    worker = UserFactory()
    starts = timezone.now() + timedelta(days=4)
    held = _book(ShiftListingFactory(starts_at=starts, ends_at=starts + timedelta(hours=4)), worker)
    other = ShiftListingFactory(starts_at=starts + timedelta(hours=1), ends_at=starts + timedelta(hours=5))
    client.force_login(worker)

    page = client.get(reverse("listing_detail", args=[other.pk])).content.decode()

    assert f"order #{held.pk}" in page and "so this one cannot be booked" in page
    assert f'action="/listings/{other.pk}/order/"' not in page


def test_support_cannot_set_fewer_places_than_are_booked():
    from django.forms import modelform_factory

    from marketplace.admin import ListingAdminForm

    listing = ShiftListingFactory(positions=3)
    for _n in range(2):
        _book(listing)
    form_class = modelform_factory(Listing, form=ListingAdminForm, fields=("positions",))

    fewer = form_class(data={"positions": 1}, instance=Listing.objects.get(pk=listing.pk))
    enough = form_class(data={"positions": 2}, instance=Listing.objects.get(pk=listing.pk))

    assert not fewer.is_valid() and "2 places are booked" in str(fewer.errors["positions"])
    assert enough.is_valid()


def test_an_unpaid_wages_ticket_shows_the_recorded_hours(client):
    import time_machine

    from disputes.services.tickets import ticket_open

    order = shift_checked_in(starts_in=timedelta(minutes=30))
    with time_machine.travel(order.starts_at + timedelta(hours=3), tick=False):
        services.order_check_out(order=order, actor=order.provider)
        order = services.order_complete(order=Order.objects.get(pk=order.pk), actor=order.client)
        ticket = ticket_open(order=order, actor=order.provider, type="unpaid_wages", description="Paid for 2 hours")
        client.force_login(order.provider)
        page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "3.00 worked of 6.00 booked" in page


def test_a_shift_as_long_as_the_calendar_allows_is_answered(api_as):
    from datetime import datetime

    starts = datetime(2030, 1, 1, tzinfo=UTC)
    listing = ShiftListingFactory(starts_at=starts, ends_at=datetime(9999, 12, 31, 23, 0, tzinfo=UTC))

    response = api_as(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    assert response.status_code == 201
    assert Decimal(response.json()["hours_booked"]) > Decimal("69000000")  # about 7,970 years


# --- confirmation before the shift (a policy option, off by default) -------------------------------


def _confirming_policy():
    from orders.models import Policy

    Policy.objects.update(shift_confirmation_required=True)


def test_without_the_option_nobody_is_asked():
    import time_machine

    from core.jobs import sweep_run

    order = _book(ShiftListingFactory(starts_at=timezone.now() + timedelta(days=3)))
    with time_machine.travel(order.starts_at - timedelta(hours=40), tick=False):
        assert sweep_run("orders.shift_confirmations").processed == 0


def test_an_unconfirmed_place_goes_to_the_waitlist_as_the_workers_cancellation_then():
    import time_machine

    from core.jobs import sweep_run
    from marketplace.models import Notification
    from orders.models import Cancellation, WaitlistState
    from orders.waitlist import waitlist_entry_for, waitlist_join

    _confirming_policy()
    listing = ShiftListingFactory(starts_at=timezone.now() + timedelta(days=3), price=Decimal("100.00"))
    order = _book(listing)
    waiting = UserFactory()
    waitlist_join(listing=listing, worker=waiting)

    with time_machine.travel(order.starts_at - timedelta(hours=40), tick=False):
        assert sweep_run("orders.shift_confirmations").processed == 1
        assert sweep_run("orders.shift_confirmations").processed == 0  # asked once
    asked = Notification.objects.get(user=order.provider, kind="shift_confirm")
    assert "a fee of 10.00 EUR" in asked.body_text  # the terms at the release time, shown in the request

    with time_machine.travel(order.starts_at - timedelta(hours=15), tick=False):
        assert sweep_run("orders.shift_confirmations").processed == 1

    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    cancellation = Cancellation.objects.get(order=order)
    assert (cancellation.fee_to_platform, cancellation.fault) == (Decimal("10.00"), "provider")
    assert waitlist_entry_for(listing=listing, worker=waiting).state == WaitlistState.OFFERED


def test_a_confirmed_worker_keeps_the_place(api_as):
    import time_machine

    from core.jobs import sweep_run

    _confirming_policy()
    order = _book(ShiftListingFactory(starts_at=timezone.now() + timedelta(days=3)))
    with time_machine.travel(order.starts_at - timedelta(hours=40), tick=False):
        sweep_run("orders.shift_confirmations")
        response = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/confirm-attendance/")
        assert response.status_code == 200 and response.json()["confirmed_at"]
        assert api_as(order.client).post(f"/api/v1/orders/{order.pk}/confirm-attendance/").status_code in (403, 409)
    with time_machine.travel(order.starts_at - timedelta(hours=15), tick=False):
        sweep_run("orders.shift_confirmations")
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED


def test_a_shift_booked_after_the_release_time_is_kept():
    import time_machine

    from core.jobs import sweep_run

    _confirming_policy()
    order = _book(ShiftListingFactory(starts_at=timezone.now() + timedelta(hours=10)))
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=False):
        sweep_run("orders.shift_confirmations")
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED
