"""``manage.py run_due_jobs``: every sweep once, the same code Celery beat runs."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Sum

from core.jobs import sweep_names
from orders.ledger import account_balance, account_for, escrow_balance_for
from orders.models import AccountKind, LedgerEntry, LedgerTransaction, OrderState
from tests.factories import order_delivered, shift_checked_in

pytestmark = pytest.mark.django_db


def run_due_jobs(*names: str) -> str:
    out = StringIO()
    call_command("run_due_jobs", *names, stdout=out)
    return out.getvalue()


def counts(output: str) -> dict[str, str]:
    """``{sweep name: "N processed..."}`` from the command's output, one line per sweep."""
    return dict(line.split(": ", 1) for line in output.splitlines())


def assert_ledger_balanced() -> None:
    assert LedgerEntry.objects.aggregate(total=Sum("amount"))["total"] == 0
    for txn in LedgerTransaction.objects.annotate(total=Sum("entries__amount")):
        assert txn.total == 0, txn


def assert_escrow_released(order) -> None:
    fee = order.platform_fee
    provider_account = account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider)
    platform_account = account_for(kind=AccountKind.PLATFORM, currency=order.currency)
    assert escrow_balance_for(order) == 0
    assert account_balance(provider_account) == -(order.price - fee)
    assert account_balance(platform_account) == -fee


def test_prints_every_sweep_and_its_count():
    output = run_due_jobs()

    assert list(counts(output)) == sweep_names()
    assert set(counts(output).values()) == {"0 processed"}


def test_completes_a_delivered_service_order_after_three_days():
    order = order_delivered()

    with time_machine.travel(order.delivered_at + timedelta(days=3, seconds=1), tick=False):
        output = run_due_jobs()

    order.refresh_from_db()
    assert "orders.auto_complete_service_orders: 1 processed" in output
    assert "orders.auto_complete_shift_orders: 0 processed" in output
    assert order.state == OrderState.COMPLETED
    assert order.history.last().actor_role == "system"
    assert_escrow_released(order)
    assert_ledger_balanced()


def test_leaves_a_delivered_service_order_alone_before_three_days():
    order = order_delivered()

    with time_machine.travel(order.delivered_at + timedelta(days=3) - timedelta(minutes=1), tick=False):
        output = run_due_jobs()

    order.refresh_from_db()
    assert "orders.auto_complete_service_orders: 0 processed" in output
    assert order.state == OrderState.DELIVERED
    assert escrow_balance_for(order) == order.price


def test_completes_a_checked_in_shift_24_hours_after_it_ends():
    order = shift_checked_in()

    with time_machine.travel(order.ends_at + timedelta(hours=24, seconds=1), tick=False):
        output = run_due_jobs()

    order.refresh_from_db()
    assert "orders.auto_complete_shift_orders: 1 processed" in output
    assert order.state == OrderState.COMPLETED
    assert_escrow_released(order)
    assert_ledger_balanced()


def test_a_rerun_finds_nothing_left():
    service = order_delivered()
    shift = shift_checked_in()
    later = max(service.delivered_at + timedelta(days=3), shift.ends_at + timedelta(hours=24)) + timedelta(minutes=1)

    with time_machine.travel(later, tick=False):
        first = run_due_jobs()
        second = run_due_jobs()

    assert counts(first)["orders.auto_complete_service_orders"] == "1 processed"
    assert counts(first)["orders.auto_complete_shift_orders"] == "1 processed"
    assert set(counts(second).values()) == {"0 processed"}
    assert LedgerTransaction.objects.filter(kind="release").count() == 2
    assert escrow_balance_for(service) == escrow_balance_for(shift) == Decimal("0.00")
    assert_ledger_balanced()


def test_runs_only_the_named_sweeps():
    output = run_due_jobs("orders.auto_complete_shift_orders")

    assert output.splitlines() == ["orders.auto_complete_shift_orders: 0 processed"]


def test_refuses_an_unknown_sweep_and_runs_nothing():
    order = order_delivered()
    err = StringIO()

    with (
        time_machine.travel(timedelta(days=4), tick=False),
        pytest.raises(SystemExit) as exit_info,
    ):
        call_command(
            "run_due_jobs", "orders.nope", "orders.auto_complete_service_orders", stdout=StringIO(), stderr=err
        )

    order.refresh_from_db()
    assert exit_info.value.code == 2
    assert "Unknown sweep 'orders.nope'" in err.getvalue()
    assert order.state == OrderState.DELIVERED
