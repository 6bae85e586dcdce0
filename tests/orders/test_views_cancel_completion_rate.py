"""The web cancel dialog shows the provider's completion rate before and after, like the API quote."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from orders.completion import completion_rate_effect_for
from tests.factories import UserFactory, order_completed, order_in_progress, shift_order

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "cancel-dialog"}


def _dialog(client, order, **headers):
    return client.get(reverse("order_cancel", args=[order.pk]), **headers)


def _words(response) -> str:
    """The page as a reader sees it: no tags, one plain space between words."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).replace("\u00a0", " ").split())


def test_the_provider_sees_their_rate_before_and_after_a_cancellation_that_counts(client):
    # given: one completed order, then a shift the provider would cancel an hour before it starts
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))
    client.force_login(provider)

    # when
    response = _dialog(client, order, **HTMX)

    # then
    effect = response.context["completion_effect"]
    assert (effect.before.sample, effect.after.sample) == (1, 2)
    assert (effect.after.raw_percent, effect.after.smoothed_percent) == (Decimal("50.00"), Decimal("85.71"))
    words = _words(response)
    assert "Your completion rate now 100 % smoothed (raw 100 % of 1 order)" in words
    assert "After this cancellation 85.71 % smoothed (raw 50 % of 2 orders)" in words


def test_the_dialog_and_the_api_quote_show_the_same_numbers(client, api_as):
    # given
    provider = UserFactory()
    order_completed(provider=provider)
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))
    client.force_login(provider)

    # when
    web = _dialog(client, order).context["completion_effect"]
    api = api_as(provider).get(f"/api/v1/orders/{order.pk}/cancellation-quote/").json()["completion_rate_effect"]

    # then: one selector behind both
    assert web == completion_rate_effect_for(provider, counts=True)
    for side in ("before", "after"):
        rate = getattr(web, side)
        assert api[side]["smoothed_percent"] == str(rate.smoothed_percent)
        assert api[side]["raw_percent"] == str(rate.raw_percent)
        assert api[side]["sample"] == rate.sample


def test_a_cancellation_that_does_not_count_leaves_the_rate_unchanged(client):
    # given: a day or more before the shift, the provider cancels free
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=30))
    client.force_login(provider)

    # when
    response = _dialog(client, order)

    # then
    effect = response.context["completion_effect"]
    assert effect.after == effect.before
    assert "After this cancellation unchanged" in _words(response)


def test_a_provider_with_no_orders_sees_no_raw_rate_yet(client):
    # given
    provider = UserFactory()
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))
    client.force_login(provider)

    # when
    words = _words(_dialog(client, order))

    # then
    assert "Your completion rate now 100 % smoothed (no orders yet)" in words
    assert "After this cancellation 83.33 % smoothed (raw 0 % of 1 order)" in words


def test_the_client_never_sees_the_providers_rate(client):
    # given
    provider = UserFactory()
    order_completed(provider=provider)
    order = shift_order(provider=provider, starts_in=timedelta(hours=1))
    client.force_login(order.client)

    # when
    response = _dialog(client, order)

    # then: only whether it counts, never the provider's numbers
    assert response.context["completion_effect"] is None
    assert "completion-effect" not in response.content.decode()
    assert "It does not count against the provider's completion rate" in _words(response)


def test_a_refused_quote_shows_no_rate(client):
    # given: a provider may not cancel an in-progress service order alone
    order = order_in_progress()
    client.force_login(order.provider)

    # when
    response = _dialog(client, order)

    # then
    assert response.context["completion_effect"] is None
    assert "completion-effect" not in response.content.decode()
