"""Filing an after-sales ticket, editing it while it waits for review, adding evidence."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.models import ActorRole
from core.text import text_clean
from core.uploads import upload_check
from disputes.models import AfterSalesTicket, Evidence, TicketState, TicketType, TicketVersion
from marketplace.models import User
from orders.models import Order
from orders.services import order_lock

from .base import everyone, lock_for, store_evidence, tell, ticket_title
from .rules import (
    EVIDENCE_TYPES,
    LIVE_STATES,
    MAX_EVIDENCE_DESCRIPTION,
    MAX_TEXT,
    PROVIDER_TYPES,
    ticket_types_for,
    ticket_window,
)


def _clean_type(value: str, role: str) -> str:
    allowed = dict(ticket_types_for(role))
    if value not in allowed:
        if value in TicketType.values:
            message = (
                _("Only the provider of an order can report unpaid wages.")
                if value in PROVIDER_TYPES
                else _("Providers can report unpaid wages; the other types are for the client.")
            )
        else:
            message = _("Choose one of: %(types)s.") % {"types": ", ".join(allowed)}
        raise ValidationFailed(message, code="invalid", errors={"type": [message]})
    return value


@transaction.atomic
def ticket_open(
    *,
    order: Order,
    actor: User,
    type: str,
    description: str,
    files: Sequence[UploadedFile] = (),
) -> AfterSalesTicket:
    """File an after-sales ticket on a completed order, within the policy's days, with optional evidence."""
    order = order_lock(order_id=order.pk)
    role = order.role_of(actor)
    if role is None:
        raise NotFound(_("No such order."))
    now = timezone.now()
    window = ticket_window(order=order, user=actor, now=now)
    if not window.allowed:
        raise Conflict(window.message, code=window.code)
    type = _clean_type(type, role)
    description = text_clean(
        description, field="description", limit=MAX_TEXT, required_message=_("Describe the problem.")
    )
    checked = [upload_check(f, allowed=EVIDENCE_TYPES, field="files") for f in files]
    if AfterSalesTicket.objects.filter(order=order, opened_by=actor, state__in=LIVE_STATES).exists():
        raise Conflict(
            _("You already have an open ticket on this order: add to it or cancel it first."),
            code="ticket_already_open",
        )
    ticket = AfterSalesTicket(
        order=order,
        opened_by=actor,
        opened_by_role=role,
        type=type,
        description=description,
        created_at=now,
        # The case service level: support answers and decides within the policy's case hours.
        first_response_due=now + timedelta(hours=order.policy.case_first_response_hours),
        resolution_due=now + timedelta(hours=order.policy.case_ruling_hours),
    )
    try:
        with transaction.atomic():
            ticket.save()
    except IntegrityError:  # the database's one-live-ticket rule, when two requests race
        raise Conflict(
            _("You already have an open ticket on this order: add to it or cancel it first."),
            code="ticket_already_open",
        ) from None
    TicketVersion.objects.create(
        ticket=ticket, version=1, type=type, description=description, edited_by=actor, created_at=now
    )
    store_evidence(ticket, actor, checked, "", now)
    transition_logged(
        ticket, transition="open", from_state="", actor=actor, actor_role=role, reason=ticket.get_type_display(), at=now
    )
    other = order.provider if role == ActorRole.CLIENT else order.client
    tell(
        ticket,
        users=[other],
        actor=actor,
        kind="ticket_opened",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s filed on order #%(order)s"), ticket),
        body=description,
    )
    return ticket


@transaction.atomic
def ticket_edit(
    *, ticket: AfterSalesTicket, actor: User, type: str | None = None, description: str | None = None
) -> AfterSalesTicket:
    """Change a ticket's type or description while it waits for review; every version is kept."""
    ticket, role = lock_for(ticket, actor)
    if ticket.opened_by_id != actor.pk:
        raise PermissionDenied(_("Only who filed the ticket can edit it."), code="wrong_party")
    if ticket.state != TicketState.PENDING_REVIEW:
        raise Conflict(
            _("A ticket can be edited only while it is pending review; this one is %(state)s.")
            % {"state": ticket.get_state_display()},
            code="ticket_not_editable",
            extra={"state": ticket.state},
        )
    new_type = ticket.type if type is None else _clean_type(type, role)
    new_description = (
        ticket.description
        if description is None
        else text_clean(description, field="description", limit=MAX_TEXT, required_message=_("Describe the problem."))
    )
    if (new_type, new_description) == (ticket.type, ticket.description):
        return ticket  # nothing changed: no new version
    now = timezone.now()
    ticket.type, ticket.description, ticket.version = new_type, new_description, ticket.version + 1
    ticket.save(update_fields=("type", "description", "version", "updated_at"))
    TicketVersion.objects.create(
        ticket=ticket,
        version=ticket.version,
        type=new_type,
        description=new_description,
        edited_by=actor,
        created_at=now,
    )
    tell(
        ticket,
        users=everyone(ticket),
        actor=actor,
        kind="ticket_edited",
        title=ticket_title(gettext_noop("After-sales ticket #%(id)s was edited"), ticket),
        body=new_description,
    )
    return ticket


@transaction.atomic
def ticket_add_evidence(
    *, ticket: AfterSalesTicket, actor: User, file: UploadedFile, description: str = ""
) -> Evidence:
    """Add an evidence file (image or PDF, up to 10 MB) to a live ticket: its parties or an agent."""
    ticket, _role = lock_for(ticket, actor)
    description = text_clean(description, field="description", limit=MAX_EVIDENCE_DESCRIPTION)
    if file is None:
        message = _("Choose a file.")
        raise ValidationFailed(message, errors={"file": [message]})
    checked = upload_check(file, allowed=EVIDENCE_TYPES, field="file")
    if ticket.state not in LIVE_STATES:
        raise Conflict(
            _("Evidence can be added only to an open ticket; this one is %(state)s.")
            % {"state": ticket.get_state_display()},
            code="ticket_closed",
            extra={"state": ticket.state},
        )
    (evidence,) = store_evidence(ticket, actor, [checked], description, timezone.now())
    tell(
        ticket,
        users=everyone(ticket),
        actor=actor,
        kind="ticket_evidence",
        title=ticket_title(gettext_noop("New evidence on after-sales ticket #%(id)s"), ticket),
        body=evidence.name,
    )
    return evidence
