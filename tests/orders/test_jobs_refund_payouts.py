"""Refund payouts call the gateway outside any transaction; a run stopped on the way never pays twice."""

import threading
import time
from datetime import timedelta

import pytest
import time_machine
from django.db import connection

from core.exceptions import Conflict
from core.jobs import sweep_run
from orders import jobs
from orders.cancellation import order_cancel
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, Refund, RefundStatus
from orders.refunds import refund_cancel
from tests.factories import service_order
from tests.gateways import RecordingGateway, use_gateway
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    use_gateway(settings, "tests.gateways.RecordingGateway")
    yield RecordingGateway
    use_gateway(settings, "orders.gateways.SimulatedCardGateway")


def _refund_due() -> Refund:
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")
    RecordingGateway.calls, RecordingGateway.moved = [], {}  # the order's charge is not what is looked at
    return order.refunds.get()


def _stop_before_recording(monkeypatch) -> list:
    """The next run stops after the gateway answered, before recording; returns what it was told."""
    real, told = jobs._refunds_record, []

    def stopped(answers, accounts):
        told.extend(answers)
        monkeypatch.setattr(jobs, "_refunds_record", real)
        raise RuntimeError("worker stopped")

    monkeypatch.setattr(jobs, "_refunds_record", stopped)
    return told


def _settlements(refund: Refund) -> int:
    return refund.order.ledger_transactions.filter(kind="refund_settled").count()


def test_a_run_stopped_between_the_payout_and_its_record_is_finished_once(gateway, monkeypatch):
    # given a due refund, and a run that stops once the gateway has paid it out
    refund = _refund_due()
    _stop_before_recording(monkeypatch)
    with time_machine.travel(refund.settle_after, tick=False), pytest.raises(RuntimeError):
        sweep_run("orders.settle_refunds")
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.claimed_until) == (
        RefundStatus.PENDING,
        1,
        refund.settle_after + jobs.REFUND_CLAIM,
    )

    # when the sweep runs again: its claim holds the refund back, then, run out, lets it be finished
    with time_machine.travel(refund.settle_after + timedelta(minutes=1), tick=False):
        assert sweep_run("orders.settle_refunds").processed == 0
    with time_machine.travel(refund.claimed_until, tick=False):
        assert sweep_run("orders.settle_refunds").processed == 1

    # then the gateway was asked twice with the same key and paid once; the ledger shows one payout
    key = f"refund-{refund.pk}"
    assert [call[:2] for call in gateway.calls] == [("refund", key), ("refund", key)]
    assert gateway.moved == {("refund", key): refund.amount}
    refund.refresh_from_db()
    assert (refund.status, refund.attempts, refund.claimed_until) == (RefundStatus.SETTLED, 2, None)
    assert refund.gateway_reference and _settlements(refund) == 1
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency=refund.currency)) == 0
    assert_every_transaction_balances()


def test_a_late_record_of_a_claim_taken_over_writes_nothing(gateway, monkeypatch):
    # given a run that stopped before recording, and a later run that took the refund over and paid it
    refund = _refund_due()
    told = _stop_before_recording(monkeypatch)
    with time_machine.travel(refund.settle_after, tick=False), pytest.raises(RuntimeError):
        sweep_run("orders.settle_refunds")
    with time_machine.travel(refund.settle_after + jobs.REFUND_CLAIM, tick=False):
        assert sweep_run("orders.settle_refunds").processed == 1

    # when the first run's record comes in after all
    assert jobs._refunds_record(told, {}) == (0, 0)

    # then the payout is on the books once
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SETTLED and _settlements(refund) == 1


@pytest.mark.django_db(transaction=True)
def test_refunds_are_paid_out_outside_any_transaction(gateway):
    refund = _refund_due()

    with time_machine.travel(refund.settle_after, tick=False):
        assert sweep_run("orders.settle_refunds").processed == 1

    assert [(operation, inside) for operation, _key, inside in gateway.calls] == [("refund", False)]


def test_a_refund_whose_payout_was_left_unrecorded_is_not_taken_back_until_the_sweep_settles_it(gateway, monkeypatch):
    # given a refund paid out by a run that stopped before recording it
    refund = _refund_due()
    provider = account_for(kind=AccountKind.PROVIDER, currency=refund.currency, user=refund.order.provider)
    _stop_before_recording(monkeypatch)
    with time_machine.travel(refund.settle_after, tick=False), pytest.raises(RuntimeError):
        sweep_run("orders.settle_refunds")
    refund.refresh_from_db()

    # when support takes it back after that run's claim ran out, then again once the sweep paid it out
    with time_machine.travel(refund.claimed_until, tick=False):
        with pytest.raises(Conflict) as refused:
            refund_cancel(refund=refund, credit=provider, kind="ticket_compensation_reversal", memo="back")
        sweep_run("orders.settle_refunds")
        settled = refund_cancel(refund=refund, credit=provider, kind="ticket_compensation_reversal", memo="back")

    # then it is refused while the outcome is unknown, and handed back as paid out afterwards
    assert refused.value.code == "refund_paying_out"
    assert settled is not None and settled.status == RefundStatus.SETTLED
    assert not refund.order.ledger_transactions.filter(kind="ticket_compensation_reversal").exists()


class _SlowRefunds(RecordingGateway):
    name = "test-slow-refunds"
    started = threading.Event()

    def refund(self, **kwargs):
        _SlowRefunds.started.set()
        time.sleep(0.5)
        return super().refund(**kwargs)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_taking_a_refund_back_waits_for_a_payout_under_way(settings):
    # given a refund the sweep is paying out right now, its row not locked meanwhile
    use_gateway(settings, f"{__name__}._SlowRefunds")
    _SlowRefunds.started.clear()
    refund = _refund_due()
    provider = account_for(kind=AccountKind.PROVIDER, currency=refund.currency, user=refund.order.provider)
    results = {}

    def sweep():
        try:
            with time_machine.travel(refund.settle_after, tick=True):
                results["sweep"] = sweep_run("orders.settle_refunds").processed
        finally:
            connection.close()

    thread = threading.Thread(target=sweep)
    thread.start()
    assert _SlowRefunds.started.wait(5)

    # when support takes it back meanwhile
    started = time.monotonic()
    result = refund_cancel(refund=refund, credit=provider, kind="ticket_compensation_reversal", memo="back")
    waited = time.monotonic() - started
    thread.join()
    use_gateway(settings, "orders.gateways.SimulatedCardGateway")

    # then that waited for the payout's record and found it paid out: never both paid and cancelled
    assert results == {"sweep": 1} and waited > 0.2
    assert result is not None and result.status == RefundStatus.SETTLED
    assert not refund.order.ledger_transactions.filter(kind="ticket_compensation_reversal").exists()
