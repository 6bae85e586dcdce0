"""Monthly statements: a person's money in one calendar month (in their time zone), per currency.

As a provider: the opening balance of their account, each movement of the month grouped as
earnings, fees, after-sales refunds and payouts, and the closing balance. As a client: what
they paid and what was refunded to them. Shown as a printable page and as CSV.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import NotFound

from .models import (
    AccountKind,
    LedgerEntry,
    LedgerTransactionKind,
    Payment,
    PaymentStatus,
    Refund,
    RefundStatus,
)

ZERO = Decimal("0.00")
K = LedgerTransactionKind
CATEGORIES = {
    "earnings": (gettext_lazy("Earnings"), (K.RELEASE, K.CANCELLATION)),
    "fees": (gettext_lazy("Fees and penalties"), (K.PROVIDER_FEE, K.FEE_REVERSAL)),
    "refunds": (gettext_lazy("After-sales refunds"), (K.TICKET_COMPENSATION, K.TICKET_COMPENSATION_REVERSAL)),
    "payouts": (gettext_lazy("Payouts"), (K.PAYOUT, K.PAYOUT_FAILED, K.PAYOUT_PAID)),
    # Money moved between the account and the deposit (fees the deposit paid never touch the account).
    "deposit": (gettext_lazy("Deposit put down and returned"), (K.DEPOSIT, K.DEPOSIT_RETURN)),
}


def category_of(kind: str) -> str:
    return next((code for code, (_label, kinds) in CATEGORIES.items() if kind in kinds), "other")


@dataclass
class StatementLine:
    at: datetime
    category: str
    kind_label: str
    order_id: int | None
    memo: str
    amount: Decimal  # to the person: positive in, negative out


@dataclass
class CurrencyStatement:
    currency: str
    opening: Decimal = ZERO
    lines: list[StatementLine] = field(default_factory=list)
    paid: Decimal = ZERO  # as a client
    refunded: Decimal = ZERO  # as a client

    @property
    def totals(self) -> list[tuple[str, str, Decimal]]:
        sums: dict[str, Decimal] = {}
        for line in self.lines:
            sums[line.category] = sums.get(line.category, ZERO) + line.amount
        labels = {code: label for code, (label, _kinds) in CATEGORIES.items()} | {"other": gettext_lazy("Other")}
        return [(code, str(labels[code]), sums[code]) for code in [*CATEGORIES, "other"] if code in sums]

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((line.amount for line in self.lines), ZERO)


@dataclass
class Statement:
    month: date
    time_zone: str
    currencies: list[CurrencyStatement]


def month_parse(value: str) -> date:
    """``YYYY-MM`` as the month's first day; anything else is 404 (no such month)."""
    try:
        month = datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise NotFound(_("No such month.")) from None
    if not 2000 <= month.year <= 9998:
        raise NotFound(_("No such month."))
    return month


def month_bounds(month: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=tz)
    return start, end


def statement_for(user, month: date) -> Statement:
    """The statement of ``month`` (its first day) for ``user``, in their time zone (five queries)."""
    tz = timezone.get_current_timezone()
    start, end = month_bounds(month, tz)
    by_currency: dict[str, CurrencyStatement] = {}

    def of(currency: str) -> CurrencyStatement:
        return by_currency.setdefault(currency, CurrencyStatement(currency=currency))

    entries = LedgerEntry.objects.filter(account__kind=AccountKind.PROVIDER, account__user=user)
    for row in (
        entries.filter(transaction__created_at__lt=start)
        .values("account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        of(row["account__currency"]).opening = -row["total"]
    for entry in (
        entries.filter(transaction__created_at__gte=start, transaction__created_at__lt=end)
        .select_related("transaction", "account")
        .order_by("transaction__created_at", "id")
    ):
        txn = entry.transaction
        of(entry.account.currency).lines.append(
            StatementLine(
                at=txn.created_at,
                category=category_of(txn.kind),
                kind_label=txn.get_kind_display(),
                order_id=txn.order_id,
                memo=txn.memo,
                amount=-entry.amount,
            )
        )
    for row in (
        Payment.objects.filter(
            order__client=user, status=PaymentStatus.SUCCEEDED, created_at__gte=start, created_at__lt=end
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        of(row["currency"]).paid = row["total"]
    for row in (
        Refund.objects.filter(
            order__client=user, status=RefundStatus.SETTLED, settled_at__gte=start, settled_at__lt=end
        )
        .values("currency")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        of(row["currency"]).refunded = row["total"]
    return Statement(month=month, time_zone=str(tz), currencies=[by_currency[c] for c in sorted(by_currency)])


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: one row per movement, then the totals, per currency."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("currency"), _("date"), _("category"), _("what"), _("order"), _("memo"), _("amount")])
    for cur in statement.currencies:
        writer.writerow([cur.currency, "", "opening", _("Opening balance"), "", "", cur.opening])
        for line in cur.lines:
            writer.writerow(
                [
                    cur.currency,
                    timezone.localtime(line.at).isoformat(timespec="minutes"),
                    line.category,
                    line.kind_label,
                    line.order_id or "",
                    line.memo,
                    line.amount,
                ]
            )
        for code, label, total in cur.totals:
            writer.writerow([cur.currency, "", f"total_{code}", label, "", "", total])
        writer.writerow([cur.currency, "", "closing", _("Closing balance"), "", "", cur.closing])
        writer.writerow([cur.currency, "", "client_paid", _("Paid as a client"), "", "", cur.paid])
        writer.writerow([cur.currency, "", "client_refunded", _("Refunded to you as a client"), "", "", cur.refunded])
    return out.getvalue()
