"""A ticket's compensation: disputes decides it is owed, orders moves the money.

``orders.compensation`` pays it and takes it back (from the provider to the client, or a
charge of the client for unpaid wages); here the ticket keeps what was written (its refund or
its charge) so it can be taken back later. No gateway is called in the ticket's transaction:
the refund and the charge are made outside it.
"""

from __future__ import annotations

from core.models import ActorRole
from disputes.models import AfterSalesTicket
from orders.compensation import CompensationPaid, compensation_pay, compensation_reverse

from .rules import compensation_recipient


def _reference(ticket: AfterSalesTicket) -> str:
    return f"Ticket #{ticket.pk}"


def compensation_pay_for(ticket: AfterSalesTicket) -> None:
    """Pay the ticket's compensation and link what it wrote (call with the ticket locked)."""
    paid = compensation_pay(
        order=ticket.order,
        amount=ticket.compensation,
        to_client=compensation_recipient(ticket) == ActorRole.CLIENT,
        reference=_reference(ticket),
    )
    ticket.compensation_refund = paid.refund
    ticket.compensation_charge = paid.charge


def compensation_reverse_for(ticket: AfterSalesTicket) -> None:
    """Take back the ticket's paid compensation; a refunded wages charge is linked as its refund."""
    refund = compensation_reverse(
        order=ticket.order,
        amount=ticket.compensation,
        paid=CompensationPaid(
            to_client=compensation_recipient(ticket) == ActorRole.CLIENT,
            refund=ticket.compensation_refund,
            charge=ticket.compensation_charge,
            payment=ticket.compensation_payment,
        ),
        reference=_reference(ticket),
    )
    if refund is not None:
        ticket.compensation_refund = refund
