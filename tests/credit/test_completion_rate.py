"""Completion rate over 60 days: raw, sample, smoothed, and every exclusion of PRODUCT.md."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from core.jobs import sweep_run
from credit.models import CreditAccount
from credit.rates import level_for
from orders import services
from orders.cancellation import cancellation_reverse, order_cancel, order_cancel_by_support, order_cancel_mutual
from orders.completion import cancellations_counting_for, completion_rate_for
from orders.selectors import policy_in_force
from portal.selectors import credit_summary_for
from tests.factories import (
    ServiceListingFactory,
    UserFactory,
    order_completed,
    order_in_progress,
    service_order,
    shift_order,
)

pytestmark = pytest.mark.django_db


def test_one_cancellation_among_two_orders_is_50_raw_but_smoothed():
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider)
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=provider, reason="schedule_change")

    rate = completion_rate_for(provider)

    assert (rate.completed, rate.counted_cancellations, rate.sample) == (1, 1, 2)
    assert rate.raw_percent == Decimal("50.00")
    assert rate.smoothed_percent == Decimal("85.71")  # (1 + 5) / (2 + 5)


def test_no_orders_means_no_raw_rate_and_a_full_smoothed_one():
    rate = completion_rate_for(UserFactory())

    assert (rate.raw_percent, rate.smoothed_percent, rate.sample) == (None, Decimal("100.00"), 0)


def test_client_cancel_before_requirements_does_not_count():
    provider = UserFactory()
    order = service_order(provider=provider)
    order_cancel(order=order, actor=order.client, reason="schedule_change")

    assert completion_rate_for(provider).counted_cancellations == 0


def test_abandoned_order_does_not_count():
    provider = UserFactory()
    order = service_order(provider=provider)
    with time_machine.travel(order.created_at + timedelta(days=14), tick=False):
        sweep_run("orders.close_orders_without_requirements")
        assert completion_rate_for(provider).counted_cancellations == 0


@pytest.mark.parametrize("fault", ["client", "force_majeure", "none"])
def test_rulings_not_the_providers_fault_do_not_count(fault):
    provider = UserFactory()
    order = order_in_progress(provider=provider)
    order_cancel_by_support(order=order, actor=UserFactory(support=True), fault=fault, reason="other", message="m")

    assert completion_rate_for(provider).counted_cancellations == 0


def test_ruling_against_the_provider_counts():
    provider = UserFactory()
    order = order_in_progress(provider=provider)
    order_cancel_by_support(order=order, actor=UserFactory(support=True), fault="provider", reason="other", message="m")

    assert completion_rate_for(provider).counted_cancellations == 1


def test_mutual_cancellation_counts_unless_the_client_reorders_within_14_days():
    provider, client = UserFactory(), UserFactory()
    order = order_in_progress(provider=provider, client=client)
    order_cancel_mutual(order=order, accepted_by=provider, refund_percent=Decimal(100), reason="other")
    assert completion_rate_for(provider).counted_cancellations == 1

    with time_machine.travel(timedelta(days=13), tick=False):
        services.order_create(actor=client, listing_id=ServiceListingFactory(owner=provider).pk)
        assert completion_rate_for(provider).counted_cancellations == 0


def test_mutual_cancellation_reorder_after_14_days_still_counts():
    provider, client = UserFactory(), UserFactory()
    order = order_in_progress(provider=provider, client=client)
    order_cancel_mutual(order=order, accepted_by=client, refund_percent=Decimal(50), reason="other")

    with time_machine.travel(timedelta(days=15), tick=False):
        services.order_create(actor=client, listing_id=ServiceListingFactory(owner=provider).pk)
        assert completion_rate_for(provider).counted_cancellations == 1


def test_a_reorder_by_another_client_does_not_excuse_a_mutual_cancellation():
    provider = UserFactory()
    order = order_in_progress(provider=provider)
    order_cancel_mutual(order=order, accepted_by=provider, refund_percent=Decimal(100), reason="other")

    services.order_create(actor=UserFactory(), listing_id=ServiceListingFactory(owner=provider).pk)

    assert completion_rate_for(provider).counted_cancellations == 1


def test_appeal_upheld_removes_the_cancellation_from_the_rate():
    provider = UserFactory()
    order = shift_order(provider=provider)
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=provider, reason="force_majeure")
    cancellation_reverse(cancellation=order.cancellation, actor=UserFactory(support=True), reason="Hospital note")

    assert completion_rate_for(provider).counted_cancellations == 0


def test_cancellations_stop_counting_after_60_days_and_say_when():
    provider = UserFactory()
    order = shift_order(provider=provider)
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=provider, reason="schedule_change")
    cancelled_at = order.cancellation.created_at

    (counting,) = cancellations_counting_for(provider)
    assert counting.stops_counting_at == cancelled_at + timedelta(days=60)
    with time_machine.travel(cancelled_at + timedelta(days=60, seconds=1), tick=False):
        assert completion_rate_for(provider).counted_cancellations == 0


def test_levels_from_the_numbers():
    policy = policy_in_force()

    assert level_for(completed=0, counted_cancellations=0, score=100, policy=policy) == "new"
    assert level_for(completed=5, counted_cancellations=0, score=100, policy=policy) == "level_one"
    assert level_for(completed=20, counted_cancellations=1, score=95, policy=policy) == "level_two"
    assert level_for(completed=20, counted_cancellations=1, score=80, policy=policy) == "level_one"
    assert level_for(completed=1, counted_cancellations=1, score=100, policy=policy) == "below_standard"


def test_nightly_job_matches_a_from_scratch_computation():
    providers = [UserFactory() for _ in range(4)]
    for i, provider in enumerate(providers):
        for _ in range(i * 2):
            order_completed(provider=provider)
        if i % 2:
            order = shift_order(provider=provider)
            with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
                order_cancel(order=order, actor=provider, reason="schedule_change")

    result = sweep_run("credit.recompute_levels")

    assert result.processed == 3  # the provider with no orders has nothing to change
    assert sweep_run("credit.recompute_levels").processed == 0  # a rerun finds nothing to change
    for provider in providers[1:]:
        account = CreditAccount.objects.get(user=provider)
        summary = credit_summary_for(provider)
        assert (account.completed_in_window, account.cancelled_in_window) == (
            summary.completion.completed,
            summary.completion.counted_cancellations,
        )
        assert account.level == summary.level
