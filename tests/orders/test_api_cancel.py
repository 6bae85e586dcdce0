"""Cancelling over the API: quotes that bind, input and permission errors, the order's record."""

import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from core.jobs import sweep_run
from credit.models import CreditEvent
from orders import services
from orders.cancellation import order_cancel_by_support
from orders.models import PERSON_REASONS, Cancellation, CancellationQuote, LedgerTransaction, Order, Refund
from orders.quotes import quote_from_token
from tests.factories import UserFactory, order_in_progress, service_order, shift_order

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

QUOTE_FIELDS = {
    # the contract
    "quote_id", "allowed", "code", "tier", "refund_to_client", "compensation_to_provider", "fee_to_platform",
    "credit_delta", "counts_against_completion_rate", "valid_until",
    # documented extras
    "message", "policy_version", "currency", "retained_by_platform", "credit_party", "counts_as_complaint", "fault",
    "path", "available_from", "completion_rate_effect", "fee_from_deposit",
}  # fmt: skip

CANCELLATION_FIELDS = {
    "at", "by", "role", "path", "reason", "message", "fault", "tier", "policy_version", "refund_to_client",
    "compensation_to_provider", "retained_by_platform", "fee_to_platform", "credit_delta", "credit_party",
    "counts_against_completion_rate", "counts_as_complaint", "quote_id", "reversed_at",
}  # fmt: skip


def _quote_url(order: Order) -> str:
    return f"/api/v1/orders/{order.pk}/cancellation-quote/"


def _cancel_url(order: Order) -> str:
    return f"/api/v1/orders/{order.pk}/cancel/"


def _snapshot(order: Order) -> tuple:
    """Everything a refused cancellation must leave as it was."""
    order = Order.objects.get(pk=order.pk)
    return (
        order.state,
        order.cancelled_at,
        order.history.count(),
        LedgerTransaction.objects.filter(order=order).count(),
        Cancellation.objects.filter(order=order).count(),
        Refund.objects.filter(order=order).count(),
        CreditEvent.objects.filter(order=order).count(),
    )


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- The quote ------------------------------------------------------------------------------


def test_allowed_quote_has_exactly_the_contract_fields_and_extras(api_as):
    # given
    order = service_order()

    # when
    response = api_as(order.client).get(_quote_url(order))

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == QUOTE_FIELDS
    assert quote_from_token(body["quote_id"]).order_id == order.pk
    assert not CancellationQuote.objects.exists()  # looking at a quote writes nothing
    assert (body["allowed"], body["code"], body["available_from"]) == (True, None, None)
    assert _at(body["valid_until"]).tzinfo is not None


def test_refused_quote_has_the_same_fields_with_nulls_and_stores_nothing(api_as):
    # given
    order = service_order()

    # when
    response = api_as(order.provider).get(_quote_url(order))

    # then
    body = response.json()
    assert set(body) == QUOTE_FIELDS
    assert (body["allowed"], body["code"]) == (False, "use_resolution_center")
    assert body["message"]
    nulls = QUOTE_FIELDS - {"allowed", "code", "message", "policy_version", "currency"}
    assert {k: body[k] for k in nulls} == dict.fromkeys(nulls)
    assert not CancellationQuote.objects.exists()


def test_quote_for_an_in_progress_service_says_when_force_cancel_becomes_possible(api_as):
    # given
    order = order_in_progress()

    # when
    body = api_as(order.client).get(_quote_url(order)).json()

    # then
    assert body["code"] == "use_resolution_center"
    assert _at(body["available_from"]) == order.due_at + timedelta(hours=24)


def test_quote_stores_what_it_shows(api_as):
    # given
    order = shift_order(price=Decimal("80.00"))

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        body = api_as(order.provider).get(_quote_url(order)).json()

    # then
    quote = quote_from_token(body["quote_id"])
    assert (quote.actor, quote.actor_role, quote.tier) == (order.provider, "provider", body["tier"])
    assert (str(quote.fee_to_platform), quote.credit_delta) == (body["fee_to_platform"], body["credit_delta"])
    assert quote.valid_until == _at(body["valid_until"])


