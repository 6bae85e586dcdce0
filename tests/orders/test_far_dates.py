"""Dates as far as the calendar goes: no deadline counted from one ever fails (OverflowError, a 500).

Extensions are bounded now, but an order extended to 9999 before that can be in the database,
and a shift may be posted for the last minutes of the calendar.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from core.timeutils import EARLIEST, LATEST, add_business_days, shifted, when_text
from disputes.windows import window_end
from orders.models import Order
from orders.policy import DEFAULT_RULES, OrderFacts, Refusal, Windows, decide
from tests.factories import order_in_progress, shift_order

pytestmark = pytest.mark.django_db

FAR = datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def _due_in_9999(**kwargs) -> Order:
    """An order in progress whose due date an extension moved to 9999 before extensions were bounded."""
    order = order_in_progress(**kwargs)
    Order.objects.filter(pk=order.pk).update(due_at=FAR)
    order.refresh_from_db()
    return order


# --- Pure helpers -----------------------------------------------------------------------------


def test_shifted_stops_at_the_ends_of_the_calendar():
    assert shifted(FAR, timedelta(hours=24)) == LATEST
    assert shifted(datetime(1, 1, 1, 1, tzinfo=UTC), -timedelta(hours=2)) == EARLIEST
    assert shifted(FAR.replace(tzinfo=None), timedelta(days=1)) == LATEST.replace(tzinfo=None)
    assert shifted(NOW, timedelta(hours=1)) == NOW + timedelta(hours=1)


def test_business_days_stop_at_the_end_of_the_calendar():
    assert add_business_days(datetime(9999, 12, 29, 12, tzinfo=UTC), 3) == LATEST
    assert add_business_days(datetime(2025, 1, 3, 12, tzinfo=UTC), 1) == datetime(2025, 1, 6, 12, tzinfo=UTC)


def test_when_text_reads_the_last_instant():
    assert when_text(LATEST) == "9999-12-31 23:59 UTC"


@given(
    start=st.datetimes(min_value=datetime(9999, 12, 1), timezones=st.just(UTC)),
    hours=st.integers(min_value=1, max_value=24 * 30),
    business_days=st.booleans(),
    pause_days=st.integers(min_value=0, max_value=40),
)
def test_a_window_near_the_end_of_the_calendar_closes_at_its_end_at_the_latest(start, hours, business_days, pause_days):
    paused = [(start, shifted(start, timedelta(days=pause_days)))] if pause_days else []

    end = window_end(start, timedelta(hours=hours), business_days=business_days, paused=paused)

    assert start < end <= LATEST


def test_a_window_paused_until_9999_closes_at_the_end_of_the_calendar():
    assert window_end(NOW, timedelta(hours=48), paused=[(NOW, FAR)]) == LATEST


def test_the_engine_decides_an_order_due_in_9999():
    facts = OrderFacts(kind="service", state="in_progress", price=Decimal(100), created_at=NOW, due_at=FAR)

    decision = decide(facts=facts, actor_role="client", now=NOW, rules=DEFAULT_RULES, windows=Windows())

    assert (decision.allowed, decision.code, decision.available_from) == (False, Refusal.USE_RESOLUTION_CENTER, LATEST)


def test_the_engine_decides_a_shift_in_the_last_minutes_of_the_calendar():
    facts = OrderFacts(kind="shift", state="booked", price=Decimal(100), created_at=NOW, starts_at=FAR)

    for role in ("client", "provider", "system"):
        decide(facts=facts, actor_role=role, now=NOW, rules=DEFAULT_RULES, windows=Windows())


# --- The quote and the cancel page of an order due in 9999 --------------------------------------


@pytest.mark.parametrize("party", ["client", "provider"])
def test_api_the_cancellation_quote_of_an_order_due_in_9999_answers_200(api_as, party):
    order = _due_in_9999()

    response = api_as(getattr(order, party)).get(f"/api/v1/orders/{order.pk}/cancellation-quote/")

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["allowed"], body["code"]) == (False, "use_resolution_center")


def test_api_the_order_due_in_9999_reads_and_its_requests_answer(api_as):
    order = _due_in_9999()
    api = api_as(order.client)

    assert api.get(f"/api/v1/orders/{order.pk}/").status_code == 200
    response = api.post(
        f"/api/v1/orders/{order.pk}/requests/",
        {"type": "cancel", "reason": "schedule_change", "refund_percent": "100", "message": "Let us stop"},
        format="json",
    )
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("party", ["client", "provider"])
def test_page_the_cancel_dialog_and_order_page_of_an_order_due_in_9999_answer_200(client, party):
    order = _due_in_9999()
    client.force_login(getattr(order, party))

    dialog = client.get(reverse("order_cancel", args=[order.pk]))
    page = client.get(reverse("order_detail", args=[order.pk]))

    assert (dialog.status_code, page.status_code) == (200, 200)
    assert "Resolution Center" in dialog.content.decode()


def test_a_shift_in_the_last_minutes_of_the_calendar_is_quoted_and_cancelled(api_as, client):
    order = shift_order(starts_at=datetime(9999, 12, 31, 23, 30, tzinfo=UTC), ends_at=LATEST)

    quote = api_as(order.provider).get(f"/api/v1/orders/{order.pk}/cancellation-quote/")
    client.force_login(order.client)
    dialog = client.get(reverse("order_cancel", args=[order.pk]))
    cancel = api_as(order.client).post(f"/api/v1/orders/{order.pk}/cancel/", {"reason": "other"}, format="json")

    assert (quote.status_code, dialog.status_code) == (200, 200)
    assert quote.json()["allowed"] is True
    assert cancel.status_code == 200, cancel.content
