"""Compensation between an order's parties after it is done (after-sales), and taking it back.

The disputes app decides that a compensation is owed (an after-sales ticket) and asks for it
here; only orders moves an order's money. Every movement is one balanced ledger transaction:

* to the client (a quality problem, rework, a partial refund): from the provider's balance,
  paid back to the client's payment method like a cancellation's refund. Paying moves the
  amount from the provider's account to "refunds owed to clients" (``ticket_compensation``)
  and writes a pending ``Refund`` that the settlement sweep pays out after the policy's
  business days. Taking it back before the payout cancels that refund (refunds owed →
  provider, ``ticket_compensation_reversal``); after the payout the money is with the
  client, whose payment method is charged back through the gateway (gateway → provider).
* to the provider (unpaid wages): a pending ``Charge`` of the client's payment method, made
  outside any transaction right after the asking one commits (or by the sweep), and retried
  when declined; charged, it is a ``Payment`` (gateway → provider, ``ticket_compensation``).
  Taking it back cancels a charge not made yet; a charge made is refunded like any refund
  (provider → refunds owed, and a pending ``Refund`` of its ``Payment``).

The platform's own account is never used: the platform neither pays nor keeps compensation.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from core.exceptions import Conflict

from .ledger import account_for
from .models import AccountKind, Charge, LedgerTransactionKind, Order, Payment, Refund
from .refunds import charge_cancel, charge_create, refund_cancel, refund_create


@dataclass(frozen=True)
class CompensationPaid:
    """What paying a compensation wrote: the client's pending refund, or the charge of the client.

    ``payment`` is a wages charge made before charges had a ``Charge`` row (migrated records).
    """

    to_client: bool
    refund: Refund | None = None
    charge: Charge | None = None
    payment: Payment | None = None


def _memo(reference: str, text: str) -> str:
    # Ledger memos are bookkeeping, not user-facing text: plain English like the other memos.
    return f"{reference}: {text}"[:255]


@transaction.atomic
def compensation_pay(*, order: Order, amount: Decimal, to_client: bool, reference: str) -> CompensationPaid:
    """Pay ``amount`` to the client (from the provider) or to the provider (charged to the client).

    ``reference`` names what it is for in the ledger ("Ticket #12"). No gateway is called here:
    a refund and a charge are made outside the transaction, each with its own idempotency key.
    """
    provider = account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider)
    if to_client:
        refund = refund_create(
            order=order,
            amount=amount,
            debit=provider,
            kind=LedgerTransactionKind.TICKET_COMPENSATION,
            memo=_memo(reference, "compensation from the provider, owed to the client"),
        )
        return CompensationPaid(to_client=True, refund=refund)
    charge = charge_create(
        order=order,
        amount=amount,
        credit=provider,
        kind=LedgerTransactionKind.TICKET_COMPENSATION,
        memo=_memo(reference, "unpaid wages charged to the client"),
    )
    return CompensationPaid(to_client=False, charge=charge)


@transaction.atomic
def compensation_reverse(*, order: Order, amount: Decimal, paid: CompensationPaid, reference: str) -> Refund | None:
    """Take back a compensation ``compensation_pay`` paid; returns the refund of a wages charge.

    To the client and not paid out yet: the refund is cancelled (kept, as evidence) and the
    amount is back with the provider. Paid out already: the client's payment method is charged
    back (a pending ``Charge``). To the provider: a charge not made yet is cancelled; one made
    is refunded to the client like any refund, and that pending ``Refund`` is returned.
    """
    provider = account_for(kind=AccountKind.PROVIDER, currency=order.currency, user=order.provider)
    if paid.to_client:
        if paid.refund is not None:
            settled = refund_cancel(
                refund=paid.refund,
                credit=provider,
                kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
                memo=_memo(reference, "cancelled, compensation back to the provider"),
            )
            if settled is None:
                return None
        charge_create(
            order=order,
            amount=amount,
            credit=provider,
            kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
            memo=_memo(reference, "cancelled after payout, charged back to the client"),
        )
        return None
    payment = paid.payment
    if paid.charge is not None:
        made = charge_cancel(charge=paid.charge)
        if made is None:
            return None  # never charged: nothing to give back
        payment = made.payment
    if payment is None or payment.order_id != order.pk:
        raise Conflict(_("No charge of the client for these wages is on record to refund."), code="no_payment")
    return refund_create(
        order=order,
        amount=amount,
        debit=provider,
        kind=LedgerTransactionKind.TICKET_COMPENSATION_REVERSAL,
        memo=_memo(reference, "cancelled, wages charge refunded to the client"),
        payment=payment,
    )
