"""The books check themselves: every ledger transaction balances, and each holding account of
the platform equals what it holds money for, per currency:

- **escrow** = the prices of open orders, less extra charges asked for into escrow and not made
  yet (a raise agreed on a shift, for one);
- **payouts on their way** = the payouts requested and not yet answered by the gateway;
- **refunds owed to clients** = the refunds not yet paid out (pending or failed, to be retried);
- **providers' accounts**: what each wallet shows as clearing and available adds up to the account;
- **deposits** = the deposits paid in, less the fees kept from them (not given back on appeal) and
  the returns; and no worker's deposit holds less than nothing.

``reconcile`` compares and returns the differences; ``reconcile_ledger`` (beat, nightly) keeps a
``ReconciliationRun`` and tells support supervisors and superusers when something is off.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.i18n import Translatable
from core.jobs import SweepResult
from core.support import SUPERVISOR_GROUP
from marketplace.models import User
from marketplace.notifications import notification_build, notifications_send

from .models import (
    OPEN_STATES,
    AccountKind,
    Cancellation,
    Charge,
    ChargeStatus,
    DepositPayment,
    DepositPaymentState,
    LedgerEntry,
    LedgerTransaction,
    LedgerTransactionKind,
    Order,
    Payout,
    PayoutState,
    ReconciliationRun,
    Refund,
    RefundStatus,
    money,
)

ZERO = Decimal("0.00")
HALF_CENT = Decimal("0.004")  # sums off by less are a float sum's rounding (SQLite), not money


@dataclass(frozen=True)
class Reconciliation:
    checks: int
    differences: list[dict]

    @property
    def balanced(self) -> bool:
        return not self.differences


def _held(kind: str, *, people: bool = False) -> dict[str, Decimal]:
    """What each currency's platform account of ``kind`` holds (a credit balance, as a positive amount);
    ``people``: what people's accounts of ``kind`` (their deposits) hold together."""
    rows = (
        LedgerEntry.objects.filter(account__kind=kind, account__user__isnull=not people)
        .values("account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["account__currency"]: -row["total"] for row in rows}


def _sums(queryset, field: str = "amount") -> dict[str, Decimal]:
    rows = queryset.values("currency").annotate(total=Sum(field)).order_by()
    return {row["currency"]: row["total"] for row in rows}


def _compare(name: str, held: dict[str, Decimal], expected: dict[str, Decimal], out: list[dict]) -> int:
    checks = 0
    for currency in sorted(set(held) | set(expected)):
        checks += 1
        # Quantized: SQLite adds NUMERIC columns as floats.
        have, want = money(held.get(currency, ZERO)), money(expected.get(currency, ZERO))
        if have != want:
            out.append(
                {
                    "check": name,
                    "currency": currency,
                    "ledger": str(money(have)),
                    "expected": str(money(want)),
                    "difference": str(money(have - want)),
                }
            )
    return checks


def reconcile() -> Reconciliation:
    """Compare the books with what they stand for; a handful of aggregate queries, whatever the volume."""
    differences: list[dict] = []
    checks = 1
    unbalanced = list(
        LedgerTransaction.objects.annotate(total=Sum("entries__amount"))
        .filter(Q(total__gt=HALF_CENT) | Q(total__lt=-HALF_CENT) | Q(total__isnull=True))
        .values_list("pk", "total")[:100]
    )
    for pk, total in unbalanced:
        differences.append({"check": "transaction_balances", "transaction": pk, "difference": str(total or ZERO)})
    open_prices = _sums(Order.objects.filter(state__in=OPEN_STATES), "price")
    owed_in = _sums(
        Charge.objects.filter(status__in=(ChargeStatus.PENDING, ChargeStatus.FAILED), credit__kind=AccountKind.ESCROW)
    )
    expected_escrow = defaultdict(lambda: ZERO, open_prices)
    for currency, amount in owed_in.items():
        expected_escrow[currency] -= amount
    checks += _compare("escrow", _held(AccountKind.ESCROW), dict(expected_escrow), differences)
    checks += _compare(
        "payouts_on_their_way",
        _held(AccountKind.PAYOUTS),
        _sums(Payout.objects.filter(state=PayoutState.REQUESTED)),
        differences,
    )
    checks += _compare(
        "refunds_owed",
        _held(AccountKind.REFUNDS),
        _sums(Refund.objects.filter(status__in=(RefundStatus.PENDING, RefundStatus.FAILED))),
        differences,
    )
    checks += _check_deposits(differences)
    return Reconciliation(checks=checks, differences=differences)


def _check_deposits(differences: list[dict]) -> int:
    deposits = LedgerEntry.objects.filter(account__kind=AccountKind.DEPOSIT)
    held = _held(AccountKind.DEPOSIT, people=True)
    expected = defaultdict(lambda: ZERO, _sums(DepositPayment.objects.filter(state=DepositPaymentState.PAID)))
    kept = (
        Cancellation.objects.filter(deposit_kept__gt=0, reversed_at__isnull=True)
        .values("order__currency")
        .annotate(total=Sum("deposit_kept"))
        .order_by()
    )
    for row in kept:
        expected[row["order__currency"]] -= row["total"]
    returned = (
        deposits.filter(transaction__kind=LedgerTransactionKind.DEPOSIT_RETURN)
        .values("account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    for row in returned:
        expected[row["account__currency"]] -= row["total"]
    checks = _compare("deposits", held, dict(expected), differences)
    below_zero = (
        deposits.values("account_id", "account__currency")
        .annotate(total=Sum("amount"))
        .filter(total__gt=HALF_CENT)
        .order_by("account_id")[:100]
    )
    for row in below_zero:
        differences.append(
            {
                "check": "deposit_below_zero",
                "account": row["account_id"],
                "currency": row["account__currency"],
                "difference": str(money(-row["total"])),
            }
        )
    return checks + 1


def reconcile_ledger() -> SweepResult:
    """Check the books, keep the run, and tell staff about any difference."""
    result = reconcile()
    now = timezone.now()
    run = ReconciliationRun.objects.create(created_at=now, checks=result.checks, differences=result.differences)
    if result.differences:
        staff = User.objects.filter(Q(is_superuser=True) | Q(groups__name=SUPERVISOR_GROUP), is_active=True).distinct()
        notifications_send(
            notification_build(
                user_id=uid,
                kind="ledger_difference",
                title=Translatable(
                    gettext_noop("The books do not balance: %(n)s differences (reconciliation #%(run)s)"),
                    {"n": len(result.differences), "run": run.pk},
                ),
                body=Translatable(gettext_noop("Open the reconciliation in the admin to see each one.")),
                at=now,
            )
            for uid in staff.values_list("pk", flat=True)
        )
    # "Processed" are the differences found: a rerun on balanced books finds nothing to do.
    detail = f"of {result.checks} figures compared" if result.differences else ""
    return SweepResult(processed=len(result.differences), detail=detail)
