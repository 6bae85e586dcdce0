"""PRODUCT.md's cancellation table, row by row, driven through the partner API.

Each row a party can act on is quoted and then cancelled over the API with "now" placed
relative to the shift's start or the service's due time; each refusal is checked to change
nothing.
"""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine

from credit.models import CreditEvent
from orders.models import Cancellation, CancellationQuote, LedgerTransaction, Order, Refund
from tests.factories import (
    order_completed,
    order_delivered,
    order_in_progress,
    order_late,
    service_order,
    shift_checked_in,
    shift_completed,
    shift_order,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"

# The terms a quote and the executed cancellation share.
TERMS = (
    "tier",
    "path",
    "refund_to_client",
    "compensation_to_provider",
    "retained_by_platform",
    "fee_to_platform",
    "credit_delta",
    "credit_party",
    "counts_against_completion_rate",
    "counts_as_complaint",
    "fault",
    "policy_version",
)


def _quote(api_as, order: Order, actor) -> dict:
    response = api_as(actor).get(f"/api/v1/orders/{order.pk}/cancellation-quote/")
    assert response.status_code == 200, response.content
    return response.json()


def _cancel(api_as, order: Order, actor, **body):
    return api_as(actor).post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "other", **body}, format="json")


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
        CancellationQuote.objects.filter(order=order).count(),
    )


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value)


# --- Client cancels a service order still awaiting requirements ---------------------------


def test_client_quote_before_requirements_is_free_with_a_full_refund(api_as):
    # given
    order = service_order(price=Decimal("120.00"))

    # when
    quote = _quote(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["code"], quote["message"]) == (True, None, None)
    assert (quote["path"], quote["refund_to_client"], quote["compensation_to_provider"]) == (
        "client_awaiting_requirements",
        "120.00",
        "0.00",
    )
    assert (quote["fee_to_platform"], quote["credit_delta"], quote["credit_party"]) == ("0.00", 0, None)
    assert quote["counts_against_completion_rate"] is False
    assert (quote["currency"], quote["policy_version"]) == ("EUR", 1)


def test_client_cancels_before_requirements_and_everything_is_refunded(api_as):
    # given
    order = service_order(price=Decimal("120.00"))

    # when
    response = _cancel(api_as, order, order.client, reason="schedule_change", message="Not needed any more")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "cancelled"
    cancellation = body["cancellation"]
    assert (cancellation["path"], cancellation["refund_to_client"], cancellation["counts_against_completion_rate"]) == (
        "client_awaiting_requirements",
        "120.00",
        False,
    )
    assert (cancellation["reason"], cancellation["message"]) == ("schedule_change", "Not needed any more")
    assert [(r["amount"], r["status"]) for r in body["refunds"]] == [("120.00", "pending")]
    assert not CreditEvent.objects.filter(order=order).exists()


# --- Provider cancels a booked shift --------------------------------------------------------


PROVIDER_TIERS = [
    # hours before start, tier, fee, credit change, counts against the completion rate, complaint
    pytest.param(30, "≥ 24 h before start", "0.00", 0, False, False, id="24h-or-more"),
    pytest.param(5, "2–24 h before start", "8.00", 0, True, False, id="2-to-24h"),
    pytest.param(1, "< 2 h before start", "8.00", -10, True, True, id="under-2h"),
]


@pytest.mark.parametrize(("hours", "tier", "fee", "credit", "counts", "complaint"), PROVIDER_TIERS)
def test_provider_quote_for_a_shift_follows_the_tier(api_as, hours, tier, fee, credit, counts, complaint):
    # given
    order = shift_order(price=Decimal("80.00"))

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=hours), tick=False):
        quote = _quote(api_as, order, order.provider)

    # then
    assert (quote["allowed"], quote["path"], quote["tier"]) == (True, "provider_shift", tier)
    assert (quote["refund_to_client"], quote["compensation_to_provider"]) == ("80.00", "0.00")
    assert (quote["fee_to_platform"], quote["credit_delta"]) == (fee, credit)
    assert quote["credit_party"] == ("provider" if credit else None)
    assert (quote["counts_against_completion_rate"], quote["counts_as_complaint"]) == (counts, complaint)


