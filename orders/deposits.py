"""Deposits (押金): what a policy may ask of workers with a low credit score (PRODUCT.md, "Money out").

A policy with ``deposit_below_score`` set asks a worker whose score is under it to hold
``deposit_amount`` (in the shift's currency) before booking, or taking over, a shift priced above
``deposit_above_price``: 409 ``deposit_required`` says what is missing. The deposit is a ledger
account of the worker's (kind ``deposit``):

- **put down** (``deposit_pay``) from available money at once, or by card through the gateway,
  called outside any transaction with the payment's own key (a lost answer is asked again by
  ``finish_deposit_payments``: the card is charged once);
- **partly kept**: a cancellation fee of the worker's (the tier's ``provider_fee_percent``) is taken
  from the deposit first and the rest from their account (``fee_lines``); the cancellation records
  what the deposit gave (``Cancellation.deposit_kept``), and an upheld appeal puts it back;
- **returned** to available money on request when the worker has no open orders
  (``deposit_return``), or by itself once the policy no longer asks it of them: their score
  recovered, or the policy dropped deposits (``return_deposits``, beat).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.exceptions import Conflict, PaymentFailed
from core.i18n import Translatable
from core.jobs import SweepResult
from core.text import invalid
from credit.selectors import users_scoring_at_least
from credit.services import credit_score
from marketplace.models import User
from marketplace.notifications import notification_build, notifications_send

from .gateways import gateway_get
from .ledger import account_for, ledger_build, ledger_post, ledger_post_many, provider_accounts
from .models import (
    OPEN_STATES,
    Account,
    AccountKind,
    DepositPayment,
    DepositPaymentState,
    DepositSource,
    LedgerEntry,
    LedgerTransactionKind,
    Order,
    OrderPlacement,
    PlacementStatus,
    Policy,
    money,
)
from .payouts import amount_clean, currency_clean
from .selectors import policy_in_force
from .wallet import wallet_line

ZERO = Decimal("0.00")
DEPOSIT_CLAIM = timedelta(minutes=10)
DEFAULT_CURRENCY = "EUR"  # a worker with no money and no work yet sees the deposit asked in it
BATCH = 500


# --- What is held and what is asked --------------------------------------------------------------


def deposit_held(user_id: int, currency: str) -> Decimal:
    """What the user's deposit holds in ``currency`` (one query)."""
    total = LedgerEntry.objects.filter(
        account__kind=AccountKind.DEPOSIT, account__user_id=user_id, account__currency=currency
    ).aggregate(total=Sum("amount"))["total"]
    # A liability: money put down is a credit (negative) to the account.
    return money(-(total or 0))


def deposits_held(
    pairs: Iterable[tuple[str, int]], *, lock: bool = False
) -> dict[tuple[str, int], tuple[int, Decimal]]:
    """For many (currency, user id) pairs, the deposit account's id and what it holds; pairs with
    no deposit account are left out. ``lock``: the accounts are locked first (inside a transaction),
    so what is read stays true until it commits: fees taken and returns made take turns. (FOR NO KEY
    UPDATE, as every lock here: ledger lines pointing at the account may still be written meanwhile,
    so a payment into the deposit never waits on a cancellation that waits on it.)"""
    pairs = set(pairs)
    if not pairs:
        return {}
    accounts = Account.objects.filter(kind=AccountKind.DEPOSIT, user_id__in={uid for _, uid in pairs})
    if lock:
        list(accounts.select_for_update(no_key=True).order_by("pk").values_list("pk", flat=True))
    rows = accounts.annotate(total=Sum("entries__amount")).values_list("pk", "currency", "user_id", "total")
    return {
        (currency, uid): (pk, money(-(total or 0))) for pk, currency, uid, total in rows if (currency, uid) in pairs
    }


def _lock_worker(user_id: int) -> None:
    """The worker's row lock: their deposit moves, returns and bookings that check it take turns."""
    User.objects.select_for_update(no_key=True).filter(pk=user_id).values_list("pk", flat=True).first()


def deposit_asked(policy: Policy, score: int) -> bool:
    """Whether the policy asks a deposit of a worker with ``score`` (for shifts above its value)."""
    return policy.deposit_below_score is not None and score < policy.deposit_below_score


@dataclass(frozen=True)
class DepositLine:
    """The user's deposit in one currency, and what the policy in force asks of them."""

    currency: str
    held: Decimal
    asked: bool  # whether the policy asks this user for a deposit now (their score)
    amount: Decimal  # the deposit the policy asks for
    above_price: Decimal  # ... before booking shifts priced above this

    @property
    def missing(self) -> Decimal:
        return max(self.amount - self.held, ZERO) if self.asked else ZERO


