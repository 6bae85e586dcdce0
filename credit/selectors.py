"""Reads of credit: accounts and scores, restrictions, the event list."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F, QuerySet

from .models import CreditAccount, CreditEvent, CreditReason, Level, Restriction
from .services import START_SCORE


def credit_account_get(user) -> CreditAccount:
    """The user's account (unsaved with the starting score if they have no events yet)."""
    return CreditAccount.objects.filter(user=user).first() or CreditAccount(user=user, score=START_SCORE)


def restrictions_active(user) -> list[Restriction]:
    return list(Restriction.objects.filter(user=user, lifted_at__isnull=True).order_by("created_at"))


def users_restricted(*, kind: str, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` have a restriction of ``kind`` in force."""
    return set(
        Restriction.objects.filter(kind=kind, lifted_at__isnull=True, user_id__in=set(user_ids)).values_list(
            "user_id", flat=True
        )
    )


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
