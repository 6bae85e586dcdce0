"""The clock: a reminder before the window ends, and what silence decides when it has."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from core.jobs import sweep_run
from disputes.models import RequestState, Resolution
from disputes.selectors.requests import unanswered_update_requests_count
from disputes.services.requests import request_decline
from marketplace.models import Notification
from orders.models import OrderState
from tests.disputes.test_requests_services import (
    availability_model,
    open_cancel,
    open_extension,
    open_update,
    request_log,
)
from tests.factories import order_in_progress, shift_order
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def test_the_reminder_goes_out_once_at_36_hours_of_a_48_hour_window(django_capture_on_commit_callbacks):
    order = order_in_progress()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = open_cancel(order)
    mail.outbox.clear()

    with time_machine.travel(start + timedelta(hours=35, minutes=59), tick=False):
        assert sweep_run("disputes.remind_requests").processed == 0
    with time_machine.travel(start + timedelta(hours=36), tick=False), django_capture_on_commit_callbacks(execute=True):
        assert sweep_run("disputes.remind_requests").processed == 1
        assert sweep_run("disputes.remind_requests").processed == 0

    r.refresh_from_db()
    assert r.reminder_sent_at == start + timedelta(hours=36)
    notice = Notification.objects.get(kind="request_reminder")
    assert notice.user == order.provider
    assert [m.to for m in mail.outbox] == [[order.provider.email]]


def test_nothing_expires_before_the_window_ends():
    order = order_in_progress()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        r = open_cancel(order)

    with time_machine.travel(start + timedelta(hours=47, minutes=59), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 0

    r.refresh_from_db()
    assert r.state == RequestState.OPEN


def test_a_business_days_window_does_not_expire_over_the_weekend():
    order = order_in_progress()
    order.policy.windows_in_business_days = True
    order.policy.save()
    with time_machine.travel("2025-01-03 18:00Z", tick=False):  # Friday evening
        r = open_cancel(order)

    with time_machine.travel("2025-01-05 18:01Z", tick=False):  # 48 wall-clock hours later: Sunday
        assert sweep_run("disputes.expire_requests").processed == 0
    with time_machine.travel("2025-01-07 18:00Z", tick=False):  # Tuesday evening
        assert sweep_run("disputes.expire_requests").processed == 1

    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, Resolution.AUTO_ACCEPTED)


def test_an_unanswered_cancel_request_is_accepted_and_the_order_cancelled_with_the_split(
    django_capture_on_commit_callbacks,
):
    order = order_in_progress(price=Decimal("120.00"))
    r = open_cancel(order, percent="60")

    with (
        time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = sweep_run("disputes.expire_requests")

    assert result.processed == 1
    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.state, r.resolution, r.responded_by) == (RequestState.ACCEPTED, Resolution.AUTO_ACCEPTED, None)
    assert order.state == OrderState.CANCELLED
    c = order.cancellation
    assert (c.path, c.refund_to_client, c.compensation_to_provider, c.actor_role) == (
        "mutual",
        Decimal("72.00"),
        Decimal("48.00"),
        "system",
    )
    assert order.refunds.get().amount == Decimal("72.00")
    assert request_log(r)[-1] == ("auto_accept", "open", "accepted")
    assert Notification.objects.filter(kind="request_auto_accepted").count() == 2
    assert Notification.objects.filter(kind="order_cancelled").count() == 2
    assert len(mail.outbox) >= 4
    assert_every_transaction_balances()
    assert sweep_run("disputes.expire_requests").processed == 0  # a rerun finds nothing


def test_an_unanswered_extension_moves_the_due_date_and_clears_late():
    order = order_in_progress()
    with time_machine.travel(order.due_at + timedelta(minutes=1), tick=False):
        sweep_run("orders.mark_late_orders")
        order.refresh_from_db()
        assert order.state == OrderState.LATE
        r = open_extension(order, hours=96)

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 1

    order.refresh_from_db()
    r.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.ACCEPTED, Resolution.AUTO_ACCEPTED)
    assert (order.state, order.due_at) == (OrderState.IN_PROGRESS, r.new_due_at)
    last = order.history.last()
    assert (last.transition, last.from_state, last.to_state, last.actor_role) == (
        "extend_delivery",
        "late",
        "in_progress",
        "system",
    )


def test_an_unanswered_update_request_expires_and_counts_against_the_provider():
    order = order_in_progress()
    r = open_update(order)

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 1

    r.refresh_from_db()
    order.refresh_from_db()
    assert (r.state, r.resolution) == (RequestState.EXPIRED, Resolution.AUTO_EXPIRED)
    assert order.state == OrderState.IN_PROGRESS
    assert unanswered_update_requests_count(provider=order.provider) == 1
    assert Notification.objects.filter(kind="request_expired").count() == 2


def test_an_extension_of_an_order_that_moved_on_expires_without_touching_it():
    from orders import services as order_services

    order = order_in_progress()
    r = open_extension(order)
    order_services.order_deliver(order=order, actor=order.provider, message="Done")

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False):
        sweep_run("disputes.expire_requests")

    order.refresh_from_db()
    r.refresh_from_db()
    assert (r.state, order.state) == (RequestState.EXPIRED, OrderState.DELIVERED)


def test_answered_requests_are_left_alone():
    order = order_in_progress()
    r = open_cancel(order)
    request_decline(resolution_request=r, actor=order.provider, message="No")

    with time_machine.travel(r.respond_by + timedelta(hours=1), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 0
        assert sweep_run("disputes.remind_requests").processed == 0


def test_while_the_provider_is_away_with_no_return_date_their_requests_wait():
    order = order_in_progress()
    r = open_cancel(order)
    availability = availability_model()
    availability.objects.create(user=order.provider, away_from=timezone.now())

    with time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False):
        assert sweep_run("disputes.expire_requests").processed == 0
        availability.objects.filter(user=order.provider).delete()  # back
        assert sweep_run("disputes.expire_requests").processed == 1


def test_many_requests_of_every_kind_are_swept_in_one_run():
    orders = [order_in_progress() for _ in range(3)] + [shift_order()]
    requests = [
        open_cancel(orders[0]),
        open_extension(orders[1]),
        open_update(orders[2]),
        open_cancel(orders[3], by=orders[3].provider, percent="100"),
    ]
    latest = max(r.respond_by for r in requests)

    with time_machine.travel(latest + timedelta(seconds=1), tick=False):
        result = sweep_run("disputes.expire_requests")

    assert result.processed == 4
    assert "3 accepted automatically, 1 expired" in result.detail
    for order in orders:
        order.refresh_from_db()
    assert [o.state for o in orders] == ["cancelled", "in_progress", "in_progress", "cancelled"]
    assert_every_transaction_balances()
