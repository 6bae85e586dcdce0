"""Money moves only as balanced double-entry transactions in Decimal."""

from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from orders.ledger import UnbalancedTransaction, account_for, ledger_post
from orders.models import AccountKind, LedgerEntry, LedgerTransaction
from tests.factories import order_completed

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)


def assert_every_transaction_balances():
    # Summed in Python: SQLite adds NUMERIC columns as floats, which would blur exact cents.
    totals: dict[int, Decimal] = defaultdict(Decimal)
    for txn_id, amount in LedgerEntry.objects.values_list("transaction_id", "amount"):
        assert isinstance(amount, Decimal)
        totals[txn_id] += amount
    assert totals, "expected ledger transactions"
    assert set(totals) == set(LedgerTransaction.objects.values_list("pk", flat=True))
    assert all(total == 0 for total in totals.values()), totals


@pytest.mark.django_db
def test_every_transaction_of_a_completed_order_sums_to_zero():
    order = order_completed(price=Decimal("33.33"))

    assert_every_transaction_balances()
    assert LedgerEntry.objects.filter(transaction__order=order).count() == 5


@pytest.mark.django_db
def test_unbalanced_lines_are_refused_and_nothing_is_written():
    gateway = account_for(kind=AccountKind.GATEWAY, currency="EUR")
    escrow = account_for(kind=AccountKind.ESCROW, currency="EUR")

    with pytest.raises(UnbalancedTransaction):
        ledger_post(kind="charge", currency="EUR", lines=[(gateway, Decimal("10.00")), (escrow, Decimal("-9.99"))])

    assert not LedgerTransaction.objects.exists()


@pytest.mark.django_db
def test_lines_in_another_currency_are_refused():
    gateway = account_for(kind=AccountKind.GATEWAY, currency="EUR")
    escrow = account_for(kind=AccountKind.ESCROW, currency="USD")

    with pytest.raises(UnbalancedTransaction):
        ledger_post(kind="charge", currency="EUR", lines=[(gateway, Decimal("1.00")), (escrow, Decimal("-1.00"))])


class LedgerPropertyTests(TestCase):
    @settings(max_examples=40, deadline=None)
    @given(price=amounts, fee_percent=st.decimals(min_value=0, max_value=100, places=2))
    def test_completion_splits_price_exactly_between_provider_and_platform(self, price, fee_percent):
        from orders.models import Policy

        Policy.objects.update_or_create(version=99, defaults={"platform_fee_percent": fee_percent})
        order = order_completed(price=price)

        release = order.ledger_transactions.get(kind="release")
        amounts_by_kind = {e.account.kind: e.amount for e in release.entries.select_related("account")}
        assert sum(amounts_by_kind.values()) == 0
        assert amounts_by_kind[AccountKind.ESCROW] == price
        assert all(v <= 0 for k, v in amounts_by_kind.items() if k != AccountKind.ESCROW)
        assert all(isinstance(v, Decimal) for v in amounts_by_kind.values())
        assert_every_transaction_balances()