# Moments relative to the shift's start, and the end of a quote asked then: 15 minutes
# later, or the next tier's start if that comes first (the no-show rule at +60 min included).
VALID_UNTIL = [
    pytest.param(-30 * 60, -30 * 60 + 15, id="30h-before"),
    pytest.param(-24 * 60 - 10, -24 * 60, id="10min-before-24h-boundary"),
    pytest.param(-23 * 60, -23 * 60 + 15, id="23h-before"),
    pytest.param(-2 * 60 - 5, -2 * 60, id="5min-before-2h-boundary"),
    pytest.param(-60, -45, id="1h-before"),
    pytest.param(50, 60, id="10min-before-no-show"),
]


@pytest.mark.parametrize("role", ["client", "provider"])
@pytest.mark.parametrize(("minutes", "until_minutes"), VALID_UNTIL)
def test_quote_valid_until_never_passes_the_next_tier_boundary(api_as, role, minutes, until_minutes):
    # given
    order = shift_order()

    # when
    with time_machine.travel(order.starts_at + timedelta(minutes=minutes), tick=False):
        body = api_as(getattr(order, role)).get(_quote_url(order)).json()

    # then
    assert _at(body["valid_until"]) == order.starts_at + timedelta(minutes=until_minutes)


def test_quote_ends_when_the_order_would_close_for_lack_of_requirements(api_as):
    # given: a client quote 5 minutes before the 14-day requirements timeout
    order = service_order()

    # when
    with time_machine.travel(order.created_at + timedelta(days=14, minutes=-5), tick=False):
        body = api_as(order.client).get(_quote_url(order)).json()

    # then
    assert _at(body["valid_until"]) == order.created_at + timedelta(days=14)


def test_stranger_asking_for_a_quote_is_404_and_nothing_is_stored(api_as):
    # given
    order = shift_order()

    # when
    response = api_as(UserFactory()).get(_quote_url(order))

    # then
    _assert_problem(response, 404, "not_found")
    assert not CancellationQuote.objects.exists()


def test_staff_who_is_not_a_party_gets_404_for_a_quote(api_as):
    # given
    order = shift_order()

    # when
    response = api_as(UserFactory(support=True)).get(_quote_url(order))

    # then
    _assert_problem(response, 404, "not_found")


def test_quote_without_credentials_is_401(api):
    # given
    order = shift_order()

    # when
    response = api.get(_quote_url(order))

    # then
    _assert_problem(response, 401, "not_authenticated")
    assert not CancellationQuote.objects.exists()


def _history_rich_order(client_user) -> Order:
    """A service order in progress again after three deliveries and two revisions."""
    order = order_in_progress(client=client_user, revisions=2)
    for round_ in range(2):
        services.order_deliver(order=order, actor=order.provider, message=f"v{round_}")
        services.order_request_revision(order=order, actor=client_user, message="Bigger")
    return order


@pytest.mark.parametrize("busy", [False, True])
def test_refused_quote_query_count_does_not_grow_with_history(api_as, django_assert_max_num_queries, busy):
    # given
    me = UserFactory()
    order = _history_rich_order(me) if busy else order_in_progress(client=me)
    client = api_as(me)

    # when / then: token, the order with its trail as order_get reads it (8 with delivery files),
    # a savepoint and its release, the policy's rules
    with django_assert_max_num_queries(12):
        response = client.get(_quote_url(order))
    assert response.json()["code"] == "use_resolution_center"


@pytest.mark.parametrize("role", ["client", "provider"])
def test_allowed_quote_query_count_is_bounded(api_as, django_assert_max_num_queries, role):
    # given
    order = shift_order()
    client = api_as(getattr(order, role))

    # when / then: token, the order, the policy's rules; for the provider also the policy in force
    # and the two counts of their completion rate — and no write (the quote is a token)
    with django_assert_max_num_queries(6 if role == "provider" else 3):
        response = client.get(_quote_url(order))
    assert response.json()["allowed"] is True


# --- Binding, expiry and someone else's quote ----------------------------------------------


def test_valid_quote_binds_its_terms_up_to_its_last_valid_moment(api_as):
    # given: the provider's free quote 5 minutes before the 2–24 h tier (10 % fee) begins
    order = shift_order(price=Decimal("80.00"))
    client = api_as(order.provider)
    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        quote = client.get(_quote_url(order)).json()
    assert (quote["fee_to_platform"], _at(quote["valid_until"])) == ("0.00", order.starts_at - timedelta(hours=24))

    # when: cancelled at the very end of its validity
    with time_machine.travel(_at(quote["valid_until"]), tick=False):
        response = client.post(
            _cancel_url(order), {"reason": "schedule_change", "quote_id": quote["quote_id"]}, format="json"
        )

    # then
    assert response.status_code == 200, response.content
    cancellation = response.json()["cancellation"]
    assert (cancellation["quote_id"], cancellation["tier"], cancellation["fee_to_platform"]) == (
        quote["quote_id"],
        "≥ 24 h before start",
        "0.00",
    )
    assert not LedgerTransaction.objects.filter(order=order, kind="provider_fee").exists()


