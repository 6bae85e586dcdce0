"""The rules of after-sales tickets as pure functions: who may file, cancel or confirm, and when.

The services enforce them; the pages and the API ask them too, to offer only what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import ActorRole
from core.timeutils import when_text
from disputes.models import AfterSalesTicket, TicketState, TicketType
from marketplace.models import User
from orders.models import Order, OrderState

MAX_TEXT = 20_000
MAX_EVIDENCE_DESCRIPTION = 500
EVIDENCE_TYPES = ("image", "pdf")
LIVE_STATES = (TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW, TicketState.APPROVED, TicketState.PROCESSING)
CANCEL_AT_ONCE_STATES = (TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW)
# Which party files which type, and so who receives a compensation.
PROVIDER_TYPES = (TicketType.UNPAID_WAGES,)


@dataclass(frozen=True)
class TicketWindow:
    """Whether ``user`` may file a ticket on an order now, and if not, why."""

    allowed: bool
    code: str = ""
    message: str = ""
    until: datetime | None = None


def ticket_window(*, order: Order, user: User, now: datetime | None = None) -> TicketWindow:
    """Can ``user`` file an after-sales ticket on ``order`` now? (Not counting tickets already open.)"""
    now = now or timezone.now()
    if order.role_of(user) is None:
        return TicketWindow(False, "not_a_party", _("Only the client or the provider of an order can file a ticket."))
    if order.state != OrderState.COMPLETED or order.completed_at is None:
        if order.state == OrderState.CANCELLED:
            message = _("This order was cancelled: after-sales tickets are for completed orders.")
        else:
            message = _("After-sales tickets can be filed once the order is completed.")
        return TicketWindow(False, "order_not_completed", message)
    until = order.completed_at + timedelta(days=order.policy.after_sales_days)
    if now > until:
        message = _("The after-sales window of %(days)d days closed on %(at)s.") % {
            "days": order.policy.after_sales_days,
            "at": when_text(until),
        }
        return TicketWindow(False, "after_sales_window_closed", message, until)
    return TicketWindow(True, until=until)


def ticket_types_for(role: str | None) -> list[tuple[str, str]]:
    """The ticket types a party in ``role`` can file: unpaid wages for providers, the rest for clients."""
    if role == ActorRole.PROVIDER:
        return [c for c in TicketType.choices if c[0] in PROVIDER_TYPES]
    if role == ActorRole.CLIENT:
        return [c for c in TicketType.choices if c[0] not in PROVIDER_TYPES]
    return []


def compensation_recipient(ticket: AfterSalesTicket) -> str:
    """``"provider"`` for unpaid wages, ``"client"`` for every other type."""
    return ActorRole.PROVIDER if ticket.type in PROVIDER_TYPES else ActorRole.CLIENT


def ticket_role(ticket: AfterSalesTicket, user: User | None) -> str | None:
    """``client``, ``provider`` or ``support`` (staff) on this ticket; None for anyone else."""
    if user is None or not user.is_authenticated:
        return None
    role = ticket.order.role_of(user)
    if role is not None:
        return role
    return ActorRole.SUPPORT if user.is_staff else None


def cancel_needs_confirmation(ticket: AfterSalesTicket, requester_role: str) -> tuple[str, ...]:
    """Who must confirm a cancellation ``requester_role`` asks for now; () when it happens at once.

    The answer holds roles: ``client``, ``provider``, ``support``.
    """
    if ticket.state in CANCEL_AT_ONCE_STATES:
        return ()
    if ticket.state == TicketState.APPROVED:
        if requester_role == ActorRole.SUPPORT:
            return ()
        other = ActorRole.PROVIDER if requester_role == ActorRole.CLIENT else ActorRole.CLIENT
        return (other, ActorRole.SUPPORT)
    if ticket.state == TicketState.PROCESSING:
        if requester_role == ActorRole.PROVIDER:
            return (ActorRole.CLIENT, ActorRole.SUPPORT)
        return (ActorRole.PROVIDER,)
    return ()


def cancel_confirmers(ticket: AfterSalesTicket) -> tuple[str, ...]:
    """Who may confirm or refuse the pending cancellation of ``ticket`` (() if none is pending)."""
    if not ticket.cancel_pending:
        return ()
    requester_role = _requester_role(ticket)
    return cancel_needs_confirmation(ticket, requester_role)


def can_cancel(ticket: AfterSalesTicket, user: User | None) -> bool:
    """May ``user`` ask to cancel ``ticket`` now (its author or an agent, while it is live)?"""
    role = ticket_role(ticket, user)
    if role is None or ticket.state not in LIVE_STATES or ticket.cancel_pending:
        return False
    return role == ActorRole.SUPPORT or ticket.opened_by_id == user.pk


def can_confirm_cancel(ticket: AfterSalesTicket, user: User | None) -> bool:
    role = ticket_role(ticket, user)
    return role is not None and role in cancel_confirmers(ticket) and user.pk != ticket.cancel_requested_by_id


def _requester_role(ticket: AfterSalesTicket) -> str:
    requester_id = ticket.cancel_requested_by_id
    if requester_id == ticket.order.client_id:
        return ActorRole.CLIENT
    if requester_id == ticket.order.provider_id:
        return ActorRole.PROVIDER
    return ActorRole.SUPPORT
