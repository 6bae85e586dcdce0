"""Clock-driven sweeps of claims with proof and appeals of penalties: their service levels.

Both answer to the case SLA: somebody takes each within the policy's first-response hours, and
support decides within its ruling hours; a breach is flagged once and escalated (``sla``).
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from core.i18n import Translatable
from core.jobs import SweepResult
from disputes.models import AppealState, Claim, ClaimState, PenaltyAppeal

from .sla import sla_breaches_flag


def _late(state: str, now: datetime) -> Q:
    return Q(state=state, sla_breached_at__isnull=True) & (
        Q(decision_due__lte=now) | Q(assignee__isnull=True, first_response_due__lte=now)
    )


def _reason(row, now: datetime) -> Translatable:
    if row.decision_due <= now:
        return Translatable(
            gettext_noop("No decision by %(due)s"), {"due": row.decision_due.isoformat(timespec="minutes")}
        )
    return Translatable(
        gettext_noop("Nobody took it by %(due)s"), {"due": row.first_response_due.isoformat(timespec="minutes")}
    )


def _claims_late(now: datetime) -> QuerySet[Claim]:
    return Claim.objects.filter(_late(ClaimState.PENDING_REVIEW, now))


def _appeals_late(now: datetime) -> QuerySet[PenaltyAppeal]:
    return PenaltyAppeal.objects.filter(_late(AppealState.OPEN, now))


def flag_claim_sla_breaches() -> SweepResult:
    """Flag claims nobody took or decided in time, once each, and escalate them to supervisors."""
    return sla_breaches_flag(
        due=_claims_late,
        reason=_reason,
        line=lambda claim, why: Translatable(
            gettext_noop("Claim #%(claim)s (order #%(order)s): %(reason)s"),
            {"claim": claim.pk, "order": claim.order_id, "reason": why},
        ),
        title=gettext_noop("%(n)d claim(s) missed their service level"),
        kind="claim_sla_breached",
    )


def flag_appeal_sla_breaches() -> SweepResult:
    """Flag appeals of penalties nobody took or decided in time, once each, and escalate them."""
    return sla_breaches_flag(
        due=_appeals_late,
        reason=_reason,
        line=lambda appeal, why: Translatable(
            gettext_noop("Appeal #%(appeal)s (credit event %(event)s): %(reason)s"),
            {"appeal": appeal.pk, "event": appeal.event_id, "reason": why},
        ),
        title=gettext_noop("%(n)d appeal(s) of penalties missed their service level"),
        kind="appeal_sla_breached",
    )