def deposits_for(user, *, policy: Policy | None = None) -> list[DepositLine]:
    """One line per currency the user holds a deposit in, and the currencies of their wallet
    (so a worker asked for a deposit sees where it is missing)."""
    policy = policy or policy_in_force()
    asked = deposit_asked(policy, credit_score(user))
    held: dict[str, Decimal] = {}
    for currency, total in (
        LedgerEntry.objects.filter(account__kind=AccountKind.DEPOSIT, account__user=user)
        .values_list("account__currency")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        held[currency] = money(-(total or 0))
    currencies = set(held)
    if asked:
        # Where the worker has money or work: their account's currencies and their open orders'.
        currencies |= (
            set(Account.objects.filter(kind=AccountKind.PROVIDER, user=user).values_list("currency", flat=True))
            | set(Order.objects.filter(provider=user, state__in=OPEN_STATES).values_list("currency", flat=True))
        ) or {DEFAULT_CURRENCY}
    return [
        DepositLine(
            currency=currency,
            held=held.get(currency, ZERO),
            asked=asked,
            amount=policy.deposit_amount,
            above_price=policy.deposit_above_price,
        )
        for currency in sorted(currencies)
    ]


def deposit_missing(*, worker: User, price: Decimal, currency: str, policy: Policy) -> Decimal:
    """What the worker's deposit lacks before they may book a shift at ``price`` (0 when nothing is asked)."""
    if policy.deposit_below_score is None or price <= policy.deposit_above_price:
        return ZERO
    if not deposit_asked(policy, credit_score(worker)):
        return ZERO
    return max(policy.deposit_amount - deposit_held(worker.pk, currency), ZERO)


def require_deposit(*, worker: User, price: Decimal, currency: str, policy: Policy) -> None:
    """Refuse a shift priced above the policy's value to a worker under its score whose deposit
    holds less than its amount (409 ``deposit_required``, with ``deposit``, ``held`` and ``missing``).

    Call inside the booking's transaction: the worker's row lock orders it against a return."""
    if policy.deposit_below_score is None or price <= policy.deposit_above_price:
        return
    _lock_worker(worker.pk)
    missing = deposit_missing(worker=worker, price=price, currency=currency, policy=policy)
    if not missing:
        return
    held = policy.deposit_amount - missing
    raise Conflict(
        _(
            "With a credit score under %(score)d, shifts paying more than %(above)s %(currency)s ask for a deposit "
            "of %(amount)s %(currency)s; yours holds %(held)s. Put down %(missing)s %(currency)s in your wallet: "
            "it is yours again once your score recovers or you have no open orders."
        )
        % {
            "score": policy.deposit_below_score,
            "above": policy.deposit_above_price,
            "amount": policy.deposit_amount,
            "held": held,
            "missing": missing,
            "currency": currency,
        },
        code="deposit_required",
        extra={
            "deposit": str(policy.deposit_amount),
            "held": str(held),
            "missing": str(missing),
            "currency": currency,
        },
    )


# --- Putting a deposit down ---------------------------------------------------------------------


def _deposit_in(payment: DepositPayment, *, source_account: Account) -> None:
    ledger_post(
        kind=LedgerTransactionKind.DEPOSIT,
        currency=payment.currency,
        memo=f"Deposit #{payment.pk} from {payment.user.username} ({payment.source})",
        lines=[
            (source_account, payment.amount),
            (account_for(kind=AccountKind.DEPOSIT, currency=payment.currency, user=payment.user), -payment.amount),
        ],
    )


@transaction.atomic
def _payment_begin(*, user, currency: str, amount, source: str) -> DepositPayment:
    currency = currency_clean(currency)
    if source not in DepositSource.values:
        raise invalid("source", _("Choose one of: %(list)s.") % {"list": ", ".join(DepositSource.values)})
    _lock_worker(user.pk)
    policy = policy_in_force()
    if not deposit_asked(policy, credit_score(user)):
        raise Conflict(
            _("Gigfair asks no deposit of you: your credit score is high enough, or the rules ask none."),
            code="deposit_not_asked",
        )
    if amount in (None, ""):
        amount = policy.deposit_amount - deposit_held(user.pk, currency)
        if amount <= 0:
            raise Conflict(
                _("Your deposit already holds the %(amount)s %(currency)s asked for.")
                % {"amount": policy.deposit_amount, "currency": currency},
                code="deposit_complete",
            )
    amount = amount_clean(amount)
    now = timezone.now()
    if source == DepositSource.WALLET:
        account = account_for(kind=AccountKind.PROVIDER, currency=currency, user=user)
        Account.objects.select_for_update(no_key=True).filter(pk=account.pk).values_list("pk", flat=True).first()
        line = wallet_line(user, currency, now=now)
        if amount > line.available:
            available = max(line.available, ZERO)
            raise Conflict(
                _("Only %(available)s %(currency)s is available; put the rest down by card.")
                % {"available": available, "currency": currency},
                code="insufficient_funds",
                extra={"available": str(available)},
            )
        payment = DepositPayment.objects.create(
            user=user,
            amount=amount,
            currency=currency,
            source=source,
            state=DepositPaymentState.PAID,
            created_at=now,
            updated_at=now,
        )
        _deposit_in(payment, source_account=account)
        return payment
    return DepositPayment.objects.create(
        user=user,
        amount=amount,
        currency=currency,
        source=source,
        state=DepositPaymentState.CHARGING,
        claimed_until=now + DEPOSIT_CLAIM,
        attempts=1,
        created_at=now,
        updated_at=now,
    )


def deposit_pay(*, user, currency: str, amount=None, source: str = DepositSource.WALLET) -> DepositPayment:
    """Put down ``amount`` (by default what the policy's deposit misses) from available money or by card.

    A card payment is written down as ``charging`` first, then the gateway is called outside any
    transaction and its answer recorded: ``paid`` (held) or ``failed`` (nothing moved)."""
    payment = _payment_begin(user=user, currency=currency, amount=amount, source=source)
    if payment.state != DepositPaymentState.CHARGING:
        return payment
    payment = _charge(payment) or DepositPayment.objects.get(pk=payment.pk)
    if payment.state == DepositPaymentState.FAILED:
        raise PaymentFailed(
            _("Your card was declined: %(why)s") % {"why": payment.failure_reason or _("no reason given")}
        )
    return payment


def _charge(payment: DepositPayment) -> DepositPayment | None:
    result = gateway_get().charge(
        customer_id=payment.user_id,
        amount=payment.amount,
        currency=payment.currency,
        idempotency_key=payment.idempotency_key,
    )
    return _charge_record(payment=payment, result=result)


@transaction.atomic
def _charge_record(*, payment: DepositPayment, result) -> DepositPayment | None:
    claimed_until = payment.claimed_until
    payment = DepositPayment.objects.select_for_update(no_key=True).get(pk=payment.pk)
    if payment.state != DepositPaymentState.CHARGING or payment.claimed_until != claimed_until:
        return None  # recorded already, or another run took the call over
    payment.claimed_until = None
    payment.updated_at = timezone.now()
    if result.ok:
        payment.state, payment.reference = DepositPaymentState.PAID, result.reference[:128]
        _deposit_in(payment, source_account=account_for(kind=AccountKind.GATEWAY, currency=payment.currency))
    else:
        payment.state = DepositPaymentState.FAILED
        payment.failure_reason = (result.failure_reason or "")[:255]
    payment.save()
    return payment


def deposit_payments_due(now) -> QuerySet[DepositPayment]:
    return DepositPayment.objects.filter(state=DepositPaymentState.CHARGING, claimed_until__lte=now)


@transaction.atomic
def _reclaim(payment_id: int) -> DepositPayment | None:
    now = timezone.now()
    payment = deposit_payments_due(now).select_for_update(skip_locked=True).filter(pk=payment_id).first()
    if payment is None:
        return None
    payment.attempts += 1
    payment.claimed_until = now + DEPOSIT_CLAIM
    payment.save(update_fields=("attempts", "claimed_until"))
    return payment


def finish_deposit_payments() -> SweepResult:
    """Card payments whose answer was lost (the run stopped after calling the gateway): asked
    again with the same key, so the card is charged once."""
    done = 0
    ids = list(deposit_payments_due(timezone.now()).order_by("created_at", "pk").values_list("pk", flat=True)[:BATCH])
    for payment_id in ids:
        payment = _reclaim(payment_id)
        if payment is not None and _charge(payment) is not None:
            done += 1
    return SweepResult(processed=done)


# --- Giving it back -----------------------------------------------------------------------------


def _return_posting(*, account_id: int, provider: Account, amount: Decimal, why: str):
    deposit = Account(pk=account_id, kind=AccountKind.DEPOSIT, currency=provider.currency, user_id=provider.user_id)
    return ledger_build(
        kind=LedgerTransactionKind.DEPOSIT_RETURN,
        currency=provider.currency,
        memo=f"Deposit returned to user #{provider.user_id}: {why}"[:255],
        lines=[(deposit, amount), (provider, -amount)],
    )


def _returned_notice(user_id: int, currency: str, amount: Decimal, why: str, now):
    params = {"amount": amount, "currency": currency}
    bodies = {
        "request": gettext_noop("It is available in your wallet, to pay out or to put down again."),
        "recovered": gettext_noop("Your credit score no longer asks for one: the money is available in your wallet."),
    }
    return notification_build(
        user_id=user_id,
        kind="deposit_returned",
        title=Translatable(gettext_noop("Your deposit of %(amount)s %(currency)s was returned"), params),
        body=Translatable(bodies[why], params),
        at=now,
    )


@transaction.atomic
def deposit_return(*, user, currency: str) -> Decimal:
    """Give the whole deposit in ``currency`` back to available money, on the worker's request.

    Refused while they have an open order as a provider (409 ``open_orders``): the deposit stands
    for those. Returns the amount returned."""
    currency = currency_clean(currency)
    provider = account_for(kind=AccountKind.PROVIDER, currency=currency, user=user)  # before any lock
    _lock_worker(user.pk)
    held = deposits_held([(currency, user.pk)], lock=True).get((currency, user.pk))
    if held is None or held[1] <= 0:
        raise Conflict(_("Your deposit holds nothing in %(currency)s.") % {"currency": currency}, code="no_deposit")
    open_orders = Order.objects.filter(provider=user, state__in=OPEN_STATES).count()
    booking = OrderPlacement.objects.filter(actor=user, status=PlacementStatus.CHARGING).exists()
    if open_orders or booking:
        raise Conflict(
            _(
                "Your deposit stands for your open orders (%(n)d): it can be returned once they are completed or "
                "cancelled, or by itself when your credit score recovers."
            )
            % {"n": open_orders},
            code="open_orders",
            extra={"open_orders": open_orders},
        )
    account_id, amount = held
    now = timezone.now()
    ledger_post_many([_return_posting(account_id=account_id, provider=provider, amount=amount, why="request")])
    notifications_send([_returned_notice(user.pk, currency, amount, "request", now)])
    return amount


def return_deposits() -> SweepResult:
    """Return the deposits the policy in force no longer asks for: the worker's score recovered
    (at or above ``deposit_below_score``), or the policy asks for none. Batched: a page of deposit
    accounts at a time, the ones to return locked and returned in one transaction."""
    policy = policy_in_force()
    returned, last = 0, 0
    while True:
        page = list(
            Account.objects.filter(kind=AccountKind.DEPOSIT, pk__gt=last)
            .order_by("pk")
            .values_list("pk", "currency", "user_id")[:BATCH]
        )
        if not page:
            return SweepResult(processed=returned)
        last = page[-1][0]
        if policy.deposit_below_score is not None:
            recovered = users_scoring_at_least(policy.deposit_below_score, {uid for _pk, _cur, uid in page})
            page = [row for row in page if row[2] in recovered]
        returned += _return_page({(cur, uid) for _pk, cur, uid in page})


def _return_page(pairs: set[tuple[str, int]]) -> int:
    # The workers' accounts exist (committed) before any deposit is locked: a cancellation creates
    # them before it locks deposits, so creating them under the lock could wait on it in a circle.
    providers = provider_accounts(currency_user_pairs=pairs)
    with transaction.atomic():
        held = {pair: found for pair, found in deposits_held(pairs, lock=True).items() if found[1] > 0}
        if not held:
            return 0
        now = timezone.now()
        ledger_post_many(
            [
                _return_posting(account_id=pk, provider=providers[pair], amount=amount, why="recovered")
                for pair, (pk, amount) in held.items()
            ]
        )
        notifications_send(
            [_returned_notice(uid, cur, amount, "recovered", now) for (cur, uid), (_pk, amount) in held.items()]
        )
    return len(held)


# --- Fees kept from it --------------------------------------------------------------------------


class DepositTaker:
    """Takes cancellation fees from deposits first, for a batch of cancellations (one query).

    ``take(currency, user_id, fee)`` returns the deposit account (or None) and the part of the
    fee it gives; later calls for the same worker see what earlier ones took."""

    def __init__(self, pairs: Iterable[tuple[str, int]]) -> None:
        self._held = deposits_held(pairs, lock=True)

    def take(self, currency: str, user_id: int, fee: Decimal) -> tuple[Account | None, Decimal]:
        found = self._held.get((currency, user_id))
        if found is None or found[1] <= 0 or fee <= 0:
            return None, ZERO
        account_id, held = found
        part = min(held, fee)
        self._held[(currency, user_id)] = (account_id, held - part)
        return Account(pk=account_id, kind=AccountKind.DEPOSIT, currency=currency, user_id=user_id), part


def fee_lines(
    *, provider: Account, platform: Account, fee: Decimal, deposit: Account | None, from_deposit: Decimal
) -> list[tuple[Account, Decimal]]:
    """The lines of a provider's fee: from their deposit first, the rest from their account."""
    lines = [(provider, fee - from_deposit), (platform, -fee)]
    if deposit is not None and from_deposit:
        lines.append((deposit, from_deposit))
    return lines


def deposit_fee_preview(*, order: Order, fee: Decimal) -> Decimal:
    """The part of ``fee`` the provider's deposit would give now (shown with a quote)."""
    if fee <= 0 or order.provider_id is None:
        return ZERO
    return min(deposit_held(order.provider_id, order.currency), fee)
