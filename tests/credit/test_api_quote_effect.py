"""The cancellation quote shows the provider's completion rate before and after, with the credit code."""

from dataclasses import FrozenInstanceError
from datetime import timedelta
from decimal import Decimal

import pytest

from credit.rates import CompletionRate, completion_rate_if_cancelled
from orders.models import CancellationQuote, Order
from tests.factories import UserFactory, order_completed, service_order, shift_order

pytestmark = pytest.mark.django_db

RATE_FIELDS = {
    "raw_percent", "smoothed_percent", "completed", "counted_cancellations", "sample", "window_days", "prior_orders",
}  # fmt: skip


def _quote_url(order: Order) -> str:
    return f"/api/v1/orders/{order.pk}/cancellation-quote/"


# --- The pure helper --------------------------------------------------------------------------


def test_a_cancellation_that_counts_adds_one_to_the_sample():
    # given
    rate = CompletionRate(completed=1, counted_cancellations=0, window_days=60, prior=5)

    # when
    after = completion_rate_if_cancelled(rate, counts=True)

    # then
    assert (after.completed, after.counted_cancellations, after.sample) == (1, 1, 2)
    assert (after.raw_percent, after.smoothed_percent) == (Decimal("50.00"), Decimal("85.71"))
    assert rate.counted_cancellations == 0  # the rate it was given is unchanged


def test_a_cancellation_that_does_not_count_leaves_the_rate_as_it_is():
    # given
    rate = CompletionRate(completed=3, counted_cancellations=1, window_days=60, prior=5)

    # when / then
    assert completion_rate_if_cancelled(rate, counts=False) == rate


def test_the_rate_is_a_value_nobody_changes_in_place():
    rate = CompletionRate(completed=0, counted_cancellations=0, window_days=60, prior=5)

    with pytest.raises(FrozenInstanceError):
        rate.completed = 1


# --- The quote endpoint ------------------------------------------------------------------------


def test_the_provider_sees_their_rate_before_and_after_a_cancellation_that_counts(api_as):
    # given: one completed order, then a shift the provider would cancel an hour before it starts
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))

    # when
    body = api_as(provider).get(_quote_url(order)).json()

    # then
    effect = body["completion_rate_effect"]
    assert body["counts_against_completion_rate"] is True
    assert set(effect) == {"before", "after"}
    assert set(effect["before"]) == set(effect["after"]) == RATE_FIELDS
    before, after = effect["before"], effect["after"]
    assert (before["raw_percent"], before["smoothed_percent"], before["sample"]) == ("100.00", "100.00", 1)
    assert (after["raw_percent"], after["smoothed_percent"], after["sample"]) == ("50.00", "85.71", 2)


def test_a_provider_with_no_orders_sees_the_smoothed_rate_move_from_a_first_cancellation(api_as):
    # given
    provider = UserFactory()
    order = shift_order(provider=provider, starts_in=timedelta(hours=5))

    # when
    effect = api_as(provider).get(_quote_url(order)).json()["completion_rate_effect"]

    # then
    assert (effect["before"]["raw_percent"], effect["before"]["sample"]) == (None, 0)
    assert (effect["after"]["raw_percent"], effect["after"]["smoothed_percent"]) == ("0.00", "83.33")  # 5 / 6


def test_the_provider_sees_no_change_when_the_cancellation_would_not_count(api_as):
    # given: a day or more before the shift, a provider cancels free
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=30))

    # when
    body = api_as(provider).get(_quote_url(order)).json()

    # then
    assert body["counts_against_completion_rate"] is False
    assert body["completion_rate_effect"]["after"] == body["completion_rate_effect"]["before"]


def test_the_client_never_sees_the_providers_rate(api_as):
    # given
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))

    # when
    body = api_as(order.client).get(_quote_url(order)).json()

    # then
    assert body["allowed"] is True
    assert body["completion_rate_effect"] is None


def test_a_refused_quote_has_no_effect_and_stores_nothing(api_as):
    # given: a provider may not cancel a service order alone
    order = service_order()

    # when
    body = api_as(order.provider).get(_quote_url(order)).json()

    # then
    assert (body["allowed"], body["completion_rate_effect"]) == (False, None)
    assert not CancellationQuote.objects.exists()


def test_the_quoted_after_is_the_rate_once_the_cancellation_is_made(api_as):
    # given
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))
    client = api_as(provider)
    quote = client.get(_quote_url(order)).json()

    # when
    client.post(
        f"/api/v1/orders/{order.pk}/cancel/",
        {"reason": "schedule_change", "quote_id": quote["quote_id"]},
        format="json",
    )

    # then
    assert client.get("/api/v1/me/credit/").json()["completion_rate"] == quote["completion_rate_effect"]["after"]


def test_the_provider_quote_stays_within_a_bounded_query_count(api_as, django_assert_max_num_queries):
    # given
    provider = UserFactory()
    for _ in range(5):
        order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))
    client = api_as(provider)

    # when / then: the quote's own queries plus the policy and the two counts of the rate
    with django_assert_max_num_queries(12):
        body = client.get(_quote_url(order)).json()
    assert body["completion_rate_effect"]["before"]["completed"] == 5


def test_the_schema_describes_the_effect_as_nullable(api):
    # when
    schema = api.get("/api/v1/schema/?format=json").json()

    # then
    components = schema["components"]["schemas"]
    field = components["CancellationQuoteOutput"]["properties"]["completion_rate_effect"]
    assert field.get("nullable") is True
    assert set(components["CompletionRateEffectOutput"]["properties"]) == {"before", "after"}
