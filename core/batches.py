"""Work on many rows at once: due rows in locked batches, and a transition applied to many rows.

Clock-driven sweeps take due rows batch by batch, each batch locked with ``skip_locked`` in
its own transaction (``locked_batches``), and move them with the same pure transition a
person's action calls (``transitions_apply``): the transition runs on each instance in memory,
and exactly the fields it changed are written, in one statement per batch, with a transition
log row for each. No sweep repeats a transition's field values by hand, so a field a
transition sets later is written by every sweep that uses it.

A sweep that calls another system (a payment gateway) must not hold its locks meanwhile:
``claimed_batches`` marks each batch as taken in a short transaction and hands it over once
that has committed, for the caller to call out and then record the outcome in another.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import QuerySet
from django.utils import timezone

from core.audit import transition_log_build, transition_logs_write
from core.db import bulk_update_rows

M = TypeVar("M", bound=models.Model)

_MISSING = object()


class LockedBatch(list):
    """A batch of due rows, the moment its transaction started (``now``), and how many the
    caller handled: leave ``handled`` as it is when every row was dealt with."""

    # Both optional: Django copies a list given as a lookup value (order__in=batch) as type(value)(values).
    def __init__(self, rows: Iterable = (), now: datetime | None = None) -> None:
        super().__init__(rows)
        self.now = now
        self.handled: int = len(self)


def locked_batches(
    due: Callable[[datetime], QuerySet[M]], *, size: int, order_by: Sequence[str] = ("pk",)
) -> Iterator[LockedBatch]:
    """Yield the rows of ``due(now)`` in batches of ``size``, each locked in its own transaction.

    Each batch is selected with ``select_for_update(of=("self",), skip_locked=True)`` inside
    ``transaction.atomic()``; the loop body runs inside that transaction, which commits when
    the body asks for the next batch. The loop ends when no due row is left, or when the
    caller set ``batch.handled = 0`` (what is left is locked by someone else or no longer due,
    and would come back unchanged). An exception in the body rolls its batch back; so does
    ``break``, which leaves the body before the commit: stop with ``handled = 0`` instead.
    """
    while True:
        with transaction.atomic():
            batch = _lock_due(due, size, order_by)
            if not batch:
                return
            yield batch
        if batch.handled == 0:
            return


def claimed_batches(
    due: Callable[[datetime], QuerySet[M]],
    *,
    size: int,
    claim: Callable[[LockedBatch], None],
    order_by: Sequence[str] = ("pk",),
) -> Iterator[LockedBatch]:
    """Yield the rows of ``due(now)`` in batches of ``size``, each claimed and committed first.

    Like ``locked_batches``, but ``claim(batch)`` runs inside the batch's transaction (it marks
    the rows as taken, typically with a lease time until which ``due`` leaves them out) and
    the batch is handed over after the commit: the caller works outside any transaction and
    records each outcome in a short one of its own. A claim left by a stopped worker comes
    due again when its lease runs out. The loop ends when no due row is left, so ``claim``
    must take its rows out of ``due``.
    """
    while True:
        with transaction.atomic():
            batch = _lock_due(due, size, order_by)
            if not batch:
                return
            claim(batch)
        yield batch


def _lock_due(due: Callable[[datetime], QuerySet[M]], size: int, order_by: Sequence[str]) -> LockedBatch:
    now = timezone.now()
    rows = list(due(now).select_for_update(of=("self",), skip_locked=True).order_by(*order_by)[:size])
    return LockedBatch(rows, now)


def _per_row(value: Any, row: models.Model) -> Any:
    return value(row) if callable(value) else value


def transitions_apply(
    rows: Sequence[M],
    name: str,
    *,
    at: datetime,
    actor_role: str | Callable[[M], str],
    actor: Any = None,
    reason: str | Callable[[M], str] = "",
    kwargs: dict | Callable[[M], dict] | None = None,
    log_as: str = "",
    logs: list[dict] | None = None,
) -> list[str]:
    """Run the transition method ``name`` on every row, write what it changed, and log each row.

    Call inside a transaction, with the rows locked and allowed to make the transition
    (``can_proceed``). ``kwargs``, ``actor``, ``actor_role`` and ``reason`` are the same for
    every row, or a function of the row, called before its transition runs. The written
    fields are those whose value the transition changed on any row, found by comparing each
    row before and after, plus the ``auto_now`` fields, set to ``at``: when every row ends up
    with the same values, one ``UPDATE … WHERE pk IN (…)`` writes them; otherwise
    ``core.db.bulk_update_rows`` does, one statement per batch. The log rows (transition
    ``log_as``, by default ``name``) are written here, or appended to ``logs`` for a caller
    that writes them with its own in one insert. Returns the names of the fields written.
    """
    if not rows:
        return []
    model = type(rows[0])
    state_field = getattr(model, name)._django_fsm.field
    concrete = [f for f in model._meta.concrete_fields if not f.primary_key]
    auto_now = [f for f in concrete if getattr(f, "auto_now", False)]
    changed: set[str] = set()
    built = []
    for row in rows:
        # Read the instance's own values: a deferred field is not loaded, only noticed if set.
        before = [row.__dict__.get(f.attname, _MISSING) for f in concrete]
        log = {
            "actor": _per_row(actor, row),
            "actor_role": _per_row(actor_role, row),
            "reason": _per_row(reason, row),
            "from_state": getattr(row, state_field.attname),
        }
        getattr(row, name)(**(_per_row(kwargs, row) or {}))
        for f in auto_now:
            setattr(row, f.attname, at)
        for f, old in zip(concrete, before, strict=True):
            new = row.__dict__.get(f.attname, _MISSING)
            if new is not _MISSING and (old is _MISSING or new != old):
                changed.add(f.attname)
        built.append(
            transition_log_build(
                subject=row, transition=log_as or name, to_state=getattr(row, state_field.attname), at=at, **log
            )
        )
    fields = [f for f in concrete if f.attname in changed and f not in auto_now] + auto_now
    if fields:
        values = [tuple(getattr(row, f.attname) for f in fields) for row in rows]
        if all(v == values[0] for v in values):
            model._base_manager.filter(pk__in=[row.pk for row in rows]).update(
                **{f.attname: value for f, value in zip(fields, values[0], strict=True)}
            )
        else:
            bulk_update_rows(rows, [f.name for f in fields])
    if logs is None:
        transition_logs_write(built)
    else:
        logs.extend(built)
    return [f.name for f in fields]
