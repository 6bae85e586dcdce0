"""Reads of credit: accounts and scores, restrictions, the event list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, QuerySet

from core.prepared import PreparedPages, PreparedRead, columns, counted, instance

from .models import CreditAccount, CreditEvent, CreditReason, Level, Restriction
from .services import START_SCORE

# The reads of one user's credit are prepared (compiled once per process): the credit endpoint
# and page make them on every request.
_account = PreparedRead(
    lambda user_id: CreditAccount.objects.filter(user_id=user_id).values_list(*columns(CreditAccount)), "user_id"
)
_restrictions = PreparedRead(
    lambda user_id: (
        Restriction.objects.filter(user_id=user_id, lifted_at__isnull=True)
        .order_by("created_at", "id")
        .values_list(*columns(Restriction))
    ),
    "user_id",
)


def credit_account_get(user) -> CreditAccount:
    """The user's account (unsaved with the starting score if they have no events yet)."""
    rows = _account(user_id=user.pk)
    return instance(CreditAccount, rows[0]) if rows else CreditAccount(user=user, score=START_SCORE)


def restrictions_active(user) -> list[Restriction]:
    """The user's restrictions in force, oldest first."""
    return [instance(Restriction, row) for row in _restrictions(user_id=user.pk)]


def users_restricted(*, kind: str, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` have a restriction of ``kind`` in force."""
    return set(
        Restriction.objects.filter(kind=kind, lifted_at__isnull=True, user_id__in=set(user_ids)).values_list(
            "user_id", flat=True
        )
    )


def users_scoring_at_least(score: int, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` have a score of ``score`` or more (a user with no events has the starting score)."""
    user_ids = set(user_ids)
    if score <= START_SCORE:
        return user_ids - set(
            CreditAccount.objects.filter(user_id__in=user_ids, score__lt=score).values_list("user_id", flat=True)
        )
    return set(CreditAccount.objects.filter(user_id__in=user_ids, score__gte=score).values_list("user_id", flat=True))


def accounts_with_a_level() -> set[int]:
    """The users whose stored level is not "new": the nightly job re-checks them even without orders."""
    return set(CreditAccount.objects.exclude(level=Level.NEW).values_list("user_id", flat=True))


def credit_events_for(user) -> QuerySet[CreditEvent]:
    """Every event that moved the score, newest first, with its order."""
    return (
        CreditEvent.objects.filter(user=user)
        .select_related("order", "actor", "reverses")
        .annotate(reversed_at=F("reversed_by__created_at"))
        .order_by("-created_at", "-id")
    )


_events_count = PreparedRead(
    lambda user_id: counted(CreditEvent.objects.filter(user_id=user_id), "user_id"),
    "user_id",
)
_events_slice = PreparedRead(
    lambda start, stop, user_id: (
        CreditEvent.objects.filter(user_id=user_id)
        .annotate(reversed_at=F("reversed_by__created_at"))
        .order_by("-created_at", "-id")
        .values_list(*columns(CreditEvent), "reversed_at")[start:stop]
    ),
    "user_id",
)


def _event(row: dict) -> CreditEvent:
    event = instance(CreditEvent, row)
    event.reversed_at = row["reversed_at"]
    return event


def credit_events_pages(user) -> PreparedPages:
    """:func:`credit_events_for` for a paginator, as prepared reads: the events (each with
    ``reversed_at``) without their order, actor or reversed event loaded, whose ids they carry."""
    return PreparedPages(count=_events_count, rows=_events_slice, make=_event, user_id=user.pk)


_ORDER = CreditEvent._meta.get_field("order").related_model  # orders is above credit: not imported
_events_slice_for_page = PreparedRead(
    lambda start, stop, user_id: (
        CreditEvent.objects.filter(user_id=user_id)
        .annotate(reversed_at=F("reversed_by__created_at"))
        .order_by("-created_at", "-id")
        .values_list(
            *columns(CreditEvent),
            "reversed_at",
            *columns(_ORDER, "order__", ("id", "title", "policy")),
            *columns(CreditEvent, "reverses__", ("id", "created_at", "reason")),
        )[start:stop]
    ),
    "user_id",
)


def _event_for_page(row: dict) -> CreditEvent:
    event = _event(row)
    if event.order_id is not None:
        event.order = instance(_ORDER, row, "order__")  # its title and policy (the rest deferred)
    if event.reverses_id is not None:
        event.reverses = instance(CreditEvent, row, "reverses__")
    return event


def credit_events_pages_for_page(user) -> PreparedPages:
    """:func:`credit_events_pages` for the credit page: each event also with its order's title and
    policy and the time and reason of the event it reverses."""
    return PreparedPages(count=_events_count, rows=_events_slice_for_page, make=_event_for_page, user_id=user.pk)


# Events that come from a cancellation of the order they name.
CANCELLATION_EVENT_REASONS = (CreditReason.CANCELLATION, CreditReason.NO_SHOW, CreditReason.RULING)


def credit_events_mark_counting(events, counting: list) -> list[CreditEvent]:
    """Give each event ``stops_counting_at``: when the cancellation it came from leaves the rate.

    ``counting`` is ``cancellations_counting_for(user)``; an event whose cancellation does not
    count (or no longer does, or that came from anything else) gets None.
    """
    stops = {c.order_id: c.stops_counting_at for c in counting}
    events = list(events)
    for event in events:
        counts = event.reason in CANCELLATION_EVENT_REASONS and event.order_id is not None
        event.stops_counting_at = stops.get(event.order_id) if counts else None
    return events


SCORE_CHART_POINTS = 60
_score_history = PreparedRead(
    lambda user_id: (
        CreditEvent.objects.filter(user_id=user_id)
        .order_by("-created_at", "-id")
        .values_list("created_at", "score_after")[:SCORE_CHART_POINTS]
    ),
    "user_id",
)


def score_history(user) -> list[tuple]:
    """The user's score after each of their last ``SCORE_CHART_POINTS`` events, oldest first: the
    credit page's chart."""
    return [(row["created_at"], row["score_after"]) for row in reversed(_score_history(user_id=user.pk))]
