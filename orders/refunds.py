"""Money between a client and the platform outside the order's own charge and cancellation
(after-sales compensation, for one).

A cancellation writes its refunds in bulk (``orders.cancellation.cancellations_execute``);
``refund_create`` gives other apps the same record for one amount: the money is moved to
"refunds owed to clients" by one balanced ledger transaction and a pending ``Refund`` row is
written, which ``orders.jobs.settle_refunds`` pays back to the payment method after the
policy's business days, retrying with back-off when the gateway fails. ``payment_charge``
takes an extra amount from the client like the order's own charge: a ``Payment`` row a
refund can later go back to, and its ledger transaction.
"""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import Conflict, PaymentFailed
from core.timeutils import add_business_days

from .gateways import gateway_get
from .ledger import account_for, ledger_post
from .models import Account, AccountKind, Order, Payment, PaymentStatus, Refund, RefundStatus


@transaction.atomic
def payment_charge(
    *, order: Order, amount: Decimal, credit: Account, kind: str, memo: str, idempotency_key: str
) -> Payment:
    """Charge the client of ``order`` ``amount`` more through the gateway; the money goes to ``credit``.

    The gateway is called in the caller's transaction (an after-sales ticket's, under its row
    lock), so ``idempotency_key`` must be stable for what is paid: a retry after a rollback
    gets the first charge back from the gateway instead of a second one.
    """
    gateway = gateway_get()
    result = gateway.charge(
        customer_id=order.client_id, amount=amount, currency=order.currency, idempotency_key=idempotency_key
    )
    if not result.ok:
        raise PaymentFailed(
            _("The client's payment was declined: %(why)s") % {"why": result.failure_reason or _("no reason given")}
        )
    payment = Payment.objects.create(
        order=order,
        gateway=gateway.name,
        reference=result.reference,
        method=result.method,
        amount=amount,
        currency=order.currency,
        status=PaymentStatus.SUCCEEDED,
    )
    ledger_post(
        kind=kind,
        currency=order.currency,
        order=order,
        memo=f"{memo}, charge {payment.reference}"[:255],
        lines=[(account_for(kind=AccountKind.GATEWAY, currency=order.currency), amount), (credit, -amount)],
    )
    return payment


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
    refund = _refund_lock_between_payouts(refund.pk)
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


def _refund_lock_between_payouts(refund_id: int) -> Refund:
    """Lock the refund once no payout of it is under way; call inside a transaction.

    The settlement sweep calls the gateway outside any transaction, having claimed the refund
    (``claimed_until``); its outcome is unknown until the sweep records it. So wait for that,
    as a row lock would, without holding the row: the savepoint's rollback lets it go for the
    sweep to write. A claim left by a stopped sweep is not waited for: the next run settles it.
    """
    deadline = time.monotonic() + PAYOUT_WAIT_SECONDS
    while True:
        with transaction.atomic():
            refund = Refund.objects.select_for_update().select_related("order").get(pk=refund_id)
            if refund.claimed_until is None:
                return refund  # leaving the savepoint keeps the lock
            transaction.set_rollback(True)
        if refund.claimed_until <= timezone.now() or time.monotonic() >= deadline:
            raise Conflict(
                _("This refund is being paid out right now; try again in a few minutes."), code="refund_paying_out"
            )
        time.sleep(PAYOUT_POLL_SECONDS)
