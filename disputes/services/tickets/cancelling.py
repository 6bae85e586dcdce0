"""Cancelling an after-sales ticket: at once, or once whoever the state requires confirms.

Who confirms depends on the state (``rules.cancel_needs_confirmation``); a cancellation waiting
for its answer is stored on the ticket with the time by which the answer must come
(``cancel_respond_by``, the policy's hours), and refusing or withdrawing it clears that, so the
state shown is always the state stored. Confirming reverses a compensation already paid.

Nothing waits forever. Once the answer time has run out, silence decides (``silence``: the
cancellation is confirmed, or in ``processing`` handed to support); a party answering after it
is refused with ``confirmation_expired``, and that outcome is applied and committed in the same
call when the sweep has not done it yet. An agent may decide any pending cancellation for the
party it waits on (``ticket_cancel_decide``); who asked for it may withdraw it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict, PermissionDenied, ValidationFailed
from core.i18n import Joined, Moment, Text, Translatable
from core.models import ActorRole
from core.text import text_clean
from core.timeutils import when_text
from disputes.models import AfterSalesTicket, TicketCancelReason, TicketState
from marketplace.models import User

from .base import agent_responded, everyone, lock_for, refuse, require_agent, tell, ticket_title
from .money import compensation_reverse_for
from .rules import (
    LIVE_STATES,
    MAX_TEXT,
    cancel_confirmers,
    cancel_needs_confirmation,
    cancel_respond_by_for,
    closed_by_silence,
    confirmation_expired,
    silence_confirms,
)
from .silence import ticket_confirmations_expire

DECISIONS = ("confirm", "refuse")
# What a pending cancellation writes, and what refusing or withdrawing it clears.
PENDING_FIELDS = (
    "cancel_reason",
    "cancel_message",
    "cancel_requested_by",
    "cancel_requested_at",
    "cancel_respond_by",
    "cancel_handed_over_at",
    "updated_at",
)


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
    fields += agent_responded(ticket, role, now)
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
    respond_by = cancel_respond_by_for(ticket, now)
    ticket.cancel_reason, ticket.cancel_message = reason, message
    ticket.cancel_requested_by, ticket.cancel_requested_at = actor, now
    ticket.cancel_respond_by, ticket.cancel_handed_over_at = respond_by, None
    ticket.save(update_fields=(*PENDING_FIELDS, *agent_responded(ticket, role, now)))
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
    if silence_confirms(ticket):
        silence = gettext_noop("Answer by %(at)s: without an answer the ticket is cancelled.")
    else:
        silence = gettext_noop("Answer by %(at)s: without an answer a support agent decides.")
    lines.append(Translatable(silence, {"at": Moment(respond_by)}))
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


def _too_late(ticket: AfterSalesTicket) -> Conflict:
    """The refusal of an answer after the answer time (its outcome applied by then)."""
    if ticket.state == TicketState.CANCELLED:
        message = _("The time to answer this cancellation ended %(at)s: the ticket is cancelled.")
    else:
        message = _("The time to answer this cancellation ended %(at)s: a support agent decides it now.")
    return Conflict(
        message % {"at": when_text(ticket.cancel_respond_by)},
        code="confirmation_expired",
        extra={"state": ticket.state},
    )


def _no_cancel_pending(ticket: AfterSalesTicket) -> Conflict:
    if closed_by_silence(ticket):
        return _too_late(ticket)
    return Conflict(
        _("No cancellation of this ticket waits for confirmation."),
        code="no_cancel_pending",
        extra={"state": ticket.state},
    )


def _lock_pending_for_answer(ticket: AfterSalesTicket, actor: User) -> tuple[AfterSalesTicket, str]:
    ticket, role = lock_for(ticket, actor)
    if not ticket.cancel_pending:
        raise _no_cancel_pending(ticket)
    if role not in cancel_confirmers(ticket) or actor.pk == ticket.cancel_requested_by_id:
        raise PermissionDenied(
            _("This cancellation waits for someone else's answer."), code="wrong_party", extra={"state": ticket.state}
        )
    return ticket, role


def _answered_late(ticket: AfterSalesTicket, role: str) -> bool:
    """Does a party answer after the answer time? Silence's outcome is applied first if still due."""
    now = timezone.now()
    if role == ActorRole.SUPPORT or not confirmation_expired(ticket, now):
        return False
    if ticket.cancel_handed_over_at is None:
        ticket_confirmations_expire([ticket], now=now)
    return True


def _clear_pending(ticket: AfterSalesTicket) -> None:
    ticket.cancel_reason, ticket.cancel_message = "", ""
    ticket.cancel_requested_by, ticket.cancel_requested_at = None, None
    ticket.cancel_respond_by, ticket.cancel_handed_over_at = None, None


