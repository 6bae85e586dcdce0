"""Cancelling an after-sales ticket: at once, or once whoever the state requires confirms.

Who confirms depends on the state (``rules.cancel_needs_confirmation``); a cancellation waiting
for its answer is stored on the ticket, and refusing it clears that, so the state shown is
always the state stored. Confirming reverses a compensation already paid.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict, PermissionDenied, ValidationFailed
from core.i18n import Joined, Text, Translatable
from core.models import ActorRole
from core.text import text_clean
from disputes.models import AfterSalesTicket, TicketCancelReason, TicketState
from marketplace.models import User

from .base import everyone, lock_for, refuse, tell, ticket_title
from .money import compensation_reverse_for
from .rules import LIVE_STATES, cancel_confirmers, cancel_needs_confirmation


def _clean_cancel_reason(reason: str, message: str) -> tuple[str, str]:
    if reason not in TicketCancelReason.values:
        text = _("Choose a reason.")
        raise ValidationFailed(text, errors={"reason": [text]})
    return reason, text_clean(message, field="message", limit=5000)


def _cancel_now(
    ticket: AfterSalesTicket,
    *,
    by: User,
    role: str,
    reason: str,
    message: str,
    confirmed_by=None,
    confirm_message: str = "",
):
    """Cancel ``ticket`` (locked) at once, reversing a paid compensation; log and tell everyone.

    ``confirm_message`` is what the confirming party wrote, kept in the log and the notice
    beside the requester's own message.
    """
    fields = ["compensation_refund"] if ticket.compensation_paid_at is not None else []
    if ticket.compensation_paid_at is not None:
        compensation_reverse_for(ticket)
    from_state, now = ticket.state, timezone.now()
    if ticket.cancel_requested_at is None:
        ticket.cancel_requested_at = now
    ticket.cancel(reason=reason, message=message, by=by, at=now)
    ticket.save(
        update_fields=(
            "state",
            "cancel_reason",
            "cancel_message",
            "cancel_requested_by",
            "cancel_requested_at",
            "cancelled_at",
            "updated_at",
            *fields,
        )
    )
    label = TicketCancelReason(reason).label
    log_reason = f"{label}: {message}" if message else label
    if confirm_message:
        log_reason = f"{log_reason}\n{confirm_message}"
    actor = confirmed_by or by
    transition_logged(
        ticket, transition="cancel", from_state=from_state, actor=actor, actor_role=role, reason=log_reason, at=now
    )
    lines: list[Text] = [Joined(": ", [label, message]) if message else label]
    if confirm_message:
        lines.append(confirm_message)
    if ticket.compensation_paid_at is not None:
        lines.append(
            Translatable(
                gettext_noop("The compensation of %(amount)s %(cur)s paid on it is reversed."),
                {"amount": ticket.compensation, "cur": ticket.order.currency},
            )
        )
    body = Joined("\n", lines)
    tell(
        ticket,
        users=everyone(ticket),
        actor=actor,
        kind="ticket_cancelled",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s is cancelled"), ticket),
        body=body,
    )


@transaction.atomic
def ticket_cancel(*, ticket: AfterSalesTicket, actor: User, reason: str, message: str = "") -> AfterSalesTicket:
    """Cancel a ticket at once, or ask whoever the state requires to confirm (see the module's docstring)."""
    ticket, role = lock_for(ticket, actor)
    reason, message = _clean_cancel_reason(reason, message)
    if role != ActorRole.SUPPORT and ticket.opened_by_id != actor.pk:
        raise PermissionDenied(_("Only who filed the ticket, or support, can cancel it."), code="wrong_party")
    if ticket.state == TicketState.CANCELLED:
        return ticket
    if ticket.state not in LIVE_STATES:
        raise refuse(ticket, _("cancel"))
    if ticket.cancel_pending:
        raise Conflict(
            _("A cancellation of this ticket already waits for confirmation."),
            code="cancel_pending",
            extra={"state": ticket.state},
        )
    confirmers = cancel_needs_confirmation(ticket, role)
    if not confirmers:
        _cancel_now(ticket, by=actor, role=role, reason=reason, message=message)
        return ticket
    now = timezone.now()
    ticket.cancel_reason, ticket.cancel_message = reason, message
    ticket.cancel_requested_by, ticket.cancel_requested_at = actor, now
    ticket.save(
        update_fields=("cancel_reason", "cancel_message", "cancel_requested_by", "cancel_requested_at", "updated_at")
    )
    transition_logged(
        ticket,
        transition="cancel_request",
        from_state=ticket.state,
        actor=actor,
        actor_role=role,
        reason=f"{TicketCancelReason(reason).label}: {message}" if message else str(TicketCancelReason(reason).label),
        at=now,
    )
    who: list[User | None] = []
    if ActorRole.CLIENT in confirmers:
        who.append(ticket.order.client)
    if ActorRole.PROVIDER in confirmers:
        who.append(ticket.order.provider)
    if ActorRole.SUPPORT in confirmers:
        who.append(ticket.assignee)
    lines: list[Text] = [
        Translatable(gettext_noop("Reason: %(reason)s."), {"reason": TicketCancelReason(reason).label})
    ]
    if message:
        lines.append(message)
    if ticket.compensation_paid_at is not None:
        lines.append(
            Translatable(
                gettext_noop("Confirming reverses the compensation of %(amount)s %(cur)s already paid."),
                {"amount": ticket.compensation, "cur": ticket.order.currency},
            )
        )
    body = Joined("\n", lines)
    tell(
        ticket,
        users=who,
        actor=actor,
        kind="ticket_cancel_requested",
        title=ticket_title(gettext_noop("Please confirm: cancel after-sales ticket #%(id)s?"), ticket),
        body=body,
    )
    # Everyone else involved learns that a confirmation is awaited.
    tell(
        ticket,
        users=[u for u in everyone(ticket) if u not in who],
        actor=actor,
        kind="ticket_cancel_requested",
        title=ticket_title(gettext_noop("Cancellation of after-sales ticket #%(id)s waits for confirmation"), ticket),
        body=body,
    )
    return ticket


def _lock_pending_for_answer(ticket: AfterSalesTicket, actor: User) -> tuple[AfterSalesTicket, str]:
    ticket, role = lock_for(ticket, actor)
    if not ticket.cancel_pending:
        raise Conflict(
            _("No cancellation of this ticket waits for confirmation."),
            code="no_cancel_pending",
            extra={"state": ticket.state},
        )
    if role not in cancel_confirmers(ticket) or actor.pk == ticket.cancel_requested_by_id:
        raise PermissionDenied(
            _("This cancellation waits for someone else's answer."), code="wrong_party", extra={"state": ticket.state}
        )
    return ticket, role


@transaction.atomic
def ticket_cancel_confirm(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """The party (or agent) the state requires confirms a pending cancellation: the ticket is cancelled."""
    ticket, role = _lock_pending_for_answer(ticket, actor)
    message = text_clean(message, field="message", limit=5000)
    _cancel_now(
        ticket,
        by=ticket.cancel_requested_by,
        role=role,
        reason=ticket.cancel_reason,
        message=ticket.cancel_message,
        confirmed_by=actor,
        confirm_message=message,
    )
    return ticket


@transaction.atomic
def ticket_cancel_refuse(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """The confirming party (or agent) refuses a pending cancellation: the ticket goes on as it was."""
    ticket, role = _lock_pending_for_answer(ticket, actor)
    message = text_clean(message, field="message", limit=5000)
    requester = ticket.cancel_requested_by
    now = timezone.now()
    ticket.cancel_reason, ticket.cancel_message = "", ""
    ticket.cancel_requested_by, ticket.cancel_requested_at = None, None
    ticket.save(
        update_fields=("cancel_reason", "cancel_message", "cancel_requested_by", "cancel_requested_at", "updated_at")
    )
    transition_logged(
        ticket,
        transition="cancel_refuse",
        from_state=ticket.state,
        actor=actor,
        actor_role=role,
        reason=message or _("Cancellation refused"),
        at=now,
    )
    tell(
        ticket,
        users=[requester, *everyone(ticket)],
        actor=actor,
        kind="ticket_cancel_refused",
        title=ticket_title(gettext_noop("Cancellation of after-sales ticket #%(id)s was refused"), ticket),
        body=message,
    )
    return ticket
