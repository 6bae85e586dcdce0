"""Money between a client and the platform outside the order's own charge and cancellation
(after-sales compensation, for one).

A cancellation writes its refunds in bulk (``orders.cancellation.cancellations_execute``);
``refund_create`` gives other apps the same record for one amount: the money is moved to
"refunds owed to clients" by one balanced ledger transaction and a pending ``Refund`` row is
written, which ``orders.jobs.settle_refunds`` pays back to the payment method after the
policy's business days, retrying with back-off when the gateway fails. ``charge_create``
is the other way: a pending ``Charge`` of an extra amount from the client, which
``charge_settle`` makes outside any transaction (right after the asking transaction commits,
and from the sweep ``orders.jobs.settle_charges``), turning it into a ``Payment`` a refund can
later go back to, with its ledger transaction.

Neither the payout of a refund nor a charge runs inside a database transaction: the row is
claimed (``claimed_until``) and committed, the gateway is called with the row's own
idempotency key, and the answer is recorded in a short transaction. A run stopped in between
leaves the claim; when it runs out the next run calls again with the same key, and the
gateway answers with what it already did.
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, PermissionDenied
from core.support import is_support
from core.timeutils import add_business_days

from .gateways import gateway_get
from .ledger import account_for, ledger_post
from .models import Account, AccountKind, Charge, ChargeStatus, Order, Payment, PaymentStatus, Refund, RefundStatus

CHARGE_CLAIM = timedelta(minutes=10)
CHARGE_RETRY_BASE = timedelta(hours=1)


def charge_create(*, order: Order, amount: Decimal, credit: Account, kind: str, memo: str) -> Charge:
    """Ask for ``amount`` more from the client of ``order``, for ``credit``: a pending ``Charge``.

    Call it in the asking transaction: nothing leaves Gigfair until it commits. The card is
    then charged outside any transaction, by a task queued on commit, or by the sweep.
    """
    now = timezone.now()
    charge = Charge.objects.create(
        order=order,
        amount=amount,
        currency=order.currency,
        credit=credit,
        kind=kind,
        memo=memo[:255],
        charge_after=now,
        created_at=now,
        updated_at=now,
    )
    # Imported here: the task module imports this one (to settle the charge it is given).
    from .tasks import charge_settle_task  # noqa: PLC0415

    transaction.on_commit(lambda: charge_settle_task.delay(charge.pk), robust=True)
    return charge


def charge_settle(*, charge_id: int) -> Charge | None:
    """Charge the client's card for a due charge, outside any transaction; record the answer.

    Returns the charge as recorded, or None when it is not due (charged, cancelled, claimed by
    another run, or gone). A decline is recorded as failed and retried with back-off.
    """
    charge = _charge_claim(charge_id)
    if charge is None:
        return None
    gateway = gateway_get()
    result = gateway.charge(
        customer_id=charge.order.client_id,
        amount=charge.amount,
        currency=charge.currency,
        idempotency_key=charge.idempotency_key,
    )
    return _charge_record(charge=charge, gateway_name=gateway.name, result=result)


def charges_due(now: datetime) -> QuerySet[Charge]:
    """Charges to make now: pending, or failed and due again, and not under way elsewhere."""
    return Charge.objects.filter(status__in=(ChargeStatus.PENDING, ChargeStatus.FAILED), charge_after__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )


@transaction.atomic
def _charge_claim(charge_id: int) -> Charge | None:
    now = timezone.now()
    charge = (
        charges_due(now).select_for_update(of=("self",), skip_locked=True).select_related("order").filter(pk=charge_id)
    ).first()
    if charge is None:
        return None
    charge.attempts += 1
    charge.claimed_until = now + CHARGE_CLAIM
    charge.updated_at = now
    charge.save(update_fields=("attempts", "claimed_until", "updated_at"))
    return charge


@transaction.atomic
def _charge_record(*, charge: Charge, gateway_name: str, result) -> Charge | None:
    """Write the gateway's answer, if this run still holds the charge's claim."""
    claimed_until = charge.claimed_until
    charge = Charge.objects.select_for_update().select_related("order").get(pk=charge.pk)
    if charge.claimed_until != claimed_until:
        return None  # the claim ran out and another run took the charge over: it records
    now = timezone.now()
    charge.claimed_until = None
    charge.updated_at = now
    if not result.ok:
        charge.status = ChargeStatus.FAILED
        charge.failure_reason = (result.failure_reason or "")[:255]
        charge.charge_after = now + CHARGE_RETRY_BASE * (2 ** min(charge.attempts - 1, 6))
        charge.save(update_fields=("status", "failure_reason", "charge_after", "claimed_until", "updated_at"))
        return charge
    payment = Payment.objects.create(
        order=charge.order,
        gateway=gateway_name,
        reference=result.reference,
        method=result.method,
        amount=charge.amount,
        currency=charge.currency,
        status=PaymentStatus.SUCCEEDED,
    )
    ledger_post(
        kind=charge.kind,
        currency=charge.currency,
        order=charge.order,
        memo=f"{charge.memo}, charge {payment.reference}"[:255],
        lines=[
            (account_for(kind=AccountKind.GATEWAY, currency=charge.currency), charge.amount),
            (charge.credit, -charge.amount),
        ],
    )
    charge.status = ChargeStatus.CHARGED
    charge.payment = payment
    charge.charged_at = now
    charge.failure_reason = ""
    charge.save(update_fields=("status", "payment", "charged_at", "failure_reason", "claimed_until", "updated_at"))
    return charge


@transaction.atomic
def charge_retry_now(*, charge: Charge, actor) -> Charge:
    """Make a declined charge due now, so the next run tries the client's card again."""
    if not is_support(actor, "orders.change_charge"):
        raise PermissionDenied(_("Only support staff can retry a charge."))
    charge = Charge.objects.select_for_update().get(pk=charge.pk)
    if charge.status != ChargeStatus.FAILED:
        raise Conflict(_("Only a declined charge can be retried now."), code="charge_not_failed")
    now = timezone.now()
    if charge.charge_after > now:
        charge.charge_after = charge.updated_at = now
        charge.save(update_fields=("charge_after", "updated_at"))
    return charge


