"""No date given to the API, however far, naive or malformed, ever gets a 5xx (hypothesis).

Every date-time the API takes in is here (a test reads them from the schema, so a new one
must join), with what follows from it: a shift posted for any date is booked and quoted, an
extension for any date is asked and read, time away announced for any dates re-counts the
windows of the requests sent to its author and they are read again.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.disputes.test_requests_services import open_cancel
from tests.factories import UserFactory, order_in_progress, shift_order

pytestmark = pytest.mark.django_db

EXAMPLES = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

offsets = st.builds(
    timezone, st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59))
)
# Any instant from year 1 to 9999: naive, UTC or at any offset, as ISO 8601 text.
datetimes = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.none() | offsets
).map(datetime.isoformat)
EDGES = [
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999+00:00",
    "9999-12-31T23:59:59+14:00",
    "9999-12-31T23:59:59-12:00",
    "9999-12-31T23:59:59",
    "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00-01:00",
    "0001-01-01",
    "10000-01-01T00:00:00Z",
    "+010000-01-01T00:00:00Z",
    "-0001-01-01T00:00:00Z",
    "2030-02-30T10:00:00Z",
    "2030-13-01T10:00:00Z",
    "2030-01-01T25:00:00Z",
    "2030-01-01T10:00:00+25:00",
    "2030-01-01",
    "tomorrow",
    "",
    "9" * 400,
]
malformed = st.one_of(
    st.text(max_size=40),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
near_now = st.integers(min_value=-(10**6), max_value=10**6).map(
    lambda minutes: (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()
)
# The last week of the calendar, where a deadline counted from a date runs off its end.
calendar_end = st.datetimes(
    min_value=datetime(9999, 12, 24), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(UTC)
)
dates = st.one_of(
    st.sampled_from(EDGES), datetimes, calendar_end.map(datetime.isoformat), near_now, st.none(), malformed
)
# A shift's start and end: any two dates, or two in order in the calendar's last hours.
last_hours = st.datetimes(
    min_value=datetime(9999, 12, 31, 21), max_value=datetime(9999, 12, 31, 23, 59, 59), timezones=st.just(UTC)
)
shift_times = st.one_of(
    st.tuples(dates, dates),
    st.lists(last_hours, min_size=2, max_size=2, unique=True).map(
        lambda pair: tuple(value.isoformat() for value in sorted(pair))
    ),
)

COVERED = {
    ("get", "/api/v1/me/calendar/", "start"),
    ("get", "/api/v1/me/calendar/", "end"),
    ("get", "/api/v1/listings/", "starts_after"),
    ("get", "/api/v1/listings/", "starts_before"),
    ("post", "/api/v1/listings/", "starts_at"),
    ("post", "/api/v1/listings/", "ends_at"),
    ("post", "/api/v1/orders/{id}/requests/", "new_due_at"),
    ("post", "/api/v1/orders/{id}/requests/", "new_starts_at"),
    ("post", "/api/v1/orders/{id}/requests/", "new_ends_at"),
    ("put", "/api/v1/me/availability/", "announcement.starts_at"),
    ("put", "/api/v1/me/availability/", "announcement.ends_at"),
}


@contextlib.contextmanager
def rolled_back():
    """Each example starts from the same database: what it wrote is undone after it."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def assert_no_5xx(*responses) -> None:
    for response in responses:
        assert response.status_code < 500, (response.request["PATH_INFO"], response.content[:500])


def _date_inputs(schema: dict) -> set[tuple[str, str, str]]:
    """(method, path, field) of every date-time the API takes in, by the served schema."""
    components = schema["components"]["schemas"]
    found: set[tuple[str, str, str]] = set()

    def walk(node: dict, field: str, key: tuple[str, str], seen: frozenset) -> None:
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components[name], field, key, seen | {name})
            return
        for sub in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
            walk(sub, field, key, seen)
        if node.get("format") in ("date-time", "date"):
            found.add((*key, field))
        for name, prop in node.get("properties", {}).items():
            if not prop.get("readOnly"):
                walk(prop, f"{field}.{name}" if field else name, key, seen)
        if "items" in node:
            walk(node["items"], f"{field}[]", key, seen)

    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter.get("schema", {}).get("format") in ("date-time", "date"):
                    found.add((method, path, parameter["name"]))
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], "", (method, path), frozenset())
    return found