def test_expired_quote_is_409_quote_expired_and_changes_nothing(api_as):
    # given
    order = shift_order()
    client = api_as(order.provider)
    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        quote = client.get(_quote_url(order)).json()
    before = _snapshot(order)

    # when
    with time_machine.travel(_at(quote["valid_until"]) + timedelta(seconds=1), tick=False):
        response = client.post(_cancel_url(order), {"reason": "other", "quote_id": quote["quote_id"]}, format="json")

    # then
    _assert_problem(response, 409, "quote_expired")
    assert _snapshot(order) == before
    assert not Cancellation.objects.exists()
    assert not Refund.objects.exists()
    assert Order.objects.get(pk=order.pk).state == "booked"


def test_another_users_quote_is_400_naming_quote_id_and_changes_nothing(api_as):
    # given: the client's quote, named by the provider
    order = shift_order()
    quote = api_as(order.client).get(_quote_url(order)).json()
    before = _snapshot(order)

    # when
    response = api_as(order.provider).post(
        _cancel_url(order), {"reason": "other", "quote_id": quote["quote_id"]}, format="json"
    )

    # then
    _assert_problem(response, 400, "unknown_quote")
    assert list(response.json()["errors"]) == ["quote_id"]
    assert _snapshot(order) == before


def test_a_quote_of_another_order_is_400_naming_quote_id(api_as):
    # given
    me = UserFactory()
    order, other = service_order(client=me), service_order(client=me)
    quote = api_as(me).get(_quote_url(other)).json()
    before = _snapshot(order)

    # when
    response = api_as(me).post(_cancel_url(order), {"reason": "other", "quote_id": quote["quote_id"]}, format="json")

    # then
    _assert_problem(response, 400, "unknown_quote")
    assert list(response.json()["errors"]) == ["quote_id"]
    assert _snapshot(order) == before


def test_an_unknown_quote_id_is_400_naming_quote_id(api_as):
    # given
    order = service_order()
    before = _snapshot(order)

    # when
    response = api_as(order.client).post(
        _cancel_url(order), {"reason": "other", "quote_id": str(uuid.uuid4())}, format="json"
    )

    # then
    _assert_problem(response, 400, "unknown_quote")
    assert list(response.json()["errors"]) == ["quote_id"]
    assert _snapshot(order) == before


@pytest.mark.parametrize("quote_id", ["not-a-uuid", 42, ""])
def test_a_malformed_quote_id_is_400_naming_quote_id(api_as, quote_id):
    # given
    order = service_order()
    before = _snapshot(order)

    # when
    response = api_as(order.client).post(_cancel_url(order), {"reason": "other", "quote_id": quote_id}, format="json")

    # then: a number is read as a UUID's integer form, and no quote has that id
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert list(response.json()["errors"]) == ["quote_id"]
    assert _snapshot(order) == before


def test_a_null_quote_id_cancels_at_the_current_terms(api_as):
    # given
    order = service_order()

    # when
    response = api_as(order.client).post(_cancel_url(order), {"reason": "other", "quote_id": None}, format="json")

    # then
    assert response.status_code == 200, response.content
    assert response.json()["cancellation"]["quote_id"] is None


def test_a_used_quote_is_409_already_cancelled(api_as):
    # given
    order = service_order()
    client = api_as(order.client)
    quote = client.get(_quote_url(order)).json()
    client.post(_cancel_url(order), {"reason": "other", "quote_id": quote["quote_id"]}, format="json")
    before = _snapshot(order)

    # when
    response = client.post(_cancel_url(order), {"reason": "logistics", "quote_id": quote["quote_id"]}, format="json")

    # then
    _assert_problem(response, 409, "already_cancelled")
    assert _snapshot(order) == before


