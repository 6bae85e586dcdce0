"""Double-entry bookkeeping: every money movement is one balanced transaction."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from .models import Account, AccountKind, LedgerEntry, LedgerTransaction, Order, money


class UnbalancedTransaction(ValueError):
    pass


def account_for(*, kind: str, currency: str, user=None) -> Account:
    """The ledger account of this kind and currency (and provider), created on first use."""
    account, _ = Account.objects.get_or_create(kind=kind, currency=currency, user=user)
    return account


def ledger_build(
    *,
    kind: str,
    currency: str,
    lines: list[tuple[Account, Decimal]],
    order: Order | None = None,
    order_id: int | None = None,
    memo: str = "",
) -> tuple[LedgerTransaction, list[LedgerEntry]]:
    """An unsaved balanced transaction and its entries, for writing many at once."""
    lines = [(account, Decimal(amount)) for account, amount in lines if Decimal(amount) != 0]
    if not lines:
        raise UnbalancedTransaction("A ledger transaction needs at least one non-zero line.")
    total = sum((amount for _, amount in lines), Decimal("0"))
    if total != 0:
        raise UnbalancedTransaction(f"Ledger lines sum to {total}, not zero.")
    if any(account.currency != currency for account, _ in lines):
        raise UnbalancedTransaction("Every line of a transaction is in its currency.")
    txn = LedgerTransaction(kind=kind, currency=currency, order=order, memo=memo)
    if order is None and order_id is not None:
        txn.order_id = order_id
    return txn, [LedgerEntry(transaction=txn, account=account, amount=amount) for account, amount in lines]


def ledger_post_many(built: list[tuple[LedgerTransaction, list[LedgerEntry]]]) -> None:
    """Write transactions from ``ledger_build`` with two bulk inserts."""
    if not built:
        return
    LedgerTransaction.objects.bulk_create([txn for txn, _ in built])
    entries = []
    for txn, txn_entries in built:
        for entry in txn_entries:
            entry.transaction = txn
            entries.append(entry)
    LedgerEntry.objects.bulk_create(entries)


def provider_accounts(*, currency_user_pairs: set[tuple[str, int]]) -> dict[tuple[str, int], Account]:
    """Providers' accounts for many (currency, user id) pairs in two or three queries."""
    if not currency_user_pairs:
        return {}
    user_ids = {uid for _, uid in currency_user_pairs}

    def load() -> dict[tuple[str, int], Account]:
        qs = Account.objects.filter(kind=AccountKind.PROVIDER, user_id__in=user_ids)
        return {(a.currency, a.user_id): a for a in qs}

    found = load()
    missing = currency_user_pairs - found.keys()
    if missing:
        Account.objects.bulk_create(
            [Account(kind=AccountKind.PROVIDER, currency=cur, user_id=uid) for cur, uid in missing],
            ignore_conflicts=True,
        )
        found = load()
    return found


@transaction.atomic
def ledger_post(
    *, kind: str, currency: str, lines: list[tuple[Account, Decimal]], order: Order | None = None, memo: str = ""
) -> LedgerTransaction:
    """Write one transaction; refuses lines that do not sum to zero. Zero lines are dropped."""
    lines = [(account, Decimal(amount)) for account, amount in lines if Decimal(amount) != 0]
    if not lines:
        raise UnbalancedTransaction("A ledger transaction needs at least one non-zero line.")
    total = sum((amount for _, amount in lines), Decimal("0"))
    if total != 0:
        raise UnbalancedTransaction(f"Ledger lines sum to {total}, not zero.")
    for account, _ in lines:
        if account.currency != currency:
            raise UnbalancedTransaction("Every line of a transaction is in its currency.")
    txn = LedgerTransaction.objects.create(kind=kind, currency=currency, order=order, memo=memo)
    LedgerEntry.objects.bulk_create(
        LedgerEntry(transaction=txn, account=account, amount=amount) for account, amount in lines
    )
    return txn


def account_balance(account: Account) -> Decimal:
    # Quantized: SQLite adds NUMERIC columns as floats; PostgreSQL is exact either way.
    return money(account.entries.aggregate(total=Sum("amount"))["total"] or 0)


def escrow_balance_for(order: Order) -> Decimal:
    """What escrow still holds for ``order``."""
    total = LedgerEntry.objects.filter(transaction__order=order, account__kind=AccountKind.ESCROW).aggregate(
        total=Sum("amount")
    )["total"]
    # Escrow is a liability: money in is a credit (negative), so what it holds is the negation.
    return money(-(total or 0))
