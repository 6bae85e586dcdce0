"""orders.compensation: the money of after-sales compensation, paid and taken back by orders alone."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict
from core.jobs import sweep_run
from orders import refunds
from orders.compensation import CompensationPaid, compensation_pay, compensation_reverse
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, ChargeStatus, LedgerTransaction, Payment, RefundStatus
from orders.refunds import charge_settle
from tests.factories import order_completed
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

TEN = Decimal("10.00")


def _provider_balance(order) -> Decimal:
    return account_balance(account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider))


def test_a_compensation_to_the_client_is_a_pending_refund_from_the_provider():
    order = order_completed()
    before = _provider_balance(order)

    paid = compensation_pay(order=order, amount=TEN, to_client=True, reference="Ticket #1")

    assert paid.to_client and paid.payment is None
    assert paid.refund.status == RefundStatus.PENDING and paid.refund.amount == TEN
    assert _provider_balance(order) == before + TEN  # the amount leaves the provider's account
    memo = LedgerTransaction.objects.filter(order=order, kind="ticket_compensation").get().memo
    assert memo == "Ticket #1: compensation from the provider, owed to the client"
    assert_every_transaction_balances()


def test_taking_it_back_before_the_payout_cancels_the_refund_and_charges_nobody():
    order = order_completed()
    before = _provider_balance(order)
    paid = compensation_pay(order=order, amount=TEN, to_client=True, reference="Ticket #1")
    payments = Payment.objects.count()

    refund = compensation_reverse(order=order, amount=TEN, paid=paid, reference="Ticket #1")

    assert refund is None
    paid.refund.refresh_from_db()
    assert paid.refund.status == RefundStatus.CANCELLED
    assert Payment.objects.count() == payments
    assert _provider_balance(order) == before
    assert_every_transaction_balances()


def test_unpaid_wages_are_a_charge_asked_for_and_made_outside_the_transaction():
    order = order_completed()
    before = _provider_balance(order)
    payments = Payment.objects.count()

    paid = compensation_pay(order=order, amount=TEN, to_client=False, reference="Ticket #2")

    # asked for: nothing charged, nothing in the books yet
    assert not paid.to_client and paid.refund is None
    assert paid.charge.status == ChargeStatus.PENDING and paid.charge.amount == TEN
    assert Payment.objects.count() == payments and _provider_balance(order) == before
    # made: a Payment of the order and its ledger transaction
    charge = charge_settle(charge_id=paid.charge.pk)
    assert charge.status == ChargeStatus.CHARGED and charge.payment.order_id == order.pk
    assert _provider_balance(order) == before - TEN
    memo = LedgerTransaction.objects.get(order=order, kind="ticket_compensation").memo
    assert memo == f"Ticket #2: unpaid wages charged to the client, charge {charge.payment.reference}"
    assert_every_transaction_balances()


def test_wages_taken_back_before_the_charge_cancel_it_and_nobody_is_charged():
    order = order_completed()
    paid = compensation_pay(order=order, amount=TEN, to_client=False, reference="Ticket #2")

    refund = compensation_reverse(order=order, amount=TEN, paid=paid, reference="Ticket #2")

    assert refund is None
    paid.charge.refresh_from_db()
    assert paid.charge.status == ChargeStatus.CANCELLED
    assert charge_settle(charge_id=paid.charge.pk) is None  # a cancelled charge is never made
    assert_every_transaction_balances()


def test_wages_taken_back_after_the_charge_are_refunded_from_its_payment():
    order = order_completed()
    before = _provider_balance(order)
    paid = compensation_pay(order=order, amount=TEN, to_client=False, reference="Ticket #2")
    charge_settle(charge_id=paid.charge.pk)

    refund = compensation_reverse(order=order, amount=TEN, paid=paid, reference="Ticket #2")

    paid.charge.refresh_from_db()
    assert refund.payment_id == paid.charge.payment_id and refund.status == RefundStatus.PENDING
    assert _provider_balance(order) == before
    assert_every_transaction_balances()


def test_a_charge_interrupted_between_the_gateway_and_its_record_is_made_once(monkeypatch):
    # given a wages charge whose record step fails once, after the gateway charged the card
    order = order_completed()
    paid = compensation_pay(order=order, amount=TEN, to_client=False, reference="Ticket #4")
    real_record = refunds._charge_record
    calls = {"n": 0}

    def record_fails_once(**kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("worker stopped")
        return real_record(**kwargs)

    monkeypatch.setattr(refunds, "_charge_record", record_fails_once)
    with pytest.raises(RuntimeError):
        charge_settle(charge_id=paid.charge.pk)
    paid.charge.refresh_from_db()
    assert paid.charge.status == ChargeStatus.PENDING and paid.charge.claimed_until is not None

    # when the claim runs out and the sweep takes it over
    with time_machine.travel(timezone.now() + refunds.CHARGE_CLAIM + timedelta(seconds=1), tick=False):
        assert sweep_run("orders.settle_charges").processed == 1

    # then the gateway's answer to the same key is recorded once: one payment, one ledger line
    paid.charge.refresh_from_db()
    assert paid.charge.status == ChargeStatus.CHARGED and paid.charge.attempts == 2
    assert Payment.objects.filter(order=order, amount=TEN).count() == 1
    assert LedgerTransaction.objects.filter(order=order, kind="ticket_compensation").count() == 1
    assert_every_transaction_balances()


def test_wages_with_no_charge_on_record_are_refused_and_nothing_moves():
    order = order_completed()
    transactions = LedgerTransaction.objects.count()

    with pytest.raises(Conflict) as refused:
        compensation_reverse(order=order, amount=TEN, paid=CompensationPaid(to_client=False), reference="Ticket #3")

    assert refused.value.code == "no_payment"
    assert LedgerTransaction.objects.count() == transactions
