"""Taking a rejected after-sales ticket to support: a support case, opened through the case services.

Who filed the ticket may escalate it within the policy's days of the rejection, once. The case
is an ordinary one (``disputes.services.cases.case_open``: its service level, its rulings and
appeals), linked to the ticket, with the ticket's evidence attached as the case's own files and
the ticket's history shown beside it (``disputes.selectors.tickets.ticket_log``).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_logged
from core.exceptions import Conflict, PermissionDenied
from core.i18n import Translatable
from core.timeutils import when_text
from disputes.models import AfterSalesTicket, CaseCategory, Evidence, SupportCase, TicketState
from disputes.services.cases import case_open
from marketplace.models import User

from .base import lock_for, tell
from .rules import PROVIDER_TYPES, escalate_until, escalated_case


def _already_escalated(case: SupportCase) -> Conflict:
    return Conflict(
        _("This ticket was already taken to support: case #%(id)s.") % {"id": case.pk},
        code="ticket_already_escalated",
        extra={"case": case.pk},
    )


@transaction.atomic
def ticket_escalate(
    *, ticket: AfterSalesTicket, actor: User, statement: str = "", desired_outcome: str = ""
) -> SupportCase:
    """Who filed a rejected ticket takes it to support within the policy's days: a support case opens.

    ``statement`` defaults to the ticket's description, ``desired_outcome`` to a review of the
    rejection. 409 ``ticket_not_rejected``, ``escalation_window_closed``,
    ``ticket_already_escalated``, or the case services' own (``case_already_open``).
    """
    ticket, role = lock_for(ticket, actor)
    if ticket.opened_by_id != actor.pk:
        raise PermissionDenied(_("Only who filed the ticket can take it to support."), code="wrong_party")
    if ticket.state != TicketState.REJECTED:
        raise Conflict(
            _("Only a rejected ticket can be taken to support; this one is %(state)s.")
            % {"state": ticket.get_state_display()},
            code="ticket_not_rejected",
            extra={"state": ticket.state},
        )
    case = escalated_case(ticket)
    if case is not None:
        raise _already_escalated(case)
    now, until = timezone.now(), escalate_until(ticket)
    if until is None or now > until:
        raise Conflict(
            _("A rejected ticket can be taken to support within %(days)d days; that ended %(at)s.")
            % {"days": ticket.order.policy.ticket_escalation_days, "at": when_text(until or now)},
            code="escalation_window_closed",
            extra={"state": ticket.state},
        )
    category = CaseCategory.PAY if ticket.type in PROVIDER_TYPES else CaseCategory.NOT_AS_DESCRIBED
    try:
        with transaction.atomic():
            case = case_open(
                order=ticket.order,
                actor=actor,
                category=category,
                statement=statement.strip() or ticket.description,
                desired_outcome=desired_outcome.strip()
                or _("Review the rejection of after-sales ticket #%(id)s.") % {"id": ticket.pk},
                ticket=ticket,
            )
    except IntegrityError:  # the one-case-per-ticket rule, should a case be linked another way
        raise _already_escalated(SupportCase.objects.get(escalated_from_ticket=ticket)) from None
    # The ticket's files become the case's (the same stored files), as if given there.
    Evidence.objects.bulk_create(
        Evidence(
            case=case,
            uploaded_by_id=item.uploaded_by_id,
            file=item.file.name,
            name=item.name,
            content_type=item.content_type,
            size=item.size,
            description=item.description,
            created_at=item.created_at,
        )
        for item in ticket.evidence.order_by("created_at", "id")
    )
    transition_logged(
        ticket,
        transition="escalate",
        from_state=ticket.state,
        actor=actor,
        actor_role=role,
        reason=Translatable(gettext_noop("Taken to support: case #%(id)s"), {"id": case.pk}),
        at=now,
    )
    # The parties hear of the case from case_open; the agent who rejected it hears here.
    tell(
        ticket,
        users=[ticket.assignee],
        actor=actor,
        kind="ticket_escalated",
        title=Translatable(
            gettext_noop("Rejected after-sales ticket #%(id)s was taken to support case #%(case)s"),
            {"id": ticket.pk, "case": case.pk},
        ),
        body=case.statement,
    )
    return case