def test_every_date_the_api_takes_in_is_covered_here(api):
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    assert _date_inputs(schema) == COVERED


def test_calendar_dates_never_give_a_5xx(api_as):
    api = api_as(UserFactory())

    @EXAMPLES
    @given(days=shift_times)
    def check(days):
        start, end = (value[:10] if isinstance(value, str) else value for value in days)
        params = {name: value for name, value in (("start", start), ("end", end)) if value}
        response = api.get("/api/v1/me/calendar/", params)
        assert_no_5xx(response)
        assert response.status_code in (200, 400)

    check()


def test_listing_filter_dates_never_give_a_5xx(api_as):
    api = api_as(UserFactory())

    @EXAMPLES
    @given(times=shift_times)
    def check(times):
        after, before = times
        params = {name: value for name, value in (("starts_after", after), ("starts_before", before)) if value}
        response = api.get("/api/v1/listings/", {**params, "kind": "shift"})
        assert_no_5xx(response)
        assert response.status_code in (200, 400)

    check()


def test_listing_dates_never_give_a_5xx(api_as):
    client_api, provider_api = api_as(UserFactory()), api_as(UserFactory())

    @EXAMPLES
    @given(times=shift_times)
    def check(times):
        starts_at, ends_at = times
        with rolled_back():
            listing = client_api.post(
                "/api/v1/listings/",
                {
                    "kind": "shift",
                    "title": "Bar shift",
                    "price": "80.00",
                    "location": "Utrecht",
                    "starts_at": starts_at,
                    "ends_at": ends_at,
                },
                format="json",
            )
            assert_no_5xx(listing)
            if listing.status_code != 201:
                return
            booked = provider_api.post("/api/v1/orders/", {"listing": listing.json()["id"]}, format="json")
            assert_no_5xx(booked)
            if booked.status_code != 201:
                return
            order_url = f"/api/v1/orders/{booked.json()['id']}/"
            assert_no_5xx(
                client_api.get(order_url),
                client_api.get(f"{order_url}cancellation-quote/"),
                provider_api.get(f"{order_url}cancellation-quote/"),
                provider_api.post(f"{order_url}check-in/", {}, format="json"),
                provider_api.post(f"{order_url}cancel/", {"reason": "other"}, format="json"),
            )

    check()


def test_extension_dates_never_give_a_5xx(api_as):
    order = order_in_progress()
    client_api, provider_api = api_as(order.client), api_as(order.provider)

    @EXAMPLES
    @given(new_due_at=dates)
    def check(new_due_at):
        with rolled_back():
            asked = provider_api.post(
                f"/api/v1/orders/{order.pk}/requests/",
                {"type": "extend_delivery", "new_due_at": new_due_at, "message": "More time"},
                format="json",
            )
            assert_no_5xx(asked)
            if asked.status_code != 201:
                return
            request_url = f"/api/v1/requests/{asked.json()['id']}/"
            assert_no_5xx(
                client_api.get(request_url),
                client_api.post(f"{request_url}accept/", {}, format="json"),
                client_api.get(f"/api/v1/orders/{order.pk}/"),
                client_api.get(f"/api/v1/orders/{order.pk}/cancellation-quote/"),
            )

    check()


