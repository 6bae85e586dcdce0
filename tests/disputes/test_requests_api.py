"""The partner API for resolution requests: the paths, fields and codes of API.md."""

from datetime import timedelta
from decimal import Decimal

import pytest

from disputes.models import ResolutionRequest
from orders.models import OrderState
from tests.disputes.test_requests_services import open_cancel, open_update, snapshot
from tests.factories import UserFactory, order_completed, order_in_progress

pytestmark = pytest.mark.django_db

DETAIL_FIELDS = {
    "id",
    "type",
    "state",
    "order",
    "author",
    "respond_by",
    "resolved_at",
    "resolution",
    "reason",
    "message",
    "refund_percent",
    "new_due_at",
    "response_message",
    "consequences",
}


def _requests_url(order) -> str:
    return f"/api/v1/orders/{order.pk}/requests/"


def test_a_party_opens_a_cancel_request_201_with_the_contract_fields(api_as):
    order = order_in_progress(price=Decimal("120.00"))

    response = api_as(order.client).post(
        _requests_url(order),
        {"type": "cancel", "reason": "schedule_change", "message": "Plans changed", "refund_percent": "80"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) >= DETAIL_FIELDS
    assert (body["type"], body["state"], body["order"], body["author"]["id"]) == (
        "cancel",
        "open",
        order.pk,
        order.client.pk,
    )
    assert (body["refund_percent"], body["resolution"], body["resolved_at"]) == ("80.00", None, None)
    assert body["actions"] == ["withdraw"]
    assert body["consequences"]["refund_to_client"] == "96.00"
    assert body["consequences"]["completion_rate_effect"] is None  # the client never sees a provider's rate


def test_a_second_open_request_is_409_request_already_open(api_as):
    order = order_in_progress()
    open_cancel(order)

    response = api_as(order.provider).post(
        _requests_url(order),
        {
            "type": "extend_delivery",
            "message": "More time",
            "new_due_at": (order.due_at + timedelta(days=2)).isoformat(),
        },
        format="json",
    )

    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "request_already_open"
    assert ResolutionRequest.objects.count() == 1


def test_a_request_on_a_completed_order_is_409(api_as):
    order = order_completed()

    response = api_as(order.client).post(
        _requests_url(order), {"type": "request_update", "message": "?"}, format="json"
    )

    assert response.status_code == 409 and response.json()["code"] == "order_closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "cancel", "message": "x", "refund_percent": "50"}, "reason"),
        ({"type": "cancel", "message": "x", "reason": "other"}, "refund_percent"),
        ({"type": "cancel", "message": "x", "reason": "other", "refund_percent": "120"}, "refund_percent"),
        ({"type": "extend_delivery", "message": "x"}, "new_due_at"),
        ({"type": "refund_me", "message": "x"}, "type"),
        ({"type": "request_update"}, "message"),
    ],
)
def test_invalid_requests_are_400_naming_the_field(api_as, body, field):
    order = order_in_progress()

    response = api_as(order.client).post(_requests_url(order), body, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not ResolutionRequest.objects.exists()


def test_someone_elses_order_is_404_and_no_token_is_401(api_as, api):
    order = order_in_progress()

    assert api_as(UserFactory()).get(_requests_url(order)).status_code == 404
    assert api.get(_requests_url(order)).status_code == 401


def test_the_provider_asking_for_an_update_is_403_wrong_party(api_as):
    order = order_in_progress()

    response = api_as(order.provider).post(
        _requests_url(order), {"type": "request_update", "message": "?"}, format="json"
    )

    assert response.status_code == 403 and response.json()["code"] == "wrong_party"


def test_the_list_is_paginated_newest_first_in_a_bounded_number_of_queries(api_as, django_assert_max_num_queries):
    order = order_in_progress()
    from disputes.services.requests import request_withdraw

    for _ in range(5):
        request_withdraw(resolution_request=open_update(order), actor=order.client)
    open_cancel(order)
    client = api_as(order.client)

    with django_assert_max_num_queries(6):
        response = client.get(_requests_url(order))

    body = response.json()
    assert response.status_code == 200
    assert {"results", "next", "previous"} <= set(body)
    assert [r["state"] for r in body["results"]] == ["open"] + ["withdrawn"] * 5


def test_the_provider_sees_the_consequences_with_their_completion_rate_before_accepting(api_as):
    order = order_in_progress(price=Decimal("120.00"))
    r = open_cancel(order, percent="50")

    body = api_as(order.provider).get(f"/api/v1/requests/{r.pk}/").json()

    assert body["actions"] == ["accept", "decline"]
    c = body["consequences"]
    assert (c["allowed"], c["refund_to_client"], c["compensation_to_provider"], c["fee_to_platform"]) == (
        True,
        "60.00",
        "60.00",
        "0.00",
    )
    assert (c["credit_delta"], c["counts_against_completion_rate"], c["currency"]) == (0, True, "EUR")
    effect = c["completion_rate_effect"]
    assert effect["before"]["counted_cancellations"] == 0 and effect["after"]["counted_cancellations"] == 1


def test_accept_cancels_the_order_and_returns_the_closed_request(api_as):
    order = order_in_progress()
    r = open_cancel(order)

    response = api_as(order.provider).post(f"/api/v1/requests/{r.pk}/accept/", {}, format="json")

    assert response.status_code == 200
    body = response.json()
    assert (body["state"], body["resolution"], body["consequences"], body["actions"]) == (
        "accepted",
        "by_party",
        None,
        [],
    )
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED


def test_accepting_twice_is_409_and_the_author_accepting_is_403(api_as):
    order = order_in_progress()
    r = open_cancel(order)

    assert api_as(order.client).post(f"/api/v1/requests/{r.pk}/accept/").json()["code"] == "wrong_party"
    api_as(order.provider).post(f"/api/v1/requests/{r.pk}/accept/")
    before = snapshot(order)
    again = api_as(order.provider).post(f"/api/v1/requests/{r.pk}/accept/")

    assert again.status_code == 409 and again.json()["code"] == "request_not_open"
    assert snapshot(order) == before


def test_decline_needs_a_message(api_as):
    order = order_in_progress()
    r = open_cancel(order)
    client = api_as(order.provider)

    assert client.post(f"/api/v1/requests/{r.pk}/decline/", {}, format="json").status_code == 400
    response = client.post(f"/api/v1/requests/{r.pk}/decline/", {"message": "Almost done"}, format="json")

    assert response.status_code == 200
    assert (response.json()["state"], response.json()["response_message"]) == ("declined", "Almost done")


def test_withdraw_by_the_author_and_respond_by_the_provider(api_as):
    order = order_in_progress()
    r = open_cancel(order)
    assert api_as(order.provider).post(f"/api/v1/requests/{r.pk}/withdraw/").status_code == 403
    assert api_as(order.client).post(f"/api/v1/requests/{r.pk}/withdraw/").json()["state"] == "withdrawn"

    update = open_update(order)
    refused = api_as(order.provider).post(f"/api/v1/requests/{update.pk}/accept/")
    answered = api_as(order.provider).post(
        f"/api/v1/requests/{update.pk}/respond/", {"message": "Draft on Friday"}, format="json"
    )

    assert refused.status_code == 409 and refused.json()["code"] == "answer_with_respond"
    assert answered.status_code == 200
    assert (answered.json()["state"], answered.json()["response_message"]) == ("accepted", "Draft on Friday")


def test_a_stranger_gets_404_for_a_request(api_as):
    order = order_in_progress()
    r = open_cancel(order)

    assert api_as(UserFactory()).get(f"/api/v1/requests/{r.pk}/").status_code == 404
    assert api_as(UserFactory()).post(f"/api/v1/requests/{r.pk}/accept/").status_code == 404


def test_a_repeated_idempotency_key_replays_the_first_answer(api_as):
    order = order_in_progress()
    client = api_as(order.client)
    body = {"type": "request_update", "message": "News?"}

    first = client.post(_requests_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = client.post(_requests_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="k1")

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert ResolutionRequest.objects.count() == 1


def test_the_schema_describes_every_request_path_and_field(api):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    assert set(paths["/api/v1/orders/{id}/requests/"]) >= {"get", "post"}
    for action in ("accept", "decline", "withdraw", "respond"):
        assert "post" in paths[f"/api/v1/requests/{{id}}/{action}/"]
    detail = schema["components"]["schemas"]["RequestOutput"]["properties"]
    assert set(detail) >= DETAIL_FIELDS
