"""Reads that combine apps: a user's credit explained with the facts of orders and disputes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.utils import timezone

from credit.rates import CompletionRate, level_for
from credit.selectors import credit_account_get, restrictions_active
from disputes.selectors.requests import unanswered_update_requests_for
from orders.completion import cancellations_counting_for, completion_rate_for
from orders.models import Policy
from orders.selectors import policy_in_force


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
    # The policy in force it was computed under, for the caller's further reads of the same request.
    policy: Policy | None = None
    # The cancellations in the rate, newest first, each with ``stops_counting_at``.
    counting: list = field(default_factory=list)


def credit_summary_for(user, *, now: datetime | None = None) -> CreditSummary:
    """What the credit page and ``GET /me/credit/`` show: everything computed fresh.

    The score and restrictions are credit's; the completion rate is counted from orders and the
    responsiveness from disputes' requests, over the window of the policy in force.
    """
    policy = policy_in_force()
    now = now or timezone.now()
    account = credit_account_get(user)
    counting = cancellations_counting_for(user, now=now, policy=policy)
    completion = completion_rate_for(user, now=now, policy=policy, counting=counting)
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
        policy=policy,
        counting=counting,
    )
