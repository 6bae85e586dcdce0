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

from core.audit import transition_log_build, transition_logs_write
from core.batches import locked_batches
from core.i18n import Joined, Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from core.timeutils import when_text
from disputes.models import AfterSalesTicket, TicketState
from disputes.services.cases import supervisors
from disputes.services.tickets import LIVE_STATES, ticket_confirmations_expire
from marketplace.notifications import notification_build, notifications_send

BATCH = 500
LISTED_IN_NOTICE = 20
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


def _flag(batch: list[AfterSalesTicket], now: datetime) -> None:
    first_text, decision_text, cancel_text = (
        gettext_noop("No first response by %(due)s"),
        gettext_noop("No decision by %(due)s"),
        gettext_noop("No decision on the cancellation handed to support by %(due)s"),
    )
    line_text = gettext_noop("#%(ticket)s (order #%(order)s): %(reason)s")
    logs, listed = [], []
    for ticket in batch:
        if ticket.first_response_at is None and ticket.first_response_due <= now:
            text, due = first_text, ticket.first_response_due
        elif ticket.state in UNDECIDED_STATES:
            text, due = decision_text, ticket.resolution_due
        else:
            text, due = cancel_text, ticket.resolution_due
        reason = Translatable(text, {"due": when_text(due)})
        if len(listed) < LISTED_IN_NOTICE:
            listed.append(Translatable(line_text, {"ticket": ticket.pk, "order": ticket.order_id, "reason": reason}))
        logs.append(
            transition_log_build(
                subject=ticket,
                transition="flag_sla_breach",
                from_state=ticket.state,
                to_state=ticket.state,
                actor=None,
                actor_role=ActorRole.SYSTEM,
                reason=str(reason),  # the log in the current language
                at=now,
            )
        )
    # sla_breached_at is set once: the filter above leaves out tickets already flagged.
    AfterSalesTicket.objects.filter(pk__in=[t.pk for t in batch]).update(
        sla_breached_at=now, escalated_at=now, updated_at=now
    )
    transition_logs_write(logs)
    # One notice per supervisor per batch, not per ticket: a backlog must not flood their inbox.
    more = len(batch) - LISTED_IN_NOTICE
    if more > 0:
        listed.append(Translatable(gettext_noop("… and %(n)d more."), {"n": more}))
    title = Translatable(gettext_noop("%(n)d after-sales ticket(s) missed their service level"), {"n": len(batch)})
    body = Joined("\n", listed)
    notifications_send(
        notification_build(user_id=uid, kind="ticket_sla_breached", title=title, body=body, at=now)
        for uid in supervisors().values_list("pk", flat=True)
    )


def flag_sla_breaches() -> SweepResult:
    """Flag tickets past their first-response or decision time, once each, and escalate them to supervisors."""
    done = 0
    for batch in locked_batches(_breached, size=BATCH):
        _flag(batch, batch.now)
        done += len(batch)
    return SweepResult(processed=done)
