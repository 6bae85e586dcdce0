"""Double-entry bookkeeping: every money movement is one balanced transaction."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.db import insert_rows
from core.prepared import PreparedRead, columns, instance

from .models import Account, AccountKind, LedgerEntry, LedgerTransaction, Order, money


class UnbalancedTransaction(ValueError):
    pass


_platform_account = PreparedRead(
    lambda kind, currency: (
        Account.objects.filter(kind=kind, currency=currency, user__isnull=True)
        .order_by("pk")
        .values_list(*columns(Account))[:1]
    ),
    "kind",
    "currency",
    text=("kind", "currency"),
)


def account_for(*, kind: str, currency: str, user=None) -> Account:
    """The ledger account of this kind and currency (and provider), created on first use. The
    platform's own accounts (every order's escrow and gateway) are found by a prepared read."""
    if user is None:
        rows = _platform_account(kind=kind, currency=currency)
        if rows:
            return instance(Account, rows[0])
    account, _ = Account.objects.get_or_create(kind=kind, currency=currency, user=user)
    return account


@dataclass
class Posting:
    """A balanced transaction not yet written: kind, currency, order and (account id, amount) lines."""

    kind: str
    currency: str
    order_id: int | None
    memo: str
    lines: list[tuple[int, Decimal]]
    created_at: datetime = field(default_factory=timezone.now)


def ledger_build(
    *,
    kind: str,
    currency: str,
    lines: list[tuple[Account, Decimal]],
    order: Order | None = None,
    order_id: int | None = None,
    memo: str = "",
    at: datetime | None = None,
) -> Posting:
    """Check that ``lines`` balance in ``currency`` and return them as a posting to write later."""
    lines = [(account, Decimal(amount)) for account, amount in lines if Decimal(amount) != 0]
    if not lines:
        raise UnbalancedTransaction("A ledger transaction needs at least one non-zero line.")
    total = sum((amount for _, amount in lines), Decimal("0"))
    if total != 0:
        raise UnbalancedTransaction(f"Ledger lines sum to {total}, not zero.")
    if any(account.currency != currency for account, _ in lines):
        raise UnbalancedTransaction("Every line of a transaction is in its currency.")
    return Posting(
        kind=kind,
        currency=currency,
        order_id=order.pk if order is not None else order_id,
        memo=memo,
        lines=[(account.pk, amount) for account, amount in lines],
        created_at=at or timezone.now(),
    )


def ledger_post_many(postings: list[Posting]) -> list[int]:
    """Write postings with two bulk inserts; returns the transaction ids."""
    if not postings:
        return []
    ids = insert_rows(
        LedgerTransaction,
        [
            {"kind": p.kind, "currency": p.currency, "order_id": p.order_id, "memo": p.memo, "created_at": p.created_at}
            for p in postings
        ],
        with_ids=True,
    )
    insert_rows(
        LedgerEntry,
        [
            {"transaction_id": txn_id, "account_id": account_id, "amount": amount}
            for txn_id, posting in zip(ids, postings, strict=True)
            for account_id, amount in posting.lines
        ],
    )
    return ids


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
) -> int:
    """Write one transaction and return its id; refuses lines that do not sum to zero."""
    posting = ledger_build(kind=kind, currency=currency, lines=lines, order=order, memo=memo)
    return ledger_post_many([posting])[0]


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
