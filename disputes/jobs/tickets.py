"""Clock-driven sweeps of after-sales tickets: unanswered cancellations, and the service level.

Like the case sweeps: due tickets in batches under ``select_for_update(skip_locked=True)``
(``core.batches.locked_batches``), each batch's effects written in bulk, commit, next batch; a
rerun finds nothing left to do. A party answering a cancellation at the same moment holds the
ticket's row lock, so the sweep skips it and exactly one of the two decides (the late answer
applies the same outcome itself).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from core.batches import locked_batches
from core.i18n import Moment, Translatable
from core.jobs import SweepResult
from disputes.models import AfterSalesTicket, TicketState
from disputes.services.tickets import LIVE_STATES, ticket_confirmations_expire

from .sla import sla_breaches_flag

BATCH = 500
WAITING_STATES = (TicketState.APPROVED, TicketState.PROCESSING)
UNDECIDED_STATES = (TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW)


# --- Unanswered cancellations ----------------------------------------------------------------


def _unanswered(now: datetime) -> QuerySet[AfterSalesTicket]:
    return AfterSalesTicket.objects.filter(
        state__in=WAITING_STATES,
        cancel_requested_at__isnull=False,
        cancel_handed_over_at__isnull=True,
        cancel_respond_by__lte=now,
    ).select_related("order__policy", "cancel_requested_by")


def expire_confirmations() -> SweepResult:
    """Decide cancellations nobody answered in time: confirmed on approved tickets (a paid
    compensation reversed), handed to support on tickets in processing."""
    cancelled = handed_over = 0
    for batch in locked_batches(_unanswered, size=BATCH, order_by=("cancel_respond_by", "pk")):
        outcome = ticket_confirmations_expire(batch, now=batch.now)
        cancelled += outcome.cancelled
        handed_over += outcome.handed_over
    detail = f"{cancelled} cancelled, {handed_over} handed to support" if cancelled + handed_over else ""
    return SweepResult(processed=cancelled + handed_over, detail=detail)


# --- Service level ----------------------------------------------------------------------------


def _breached(now: datetime) -> QuerySet[AfterSalesTicket]:
    no_first_response = Q(first_response_at__isnull=True, first_response_due__lte=now)
    no_decision = Q(state__in=UNDECIDED_STATES, resolution_due__lte=now)
    cancellation_with_support = Q(
        state__in=WAITING_STATES,
        cancel_requested_at__isnull=False,
        cancel_handed_over_at__isnull=False,
        resolution_due__lte=now,
    )
    return (
        AfterSalesTicket.objects.filter(sla_breached_at__isnull=True, state__in=LIVE_STATES)
        .filter(no_first_response | no_decision | cancellation_with_support)
        .select_related("order")
    )


def _breach_reason(ticket: AfterSalesTicket, now: datetime) -> Translatable:
    if ticket.first_response_at is None and ticket.first_response_due <= now:
        text, due = gettext_noop("No first response by %(due)s"), ticket.first_response_due
    elif ticket.state in UNDECIDED_STATES:
        text, due = gettext_noop("No decision by %(due)s"), ticket.resolution_due
    else:
        text, due = gettext_noop("No decision on the cancellation handed to support by %(due)s"), ticket.resolution_due
    return Translatable(text, {"due": Moment(due)})


def _breach_line(ticket: AfterSalesTicket, reason) -> Translatable:
    text = gettext_noop("#%(ticket)s (order #%(order)s): %(reason)s")
    return Translatable(text, {"ticket": ticket.pk, "order": ticket.order_id, "reason": reason})


def flag_sla_breaches() -> SweepResult:
    """Flag tickets past their first-response or decision time, once each, and escalate them to supervisors."""
    return sla_breaches_flag(
        due=_breached,
        reason=_breach_reason,
        line=_breach_line,
        title=gettext_noop("%(n)d after-sales ticket(s) missed their service level"),
        kind="ticket_sla_breached",
    )
