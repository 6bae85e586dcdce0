"""The one audit mechanism for every state machine: services call ``transition_log_write``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone

from core.db import insert_rows
from core.i18n import text_store
from core.models import TransitionLog
from core.webhooks.events import webhook_events_record, webhook_events_record_log

if TYPE_CHECKING:
    from datetime import datetime


def transition_log_write(
    *,
    subject: models.Model,
    transition: str,
    from_state: str,
    to_state: str,
    actor,
    actor_role: str,
    reason: str = "",
    at: datetime | None = None,
) -> TransitionLog:
    """Record one state change of ``subject``; call inside the transition's transaction."""
    log = TransitionLog.objects.create(
        content_type=ContentType.objects.get_for_model(subject),
        object_id=subject.pk,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        actor_role=actor_role,
        reason=text_store(reason),
        at=at or timezone.now(),
    )
    webhook_events_record_log(log)  # partners' outbox, in the same transaction
    return log


def transition_log_build(
    *,
    subject: models.Model,
    transition: str,
    from_state: str,
    to_state: str,
    actor,
    actor_role: str,
    reason: str = "",
    at: datetime | None = None,
) -> dict:
    """A log row not yet written, for sweeps that write many with ``transition_logs_write``."""
    return {
        "content_type_id": ContentType.objects.get_for_model(subject).pk,
        "object_id": subject.pk,
        "transition": transition,
        "from_state": from_state,
        "to_state": to_state,
        "actor_id": getattr(actor, "pk", None),
        "actor_role": actor_role,
        "reason": text_store(reason),
        "at": at or timezone.now(),
    }


def transition_logs_write(rows: list[dict]) -> None:
    """Write rows from ``transition_log_build`` in one bulk insert."""
    insert_rows(TransitionLog, rows)
    webhook_events_record(rows)  # partners' outbox, in the same transaction


def transition_logged(
    subject: models.Model,
    *,
    transition: str,
    from_state: str,
    actor,
    actor_role: str,
    reason: str = "",
    at: datetime | None = None,
) -> TransitionLog:
    """Record that ``subject`` just moved from ``from_state`` to the state it is in now.

    What every service writes after running a transition: ``transition_log_write`` with the
    subject's own state as the target.
    """
    return transition_log_write(
        subject=subject,
        transition=transition,
        from_state=from_state,
        to_state=subject.state,
        actor=actor,
        actor_role=actor_role,
        reason=reason,
        at=at,
    )
