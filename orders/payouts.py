"""Payouts: a provider withdraws available money through the payment gateway.

``payout_request`` checks the amount against the wallet under the provider's account lock (more
than available is 409 ``insufficient_funds``; the policy's smallest payout and 24-hour limit),
writes the payout as ``requested`` and, in the same transaction, moves the amount from the
provider's account to "payouts on their way". ``payout_send`` calls the gateway outside any
transaction: the payout is claimed (``claimed_until``) and committed, the gateway is called with
the payout's idempotency key, and the answer recorded in a short transaction: ``paid`` (the money
leaves the gateway account), or ``failed`` (the money goes back to the provider's account, so it
is available again). A run stopped between the call and the record leaves the claim; when it runs
out, ``send_payouts`` (beat) calls again with the same key, and the gateway answers with what it
already did: a payout is never paid twice. Staff may retry a failed payout (a new try, with a new
key), if the money is still available.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict, NotFound, PermissionDenied
from core.i18n import Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from core.support import is_support
from core.text import invalid, money_clean
from marketplace.notifications import notification_build, notifications_send

from .gateways import gateway_get
from .ledger import account_for, ledger_post
from .models import CURRENCIES, Account, AccountKind, LedgerTransactionKind, Payout, PayoutState, money
from .selectors import policy_in_force
from .wallet import wallet_line

PAYOUT_CLAIM = timedelta(minutes=10)
BATCH = 200


def currency_clean(value: str) -> str:
    """A currency money may be moved in (a payout, a deposit)."""
    if value not in dict(CURRENCIES):
        raise invalid("currency", _("Choose one of: %(list)s.") % {"list": ", ".join(dict(CURRENCIES))})
    return value


def amount_clean(value) -> Decimal:
    """A typed amount of money to move (a payout, a deposit)."""
    return money_clean(
        value,
        field="amount",
        not_a_number=_("Enter the amount as a number."),
        not_positive=_("The amount must be more than zero."),
    )


def _lock_account(user, currency: str) -> Account:
    """The provider's account in ``currency``, locked: one payout (and one wallet read) at a time."""
    account = account_for(kind=AccountKind.PROVIDER, currency=currency, user=user)
    return Account.objects.select_for_update().get(pk=account.pk)


def paid_out_since(user, currency: str, since: datetime) -> Decimal:
    """What the user asked to be paid out since ``since`` (failed payouts do not count)."""
    total = (
        Payout.objects.filter(user=user, currency=currency, created_at__gte=since)
        .exclude(state=PayoutState.FAILED)
        .aggregate(total=Sum("amount"))["total"]
    )
    return total or Decimal("0.00")


@transaction.atomic
def payout_request(*, user, amount, currency: str) -> Payout:
    """Withdraw ``amount`` of available money; the gateway is called once this commits."""
    amount = amount_clean(amount)
    currency = currency_clean(currency)
    policy = policy_in_force()
    if amount < policy.payout_min_amount:
        raise invalid(
            "amount",
            _("The smallest payout is %(min)s %(currency)s.") % {"min": policy.payout_min_amount, "currency": currency},
        )
    account = _lock_account(user, currency)
    now = timezone.now()
    line = wallet_line(user, currency, now=now)
    if amount > line.available:
        if line.owed:
            text = _(
                "Nothing is available to pay out: %(owed)s %(currency)s of fees are recovered from your next "
                "earnings first."
            ) % {"owed": line.owed, "currency": currency}
        else:
            text = _("Only %(available)s %(currency)s is available to pay out.") % {
                "available": max(line.available, Decimal("0.00")),
                "currency": currency,
            }
        raise Conflict(text, code="insufficient_funds", extra={"available": str(max(line.available, Decimal("0.00")))})
    already = paid_out_since(user, currency, now - timedelta(hours=24))
    if already + amount > policy.payout_daily_limit:
        raise Conflict(
            _("At most %(limit)s %(currency)s can be paid out in 24 hours; %(left)s %(currency)s is left for now.")
            % {"limit": policy.payout_daily_limit, "currency": currency, "left": policy.payout_daily_limit - already},
            code="payout_limit",
            extra={"left": str(policy.payout_daily_limit - already)},
        )
    payout = Payout.objects.create(user=user, amount=amount, currency=currency, created_at=now, updated_at=now)
    # Logged like every state change: the history in the admin, and payout.requested to partners.
    transition_logged(payout, transition="request", from_state="", actor=user, actor_role=ActorRole.PROVIDER, at=now)
    ledger_post(
        kind=LedgerTransactionKind.PAYOUT,
        currency=currency,
        memo=f"Payout #{payout.pk} to {user.username}",
        lines=[(account, amount), (account_for(kind=AccountKind.PAYOUTS, currency=currency), -amount)],
    )
    _send_on_commit(payout.pk)
    return payout


def _send_on_commit(payout_id: int) -> None:
    # Imported here: the task module imports this one (to send the payout it is given).
    from .tasks import payout_send_task  # noqa: PLC0415

    transaction.on_commit(lambda: payout_send_task.delay(payout_id), robust=True)


def payouts_due(now: datetime) -> QuerySet[Payout]:
    """Requested payouts no run is calling the gateway for (never claimed, or the claim ran out)."""
    return Payout.objects.filter(state=PayoutState.REQUESTED).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


@transaction.atomic
def _claim(payout_id: int) -> Payout | None:
    now = timezone.now()
    payout = payouts_due(now).select_for_update(skip_locked=True).filter(pk=payout_id).first()
    if payout is None:
        return None
    payout.attempts += 1
    payout.claimed_until = now + PAYOUT_CLAIM
    payout.updated_at = now
    payout.save(update_fields=("attempts", "claimed_until", "updated_at"))
    return payout


