"""What orders tell about a provider's record: the completion rate, and the repeat offences that
cost a right.

Credit keeps the score, the level and the restrictions, and knows nothing of orders: this module
counts the orders and cancellations and hands credit the numbers (``credit.selectors.CompletionRate``,
``credit.services.credit_levels_record``, ``credit.services.restrictions_apply_rules``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Count, DateTimeField, Exists, ExpressionWrapper, OuterRef, Q, QuerySet
from django.utils import timezone

from core.prepared import PreparedRead, columns, count_of, counted, instance
from credit.models import Restriction, RestrictionKind
from credit.rates import CompletionRate, CompletionRateEffect, completion_rate_if_cancelled
from credit.selectors import users_restricted
from credit.services import restrictions_apply_rules

from .models import Cancellation, CancellationPath, Order, OrderState, Policy
from .selectors import policy_in_force


def _counted_since(since: datetime, mutual_reorder_days: int) -> QuerySet[Cancellation]:
    reorder = Order.objects.filter(
        client_id=OuterRef("order__client_id"),
        provider_id=OuterRef("order__provider_id"),
        created_at__gt=OuterRef("created_at"),
        created_at__lte=ExpressionWrapper(
            OuterRef("created_at") + timedelta(days=mutual_reorder_days), output_field=DateTimeField()
        ),
    )
    return (
        Cancellation.objects.filter(
            created_at__gte=since, counts_against_completion_rate=True, reversed_at__isnull=True
        )
        .annotate(reordered=Exists(reorder))
        .exclude(Q(path=CancellationPath.MUTUAL) & Q(reordered=True))
    )


def _window_start(now: datetime | None, policy: Policy) -> datetime:
    return (now or timezone.now()) - timedelta(days=policy.completion_window_days)


def counted_cancellations(*, now: datetime | None = None, policy: Policy | None = None) -> QuerySet[Cancellation]:
    """Cancellations that count against their provider's completion rate now.

    Left out: those the policy says never count (client cancelled before requirements,
    abandoned orders, rulings not the provider's fault), those reversed on appeal, those
    older than the window, and mutual cancellations after which the same client ordered from
    the same provider again within the policy's days.
    """
    policy = policy or policy_in_force()
    return _counted_since(_window_start(now, policy), policy.mutual_reorder_days)


def completed_orders(*, now: datetime | None = None, policy: Policy | None = None) -> QuerySet[Order]:
    """Orders completed within the policy's completion-rate window."""
    policy = policy or policy_in_force()
    return _completed_since(_window_start(now, policy))


def _completed_since(since: datetime) -> QuerySet[Order]:
    return Order.objects.filter(state=OrderState.COMPLETED, completed_at__gte=since)


# One provider's numbers, read on every credit request and quote: prepared (compiled once per
# process; the policy's days for a mutual re-order are baked into the SQL, so they are the variant).
_completed_by = PreparedRead(
    lambda provider_id, since: counted(_completed_since(since).filter(provider_id=provider_id), "provider_id"),
    "provider_id",
    "since",
    moments=("since",),
)
_counted_of = PreparedRead(
    lambda mutual_reorder_days, provider_id, since: counted(
        _counted_since(since, mutual_reorder_days).filter(order__provider_id=provider_id), "order__provider_id"
    ),
    "provider_id",
    "since",
    moments=("since",),
)
_counting_of = PreparedRead(
    lambda mutual_reorder_days, provider_id, since: (
        _counted_since(since, mutual_reorder_days)
        .filter(order__provider_id=provider_id)
        .order_by("-created_at", "-id")
        .values_list(*columns(Cancellation), *columns(Order, "order__"))
    ),
    "provider_id",
    "since",
    moments=("since",),
)


def completion_rate_for(
    user, *, now: datetime | None = None, policy: Policy | None = None, counting: list | None = None
) -> CompletionRate:
    """A provider's completion rate over the policy's rolling window, from scratch; ``counting``,
    when the caller has it, is :func:`cancellations_counting_for` at the same moment (not counted again)."""
    policy = policy or policy_in_force()
    since = _window_start(now, policy)
    if counting is None:
        cancelled = count_of(_counted_of(variant=(policy.mutual_reorder_days,), provider_id=user.pk, since=since))
    else:
        cancelled = len(counting)
    return CompletionRate(
        completed=count_of(_completed_by(provider_id=user.pk, since=since)),
        counted_cancellations=cancelled,
        window_days=policy.completion_window_days,
        prior=policy.completion_prior_orders,
    )


def completion_rate_effect_for(
    user, *, counts: bool, now: datetime | None = None, policy: Policy | None = None
) -> CompletionRateEffect:
    """``user``'s own rate now and after a cancellation that ``counts`` (or not): what quotes show.

    The cancellation quote in the API and the web cancel dialog, and the preview of a cancel
    request, all call this, so the provider reads the same numbers wherever they ask. Callers
    show it to the provider only.
    """
    before = completion_rate_for(user, now=now, policy=policy)
    return CompletionRateEffect(before=before, after=completion_rate_if_cancelled(before, counts=counts))


def cancellations_counting_for(user, *, now: datetime | None = None, policy: Policy | None = None) -> list:
    """The cancellations in the user's rate, newest first, each with its order and ``stops_counting_at``."""
    policy = policy or policy_in_force()
    rows = _counting_of(variant=(policy.mutual_reorder_days,), provider_id=user.pk, since=_window_start(now, policy))
    cancellations = []
    for row in rows:
        cancellation = instance(Cancellation, row)
        cancellation.order = instance(Order, row, "order__")
        cancellation.stops_counting_at = cancellation.created_at + timedelta(days=policy.completion_window_days)
        cancellations.append(cancellation)
    return cancellations


def completion_counts(provider_ids: Iterable[int], *, now: datetime, policy: Policy) -> dict[int, tuple[int, int]]:
    """``{provider id: (completed, counted cancellations)}`` in the window: two grouped queries."""
    ids = list(provider_ids)
    completed = dict(
        completed_orders(now=now, policy=policy)
        .filter(provider_id__in=ids)
        .values("provider_id")
        .annotate(n=Count("pk"))
        .values_list("provider_id", "n")
    )
    cancelled = dict(
        counted_cancellations(now=now, policy=policy)
        .filter(order__provider_id__in=ids)
        .values("order__provider_id")
        .annotate(n=Count("pk"))
        .values_list("order__provider_id", "n")
    )
    return {uid: (completed.get(uid, 0), cancelled.get(uid, 0)) for uid in ids}


def provider_ids_with_orders() -> set[int]:
    """Everyone who has been a provider of an order (the nightly level job looks at each of them)."""
    return set(Order.objects.values_list("provider_id", flat=True).distinct())


# --- Repeat offences -----------------------------------------------------------------------


def _counts(qs: QuerySet[Cancellation], user_field: str, user_ids: set[int]) -> dict[int, int]:
    if not user_ids:
        return {}
    return dict(
        qs.filter(**{f"{user_field}__in": user_ids})
        .values(user_field)
        .annotate(n=Count("pk"))
        .values_list(user_field, "n")
    )


def restrictions_apply_after_cancellations(
    *, provider_ids: Iterable[int] = (), client_ids: Iterable[int] = (), now: datetime | None = None
) -> list[Restriction]:
    """After cancellations: count each party's offences in the window and hand credit the numbers.

    Providers: cancellations that count as complaints (late cancellations, no-shows). Clients:
    cancellations ruled their responsibility. Set-based, for sweeps that cancel thousands at
    once: one counting query per rule, for the users not restricted already. Returns the
    restrictions credit added.
    """
    policy = policy_in_force()
    since = (now or timezone.now()) - timedelta(days=policy.completion_window_days)
    live = Cancellation.objects.filter(created_at__gte=since, reversed_at__isnull=True)
    provider_ids, client_ids = set(provider_ids), set(client_ids)
    providers = provider_ids - users_restricted(kind=RestrictionKind.TAKING_ORDERS, user_ids=provider_ids)
    clients = client_ids - users_restricted(kind=RestrictionKind.POSTING, user_ids=client_ids)
    return restrictions_apply_rules(
        complaints=_counts(live.filter(counts_as_complaint=True), "order__provider_id", providers),
        client_faults=_counts(live.filter(path=CancellationPath.RULING_CLIENT), "order__client_id", clients),
        policy=policy,
    )
