"""The nightly level job equals a from-scratch computation, in batches and as the window rolls on."""

from datetime import timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
import time_machine
from django.utils import timezone

from core.jobs import sweep_run
from credit.models import CreditAccount, Level
from credit.services import credit_event_record, credit_score
from orders import jobs, services
from orders.cancellation import cancellation_reverse, order_cancel_by_support, order_cancel_mutual
from orders.models import Cancellation, CancellationPath, Order, OrderState
from orders.selectors import policy_in_force
from portal.selectors import credit_summary_for
from tests.factories import (
    ServiceListingFactory,
    UserFactory,
    order_cancelled,
    order_completed,
    order_in_progress,
    service_order,
    shift_order,
)

pytestmark = pytest.mark.django_db


def _late_shift_cancel(provider) -> None:
    # Not shift_cancelled_late(), which cancels now: the window arithmetic below counts on these
    # cancellations being dated two days ahead, an hour before the factory shift's start.
    order = shift_order(provider=provider)
    order_cancelled(order=order, by="provider", at=order.starts_at - timedelta(hours=1))


def _from_scratch(provider, now) -> tuple[int, int, str]:
    """Completed, counted cancellations and level, read off the rows one by one (no selector)."""
    policy = policy_in_force()
    since = now - timedelta(days=policy.completion_window_days)
    orders = list(Order.objects.filter(provider=provider))
    completed = sum(1 for o in orders if o.state == OrderState.COMPLETED and o.completed_at >= since)
    counted = 0
    for c in Cancellation.objects.filter(order__provider=provider).select_related("order"):
        if not c.counts_against_completion_rate or c.reversed_at is not None or c.created_at < since:
            continue
        reorder_until = c.created_at + timedelta(days=policy.mutual_reorder_days)
        if c.path == CancellationPath.MUTUAL and any(
            o.client_id == c.order.client_id and c.created_at < o.created_at <= reorder_until for o in orders
        ):
            continue
        counted += 1
    prior = policy.completion_prior_orders
    smoothed = Fraction(100 * (completed + prior), completed + counted + prior)
    if counted and smoothed < Fraction(Decimal(policy.level_min_completion_percent)):
        level = Level.BELOW_STANDARD
    elif completed >= policy.level_two_min_completed and credit_score(provider) >= policy.level_two_min_score:
        level = Level.LEVEL_TWO
    elif completed >= policy.level_one_min_completed:
        level = Level.LEVEL_ONE
    else:
        level = Level.NEW
    return completed, counted, level


def _assert_job_matches_scratch(providers, now) -> None:
    for provider in providers:
        account = CreditAccount.objects.get(user=provider)
        assert (account.completed_in_window, account.cancelled_in_window, account.level) == _from_scratch(
            provider, now
        ), provider
        # and the page (and GET /me/credit/) shows the level the job stored
        assert credit_summary_for(provider, now=now).level == account.level


def test_the_job_in_small_batches_equals_a_from_scratch_computation_as_the_window_rolls(monkeypatch):
    # given: providers with every kind of history, run in batches of two
    monkeypatch.setattr(jobs, "BATCH", 2)
    steady, flaky, excused, appealed, reordered, idle = (UserFactory() for _ in range(6))
    for _ in range(5):
        order_completed(provider=steady)
    order_completed(provider=flaky)
    _late_shift_cancel(flaky)
    _late_shift_cancel(flaky)
    order = service_order(provider=excused)
    order_cancel_by_support(
        order=order, actor=UserFactory(support=True), fault="client", reason="client_changed_demand", message="m"
    )
    _late_shift_cancel(appealed)
    cancellation_reverse(
        cancellation=Cancellation.objects.get(order__provider=appealed), actor=UserFactory(support=True), reason="ok"
    )
    client = UserFactory()
    order = order_in_progress(provider=reordered, client=client)
    order_cancel_mutual(order=order, accepted_by=client, refund_percent=Decimal(50), reason="other")
    services.order_create(actor=client, listing_id=ServiceListingFactory(owner=reordered).pk)
    credit_event_record(user=idle, delta=-5, reason="manual")
    providers = [steady, flaky, excused, appealed, reordered]

    # when
    sweep_run("credit.recompute_levels")

    # then
    _assert_job_matches_scratch(providers, timezone.now())
    assert CreditAccount.objects.get(user=steady).level == Level.LEVEL_ONE
    assert CreditAccount.objects.get(user=flaky).level == Level.BELOW_STANDARD
    assert sweep_run("credit.recompute_levels").processed == 0

    # when: the window rolls past everything
    later = timezone.now() + timedelta(days=70)  # the shifts were cancelled two days ahead
    with time_machine.travel(later, tick=False):
        result = sweep_run("credit.recompute_levels")

        # then: every number that moved is written again, and still equals the scratch computation
        assert result.processed == 2  # steady and flaky drop out; the others already had nothing counting
        _assert_job_matches_scratch(providers, later)
        assert {CreditAccount.objects.get(user=p).level for p in providers} == {Level.NEW}