def test_a_quote_made_before_the_order_moved_on_is_refused_with_the_current_reason(api_as):
    # given: the client's free quote, then the requirements go in and the work starts
    order = service_order()
    client = api_as(order.client)
    quote = client.get(_quote_url(order)).json()
    order = order_in_progress(order=order)
    before = _snapshot(order)

    # when
    response = client.post(_cancel_url(order), {"reason": "other", "quote_id": quote["quote_id"]}, format="json")

    # then
    _assert_problem(response, 409, "use_resolution_center")
    assert _snapshot(order) == before


# --- Input and permission errors ------------------------------------------------------------


@pytest.mark.parametrize("reason", ["bored", "no_show", "no_requirements", ""])
def test_a_reason_outside_the_taxonomy_is_400_naming_reason(api_as, reason):
    # given
    order = service_order()
    before = _snapshot(order)

    # when
    response = api_as(order.client).post(_cancel_url(order), {"reason": reason}, format="json")

    # then
    _assert_problem(response, 400, "invalid")
    assert list(response.json()["errors"]) == ["reason"]
    assert _snapshot(order) == before


def test_a_missing_reason_is_400_naming_reason(api_as):
    # given
    order = service_order()
    before = _snapshot(order)

    # when
    response = api_as(order.client).post(_cancel_url(order), {"message": "Bye"}, format="json")

    # then
    _assert_problem(response, 400, "invalid")
    assert list(response.json()["errors"]) == ["reason"]
    assert _snapshot(order) == before


def test_a_message_over_5000_characters_is_400_naming_message(api_as):
    # given
    order = service_order()
    before = _snapshot(order)

    # when
    response = api_as(order.client).post(_cancel_url(order), {"reason": "other", "message": "x" * 5001}, format="json")

    # then
    _assert_problem(response, 400, "invalid")
    assert list(response.json()["errors"]) == ["message"]
    assert _snapshot(order) == before


def test_stranger_cancelling_is_404_and_changes_nothing(api_as):
    # given
    order = shift_order()
    before = _snapshot(order)

    # when
    response = api_as(UserFactory()).post(_cancel_url(order), {"reason": "other"}, format="json")

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(order) == before


def test_stranger_naming_a_partys_quote_is_404_and_changes_nothing(api_as):
    # given
    order = shift_order()
    quote = api_as(order.client).get(_quote_url(order)).json()
    before = _snapshot(order)

    # when
    response = api_as(UserFactory()).post(
        _cancel_url(order), {"reason": "other", "quote_id": quote["quote_id"]}, format="json"
    )

    # then
    _assert_problem(response, 404, "not_found")
    assert _snapshot(order) == before


def test_cancelling_without_credentials_is_401(api):
    # given
    order = shift_order()
    before = _snapshot(order)

    # when
    response = api.post(_cancel_url(order), {"reason": "other"}, format="json")

    # then
    _assert_problem(response, 401, "not_authenticated")
    assert _snapshot(order) == before


# --- Idempotency ----------------------------------------------------------------------------


