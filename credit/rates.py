"""The completion rate and the seller level as pure values, from numbers the caller counted.

The orders app counts a provider's completed orders and counted cancellations
(``orders.completion``); the page, the API, the quotes and the nightly job all turn them into a
rate and a level here, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from .models import Level

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
