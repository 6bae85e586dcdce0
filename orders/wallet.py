"""A provider's money, per currency, read from the ledger (PRODUCT.md, "Money out").

- **pending**: what open orders hold in escrow for them (the price less the platform fee);
- **clearing**: earnings released in the last ``clearance_days`` of the policy (7), kept back as
  protection against after-sales refunds;
- **available**: the rest of their account: what a payout may take.

Fees and penalties are debited from the same account, so they come out of available money
first and then out of clearing money (netting). When they exceed both, available is negative:
that is owed to Gigfair and recovered from later earnings before any payout (``owed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from .models import OPEN_STATES, AccountKind, LedgerEntry, LedgerTransactionKind, Order, money, platform_fee
from .selectors import policy_in_force

ZERO = Decimal("0.00")
# Credits to a provider's account that are earnings, and so clear before they can be paid out;
# anything else credited (a fee given back on appeal, a failed payout) is available at once.
EARNING_KINDS = (LedgerTransactionKind.RELEASE, LedgerTransactionKind.CANCELLATION)


@dataclass(frozen=True)
class WalletLine:
    currency: str
    pending: Decimal
    clearing: Decimal
    available: Decimal

    @property
    def balance(self) -> Decimal:
        """Clearing and available together: the provider's account."""
        return self.clearing + self.available

    @property
    def owed(self) -> Decimal:
        """What fees and penalties took beyond the money there was: recovered from later earnings."""
        return max(-self.available, ZERO)


def clearance_days() -> int:
    return policy_in_force().clearance_days


def wallet_lines(
    *, pending: dict[str, Decimal], balances: dict[str, Decimal], recent: dict[str, Decimal]
) -> list[WalletLine]:
    """The lines of a wallet from its three sums per currency (the reconciliation reuses it)."""
    lines = []
    for currency in sorted(set(pending) | set(balances)):
        balance = balances.get(currency, ZERO)
        clearing = min(recent.get(currency, ZERO), max(balance, ZERO))
        lines.append(
            WalletLine(
                currency=currency,
                pending=money(pending.get(currency, ZERO)),
                clearing=money(clearing),
                available=money(balance - clearing),
            )
        )
    return lines


def wallet_for(user, *, now: datetime | None = None) -> list[WalletLine]:
    """The user's wallet, one line per currency they have money in (two queries)."""
    now = now or timezone.now()
    since = now - timedelta(days=clearance_days())
    pending: dict[str, Decimal] = {}
    for price, currency, fee_percent in Order.objects.filter(provider=user, state__in=OPEN_STATES).values_list(
        "price", "currency", "policy__platform_fee_percent"
    ):
        pending[currency] = pending.get(currency, ZERO) + price - platform_fee(price, fee_percent)
    balances, recent = {}, {}
    rows = (
        LedgerEntry.objects.filter(account__kind=AccountKind.PROVIDER, account__user=user)
        .values("account__currency")
        .annotate(
            total=Sum("amount"),
            earned=Sum(
                "amount",
                filter=Q(amount__lt=0, transaction__kind__in=EARNING_KINDS, transaction__created_at__gt=since),
            ),
        )
        .order_by()
    )
    for row in rows:
        # The ledger's sign: a credit (negative) to the provider's account is money owed to them.
        balances[row["account__currency"]] = -(row["total"] or ZERO)
        recent[row["account__currency"]] = -(row["earned"] or ZERO)
    return wallet_lines(pending=pending, balances=balances, recent=recent)


def wallet_line(user, currency: str, *, now: datetime | None = None) -> WalletLine:
    found = next((line for line in wallet_for(user, now=now) if line.currency == currency), None)
    return found or WalletLine(currency=currency, pending=ZERO, clearing=ZERO, available=ZERO)


def wallet_movements(user, *, currency: str | None = None, kind: str = AccountKind.PROVIDER) -> QuerySet[LedgerEntry]:
    """Every line of the user's accounts of ``kind`` (their own account, or their deposit), newest
    first, with its transaction (and order)."""
    entries = LedgerEntry.objects.filter(account__kind=kind, account__user=user)
    if currency:
        entries = entries.filter(account__currency=currency)
    return entries.select_related("transaction", "account").order_by("-transaction__created_at", "-id")


def pending_orders(user) -> QuerySet[Order]:
    """The open orders whose escrow is the user's pending money."""
    return (
        Order.objects.filter(provider=user, state__in=OPEN_STATES)
        .select_related("policy")
        .order_by("-created_at", "-id")
    )
