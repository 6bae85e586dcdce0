"""Clock-driven sweeps of support cases: SLA breaches, unanswered requests for information, and
rulings nobody appealed in time.

Each sweep takes due cases in batches under ``select_for_update(skip_locked=True)``, writes
the batch's effects in bulk (one UPDATE, the transition log, the notifications), commits and
goes on until nothing is due; a rerun finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from core.batches import locked_batches, transitions_apply
from core.i18n import Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from disputes.models import APPEAL_WINDOW, CaseState, SupportCase
from marketplace.notifications import notification_build, notifications_send

from .sla import sla_breaches_flag

BATCH = 500


def _sweep(due: Callable[[datetime], QuerySet[SupportCase]], handle) -> SweepResult:
    """Run ``handle(batch, now)`` over locked batches of ``due(now)`` until none is left."""
    done = 0
    for batch in locked_batches(lambda now: due(now).select_related("order"), size=BATCH):
        handle(batch, batch.now)
        done += len(batch)
    return SweepResult(processed=done)


# --- SLA breaches ----------------------------------------------------------------------------


def _breached(now: datetime) -> QuerySet[SupportCase]:
    no_first_response = Q(first_response_at__isnull=True, first_response_due__lte=now)
    no_ruling = Q(state__in=(CaseState.OPEN, CaseState.AWAITING_INFO), ruling_due__lte=now)
    appeal_waiting = Q(state=CaseState.APPEALED, ruling_due__lte=now)
    return (
        SupportCase.objects.filter(sla_breached_at__isnull=True)
        .exclude(state=CaseState.CLOSED)
        .filter(no_first_response | no_ruling | appeal_waiting)
    )


def _breach_reason(case: SupportCase, now: datetime) -> Translatable:
    if case.first_response_at is None and case.first_response_due <= now:
        text, due = gettext_noop("No first response by %(due)s"), case.first_response_due
    elif case.state == CaseState.APPEALED:
        text, due = gettext_noop("No decision on the appeal by %(due)s"), case.ruling_due
    else:
        text, due = gettext_noop("No ruling by %(due)s"), case.ruling_due
    return Translatable(text, {"due": due.isoformat(timespec="minutes")})


def _breach_line(case: SupportCase, reason) -> Translatable:
    return Translatable(
        gettext_noop("#%(case)s (order #%(order)s): %(reason)s"),
        {"case": case.pk, "order": case.order_id, "reason": reason},
    )


def flag_sla_breaches() -> SweepResult:
    """Flag cases past their first-response or ruling time, once each, and escalate them to supervisors."""
    return sla_breaches_flag(
        due=lambda now: _breached(now).select_related("order"),
        reason=_breach_reason,
        line=_breach_line,
        title=gettext_noop("%(n)d support case(s) missed their service level"),
        kind="case_sla_breached",
    )


# --- Unanswered requests for information -----------------------------------------------------


def _info_overdue(now: datetime) -> QuerySet[SupportCase]:
    return SupportCase.objects.filter(state=CaseState.AWAITING_INFO, info_due_at__lte=now)


def _expire(batch: list[SupportCase], now: datetime) -> None:
    notices = []
    # The notices are translated for each recipient when sent; the log in the current language.
    reason_text = gettext_noop("No answer to support's question by %(due)s; the case goes on without it.")
    title_text = gettext_noop("No answer in time on support case #%(case)s (order #%(order)s)")
    reasons = {c.pk: Translatable(reason_text, {"due": c.info_due_at.isoformat(timespec="minutes")}) for c in batch}
    # The wait is over: back to "open" for the agent to rule.
    transitions_apply(
        batch,
        "info_received",
        at=now,
        actor_role=ActorRole.SYSTEM,
        reason=lambda case: str(reasons[case.pk]),  # the log in the current language
        log_as="info_expired",
    )
    for case in batch:
        reason = reasons[case.pk]
        title = Translatable(title_text, {"case": case.pk, "order": case.order_id})
        for uid in {case.order.client_id, case.order.provider_id, case.assignee_id} - {None}:
            notices.append(
                notification_build(
                    user_id=uid, kind="case_info_expired", title=title, body=reason, order_id=case.order_id, at=now
                )
            )
    notifications_send(notices)


def expire_info_requests() -> SweepResult:
    """Put cases whose party did not answer in time back to open, noting it and telling both parties."""
    return _sweep(_info_overdue, _expire)


# --- Rulings nobody appealed -------------------------------------------------------------------


def _appeal_window_over(now: datetime) -> QuerySet[SupportCase]:
    return SupportCase.objects.filter(
        state=CaseState.RULED, appealed_at__isnull=True, ruled_at__lte=now - APPEAL_WINDOW
    )


def _close(batch: list[SupportCase], now: datetime) -> None:
    notices = []
    reason = Translatable(gettext_noop("No appeal within the appeal window: the ruling is final."))
    title_text = gettext_noop("Support case #%(case)s (order #%(order)s) is closed")
    body_text = gettext_noop("The ruling stands: %(outcome)s")
    transitions_apply(batch, "close", kwargs={"at": now}, at=now, actor_role=ActorRole.SYSTEM, reason=reason)
    for case in batch:
        title = Translatable(title_text, {"case": case.pk, "order": case.order_id})
        body = Translatable(body_text, {"outcome": case.outcome})
        for uid in (case.order.client_id, case.order.provider_id):
            notices.append(
                notification_build(
                    user_id=uid, kind="case_closed", title=title, body=body, order_id=case.order_id, at=now
                )
            )
    notifications_send(notices)


def close_ruled_cases() -> SweepResult:
    """Close ruled cases whose appeal window passed without an appeal, and tell both parties."""
    return _sweep(_appeal_window_over, _close)
