"""Service levels of everything support answers (cases, claims, appeals of penalties): a breach is
flagged once, logged on the object, and escalated to the supervisors in one notice per batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.db import models
from django.db.models import QuerySet
from django.utils.translation import gettext_noop

from core.audit import transition_log_build, transition_logs_write
from core.batches import locked_batches
from core.i18n import Joined, Text, Translatable
from core.jobs import SweepResult
from core.models import ActorRole
from disputes.services.cases import supervisors
from marketplace.notifications import notification_build, notifications_send

BATCH = 500
LISTED_IN_NOTICE = 20


def sla_breaches_flag(
    *,
    due: Callable[[datetime], QuerySet],
    reason: Callable[[models.Model, datetime], Translatable],
    line: Callable[[models.Model, Text], Translatable],
    title: str,
    kind: str,
) -> SweepResult:
    """Flag the rows of ``due(now)`` (which must leave out rows flagged already) in locked batches.

    Each row gets ``sla_breached_at`` and ``escalated_at``, and a ``flag_sla_breach`` log entry
    saying ``reason(row, now)``. The supervisors get one notice per batch, ``title`` (a msgid
    with ``%(n)d``), listing up to 20 rows with ``line(row, reason)``: a backlog must not
    flood their inbox.
    """
    done = 0
    for batch in locked_batches(lambda now: due(now), size=BATCH):
        now = batch.now
        logs, listed = [], []
        for row in batch:
            why = reason(row, now)
            if len(listed) < LISTED_IN_NOTICE:
                listed.append(line(row, why))
            logs.append(
                transition_log_build(
                    subject=row,
                    transition="flag_sla_breach",
                    from_state=row.state,
                    to_state=row.state,
                    actor=None,
                    actor_role=ActorRole.SYSTEM,
                    reason=str(why),  # the log in the current language
                    at=now,
                )
            )
        model = type(batch[0])
        model.objects.filter(pk__in=[row.pk for row in batch]).update(
            sla_breached_at=now, escalated_at=now, updated_at=now
        )
        transition_logs_write(logs)
        more = len(batch) - LISTED_IN_NOTICE
        if more > 0:
            listed.append(Translatable(gettext_noop("… and %(n)d more."), {"n": more}))
        notice_title = Translatable(title, {"n": len(batch)})
        body = Joined("\n", listed)
        notifications_send(
            notification_build(user_id=uid, kind=kind, title=notice_title, body=body, at=now)
            for uid in supervisors().values_list("pk", flat=True)
        )
        done += len(batch)
    return SweepResult(processed=done)