def test_changed_shift_times_never_give_a_5xx(api_as):
    order = shift_order()
    client_api, provider_api = api_as(order.client), api_as(order.provider)

    @EXAMPLES
    @given(times=shift_times)
    def check(times):
        new_starts_at, new_ends_at = times
        with rolled_back():
            asked = client_api.post(
                f"/api/v1/orders/{order.pk}/requests/",
                {
                    "type": "change_terms",
                    "new_starts_at": new_starts_at,
                    "new_ends_at": new_ends_at,
                    "new_price": "95.00",
                    "message": "Other hours",
                },
                format="json",
            )
            assert_no_5xx(asked)
            if asked.status_code != 201:
                return
            request_url = f"/api/v1/requests/{asked.json()['id']}/"
            assert_no_5xx(
                provider_api.get(request_url),
                provider_api.post(f"{request_url}accept/", {}, format="json"),
                provider_api.get(f"/api/v1/orders/{order.pk}/"),
                provider_api.get(f"/api/v1/orders/{order.pk}/cancellation-quote/"),
                client_api.get(f"/api/v1/orders/{order.pk}/cancellation-quote/"),
                provider_api.get("/api/v1/me/calendar/"),
            )

    check()


def test_time_away_dates_never_give_a_5xx(api_as):
    # given a cancel request waiting on the provider, whose window time away re-counts
    order = order_in_progress()
    request_id = open_cancel(order).pk
    client_api, provider_api = api_as(order.client), api_as(order.provider)

    @EXAMPLES
    @given(starts_at=dates, ends_at=dates, business_days=st.booleans())
    def check(starts_at, ends_at, business_days):
        with rolled_back():
            order.policy.windows_in_business_days = business_days
            order.policy.save(update_fields=("windows_in_business_days",))
            announced = provider_api.put(
                "/api/v1/me/availability/",
                {"announcement": {"starts_at": starts_at, "ends_at": ends_at, "message": "Away"}},
                format="json",
            )
            assert_no_5xx(
                announced,
                provider_api.get("/api/v1/me/availability/"),
                client_api.get(f"/api/v1/requests/{request_id}/"),
                provider_api.get(f"/api/v1/requests/{request_id}/"),
                client_api.get(f"/api/v1/orders/{order.pk}/requests/"),
                provider_api.put("/api/v1/me/availability/", {"announcement": None}, format="json"),
            )

    check()


# --- The same dates typed into the pages ---------------------------------------------------------

WEB_DATES = [
    ("9999-12-31T23:30", "9999-12-31T23:59"),
    ("9999-12-31T23:59", "9999-12-31T23:59"),
    ("0001-01-01T00:00", "0001-01-01T00:01"),
    ("", "9999-12-31T23:59"),
    ("2030-02-30T10:00", "10000-01-01T00:00"),
    ("tomorrow", "9" * 300),
]


@pytest.mark.parametrize(("first", "second"), WEB_DATES)
def test_dates_typed_into_the_pages_never_give_a_5xx(client, first, second):
    order = order_in_progress()
    open_cancel(order)
    client.force_login(order.provider)

    listing = client.post(
        reverse("listing_create"),
        {
            "kind": "shift",
            "title": "Bar",
            "price": "80",
            "currency": "EUR",
            "location": "Utrecht",
            "starts_at": first,
            "ends_at": second,
        },
        follow=True,
    )
    away = client.post(reverse("availability"), {"away_from": first, "away_until": second}, follow=True)
    extension = client.post(
        reverse("request_open", args=[order.pk, "extend_delivery"]),
        {"open-extend_delivery-new_due_at": second, "open-extend_delivery-message": "More time"},
    )
    client.force_login(order.client)
    order_page = client.get(reverse("order_detail", args=[order.pk]))
    cancel_dialog = client.get(reverse("order_cancel", args=[order.pk]))

    for response in (listing, away, extension, order_page, cancel_dialog):
        assert response.status_code < 500


@pytest.mark.parametrize(("first", "second"), WEB_DATES)
def test_changed_shift_times_typed_into_the_page_never_give_a_5xx(client, first, second):
    order = shift_order()
    client.force_login(order.client)

    asked = client.post(
        reverse("request_open", args=[order.pk, "change_terms"]),
        {
            "open-change_terms-new_starts_at": first,
            "open-change_terms-new_ends_at": second,
            "open-change_terms-new_price": "90",
            "open-change_terms-message": "Other hours",
        },
    )
    client.force_login(order.provider)
    order_page = client.get(reverse("order_detail", args=[order.pk]))

    assert asked.status_code < 500 and order_page.status_code == 200