@pytest.mark.parametrize(("hours", "tier", "fee", "credit", "counts", "complaint"), PROVIDER_TIERS)
def test_provider_cancels_a_shift_and_pays_the_tiers_fee_and_credit(
    api_as, hours, tier, fee, credit, counts, complaint
):
    # given
    order = shift_order(price=Decimal("80.00"))

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=hours), tick=False):
        response = _cancel(api_as, order, order.provider, reason="schedule_change")

    # then
    assert response.status_code == 200, response.content
    cancellation = response.json()["cancellation"]
    assert (cancellation["tier"], cancellation["fee_to_platform"], cancellation["credit_delta"]) == (tier, fee, credit)
    assert (cancellation["counts_against_completion_rate"], cancellation["counts_as_complaint"]) == (counts, complaint)
    assert list(CreditEvent.objects.filter(user=order.provider).values_list("delta", flat=True)) == (
        [credit] if credit else []
    )
    fees = LedgerTransaction.objects.filter(order=order, kind="provider_fee").count()
    assert fees == (1 if fee != "0.00" else 0)


# --- Client cancels a booked shift ----------------------------------------------------------


CLIENT_TIERS = [
    # hours before start, tier, refund to the client, compensation to the provider
    pytest.param(30, "≥ 24 h before start", "80.00", "0.00", id="24h-or-more"),
    pytest.param(5, "2–24 h before start", "72.00", "8.00", id="2-to-24h"),
    pytest.param(1, "< 2 h before start", "56.00", "24.00", id="under-2h"),
]


@pytest.mark.parametrize(("hours", "tier", "refund", "compensation"), CLIENT_TIERS)
def test_client_quote_for_a_shift_follows_the_tier(api_as, hours, tier, refund, compensation):
    # given
    order = shift_order(price=Decimal("80.00"))

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=hours), tick=False):
        quote = _quote(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["path"], quote["tier"]) == (True, "client_shift", tier)
    assert (quote["refund_to_client"], quote["compensation_to_provider"]) == (refund, compensation)
    assert (quote["fee_to_platform"], quote["retained_by_platform"], quote["credit_delta"]) == ("0.00", "0.00", 0)
    assert quote["counts_against_completion_rate"] is False


@pytest.mark.parametrize(("hours", "tier", "refund", "compensation"), CLIENT_TIERS)
def test_client_cancels_a_shift_and_the_escrow_is_split_by_tier(api_as, hours, tier, refund, compensation):
    # given
    order = shift_order(price=Decimal("80.00"))

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=hours), tick=False):
        response = _cancel(api_as, order, order.client, reason="client_changed_demand")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    cancellation = body["cancellation"]
    assert (cancellation["tier"], cancellation["refund_to_client"], cancellation["compensation_to_provider"]) == (
        tier,
        refund,
        compensation,
    )
    assert [r["amount"] for r in body["refunds"]] == [refund]
    (split,) = [t for t in body["ledger_transactions"] if t["kind"] == "cancellation"]
    provider_entries = [e["amount"] for e in split["entries"] if e["account"] == "provider"]
    assert provider_entries == ([f"-{compensation}"] if compensation != "0.00" else [])
    assert not CreditEvent.objects.filter(order=order).exists()


# --- Client force-cancels a late service order ---------------------------------------------


def test_client_quote_for_a_late_order_24h_past_due_is_a_force_cancel(api_as):
    # given
    order = order_late(price=Decimal("120.00"))

    # when
    with time_machine.travel(order.due_at + timedelta(hours=24, minutes=1), tick=False):
        quote = _quote(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["path"], quote["fault"]) == (True, "client_force_late", "provider")
    assert (quote["refund_to_client"], quote["credit_delta"], quote["credit_party"]) == ("120.00", -5, "provider")
    assert quote["counts_against_completion_rate"] is True


