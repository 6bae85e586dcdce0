"""orders.refunds: a refund owed outside a cancellation, and taking one back before payout."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from orders.ledger import account_balance, account_for
from orders.models import AccountKind, Refund, RefundStatus
from orders.refunds import refund_cancel, refund_create
from tests.factories import order_completed
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def _owed(order, amount="12.00"):
    provider = account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider)
    refund = refund_create(order=order, amount=Decimal(amount), debit=provider, kind="ticket_compensation", memo="x")
    return refund, provider


def test_cancelling_a_pending_refund_keeps_it_as_cancelled_and_moves_the_money_back_once():
    # given a refund owed to the client from the provider's balance
    order = order_completed()
    refund, provider = _owed(order)
    before = account_balance(provider)

    # when it is taken back twice (a retried request)
    first = refund_cancel(refund=refund, credit=provider, kind="ticket_compensation_reversal", memo="back")
    second = refund_cancel(refund=refund, credit=provider, kind="ticket_compensation_reversal", memo="back")

    # then it stays on record as cancelled, and the amount went back to the provider only once
    assert first is None and second is None
    refund.refresh_from_db()
    assert refund.status == RefundStatus.CANCELLED and refund.cancelled_at is not None
    assert account_balance(provider) == before - Decimal("12.00")
    assert order.ledger_transactions.filter(kind="ticket_compensation_reversal").count() == 1
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency=order.currency)) == 0
    assert_every_transaction_balances()


@pytest.mark.books_unbalanced  # settled by hand, without the settlement's ledger transaction
def test_a_settled_refund_is_handed_back_for_the_caller_to_reverse_another_way():
    order = order_completed()
    refund, provider = _owed(order)
    Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.SETTLED)

    result = refund_cancel(refund=refund, credit=provider, kind="ticket_compensation_reversal", memo="back")

    assert result is not None and result.status == RefundStatus.SETTLED
    assert not order.ledger_transactions.filter(kind="ticket_compensation_reversal").exists()


def test_the_database_refuses_a_cancelled_refund_without_its_time():
    order = order_completed()
    refund, _provider = _owed(order)

    with pytest.raises(IntegrityError), transaction.atomic():
        Refund.objects.filter(pk=refund.pk).update(status=RefundStatus.CANCELLED)
