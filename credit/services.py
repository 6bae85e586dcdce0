"""The credit interface other apps call: record events; the credit issue adds scores on top."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from core.db import insert_rows

from .models import CreditEvent

START_SCORE = 100


def credit_event_build(
    *, user_id: int, delta: int, reason: str, order_id=None, actor=None, detail: str = "", at=None
) -> dict:
    """An event row not yet written, for sweeps that write many with ``credit_events_write``."""
    return {
        "user_id": user_id,
        "delta": delta,
        "reason": reason,
        "order_id": order_id,
        "actor_id": getattr(actor, "pk", None),
        "reverses_id": None,
        "detail": str(detail)[:255],
        "created_at": at or timezone.now(),
    }


def credit_events_write(rows: list[dict]) -> None:
    """Append many events in one bulk insert."""
    insert_rows(CreditEvent, rows)


@transaction.atomic
def credit_event_record(*, user, delta: int, reason: str, order=None, actor=None, detail: str = "") -> CreditEvent:
    """Append one credit event for ``user``."""
    return CreditEvent.objects.create(
        user=user, delta=delta, reason=reason, order=order, actor=actor, detail=detail[:255]
    )


@transaction.atomic
def credit_event_reverse(*, event: CreditEvent, actor, detail: str = "") -> CreditEvent:
    """Undo ``event`` with a new event that points at it; reversing twice is refused."""
    event = CreditEvent.objects.select_for_update().get(pk=event.pk)
    if hasattr(event, "reversed_by"):
        return event.reversed_by
    return CreditEvent.objects.create(
        user_id=event.user_id,
        delta=-event.delta,
        reason="reversal",
        order_id=event.order_id,
        actor=actor,
        reverses=event,
        detail=detail[:255],
    )


def credit_score(user) -> int:
    """The score from the ledger: starts at 100, each event applied in order, kept in 0–100."""
    score = START_SCORE
    for delta in CreditEvent.objects.filter(user=user).order_by("created_at", "id").values_list("delta", flat=True):
        score = max(0, min(100, score + delta))
    return score