def test_client_force_cancels_a_late_order_24h_past_due(api_as):
    # given
    order = order_late(price=Decimal("120.00"))

    # when
    with time_machine.travel(order.due_at + timedelta(hours=24, minutes=1), tick=False):
        response = _cancel(api_as, order, order.client, reason="service_quality")

    # then
    assert response.status_code == 200, response.content
    body = response.json()
    cancellation = body["cancellation"]
    assert (body["state"], cancellation["path"], cancellation["fault"]) == (
        "cancelled",
        "client_force_late",
        "provider",
    )
    assert (cancellation["refund_to_client"], cancellation["counts_against_completion_rate"]) == ("120.00", True)
    assert [r["amount"] for r in body["refunds"]] == ["120.00"]
    assert list(CreditEvent.objects.filter(user=order.provider).values_list("delta", flat=True)) == [-5]


def test_client_quote_for_a_late_order_before_the_grace_ends_says_when_it_will_be_possible(api_as):
    # given
    order = order_late()

    # when
    with time_machine.travel(order.due_at + timedelta(hours=23), tick=False):
        quote = _quote(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["code"]) == (False, "late_grace_not_over")
    assert "24 hours" in quote["message"]
    assert _at(quote["available_from"]) == order.due_at + timedelta(hours=24)
    assert quote["quote_id"] is None
    assert not CancellationQuote.objects.exists()


def test_client_force_cancel_before_the_grace_ends_is_409_and_changes_nothing(api_as):
    # given
    order = order_late()
    before = _snapshot(order)

    # when
    with time_machine.travel(order.due_at + timedelta(hours=23), tick=False):
        response = _cancel(api_as, order, order.client)

    # then
    _assert_problem(response, 409, "late_grace_not_over")
    assert "24 hours" in response.json()["detail"]
    assert _snapshot(order) == before


# --- Refusals: the Resolution Center, support, or nothing at all ----------------------------


@pytest.mark.parametrize("role", ["client", "provider"])
def test_quote_for_a_service_in_progress_says_use_the_resolution_center(api_as, role):
    # given
    order = order_in_progress()

    # when
    quote = _quote(api_as, order, getattr(order, role))

    # then
    assert (quote["allowed"], quote["code"]) == (False, "use_resolution_center")
    assert "Resolution Center" in quote["message"]
    assert [quote[k] for k in ("quote_id", "tier", "refund_to_client", "valid_until")] == [None] * 4


@pytest.mark.parametrize("role", ["client", "provider"])
def test_cancelling_a_service_in_progress_is_409_use_resolution_center(api_as, role):
    # given
    order = order_in_progress()
    before = _snapshot(order)

    # when
    response = _cancel(api_as, order, getattr(order, role))

    # then
    _assert_problem(response, 409, "use_resolution_center")
    assert "Resolution Center" in response.json()["detail"]
    assert _snapshot(order) == before


def test_provider_cancelling_a_service_awaiting_requirements_is_409_use_resolution_center(api_as):
    # given
    order = service_order()
    before = _snapshot(order)

    # when
    response = _cancel(api_as, order, order.provider)

    # then
    _assert_problem(response, 409, "use_resolution_center")
    assert _snapshot(order) == before


def test_cancelling_a_delivered_order_is_409_delivered_use_resolution_center(api_as):
    # given
    order = order_delivered()
    before = _snapshot(order)

    # when
    quote = _quote(api_as, order, order.client)
    response = _cancel(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["code"]) == (False, "delivered_use_resolution_center")
    _assert_problem(response, 409, "delivered_use_resolution_center")
    assert _snapshot(order) == before


@pytest.mark.parametrize("role", ["client", "provider"])
def test_cancelling_a_checked_in_shift_is_409_shift_under_way(api_as, role):
    # given
    order = shift_checked_in()
    before = _snapshot(order)

    # when
    with time_machine.travel(order.starts_at + timedelta(minutes=10), tick=False):
        quote = _quote(api_as, order, getattr(order, role))
        response = _cancel(api_as, order, getattr(order, role))

    # then
    assert (quote["allowed"], quote["code"]) == (False, "shift_under_way")
    _assert_problem(response, 409, "shift_under_way")
    assert _snapshot(order) == before


