"""A cancellation quote is a signed token: looking writes nothing, and only a genuine, unaltered
quote made for this caller on this order binds its terms."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Cancellation, CancellationQuote, OrderState
from orders.quotes import quote_from_token
from tests.factories import service_order, shift_order

pytestmark = pytest.mark.django_db


def _quote(api, order) -> dict:
    response = api.get(reverse("api-order-cancellation-quote", args=[order.pk]))
    assert response.status_code == 200
    return response.json()


def _cancel(api, order, quote_id):
    return api.post(
        reverse("api-order-cancel", args=[order.pk]), {"reason": "other", "quote_id": quote_id}, format="json"
    )


def test_asking_for_a_quote_writes_nothing(api_as):
    order = shift_order()
    api = api_as(order.provider)

    with CaptureQueriesContext(connection) as queries:
        body = _quote(api, order)

    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith(("SELECT", "SAVEPOINT", "RELEASE"))]
    assert body["allowed"] is True
    assert writes == []
    assert not CancellationQuote.objects.exists()


def test_the_token_carries_the_terms_shown(api_as):
    order = shift_order()

    body = _quote(api_as(order.provider), order)
    quote = quote_from_token(body["quote_id"])

    assert (quote.order_id, quote.actor_id, quote.tier) == (order.pk, order.provider_id, body["tier"])
    assert str(quote.fee_to_platform) == body["fee_to_platform"]
    assert str(quote.refund_to_client) == body["refund_to_client"]
    assert quote.credit_delta == body["credit_delta"]


def test_cancelling_with_the_token_stores_the_quote_beside_the_cancellation(api_as):
    order = shift_order()
    api = api_as(order.provider)
    body = _quote(api, order)

    response = _cancel(api, order, body["quote_id"])

    assert response.status_code == 200, response.content
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.quote.token == body["quote_id"]
    assert response.json()["cancellation"]["quote_id"] == body["quote_id"]
    assert str(cancellation.fee_to_platform) == body["fee_to_platform"]


@pytest.mark.parametrize(
    "alter",
    [
        lambda token: token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],  # the signature
        lambda token: token.replace(token[5], "x" if token[5] != "x" else "y", 1),  # the payload
        lambda token: token + "0",
    ],
    ids=["signature", "payload", "longer"],
)
def test_an_altered_token_binds_nothing(api_as, alter):
    order = shift_order()
    api = api_as(order.provider)
    token = _quote(api, order)["quote_id"]

    response = _cancel(api, order, alter(token))

    assert response.status_code == 400
    assert response.json()["code"] == "unknown_quote"
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED


def test_a_token_is_only_good_for_its_caller_and_its_order(api_as):
    mine, other = shift_order(), service_order()
    token = _quote(api_as(mine.provider), mine)["quote_id"]

    on_another_order = _cancel(api_as(other.client), other, token)
    by_the_other_party = _cancel(api_as(mine.client), mine, token)

    assert (on_another_order.status_code, on_another_order.json()["code"]) == (400, "unknown_quote")
    assert (by_the_other_party.status_code, by_the_other_party.json()["code"]) == (400, "unknown_quote")
    mine.refresh_from_db()
    assert mine.state == OrderState.BOOKED


def test_a_second_cancel_with_the_same_token_is_409(api_as):
    order = shift_order()
    api = api_as(order.provider)
    token = _quote(api, order)["quote_id"]
    assert _cancel(api, order, token).status_code == 200

    again = _cancel(api, order, token)

    assert (again.status_code, again.json()["code"]) == (409, "already_cancelled")
    assert CancellationQuote.objects.count() == 1
