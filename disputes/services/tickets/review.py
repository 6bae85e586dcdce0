"""What support agents do with an after-sales ticket: review, approve or reject, pay, carry out, resolve."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django_fsm import can_proceed

from core.audit import transition_logged
from core.exceptions import Conflict, ValidationFailed
from core.i18n import Joined, Moment, Translatable
from core.models import ActorRole
from core.text import text_clean
from disputes.models import AfterSalesTicket, TicketState
from marketplace.models import User
from orders.models import money

from .base import (
    agent_responded,
    lock_for,
    parties,
    refuse,
    refuse_while_cancel_pending,
    require_agent,
    tell,
    ticket_title,
)
from .money import compensation_pay_for
from .rules import MAX_TEXT, compensation_recipient, escalate_until


@transaction.atomic
def ticket_start_review(*, ticket: AfterSalesTicket, actor: User) -> AfterSalesTicket:
    """An agent takes the ticket and starts reviewing it: pending_review → under_review."""
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    if ticket.state == TicketState.UNDER_REVIEW and ticket.assignee_id == actor.pk:
        return ticket
    if not can_proceed(ticket.start_review):
        raise refuse(ticket, _("start reviewing"))
    from_state, now = ticket.state, timezone.now()
    ticket.start_review(agent=actor)
    ticket.save(update_fields=("state", "assignee", "updated_at", *agent_responded(ticket, role, now)))
    transition_logged(
        ticket,
        transition="start_review",
        from_state=from_state,
        actor=actor,
        actor_role=role,
        reason=Translatable(gettext_noop("Review started")),
        at=now,
    )
    tell(
        ticket,
        users=parties(ticket),
        actor=actor,
        kind="ticket_under_review",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s is being reviewed"), ticket),
    )
    return ticket


def _clean_compensation(value, ticket: AfterSalesTicket) -> Decimal:
    try:
        amount = money(Decimal(str(value if value not in (None, "") else 0)))
    except (InvalidOperation, ValueError, TypeError):
        amount = Decimal(-1)
    if not Decimal(0) <= amount <= ticket.order.price:
        message = _("Compensation is between 0 and the order's price (%(price)s %(cur)s).") % {
            "price": ticket.order.price,
            "cur": ticket.order.currency,
        }
        raise ValidationFailed(message, errors={"compensation": [message]})
    return amount


@transaction.atomic
def ticket_approve(*, ticket: AfterSalesTicket, actor: User, compensation, note: str) -> AfterSalesTicket:
    """An agent approves with a compensation (0 up to the order's price): under_review → approved."""
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    amount = _clean_compensation(compensation, ticket)
    note = text_clean(note, field="note", limit=MAX_TEXT, required_message=_("Tell the parties why."))
    if not can_proceed(ticket.approve):
        raise refuse(ticket, _("approve"))
    from_state = ticket.state
    ticket.approve(compensation=amount, note=note)
    if ticket.assignee_id is None:
        ticket.assignee = actor
    ticket.save(update_fields=("state", "compensation", "decision_note", "assignee", "updated_at"))
    transition_logged(ticket, transition="approve", from_state=from_state, actor=actor, actor_role=role, reason=note)
    tell(
        ticket,
        users=parties(ticket),
        actor=actor,
        kind="ticket_approved",
        title=Translatable(
            gettext_noop("After-sales ticket #%(id)s approved: compensation %(amount)s %(cur)s"),
            {"id": ticket.pk, "amount": amount, "cur": ticket.order.currency},
        ),
        body=note,
    )
    return ticket


@transaction.atomic
def ticket_reject(*, ticket: AfterSalesTicket, actor: User, note: str) -> AfterSalesTicket:
    """An agent rejects the ticket with the reasons: under_review → rejected."""
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    note = text_clean(note, field="note", limit=MAX_TEXT, required_message=_("Tell the parties why."))
    if not can_proceed(ticket.reject):
        raise refuse(ticket, _("reject"))
    from_state, now = ticket.state, timezone.now()
    ticket.reject(note=note, at=now)
    if ticket.assignee_id is None:
        ticket.assignee = actor
    ticket.save(update_fields=("state", "decision_note", "assignee", "rejected_at", "updated_at"))
    transition_logged(
        ticket, transition="reject", from_state=from_state, actor=actor, actor_role=role, reason=note, at=now
    )
    tell(
        ticket,
        users=parties(ticket),
        actor=actor,
        kind="ticket_rejected",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s rejected"), ticket),
        body=Joined(
            "\n\n",
            [
                note,
                Translatable(
                    gettext_noop("Who filed it can take it to a support case until %(at)s."),
                    {"at": Moment(escalate_until(ticket))},
                ),
            ],
        ),
    )
    return ticket


@transaction.atomic
def ticket_pay_compensation(*, ticket: AfterSalesTicket, actor: User) -> AfterSalesTicket:
    """An agent pays the approved compensation (approved or processing); paying twice is refused."""
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    if ticket.state not in (TicketState.APPROVED, TicketState.PROCESSING):
        raise refuse(ticket, _("pay compensation on"))
    refuse_while_cancel_pending(ticket)
    if ticket.compensation_paid_at is not None:
        raise Conflict(_("The compensation of this ticket is already paid."), code="compensation_already_paid")
    if not ticket.compensation:
        raise Conflict(_("This ticket was approved without compensation."), code="no_compensation")
    compensation_pay_for(ticket)
    now = timezone.now()
    ticket.compensation_paid_at = now
    ticket.save(update_fields=("compensation_paid_at", "compensation_refund", "compensation_charge", "updated_at"))
    recipient = ticket.order.client if compensation_recipient(ticket) == ActorRole.CLIENT else ticket.order.provider
    transition_logged(
        ticket,
        transition="pay_compensation",
        from_state=ticket.state,
        actor=actor,
        actor_role=role,
        reason=_("Compensation of %(amount)s %(cur)s paid to the %(who)s")
        % {"amount": ticket.compensation, "cur": ticket.order.currency, "who": recipient.public_name},
        at=now,
    )
    tell(
        ticket,
        users=parties(ticket),
        actor=actor,
        kind="ticket_compensation_paid",
        title=Translatable(
            gettext_noop("Compensation of %(amount)s %(cur)s paid on after-sales ticket #%(id)s"),
            {"amount": ticket.compensation, "cur": ticket.order.currency, "id": ticket.pk},
        ),
    )
    return ticket


@transaction.atomic
def ticket_start_processing(*, ticket: AfterSalesTicket, actor: User, note: str = "") -> AfterSalesTicket:
    """An agent starts carrying out an approved ticket (rework, a return): approved → processing."""
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    note = text_clean(note, field="note", limit=MAX_TEXT)
    if not can_proceed(ticket.start_processing):
        raise refuse(ticket, _("start processing"))
    refuse_while_cancel_pending(ticket)
    from_state = ticket.state
    ticket.start_processing()
    ticket.save(update_fields=("state", "updated_at"))
    transition_logged(
        ticket,
        transition="start_processing",
        from_state=from_state,
        actor=actor,
        actor_role=role,
        reason=note or _("Processing started"),
    )
    tell(
        ticket,
        users=parties(ticket),
        actor=actor,
        kind="ticket_processing",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s is being carried out"), ticket),
        body=note,
    )
    return ticket


@transaction.atomic
def ticket_resolve(*, ticket: AfterSalesTicket, actor: User, note: str = "") -> AfterSalesTicket:
    """An agent closes a processed ticket: processing → resolved (a compensation must be paid first)."""
    ticket, role = lock_for(ticket, actor)
    require_agent(role)
    note = text_clean(note, field="note", limit=MAX_TEXT)
    if not can_proceed(ticket.resolve):
        raise refuse(ticket, _("resolve"))
    refuse_while_cancel_pending(ticket)
    if ticket.compensation and ticket.compensation_paid_at is None:
        raise Conflict(_("Pay the compensation before resolving the ticket."), code="compensation_unpaid")
    from_state, now = ticket.state, timezone.now()
    ticket.resolve(at=now)
    ticket.save(update_fields=("state", "resolved_at", "updated_at"))
    transition_logged(
        ticket,
        transition="resolve",
        from_state=from_state,
        actor=actor,
        actor_role=role,
        reason=note or _("Resolved"),
        at=now,
    )
    tell(
        ticket,
        users=parties(ticket),
        actor=actor,
        kind="ticket_resolved",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s is resolved"), ticket),
        body=note,
    )
    return ticket
