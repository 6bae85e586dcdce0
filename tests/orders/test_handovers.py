"""Handing a booked shift to another worker: until someone accepts before the start the first
worker is still booked; once they do, the booking is theirs and the first leaves with no penalty."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from core.models import TransitionLog
from credit.models import CreditEvent
from marketplace.models import Notification
from marketplace.services import block_create
from orders import handovers
from orders.cancellation import order_cancel
from orders.models import Cancellation, HandoverState, LedgerTransaction, Order, OrderState, WaitlistState
from orders.services import order_create
from orders.waitlist import waitlist_join
from tests.factories import UserFactory, shift_order

pytestmark = pytest.mark.django_db


def test_an_open_offer_tells_the_waitlist_and_the_employer_and_keeps_the_worker_booked():
    order = shift_order(starts_in=timedelta(days=2))
    waiting = UserFactory()
    waitlist_join(listing=order.listing, worker=waiting)

    handover = handovers.handover_offer(order=order, actor=order.provider, message="Family emergency")

    assert (handover.state, handover.to_worker, handover.expires_at) == (HandoverState.OFFERED, None, order.starts_at)
    order.refresh_from_db()
    assert (order.state, order.provider_id) == (OrderState.BOOKED, handover.from_worker_id)
    assert Notification.objects.filter(user=waiting, kind="handover_offered").exists()
    told = Notification.objects.get(user=order.client, kind="handover_offered")
    assert "still booked" in told.body_text
    assert TransitionLog.objects.filter(order=order, transition="offer_handover").exists()


def test_the_named_worker_takes_over_the_booking_as_it_stands_and_the_first_leaves_free():
    order = shift_order(price=Decimal("80.00"), starts_in=timedelta(hours=6))  # inside 24 h: cancelling costs
    first, second = order.provider, UserFactory()
    ledger_before = LedgerTransaction.objects.filter(order=order).count()
    handover = handovers.handover_offer(order=order, actor=first, to=second.username)
    assert not Notification.objects.filter(user=UserFactory(), kind="handover_offered").exists()

    handovers.handover_accept(handover=handover, actor=second)

    order.refresh_from_db()
    handover.refresh_from_db()
    assert (order.provider_id, order.state, order.price) == (second.pk, OrderState.BOOKED, Decimal("80.00"))
    assert (handover.state, handover.taken_by_id) == (HandoverState.ACCEPTED, second.pk)
    assert LedgerTransaction.objects.filter(order=order).count() == ledger_before  # the same escrow
    assert not Cancellation.objects.filter(order=order).exists()
    assert not CreditEvent.objects.filter(user=first).exclude(delta__gt=0).exists()
    assert Notification.objects.filter(user=first, kind="handover_accepted").exists()
    assert Notification.objects.filter(user=order.client, kind="handover_accepted").exists()
    assert Notification.objects.filter(user=second, kind="shift_booked").exists()
    log = TransitionLog.objects.get(order=order, transition="handover")
    assert (log.actor_id, log.from_state, log.to_state) == (second.pk, "booked", "booked")


def test_a_named_offer_is_nobody_elses_to_take():
    order = shift_order()
    handover = handovers.handover_offer(order=order, actor=order.provider, to=UserFactory().username)

    with pytest.raises(NotFound):
        handovers.handover_accept(handover=handover, actor=UserFactory())


def test_an_open_offer_is_taken_by_a_worker_from_the_waitlist_whose_entry_is_done():
    order = shift_order(starts_in=timedelta(days=2))  # one place, booked: the shift is full
    waiting = UserFactory()
    entry = waitlist_join(listing=order.listing, worker=waiting)
    handover = handovers.handover_offer(order=order, actor=order.provider)

    handovers.handover_accept(handover=handover, actor=waiting)

    entry.refresh_from_db()
    assert entry.state == WaitlistState.BOOKED
    assert Order.objects.get(pk=order.pk).provider_id == waiting.pk


@pytest.mark.parametrize("why", ["blocked", "clash", "already_booked"])
def test_only_a_worker_who_could_book_the_shift_can_take_it_over(why):
    order = shift_order(starts_in=timedelta(days=2), positions=2)
    taker = UserFactory()
    if why == "blocked":
        block_create(blocker=order.client, blocked=taker, reason="abusive")
    elif why == "clash":
        shift_order(provider=taker, starts_at=order.starts_at + timedelta(hours=1))
    else:
        order_create(actor=taker, listing_id=order.listing_id)
    handover = handovers.handover_offer(order=order, actor=order.provider)

    with pytest.raises((PermissionDenied, Conflict)) as exc:
        handovers.handover_accept(handover=handover, actor=taker)

    assert exc.value.code == {"blocked": "blocked", "clash": "schedule_clash", "already_booked": "already_booked"}[why]
    handover.refresh_from_db()
    assert handover.state == HandoverState.OFFERED
    assert Order.objects.get(pk=order.pk).provider_id == handover.from_worker_id


def test_who_may_offer_and_what():
    order = shift_order()

    with pytest.raises(PermissionDenied):
        handovers.handover_offer(order=order, actor=order.client)
    with pytest.raises(NotFound):
        handovers.handover_offer(order=order, actor=UserFactory())
    for to in ("nobody-by-that-name", order.provider.username, order.client.username):
        with pytest.raises(ValidationFailed) as exc:
            handovers.handover_offer(order=order, actor=order.provider, to=to)
        assert "to" in exc.value.errors
    handovers.handover_offer(order=order, actor=order.provider)
    with pytest.raises(Conflict) as exc:
        handovers.handover_offer(order=order, actor=order.provider)
    assert exc.value.code == "handover_already_open"


def test_withdrawn_the_worker_keeps_the_shift_and_nobody_can_take_it():
    order = shift_order()
    handover = handovers.handover_offer(order=order, actor=order.provider)
    with pytest.raises(PermissionDenied):
        handovers.handover_withdraw(handover=handover, actor=order.client)

    handovers.handover_withdraw(handover=handover, actor=order.provider)

    with pytest.raises(Conflict) as exc:
        handovers.handover_accept(handover=handover, actor=UserFactory())
    assert exc.value.code == "handover_not_open"
    assert Notification.objects.filter(user=order.client, kind="handover_withdrawn").exists()


def test_nobody_takes_it_by_the_start_the_offer_ends_and_the_worker_is_still_booked():
    order = shift_order(starts_in=timedelta(hours=5))
    handover = handovers.handover_offer(order=order, actor=order.provider)

    with time_machine.travel(order.starts_at + timedelta(seconds=1), tick=False):
        with pytest.raises(Conflict) as exc:
            handovers.handover_accept(handover=handover, actor=UserFactory())
        assert exc.value.code == "shift_started"
        assert sweep_run("orders.expire_handovers").processed == 1
        assert sweep_run("orders.expire_handovers").processed == 0

    handover.refresh_from_db()
    assert handover.state == HandoverState.EXPIRED
    assert Order.objects.get(pk=order.pk).provider_id == handover.from_worker_id
    assert Notification.objects.filter(user=handover.from_worker, kind="handover_expired").exists()


def test_a_booking_cancelled_meanwhile_ends_the_offer():
    order = shift_order(starts_in=timedelta(days=3))
    handover = handovers.handover_offer(order=order, actor=order.provider)
    order_cancel(order=order, actor=order.client, reason="schedule_change")

    with pytest.raises(Conflict):
        handovers.handover_accept(handover=handover, actor=UserFactory())
    assert sweep_run("orders.expire_handovers").processed == 1


# --- API ---------------------------------------------------------------------------------------------


def test_api_offer_read_accept_and_list(api_as):
    order = shift_order(starts_in=timedelta(days=2))
    taker = UserFactory()

    created = api_as(order.provider).post(f"/api/v1/orders/{order.pk}/handover/", {"message": "Sick"}, format="json")

    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["to_worker"], body["actions"], body["order"]) == (
        "offered",
        None,
        ["withdraw"],
        order.pk,
    )
    seen = api_as(taker).get(f"/api/v1/handovers/{body['id']}/").json()
    assert seen["actions"] == ["accept"] and seen["title"] == order.title
    assert [h["id"] for h in api_as(taker).get("/api/v1/handovers/").json()["results"]] == [body["id"]]

    taken = api_as(taker).post(f"/api/v1/handovers/{body['id']}/accept/", format="json")

    assert taken.status_code == 200, taken.json()
    assert (taken.json()["state"], taken.json()["taken_by"]) == ("accepted", taker.username)
    assert api_as(taker).get(f"/api/v1/orders/{order.pk}/").status_code == 200
    assert api_as(order.provider).get(f"/api/v1/orders/{order.pk}/").status_code == 404
    again = api_as(UserFactory()).post(f"/api/v1/handovers/{body['id']}/accept/", format="json")
    assert again.status_code == 404  # no longer open to anyone: not theirs to see


def test_api_bad_input_and_wrong_parties(api_as):
    order = shift_order()
    url = f"/api/v1/orders/{order.pk}/handover/"

    unknown = api_as(order.provider).post(url, {"to": "ghost"}, format="json")
    by_employer = api_as(order.client).post(url, {}, format="json")
    stranger = api_as(UserFactory()).post(url, {}, format="json")

    assert (unknown.status_code, list(unknown.json()["errors"])) == (400, ["to"])
    assert (by_employer.status_code, by_employer.json()["code"]) == (403, "wrong_party")
    assert stranger.status_code == 404


# --- Web ---------------------------------------------------------------------------------------------


def test_web_offer_from_the_order_page_take_it_from_the_listing_page(client):
    order = shift_order(starts_in=timedelta(days=2))
    first, taker = order.provider, UserFactory()
    client.force_login(first)
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Hand the shift over" in page

    bad = client.post(reverse("order_action", args=[order.pk, "handover"]), {"handover-to": "ghost"})
    assert "No worker has that username" in bad.content.decode()
    done = client.post(reverse("order_action", args=[order.pk, "handover"]), {"handover-message": "Sorry"})
    assert done.status_code == 302
    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert "Withdraw the offer and keep the shift" in page and "Hand the shift over" not in page

    client.force_login(taker)
    listing_page = client.get(reverse("listing_detail", args=[order.listing_id])).content.decode()
    handover = handovers.handover_open_for_order(order)
    assert reverse("handover_detail", args=[handover.pk]) in listing_page
    detail = client.get(reverse("handover_detail", args=[handover.pk])).content.decode()
    assert "Take over the shift" in detail
    taken = client.post(reverse("handover_accept", args=[handover.pk]))
    assert taken.status_code == 302 and taken.url == reverse("order_detail", args=[order.pk])

    client.force_login(first)
    after = client.get(reverse("handover_detail", args=[handover.pk])).content.decode()
    assert "You left this shift with no penalty" in after


def test_web_the_employer_sees_the_worker_is_looking_for_someone(client):
    order = shift_order()
    handovers.handover_offer(order=order, actor=order.provider)
    client.force_login(order.client)

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert "is still booked until another worker accepts" in page


def test_admin_lists_handovers(admin_client):
    order = shift_order()
    handover = handovers.handover_offer(order=order, actor=order.provider)

    listing = admin_client.get(reverse("admin:orders_handover_changelist")).content.decode()
    detail = admin_client.get(reverse("admin:orders_handover_change", args=[handover.pk]))

    assert order.title in listing and detail.status_code == 200


def test_offered_until_the_start_never_after():
    order = shift_order(starts_in=timedelta(minutes=30))
    with time_machine.travel(order.starts_at, tick=False), pytest.raises(Conflict) as exc:
        handovers.handover_offer(order=order, actor=order.provider)
    assert exc.value.code == "shift_started"
    assert timezone.now() < order.starts_at