def test_a_repeated_cancel_with_the_same_key_is_replayed_not_redone(api_as):
    # given
    order = shift_order()
    client = api_as(order.provider)
    body = {"reason": "schedule_change", "message": "Sorry"}
    first = client.post(_cancel_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")

    # when
    again = client.post(_cancel_url(order), body, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")

    # then
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json() == first.json()
    assert Cancellation.objects.filter(order=order).count() == 1
    assert Refund.objects.filter(order=order).count() == 1
    assert order.history.filter(transition="cancel").count() == 1


def test_the_same_key_with_another_body_is_422_and_changes_nothing(api_as):
    # given
    order = shift_order()
    client = api_as(order.provider)
    client.post(_cancel_url(order), {"reason": "bored"}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")
    before = _snapshot(order)

    # when
    response = client.post(_cancel_url(order), {"reason": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="cancel-1")

    # then
    _assert_problem(response, 422, "idempotency_key_reused")
    assert _snapshot(order) == before


# --- The order shows how it ended -----------------------------------------------------------


def test_an_open_order_has_no_cancellation_and_no_refunds(api_as):
    # given
    order = shift_order()

    # when
    body = api_as(order.client).get(f"/api/v1/orders/{order.pk}/").json()

    # then
    assert (body["cancellation"], body["refunds"]) == (None, [])


def test_a_cancelled_order_shows_its_cancellation_and_refund(api_as):
    # given
    order = shift_order(price=Decimal("80.00"))
    with time_machine.travel(order.starts_at - timedelta(hours=5), tick=False):
        api_as(order.client).post(_cancel_url(order), {"reason": "logistics", "message": "Venue moved"}, format="json")

    # when
    body = api_as(order.provider).get(f"/api/v1/orders/{order.pk}/").json()

    # then
    cancellation = body["cancellation"]
    assert set(cancellation) == CANCELLATION_FIELDS
    assert (cancellation["by"], cancellation["role"], cancellation["reason"], cancellation["message"]) == (
        order.client.username,
        "client",
        "logistics",
        "Venue moved",
    )
    assert (cancellation["policy_version"], cancellation["quote_id"], cancellation["reversed_at"]) == (1, None, None)
    assert _at(cancellation["at"]) == order.starts_at - timedelta(hours=5)
    (refund,) = body["refunds"]
    assert set(refund) == {
        "id",
        "amount",
        "currency",
        "status",
        "settle_after",
        "settled_at",
        "cancelled_at",
        "attempts",
    }
    assert (refund["amount"], refund["currency"], refund["status"]) == ("72.00", "EUR", "pending")
    assert (refund["attempts"], refund["settled_at"]) == (0, None)
    assert _at(refund["settle_after"]) > _at(cancellation["at"])
    assert body["history"][-1]["to"] == "cancelled"


def test_a_cancellation_by_the_system_shows_nobody_as_its_author(api_as):
    # given: the provider did not show up
    order = shift_order()
    with time_machine.travel(order.starts_at + timedelta(minutes=60), tick=False):
        sweep_run("orders.cancel_no_shows")

    # when
    cancellation = api_as(order.client).get(f"/api/v1/orders/{order.pk}/").json()["cancellation"]

    # then
    assert (cancellation["by"], cancellation["role"], cancellation["reason"], cancellation["path"]) == (
        None,
        "system",
        "no_show",
        "no_show",
    )


def test_a_cancellation_without_a_refund_lists_none(api_as):
    # given: support rules that the provider keeps the whole price
    order = shift_order()
    order_cancel_by_support(
        order=order, actor=UserFactory(support=True), fault="none", reason="other", message="Paid", refund_percent=0
    )

    # when
    body = api_as(order.client).get(f"/api/v1/orders/{order.pk}/").json()

    # then
    assert (body["cancellation"]["refund_to_client"], body["refunds"]) == ("0.00", [])
    assert body["cancellation"]["role"] == "support"


@pytest.mark.parametrize("who", ["client", "provider"])
def test_cancelled_order_detail_query_count_is_bounded(api_as, django_assert_max_num_queries, who):
    # given
    order = shift_order()
    api_as(getattr(order, who)).post(_cancel_url(order), {"reason": "other"}, format="json")
    client = api_as(order.client)

    # when / then: token, the order with its cancellation, history, transactions, entries,
    # accounts, payments, deliveries, refunds
    with django_assert_max_num_queries(9):
        response = client.get(f"/api/v1/orders/{order.pk}/")
    assert response.json()["cancellation"]["role"] == who


# --- The reasons ----------------------------------------------------------------------------


def test_cancellation_reasons_list_the_taxonomy(api_as):
    # when
    response = api_as(UserFactory()).get("/api/v1/cancellation-reasons/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [(r["code"], r["label"]) for r in body["results"]] == [(code, str(label)) for code, label in PERSON_REASONS]
    assert {"not_as_described", "service_quality", "schedule_change", "logistics", "client_changed_demand",
            "force_majeure", "other"} == {r["code"] for r in body["results"]}  # fmt: skip


def test_cancellation_reasons_need_credentials(api):
    # when
    response = api.get("/api/v1/cancellation-reasons/")

    # then
    _assert_problem(response, 401, "not_authenticated")


def test_schema_describes_the_cancellation_endpoints(api):
    # when
    schema = api.get("/api/v1/schema/?format=json").json()

    # then
    quote = schema["paths"]["/api/v1/orders/{id}/cancellation-quote/"]["get"]
    cancel = schema["paths"]["/api/v1/orders/{id}/cancel/"]["post"]
    assert set(quote["responses"]) == {"200", "401", "404", "429"}
    assert set(cancel["responses"]) == {"200", "400", "401", "403", "404", "409", "413", "415", "422", "429"}
    assert "Idempotency-Key" in {p["name"] for p in cancel["parameters"]}
    assert "/api/v1/cancellation-reasons/" in schema["paths"]
    properties = schema["components"]["schemas"]["CancellationQuoteOutput"]["properties"]
    assert set(properties) == QUOTE_FIELDS
