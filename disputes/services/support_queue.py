"""What claims and appeals of penalties share as items of support's queue: an agent takes one,
then decides it once, with the reasons; each step logged. The services of each call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.audit import transition_log_build, transition_logged
from core.db import insert_rows
from core.exceptions import Conflict, PermissionDenied
from core.i18n import Translatable
from core.models import ActorRole, TransitionLog
from core.support import is_support
from core.text import invalid, text_clean
from disputes.models import DecidedBySupport
from marketplace.models import User

MAX_NOTE = 10_000


def item_take(item: DecidedBySupport, *, agent: User, waiting: str) -> DecidedBySupport:
    """``agent`` takes ``item`` (locked by the caller) while it is ``waiting``: its first response."""
    if item.state != waiting or item.assignee_id == agent.pk:
        return item
    item.assignee = agent
    item.save(update_fields=("assignee", "updated_at"))
    transition_logged(
        item,
        transition="assign",
        from_state=item.state,
        actor=agent,
        actor_role=ActorRole.SUPPORT,
        reason=Translatable(gettext_noop("Taken by %(who)s"), {"who": agent.get_username()}),
    )
    return item


def decision_checked(
    *, actor: User, perm: str, decision: str, choices: Sequence[str], note: str, refused: str, choose: str, why: str
) -> str:
    """Refuse a decision by someone who is not support with ``perm`` (``refused``), or not one of
    ``choices`` (``choose``); return the note, which must say ``why``."""
    if not is_support(actor, perm):
        raise PermissionDenied(refused)
    if decision not in choices:
        raise invalid("decision", choose)
    return text_clean(note, field="note", limit=MAX_NOTE, required_message=why)


def require_waiting(item: DecidedBySupport, *, waiting: str, code: str, message: str) -> None:
    """Refuse to decide ``item`` again once it left ``waiting`` (409 ``code``)."""
    if item.state != waiting:
        raise Conflict(message % {"state": item.get_state_display()}, code=code, extra={"state": item.state})


def item_decided(
    item: DecidedBySupport, *, decision: str, from_state: str, actor: User, note: str, at: datetime
) -> None:
    """Save ``item`` after its decision transition ran, the decider its assignee if it had none, and log it."""
    item.assignee = item.assignee or actor
    item.save(update_fields=("state", "decided_by", "decided_at", "decision_note", "assignee", "updated_at"))
    transition_logged(
        item, transition=decision, from_state=from_state, actor=actor, actor_role=ActorRole.SUPPORT, reason=note, at=at
    )


# --- Breaches seen ----------------------------------------------------------------------------


def sla_breaches_mark_seen(*, model: type[models.Model], ids: Iterable[int], actor: User) -> int:
    """An agent marks the breached items ``ids`` of a support queue (cases, tickets, claims,
    appeals) as seen: the breach stays on record, the dashboard stops calling for it. Items not
    breached, or seen already, are left alone; each one marked gets a log line. Returns how many."""
    perm = f"disputes.change_{model._meta.model_name}"
    if not is_support(actor, perm):
        raise PermissionDenied(_("Only support staff mark service-level breaches as seen."))
    now = timezone.now()
    with transaction.atomic():
        rows = list(
            model.objects.select_for_update()
            .filter(pk__in=list(ids), sla_breached_at__isnull=False, sla_seen_at__isnull=True)
            .order_by("pk")
            .only("pk", "state")
        )
        if not rows:
            return 0
        model.objects.filter(pk__in=[row.pk for row in rows]).update(sla_seen_at=now, sla_seen_by=actor, updated_at=now)
        # Staff bookkeeping, not a change partners hear of: the log rows, without webhook events.
        insert_rows(
            TransitionLog,
            [
                transition_log_build(
                    subject=row,
                    transition="sla_breach_seen",
                    from_state=row.state,
                    to_state=row.state,
                    actor=actor,
                    actor_role=ActorRole.SUPPORT,
                    reason=Translatable(gettext_noop("Breach seen by %(who)s"), {"who": actor.get_username()}),
                    at=now,
                )
                for row in rows
            ],
        )
    return len(rows)
