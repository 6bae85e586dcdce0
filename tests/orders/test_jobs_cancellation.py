"""The clock-driven cancellation sweeps: late marking, no-shows, abandoned orders, refunds."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from core.jobs import sweep_run
from credit.models import CreditEvent
from marketplace.models import Notification
from orders import services
from orders.gateways import _gateway_class
from orders.models import AccountKind, LedgerEntry, OrderState, RefundStatus
from tests.factories import order_in_progress, order_late, service_order, shift_order
from tests.gateways import FlakyRefundGateway
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def test_in_progress_order_past_due_is_marked_late_and_both_are_told(django_capture_on_commit_callbacks):
    order = order_in_progress()

    with (
        time_machine.travel(order.due_at + timedelta(seconds=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        result = sweep_run("orders.mark_late_orders")

    order.refresh_from_db()
    assert (result.processed, order.state) == (1, OrderState.LATE)
    assert order.history.last().actor_role == "system"
    assert set(Notification.objects.filter(order=order).values_list("user", flat=True)) == {
        order.client_id,
        order.provider_id,
    }
    assert len(mail.outbox) == 2


def test_order_not_yet_due_is_not_marked_late():
    order = order_in_progress()

    with time_machine.travel(order.due_at - timedelta(seconds=1), tick=False):
        assert sweep_run("orders.mark_late_orders").processed == 0


def test_late_order_can_still_be_delivered():
    order = order_late()

    order = services.order_deliver(order=order, actor=order.provider, message="Sorry, here it is")

    assert order.state == OrderState.DELIVERED


def test_client_force_cancels_late_order_after_grace():
    from orders.cancellation import order_cancel

    order = order_in_progress()
    with time_machine.travel(order.due_at + timedelta(hours=24, seconds=1), tick=False):
        sweep_run("orders.mark_late_orders")
        order_cancel(order=order, actor=order.client, reason="service_quality")

    c = order.cancellation
    assert (c.path, c.refund_to_client, c.credit_delta, c.counts_against_completion_rate) == (
        "client_force_late",
        order.price,
        -5,
        True,
    )
    assert CreditEvent.objects.get(user=order.provider).delta == -5


def test_no_show_is_cancelled_with_penalties_after_60_minutes():
    order = shift_order(price=Decimal("80.00"))

    with time_machine.travel(order.starts_at + timedelta(minutes=59), tick=False):
        assert sweep_run("orders.cancel_no_shows").processed == 0
    with time_machine.travel(order.starts_at + timedelta(minutes=60), tick=False):
        assert sweep_run("orders.cancel_no_shows").processed == 1
        assert sweep_run("orders.cancel_no_shows").processed == 0

    order.refresh_from_db()
    c = order.cancellation
    assert (order.state, c.reason, c.fee_to_platform, c.credit_delta) == ("cancelled", "no_show", Decimal("16.00"), -20)
    assert c.refund_to_client == Decimal("80.00")
    assert_every_transaction_balances()


def test_checked_in_shift_is_not_a_no_show():
    order = shift_order()
    with time_machine.travel(order.starts_at, tick=False):
        services.order_check_in(order=order, actor=order.provider)

    with time_machine.travel(order.starts_at + timedelta(hours=2), tick=False):
        assert sweep_run("orders.cancel_no_shows").processed == 0


def test_order_without_requirements_for_14_days_closes_without_penalty():
    order = service_order()

    with time_machine.travel(order.created_at + timedelta(days=14), tick=False):
        assert sweep_run("orders.close_orders_without_requirements").processed == 1

    c = order.cancellation
    assert (c.reason, c.fault, c.credit_delta, c.counts_against_completion_rate) == (
        "no_requirements",
        "client",
        0,
        False,
    )
    assert not CreditEvent.objects.exists()


def test_refund_settles_after_business_days_through_the_gateway():
    from orders.cancellation import order_cancel

    with time_machine.travel("2026-11-20 10:00Z", tick=False):  # a Friday
        order = service_order()
        order_cancel(order=order, actor=order.client, reason="other")
    refund = order.refunds.get()
    assert refund.settle_after.isoformat().startswith("2026-11-25T10:00")  # Mon, Tue, Wed

    with time_machine.travel("2026-11-25 09:59Z", tick=False):
        assert sweep_run("orders.settle_refunds").processed == 0
    with time_machine.travel("2026-11-25 10:00Z", tick=False):
        assert sweep_run("orders.settle_refunds").processed == 1

    refund.refresh_from_db()
    assert refund.status == RefundStatus.SETTLED and refund.gateway_reference
    refunds_owed = sum(e.amount for e in LedgerEntry.objects.filter(account__kind=AccountKind.REFUNDS))
    assert refunds_owed == 0
    assert_every_transaction_balances()


def test_failed_refund_is_retried_with_back_off(settings):
    from orders.cancellation import order_cancel

    settings.PAYMENT_GATEWAY = "tests.gateways.FlakyRefundGateway"
    _gateway_class.cache_clear()
    FlakyRefundGateway.failures_left = 1
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    refund = order.refunds.get()

    with time_machine.travel(refund.settle_after, tick=False):
        first = sweep_run("orders.settle_refunds")
    refund.refresh_from_db()
    assert (first.processed, refund.status, refund.attempts) == (0, RefundStatus.FAILED, 1)
    with time_machine.travel(refund.settle_after, tick=False):
        sweep_run("orders.settle_refunds")
    refund.refresh_from_db()
    assert (refund.status, refund.attempts) == (RefundStatus.SETTLED, 2)
    _gateway_class.cache_clear()


def test_run_due_jobs_runs_every_sweep(capsys):
    call_command("run_due_jobs")

    out = capsys.readouterr().out
    for name in ("mark_late_orders", "cancel_no_shows", "close_orders_without_requirements", "settle_refunds"):
        assert f"orders.{name}:" in out