def charge_cancel(*, charge: Charge) -> Charge | None:
    """Take back a charge not made yet: returns None once it is cancelled (no money moved).

    Returns the charge (locked, re-read) when the card was charged already: the caller gives
    that money back another way (a refund of its payment). Like ``refund_cancel``, it waits
    for a charge under way to be recorded instead of racing it.
    """
    charge = _lock_between_calls(
        Charge,
        charge.pk,
        _("The client's card is being charged right now; try again in a few minutes."),
        "charge_under_way",
    )
    if charge.status == ChargeStatus.CHARGED:
        return charge
    if charge.status != ChargeStatus.CANCELLED:
        charge.status = ChargeStatus.CANCELLED
        charge.cancelled_at = charge.updated_at = timezone.now()
        charge.save(update_fields=("status", "cancelled_at", "updated_at"))
    return None


@transaction.atomic
def refund_create(
    *,
    order: Order,
    amount: Decimal,
    debit: Account,
    kind: str,
    memo: str,
    payment: Payment | None = None,
    now: datetime | None = None,
) -> Refund:
    """Owe ``amount`` back to the client of ``order`` from ``debit``, and schedule its payout like any refund.

    It goes back to ``payment``, by default the order's own charge.
    """
    now = now or timezone.now()
    if payment is None:
        payment = (
            Payment.objects.filter(order=order, status=PaymentStatus.SUCCEEDED).order_by("created_at", "id").first()
        )
    if payment is None:
        raise Conflict(_("This order has no payment to refund to."), code="no_payment")
    refunds_owed = account_for(kind=AccountKind.REFUNDS, currency=order.currency)
    ledger_post(
        kind=kind, currency=order.currency, order=order, memo=memo, lines=[(debit, amount), (refunds_owed, -amount)]
    )
    return Refund.objects.create(
        order=order,
        payment=payment,
        amount=amount,
        currency=order.currency,
        status=RefundStatus.PENDING,
        settle_after=add_business_days(now, order.policy.refund_settlement_business_days),
        created_at=now,
        updated_at=now,
    )


# How long taking a refund back waits for a payout under way to be recorded.
PAYOUT_WAIT_SECONDS = 30
PAYOUT_POLL_SECONDS = 0.05


@transaction.atomic
def refund_cancel(*, refund: Refund, credit: Account, kind: str, memo: str) -> Refund | None:
    """Take back a refund not paid out yet: the amount owed goes back to ``credit``.

    Returns None when it was cancelled, or the refund (locked, re-read) when it has already
    settled and the money is with the client: the caller reverses that another way. It waits
    for a settlement sweep paying it right now to record the outcome, so it is never both paid
    and cancelled. A refund that is not paid out has no gateway side (a failed attempt moved no
    money): it is marked cancelled, keeping its attempts as evidence, and the ledger transaction
    ``kind`` records where the amount went.
    """
    refund = _lock_between_calls(
        Refund,
        refund.pk,
        _("This refund is being paid out right now; try again in a few minutes."),
        "refund_paying_out",
    )
    if refund.status == RefundStatus.SETTLED:
        return refund
    if refund.status == RefundStatus.CANCELLED:
        return None
    refunds_owed = account_for(kind=AccountKind.REFUNDS, currency=refund.currency)
    ledger_post(
        kind=kind,
        currency=refund.currency,
        order=refund.order,
        memo=f"{memo} (refund #{refund.pk} of {refund.amount} {refund.currency} cancelled before payout)"[:255],
        lines=[(refunds_owed, refund.amount), (credit, -refund.amount)],
    )
    refund.status = RefundStatus.CANCELLED
    refund.cancelled_at = refund.updated_at = timezone.now()
    refund.save(update_fields=("status", "cancelled_at", "updated_at"))
    return None


def _lock_between_calls(model, pk: int, message: str, code: str):
    """Lock a refund or charge once no gateway call for it is under way; call inside a transaction.

    The sweeps call the gateway outside any transaction, having claimed the row
    (``claimed_until``); the call's outcome is unknown until it is recorded. So wait for that,
    as a row lock would, without holding the row: the savepoint's rollback lets it go for the
    sweep to write. A claim left by a stopped run is not waited for: the next run settles it.
    """
    deadline = time.monotonic() + PAYOUT_WAIT_SECONDS
    while True:
        with transaction.atomic():
            row = model.objects.select_for_update().select_related("order").get(pk=pk)
            if row.claimed_until is None:
                return row  # leaving the savepoint keeps the lock
            transaction.set_rollback(True)
        if row.claimed_until <= timezone.now() or time.monotonic() >= deadline:
            raise Conflict(message, code=code)
        time.sleep(PAYOUT_POLL_SECONDS)
