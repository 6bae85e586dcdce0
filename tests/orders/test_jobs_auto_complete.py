"""The auto-complete sweeps: delivered services after 3 days, shifts 24 h after their end."""

from datetime import timedelta

import pytest
import time_machine

from core.jobs import sweep_run
from orders import services
from orders.ledger import escrow_balance_for
from orders.models import OrderState
from tests.factories import order_delivered, shift_checked_in

pytestmark = pytest.mark.django_db


def test_delivered_service_order_completes_after_three_days():
    order = order_delivered()

    with time_machine.travel(order.delivered_at + timedelta(hours=72, seconds=1), tick=False):
        result = sweep_run("orders.auto_complete_service_orders")

    order.refresh_from_db()
    assert result.processed == 1
    assert order.state == OrderState.COMPLETED
    assert order.history.last().actor_role == "system"
    assert escrow_balance_for(order) == 0


def test_delivered_service_order_is_left_alone_before_three_days():
    order = order_delivered()

    with time_machine.travel(order.delivered_at + timedelta(hours=71), tick=False):
        result = sweep_run("orders.auto_complete_service_orders")

    order.refresh_from_db()
    assert result.processed == 0
    assert order.state == OrderState.DELIVERED


def test_sweep_rerun_finds_nothing_left():
    order_delivered()
    order_delivered()

    with time_machine.travel(timedelta(days=4), tick=False):
        first = sweep_run("orders.auto_complete_service_orders")
        second = sweep_run("orders.auto_complete_service_orders")

    assert (first.processed, second.processed) == (2, 0)


def test_checked_in_shift_completes_24h_after_its_end():
    order = shift_checked_in()

    with time_machine.travel(order.ends_at + timedelta(hours=23), tick=False):
        early = sweep_run("orders.auto_complete_shift_orders")
    with time_machine.travel(order.ends_at + timedelta(hours=24, seconds=1), tick=False):
        due = sweep_run("orders.auto_complete_shift_orders")

    order.refresh_from_db()
    assert (early.processed, due.processed) == (0, 1)
    assert order.state == OrderState.COMPLETED
    assert escrow_balance_for(order) == 0


def test_revision_cancels_the_pending_auto_complete():
    order = order_delivered()
    services.order_request_revision(order=order, actor=order.client, message="again")

    with time_machine.travel(timedelta(days=4), tick=False):
        result = sweep_run("orders.auto_complete_service_orders")

    order.refresh_from_db()
    assert result.processed == 0
    assert order.state == OrderState.IN_PROGRESS