def payout_send(*, payout_id: int) -> Payout | None:
    """Call the gateway for a requested payout, outside any transaction, and record its answer.

    Returns the payout as recorded, or None when there was nothing to do (sent, under way in
    another run, or gone)."""
    payout = _claim(payout_id)
    if payout is None:
        return None
    result = gateway_get().payout(
        recipient_id=payout.user_id,
        amount=payout.amount,
        currency=payout.currency,
        idempotency_key=payout.idempotency_key,
    )
    return payout_record(payout=payout, result=result)


@transaction.atomic
def payout_record(*, payout: Payout, result) -> Payout | None:
    """Write the gateway's answer once, if this run still holds the payout's claim."""
    claimed_until = payout.claimed_until
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.state != PayoutState.REQUESTED or payout.claimed_until != claimed_until:
        return None  # recorded already, or the claim ran out and another run took it over
    now = timezone.now()
    payout.claimed_until = None
    payout.updated_at = now
    in_transit = account_for(kind=AccountKind.PAYOUTS, currency=payout.currency)
    if result.ok:
        payout.state, payout.reference, payout.paid_at, payout.failure_reason = (
            PayoutState.PAID,
            result.reference[:128],
            now,
            "",
        )
        ledger_post(
            kind=LedgerTransactionKind.PAYOUT_PAID,
            currency=payout.currency,
            memo=f"Payout #{payout.pk} paid, {result.reference}"[:255],
            lines=[
                (in_transit, payout.amount),
                (account_for(kind=AccountKind.GATEWAY, currency=payout.currency), -payout.amount),
            ],
        )
        title = gettext_noop("Your payout of %(amount)s %(currency)s is on its way")
        body = gettext_noop("It reaches your bank account in a few working days (reference %(reference)s).")
    else:
        payout.state, payout.failed_at = PayoutState.FAILED, now
        payout.failure_reason = (result.failure_reason or "")[:255]
        ledger_post(
            kind=LedgerTransactionKind.PAYOUT_FAILED,
            currency=payout.currency,
            memo=f"Payout #{payout.pk} failed: {payout.failure_reason}"[:255],
            lines=[
                (in_transit, payout.amount),
                (account_for(kind=AccountKind.PROVIDER, currency=payout.currency, user=payout.user), -payout.amount),
            ],
        )
        title = gettext_noop("Your payout of %(amount)s %(currency)s failed")
        body = gettext_noop("The money is available again in your wallet. The payment provider said: %(reason)s")
    payout.save()
    transition_logged(
        payout,
        transition="record",
        from_state=PayoutState.REQUESTED,
        actor=None,
        actor_role=ActorRole.SYSTEM,
        reason=payout.failure_reason,
        at=now,
    )
    params = {
        "amount": money(payout.amount),
        "currency": payout.currency,
        "reference": payout.reference,
        "reason": payout.failure_reason,
    }
    notifications_send(
        [
            notification_build(
                user_id=payout.user_id,
                kind=f"payout_{payout.state}",
                title=Translatable(title, params),
                body=Translatable(body, params),
                at=now,
            )
        ]
    )
    return payout


@transaction.atomic
def payout_retry(*, payout: Payout, actor) -> Payout:
    """Support tries a failed payout again: a new try (new idempotency key), if the money is still available."""
    if not is_support(actor, "orders.change_payout"):
        raise PermissionDenied(_("Only support staff can retry a payout."))
    payout = Payout.objects.select_for_update().get(pk=payout.pk)
    if payout.state != PayoutState.FAILED:
        raise Conflict(_("Only a failed payout can be tried again."), code="payout_not_failed")
    account = _lock_account(payout.user, payout.currency)
    line = wallet_line(payout.user, payout.currency)
    if payout.amount > line.available:
        raise Conflict(
            _("Only %(available)s %(currency)s of this person's money is available now.")
            % {"available": max(line.available, Decimal("0.00")), "currency": payout.currency},
            code="insufficient_funds",
        )
    now = timezone.now()
    payout.state, payout.retries, payout.failed_at, payout.updated_at = (
        PayoutState.REQUESTED,
        payout.retries + 1,
        None,
        now,
    )
    payout.save(update_fields=("state", "retries", "failed_at", "updated_at"))
    transition_logged(
        payout, transition="retry", from_state=PayoutState.FAILED, actor=actor, actor_role=ActorRole.SUPPORT, at=now
    )
    ledger_post(
        kind=LedgerTransactionKind.PAYOUT,
        currency=payout.currency,
        memo=f"Payout #{payout.pk} tried again by {actor.username}",
        lines=[
            (account, payout.amount),
            (account_for(kind=AccountKind.PAYOUTS, currency=payout.currency), -payout.amount),
        ],
    )
    _send_on_commit(payout.pk)
    return payout


def send_payouts() -> SweepResult:
    """Send requested payouts nobody is sending (the task queued on commit was lost, or a run
    stopped between the gateway's answer and its record): the same key, never paid twice."""
    done = 0
    now = timezone.now()
    ids = list(payouts_due(now).order_by("created_at", "pk").values_list("pk", flat=True)[:BATCH])
    for payout_id in ids:
        if payout_send(payout_id=payout_id) is not None:
            done += 1
    return SweepResult(processed=done)


def payouts_for(user) -> QuerySet[Payout]:
    return Payout.objects.filter(user=user).order_by("-created_at", "-id")


def payout_get_for(*, user, pk) -> Payout:
    """One of the user's payouts (404 for anyone else's)."""
    found = payouts_for(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("No such payout."))
    return found
