"""Reads of credit: completion rate (raw, sample, smoothed), levels, restrictions, the event list."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import DateTimeField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone

from .models import CreditAccount, CreditEvent, CreditReason, Level, Restriction
from .services import START_SCORE, policy_in_force

PCT = Decimal("0.01")


@dataclass(frozen=True)
class CompletionRate:
    completed: int
    counted_cancellations: int
    window_days: int
    prior: int

    @property
    def sample(self) -> int:
        return self.completed + self.counted_cancellations

    @property
    def raw_percent(self) -> Decimal | None:
        if not self.sample:
            return None
        return (Decimal(100) * self.completed / self.sample).quantize(PCT, ROUND_HALF_UP)

    @property
    def smoothed_percent(self) -> Decimal:
        """As if every provider started with ``prior`` completed orders: small samples stay fair."""
        return (Decimal(100) * (self.completed + self.prior) / (self.sample + self.prior)).quantize(PCT, ROUND_HALF_UP)


def completion_rate_if_cancelled(rate: CompletionRate, *, counts: bool) -> CompletionRate:
    """``rate`` as it would be with one more cancellation, counted only if ``counts`` (pure).

    Quotes show it beside the rate now, so the provider sees the effect before anyone acts.
    """
    if not counts:
        return rate
    return replace(rate, counted_cancellations=rate.counted_cancellations + 1)


@dataclass(frozen=True)
class CompletionRateEffect:
    """A provider's completion rate now, and as it would be after one cancellation."""

    before: CompletionRate
    after: CompletionRate


def completion_rate_effect_for(user, *, counts: bool, now: datetime | None = None) -> CompletionRateEffect:
    """``user``'s own rate now and after a cancellation that ``counts`` (or not): what quotes show.

    The cancellation quote in the API and the web cancel dialog both call this, so the provider
    reads the same numbers wherever they ask. Callers show it to the provider only.
    """
    before = completion_rate_for(user, now=now)
    return CompletionRateEffect(before=before, after=completion_rate_if_cancelled(before, counts=counts))


def level_for(*, completed: int, counted_cancellations: int, score: int, policy) -> str:
    """The seller level these numbers earn (pure, shared by the page and the nightly job)."""
    rate = CompletionRate(
        completed, counted_cancellations, policy.completion_window_days, policy.completion_prior_orders
    )
    if rate.counted_cancellations and rate.smoothed_percent < policy.level_min_completion_percent:
        return Level.BELOW_STANDARD
    if completed >= policy.level_two_min_completed and score >= policy.level_two_min_score:
        return Level.LEVEL_TWO
    if completed >= policy.level_one_min_completed:
        return Level.LEVEL_ONE
    return Level.NEW


def counted_cancellations(*, now: datetime | None = None, policy=None) -> QuerySet:
    """Cancellations that count against their provider's completion rate now.

    Left out: those the policy says never count (client cancelled before requirements,
    abandoned orders, rulings not the provider's fault), those reversed on appeal, those
    older than the window, and mutual cancellations after which the same client ordered from
    the same provider again within the policy's days.
    """
    from orders.models import Cancellation, CancellationPath, Order

    policy = policy or policy_in_force()
    now = now or timezone.now()
    since = now - timedelta(days=policy.completion_window_days)
    reorder = Order.objects.filter(
        client_id=OuterRef("order__client_id"),
        provider_id=OuterRef("order__provider_id"),
        created_at__gt=OuterRef("created_at"),
        created_at__lte=ExpressionWrapper(
            OuterRef("created_at") + timedelta(days=policy.mutual_reorder_days), output_field=DateTimeField()
        ),
    )
    return (
        Cancellation.objects.filter(
            created_at__gte=since, counts_against_completion_rate=True, reversed_at__isnull=True
        )
        .annotate(reordered=Exists(reorder))
        .exclude(Q(path=CancellationPath.MUTUAL) & Q(reordered=True))
    )


def completed_orders(*, now: datetime | None = None, policy=None) -> QuerySet:
    from orders.models import Order, OrderState

    policy = policy or policy_in_force()
    now = now or timezone.now()
    return Order.objects.filter(
        state=OrderState.COMPLETED, completed_at__gte=now - timedelta(days=policy.completion_window_days)
    )


def completion_rate_for(user, *, now: datetime | None = None, policy=None) -> CompletionRate:
    """A provider's completion rate over the policy's rolling window, from scratch."""
    policy = policy or policy_in_force()
    return CompletionRate(
        completed=completed_orders(now=now, policy=policy).filter(provider=user).count(),
        counted_cancellations=counted_cancellations(now=now, policy=policy).filter(order__provider=user).count(),
        window_days=policy.completion_window_days,
        prior=policy.completion_prior_orders,
    )


def cancellations_counting_for(user, *, now: datetime | None = None, policy=None) -> list:
    """The cancellations in the user's rate, each with ``stops_counting_at``."""
    policy = policy or policy_in_force()
    rows = list(
        counted_cancellations(now=now, policy=policy)
        .filter(order__provider=user)
        .select_related("order")
        .order_by("-created_at")
    )
    for c in rows:
        c.stops_counting_at = c.created_at + timedelta(days=policy.completion_window_days)
    return rows


def credit_account_get(user) -> CreditAccount:
    """The user's account (unsaved with the starting score if they have no events yet)."""
    return CreditAccount.objects.filter(user=user).first() or CreditAccount(user=user, score=START_SCORE)


def restrictions_active(user) -> list[Restriction]:
    return list(Restriction.objects.filter(user=user, lifted_at__isnull=True).order_by("created_at"))


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


@dataclass(frozen=True)
class CreditSummary:
    score: int
    level: str
    completion: CompletionRate
    restrictions: list
    below_min_score: bool
    min_provider_score: int
    # Responsiveness: update requests the user, as provider, let expire in the same window.
    unanswered_update_requests: int = 0


def unanswered_update_requests_for(user, *, now: datetime | None = None, policy=None) -> int:
    """Responsiveness: update requests ``user``, as provider, let expire in the completion-rate window."""
    from disputes.selectors.requests import unanswered_update_requests_count  # disputes builds on credit

    policy = policy or policy_in_force()
    since = (now or timezone.now()) - timedelta(days=policy.completion_window_days)
    return unanswered_update_requests_count(provider=user, since=since)


def credit_summary_for(user, *, now: datetime | None = None) -> CreditSummary:
    """What the credit page and ``GET /me/credit/`` show: everything computed fresh."""
    policy = policy_in_force()
    now = now or timezone.now()
    account = credit_account_get(user)
    completion = completion_rate_for(user, now=now, policy=policy)
    return CreditSummary(
        score=account.score,
        level=level_for(
            completed=completion.completed,
            counted_cancellations=completion.counted_cancellations,
            score=account.score,
            policy=policy,
        ),
        completion=completion,
        restrictions=restrictions_active(user),
        below_min_score=account.score < policy.min_provider_score,
        min_provider_score=policy.min_provider_score,
        unanswered_update_requests=unanswered_update_requests_for(user, now=now, policy=policy),
    )
