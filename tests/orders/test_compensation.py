"""orders.compensation: the money of after-sales compensation, paid and taken back by orders alone."""

from decimal import Decimal

import pytest

from core.exceptions import Conflict
from orders.compensation import CompensationPaid, compensation_pay, compensation_reverse
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, LedgerTransaction, Payment, RefundStatus
from tests.factories import order_completed
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

TEN = Decimal("10.00")


def _provider_balance(order) -> Decimal:
    return account_balance(account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider))


def test_a_compensation_to_the_client_is_a_pending_refund_from_the_provider():
    order = order_completed()
    before = _provider_balance(order)

    paid = compensation_pay(order=order, amount=TEN, to_client=True, reference="Ticket #1", idempotency_key="k1")

    assert paid.to_client and paid.payment is None
    assert paid.refund.status == RefundStatus.PENDING and paid.refund.amount == TEN
    assert _provider_balance(order) == before + TEN  # the amount leaves the provider's account
    memo = LedgerTransaction.objects.filter(order=order, kind="ticket_compensation").get().memo
    assert memo == "Ticket #1: compensation from the provider, owed to the client"
    assert_every_transaction_balances()


def test_taking_it_back_before_the_payout_cancels_the_refund_and_charges_nobody():
    order = order_completed()
    before = _provider_balance(order)
    paid = compensation_pay(order=order, amount=TEN, to_client=True, reference="Ticket #1", idempotency_key="k1")
    payments = Payment.objects.count()

    refund = compensation_reverse(order=order, amount=TEN, paid=paid, reference="Ticket #1", idempotency_key="k2")

    assert refund is None
    paid.refund.refresh_from_db()
    assert paid.refund.status == RefundStatus.CANCELLED
    assert Payment.objects.count() == payments
    assert _provider_balance(order) == before
    assert_every_transaction_balances()


def test_unpaid_wages_are_a_charge_of_the_client_and_come_back_as_its_refund():
    order = order_completed()
    before = _provider_balance(order)

    paid = compensation_pay(order=order, amount=TEN, to_client=False, reference="Ticket #2", idempotency_key="w1")
    assert not paid.to_client and paid.refund is None
    assert paid.payment.amount == TEN and paid.payment.order_id == order.pk

    refund = compensation_reverse(order=order, amount=TEN, paid=paid, reference="Ticket #2", idempotency_key="w2")

    assert refund.payment_id == paid.payment.pk and refund.status == RefundStatus.PENDING
    assert _provider_balance(order) == before
    assert_every_transaction_balances()


def test_wages_with_no_charge_on_record_are_refused_and_nothing_moves():
    order = order_completed()
    transactions = LedgerTransaction.objects.count()

    with pytest.raises(Conflict) as refused:
        compensation_reverse(
            order=order, amount=TEN, paid=CompensationPaid(to_client=False), reference="Ticket #3", idempotency_key="x"
        )

    assert refused.value.code == "no_payment"
    assert LedgerTransaction.objects.count() == transactions