@pytest.mark.parametrize("make", [shift_completed, order_completed], ids=["shift", "service"])
def test_cancelling_a_completed_order_is_409_order_closed(api_as, make):
    # given
    order = make()
    before = _snapshot(order)

    # when
    quote = _quote(api_as, order, order.client)
    response = _cancel(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["code"]) == (False, "order_closed")
    _assert_problem(response, 409, "order_closed")
    assert "after-sales" in response.json()["detail"]
    assert _snapshot(order) == before


def test_quote_for_a_cancelled_order_says_order_closed(api_as):
    # given
    order = service_order()
    _cancel(api_as, order, order.client)

    # when
    quote = _quote(api_as, order, order.client)

    # then
    assert (quote["allowed"], quote["code"], quote["quote_id"]) == (False, "order_closed", None)


@pytest.mark.parametrize("role", ["client", "provider"])
def test_cancelling_a_cancelled_order_is_409_already_cancelled(api_as, role):
    # given
    order = shift_order()
    _cancel(api_as, order, order.client)
    before = _snapshot(order)

    # when
    response = _cancel(api_as, order, getattr(order, role))

    # then
    _assert_problem(response, 409, "already_cancelled")
    assert _snapshot(order) == before


# --- The quote is what is executed ----------------------------------------------------------


ALLOWED_ROWS = [
    pytest.param("client", lambda: service_order(), None, id="client-before-requirements"),
    pytest.param("provider", lambda: shift_order(), -30, id="provider-shift-24h-or-more"),
    pytest.param("provider", lambda: shift_order(), -5, id="provider-shift-2-to-24h"),
    pytest.param("provider", lambda: shift_order(), -1, id="provider-shift-under-2h"),
    pytest.param("client", lambda: shift_order(), -30, id="client-shift-24h-or-more"),
    pytest.param("client", lambda: shift_order(), -5, id="client-shift-2-to-24h"),
    pytest.param("client", lambda: shift_order(), -1, id="client-shift-under-2h"),
    pytest.param("client", order_late, 25, id="client-force-cancel-late"),
]


def _moment(order: Order, hours: int | None) -> datetime:
    if hours is None:
        return order.created_at + timedelta(minutes=1)
    return (order.starts_at or order.due_at) + timedelta(hours=hours)


@pytest.mark.parametrize(("role", "make", "hours"), ALLOWED_ROWS)
def test_cancel_naming_the_quote_executes_exactly_its_terms(api_as, role, make, hours):
    # given
    order = make()
    actor = getattr(order, role)
    moment = _moment(order, hours)
    with time_machine.travel(moment, tick=False):
        quote = _quote(api_as, order, actor)

    # when
    with time_machine.travel(moment + timedelta(minutes=5), tick=False):
        response = _cancel(api_as, order, actor, quote_id=quote["quote_id"])

    # then
    assert response.status_code == 200, response.content
    cancellation = response.json()["cancellation"]
    assert {k: cancellation[k] for k in TERMS} == {k: quote[k] for k in TERMS}
    assert cancellation["quote_id"] == quote["quote_id"]
    stored = Cancellation.objects.get(order=order)
    assert (str(stored.refund_to_client), str(stored.fee_to_platform), stored.credit_delta) == (
        quote["refund_to_client"],
        quote["fee_to_platform"],
        quote["credit_delta"],
    )


@pytest.mark.parametrize(("role", "make", "hours"), ALLOWED_ROWS)
def test_cancel_without_a_quote_executes_what_a_quote_at_that_moment_says(api_as, role, make, hours):
    # given
    order = make()
    actor = getattr(order, role)
    moment = _moment(order, hours)

    # when
    with time_machine.travel(moment, tick=False):
        quote = _quote(api_as, order, actor)
        response = _cancel(api_as, order, actor)

    # then
    assert response.status_code == 200, response.content
    cancellation = response.json()["cancellation"]
    assert {k: cancellation[k] for k in TERMS} == {k: quote[k] for k in TERMS}
    assert cancellation["quote_id"] is None
