"""The rules of after-sales tickets as pure functions: who may file, cancel or confirm, and when.

The services enforce them; the pages and the API ask them too, to offer only what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.models import ActorRole
from core.support import is_support
from core.timeutils import when_text
from disputes.models import AfterSalesTicket, SupportCase, TicketState, TicketType
from disputes.windows import window_end
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
    return ActorRole.SUPPORT if is_support(user) else None


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


def cancel_respond_by_for(ticket: AfterSalesTicket, at: datetime) -> datetime:
    """By when a cancellation asked at ``at`` must be answered: the policy's hours (business days if it says so)."""
    policy = ticket.order.policy
    return window_end(
        at,
        timedelta(hours=policy.ticket_confirm_hours),
        business_days=policy.windows_in_business_days,
        tz=timezone.get_default_timezone(),
    )


def confirmation_expired(ticket: AfterSalesTicket, now: datetime | None = None) -> bool:
    """Has the time to answer the pending cancellation of ``ticket`` run out?"""
    return (
        ticket.cancel_pending
        and ticket.cancel_respond_by is not None
        and ticket.cancel_respond_by <= (now or timezone.now())
    )


def silence_confirms(ticket: AfterSalesTicket) -> bool:
    """Without an answer in time, is the cancellation confirmed (approved) or handed to support (processing)?"""
    return ticket.state == TicketState.APPROVED


def closed_by_silence(ticket: AfterSalesTicket) -> bool:
    """Was ``ticket`` cancelled after its answer time ran out (by the system, or an agent deciding for a party)?"""
    return (
        ticket.state == TicketState.CANCELLED
        and ticket.cancel_respond_by is not None
        and ticket.cancelled_at is not None
        and ticket.cancelled_at >= ticket.cancel_respond_by
    )


def can_cancel(ticket: AfterSalesTicket, user: User | None) -> bool:
    """May ``user`` ask to cancel ``ticket`` now (its author or an agent, while it is live)?"""
    role = ticket_role(ticket, user)
    if role is None or ticket.state not in LIVE_STATES or ticket.cancel_pending:
        return False
    return role == ActorRole.SUPPORT or ticket.opened_by_id == user.pk


def can_confirm_cancel(ticket: AfterSalesTicket, user: User | None, now: datetime | None = None) -> bool:
    """May ``user`` confirm or refuse the pending cancellation now (a party only within its answer time)?"""
    role = ticket_role(ticket, user)
    if role is None or role not in cancel_confirmers(ticket) or user.pk == ticket.cancel_requested_by_id:
        return False
    return role == ActorRole.SUPPORT or not confirmation_expired(ticket, now)


def can_withdraw_cancel(ticket: AfterSalesTicket, user: User | None, now: datetime | None = None) -> bool:
    """May ``user`` withdraw the pending cancellation: who asked for it, or an agent for them?

    Not once silence has confirmed it (an approved ticket past its answer time).
    """
    role = ticket_role(ticket, user)
    if role is None or not ticket.cancel_pending:
        return False
    if role != ActorRole.SUPPORT and user.pk != ticket.cancel_requested_by_id:
        return False
    return role == ActorRole.SUPPORT or not (silence_confirms(ticket) and confirmation_expired(ticket, now))


def can_decide_cancel(ticket: AfterSalesTicket, user: User | None) -> bool:
    """May ``user`` decide the pending cancellation for the party it waits on (agents, any time)?"""
    return ticket.cancel_pending and ticket_role(ticket, user) == ActorRole.SUPPORT


def escalated_case(ticket: AfterSalesTicket) -> SupportCase | None:
    """The support case ``ticket`` was escalated to, if any."""
    return getattr(ticket, "escalated_to", None)


def escalate_until(ticket: AfterSalesTicket) -> datetime | None:
    """Until when who filed a rejected ticket may take it to support (None unless rejected)."""
    if ticket.state != TicketState.REJECTED or ticket.rejected_at is None:
        return None
    return ticket.rejected_at + timedelta(days=ticket.order.policy.ticket_escalation_days)


def can_escalate(ticket: AfterSalesTicket, user: User | None, now: datetime | None = None) -> bool:
    """May ``user`` escalate ``ticket`` to a support case now (its filer, rejected, in time, not yet done)?"""
    until = escalate_until(ticket)
    if user is None or until is None or ticket.opened_by_id != user.pk:
        return False
    return (now or timezone.now()) <= until and escalated_case(ticket) is None


def _requester_role(ticket: AfterSalesTicket) -> str:
    requester_id = ticket.cancel_requested_by_id
    if requester_id == ticket.order.client_id:
        return ActorRole.CLIENT
    if requester_id == ticket.order.provider_id:
        return ActorRole.PROVIDER
    return ActorRole.SUPPORT