def _refuse_now(ticket: AfterSalesTicket, *, actor: User, role: str, message: str) -> None:
    """Clear the pending cancellation of ``ticket`` (locked): it goes on as it was; log and tell everyone."""
    requester = ticket.cancel_requested_by
    now = timezone.now()
    _clear_pending(ticket)
    ticket.save(update_fields=(*PENDING_FIELDS, *agent_responded(ticket, role, now)))
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


def ticket_cancel_confirm(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """The party (or agent) the state requires confirms a pending cancellation: the ticket is cancelled.

    A party's answer after the answer time is refused (``confirmation_expired``), once what
    silence decides is applied and committed.
    """
    with transaction.atomic():
        ticket, role = _lock_pending_for_answer(ticket, actor)
        message = text_clean(message, field="message", limit=5000)
        if not _answered_late(ticket, role):
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
    raise _too_late(ticket)


def ticket_cancel_refuse(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """The confirming party (or agent) refuses a pending cancellation: the ticket goes on as it was.

    A party's answer after the answer time is refused (``confirmation_expired``), once what
    silence decides is applied and committed.
    """
    with transaction.atomic():
        ticket, role = _lock_pending_for_answer(ticket, actor)
        message = text_clean(message, field="message", limit=5000)
        if not _answered_late(ticket, role):
            _refuse_now(ticket, actor=actor, role=role, message=message)
            return ticket
    raise _too_late(ticket)


def ticket_cancel_withdraw(*, ticket: AfterSalesTicket, actor: User, message: str = "") -> AfterSalesTicket:
    """Who asked for a pending cancellation (or an agent for them) withdraws it: the ticket goes on as it was.

    Not once silence confirmed it: on an approved ticket past its answer time the withdrawal is
    refused (``confirmation_expired``), once the cancellation is applied and committed.
    """
    with transaction.atomic():
        ticket, role = lock_for(ticket, actor)
        message = text_clean(message, field="message", limit=5000)
        if not ticket.cancel_pending:
            raise _no_cancel_pending(ticket)
        if role != ActorRole.SUPPORT and actor.pk != ticket.cancel_requested_by_id:
            raise PermissionDenied(
                _("Only who asked for the cancellation, or support, can withdraw it."),
                code="wrong_party",
                extra={"state": ticket.state},
            )
        now = timezone.now()
        if role != ActorRole.SUPPORT and silence_confirms(ticket) and confirmation_expired(ticket, now):
            ticket_confirmations_expire([ticket], now=now)
        else:
            asked_of = cancel_confirmers(ticket)
            _clear_pending(ticket)
            ticket.save(update_fields=(*PENDING_FIELDS, *agent_responded(ticket, role, now)))
            transition_logged(
                ticket,
                transition="cancel_withdraw",
                from_state=ticket.state,
                actor=actor,
                actor_role=role,
                reason=message or _("Cancellation withdrawn"),
                at=now,
            )
            who: list[User | None] = []
            if ActorRole.CLIENT in asked_of:
                who.append(ticket.order.client)
            if ActorRole.PROVIDER in asked_of:
                who.append(ticket.order.provider)
            tell(
                ticket,
                users=[*who, *everyone(ticket)],
                actor=actor,
                kind="ticket_cancel_withdrawn",
                title=ticket_title(gettext_noop("Cancellation of after-sales ticket #%(id)s was withdrawn"), ticket),
                body=message,
            )
            return ticket
    raise _too_late(ticket)


@transaction.atomic
def ticket_cancel_decide(*, ticket: AfterSalesTicket, actor: User, decision: str, note: str) -> AfterSalesTicket:
    """An agent decides a pending cancellation for whoever it waits on: ``confirm`` (cancelled) or ``refuse``.

    Any time, also after the answer time and once silence handed it to support; the note is
    kept in the log and sent to everyone involved.
    """
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    if decision not in DECISIONS:
        text = _("Choose confirm or refuse.")
        raise ValidationFailed(text, errors={"decision": [text]})
    note = text_clean(note, field="note", limit=MAX_TEXT, required_message=_("Tell the parties why."))
    if not ticket.cancel_pending:
        raise _no_cancel_pending(ticket)
    if decision == "confirm":
        _cancel_now(
            ticket,
            by=ticket.cancel_requested_by,
            role=role,
            reason=ticket.cancel_reason,
            message=ticket.cancel_message,
            confirmed_by=actor,
            confirm_message=note,
        )
    else:
        _refuse_now(ticket, actor=actor, role=role, message=note)
    return ticket
