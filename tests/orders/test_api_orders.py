"""Orders over the API: make one, list them, read one in full."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import TransitionLog
from orders import services
from orders.models import LedgerEntry, LedgerTransaction, Order, Payment
from tests.factories import (
    ServiceListingFactory,
    ShiftListingFactory,
    UserFactory,
    order_in_progress,
    service_order,
    shift_order,
)

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _money_rows() -> tuple[int, int, int, int]:
    return (
        Order.objects.count(),
        Payment.objects.count(),
        LedgerTransaction.objects.count(),
        LedgerEntry.objects.count(),
    )


# --- Making an order ----------------------------------------------------------------------


def test_ordering_a_service_makes_the_caller_client(api_as):
    # given
    me = UserFactory()
    listing = ServiceListingFactory(price=Decimal("120.00"))

    # when
    response = api_as(me).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    order = Order.objects.get()
    assert body["id"] == order.pk
    assert (body["kind"], body["state"], body["your_role"]) == ("service", "awaiting_requirements", "client")
    assert body["client"]["id"] == me.pk
    assert body["provider"]["id"] == listing.owner.pk
    assert (body["price"], body["currency"]) == ("120.00", "EUR")
    assert body["payments"][0]["amount"] == "120.00"


def test_ordering_with_requirements_starts_the_work(api_as):
    # given
    listing = ServiceListingFactory()

    # when
    response = api_as(UserFactory()).post(
        "/api/v1/orders/", {"listing": listing.pk, "requirements": "A fox"}, format="json"
    )

    # then
    body = response.json()
    assert body["state"] == "in_progress"
    assert body["requirements"] == "A fox"
    assert datetime.fromisoformat(body["due_at"]).tzinfo is not None


def test_booking_a_shift_makes_the_caller_provider(api_as):
    # given
    me = UserFactory()
    listing = ShiftListingFactory()

    # when
    response = api_as(me).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    assert response.status_code == 201
    body = response.json()
    assert (body["kind"], body["state"], body["your_role"]) == ("shift", "booked", "provider")
    assert body["client"]["id"] == listing.owner.pk
    assert datetime.fromisoformat(body["starts_at"]) == listing.starts_at
    assert body["location"] == listing.location


def test_booking_an_already_booked_shift_is_409_and_leaves_nothing_behind(api_as):
    # given
    order = shift_order()
    before = _money_rows()

    # when
    response = api_as(UserFactory()).post("/api/v1/orders/", {"listing": order.listing_id}, format="json")

    # then
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "shift_full"
    assert _money_rows() == before


def test_ordering_an_unknown_listing_is_400_naming_listing(api_as):
    # when
    response = api_as(UserFactory()).post("/api/v1/orders/", {"listing": 999999}, format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["listing"]
    assert _money_rows() == (0, 0, 0, 0)


def test_ordering_a_listing_that_is_not_a_number_is_400_naming_listing(api_as):
    # when
    response = api_as(UserFactory()).post("/api/v1/orders/", {"listing": "abc"}, format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["listing"]


def test_ordering_an_inactive_listing_is_400_naming_listing(api_as):
    # given
    listing = ServiceListingFactory(is_active=False)

    # when
    response = api_as(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["listing"]
    assert _money_rows() == (0, 0, 0, 0)


def test_ordering_your_own_service_is_400_and_writes_nothing(api_as):
    # given
    me = UserFactory()
    listing = ServiceListingFactory(owner=me)

    # when
    response = api_as(me).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    assert response.status_code == 400
    assert response.json()["code"] == "own_listing"
    assert _money_rows() == (0, 0, 0, 0)


def test_ordering_without_credentials_is_401(api):
    # given
    listing = ServiceListingFactory()

    # when
    response = api.post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    assert response.status_code == 401
    assert _money_rows() == (0, 0, 0, 0)


# --- Listing orders -----------------------------------------------------------------------


def test_list_shows_the_callers_orders_newest_first_in_either_role(api_as):
    # given
    me = UserFactory()
    as_provider = shift_order(provider=me)  # booked a few minutes ago (the factory's shifts are)
    as_client = service_order(client=me)
    service_order()  # someone else's

    # when
    response = api_as(me).get("/api/v1/orders/")

    # then
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [as_client.pk, as_provider.pk]
    assert [item["your_role"] for item in body["results"]] == ["client", "provider"]


def test_list_items_are_lean(api_as):
    # given
    me = UserFactory()
    service_order(client=me)

    # when
    item = api_as(me).get("/api/v1/orders/").json()["results"][0]

    # then
    assert not {"history", "deliveries", "payments", "ledger_transactions"} & set(item)
    assert item["policy_version"] == 1


@pytest.mark.parametrize(("role", "expected"), [("client", "service"), ("provider", "shift")])
def test_list_filters_by_role(api_as, role, expected):
    # given
    me = UserFactory()
    service_order(client=me)
    shift_order(provider=me)

    # when
    results = api_as(me).get(f"/api/v1/orders/?role={role}").json()["results"]

    # then
    assert [item["kind"] for item in results] == [expected]


def test_list_filters_by_state(api_as):
    # given
    me = UserFactory()
    waiting = service_order(client=me)
    order_in_progress(client=me)

    # when
    results = api_as(me).get("/api/v1/orders/?state=awaiting_requirements").json()["results"]

    # then
    assert [item["id"] for item in results] == [waiting.pk]


@pytest.mark.parametrize("query", ["state=lost", "role=admin"])
def test_list_with_an_unknown_filter_value_is_400_naming_it(api_as, query):
    # when
    response = api_as(UserFactory()).get(f"/api/v1/orders/?{query}")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


def test_list_pages(api_as):
    # given
    me = UserFactory()
    orders = [service_order(client=me) for _ in range(3)]
    client = api_as(me)

    # when: read by cursor, forwards then back
    first = client.get("/api/v1/orders/?page_size=2").json()
    second = client.get(first["next"]).json()
    back = client.get(second["previous"]).json()

    # then
    assert (first["previous"], second["next"]) == (None, None)
    assert "cursor=" in first["next"]
    assert [i["id"] for i in first["results"] + second["results"]] == [o.pk for o in reversed(orders)]
    assert back["results"] == first["results"]


def test_the_list_reads_by_keyset_without_counting_or_skipping_rows(api_as):
    # given: enough orders for a third page
    me = UserFactory()
    for _ in range(5):
        service_order(client=me)
    client = api_as(me)
    second = client.get(client.get("/api/v1/orders/?page_size=2").json()["next"]).json()

    # when
    with CaptureQueriesContext(connection) as queries:
        third = client.get(second["next"])

    # then: one read of the rows, positioned by the cursor's created_at, no COUNT and no OFFSET
    assert third.status_code == 200 and len(third.json()["results"]) == 1
    reads = [q["sql"] for q in queries if "orders_order" in q["sql"]]
    assert len(reads) == 1
    assert "COUNT(" not in reads[0].upper() and "OFFSET" not in reads[0].upper()
    assert '"orders_order"."created_at" <' in reads[0]


@pytest.mark.parametrize("cursor", ["nonsense", "cD0yMDI2", ""])
def test_a_malformed_cursor_is_400_naming_it(api_as, cursor):
    response = api_as(UserFactory()).get("/api/v1/orders/", {"cursor": cursor})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert list(response.json()["errors"]) == ["cursor"]


@pytest.mark.parametrize("rows", [3, 10])
def test_list_query_count_does_not_grow_with_rows(api_as, django_assert_max_num_queries, rows):
    # given
    me = UserFactory()
    for i in range(rows):
        # each shift on its own day: one worker cannot hold two at the same time
        service_order(client=me) if i % 2 else shift_order(provider=me, starts_in=timedelta(days=2 + i))
    client = api_as(me)

    # when / then: token, the page (by cursor: no count)
    with django_assert_max_num_queries(2):
        response = client.get("/api/v1/orders/")
    assert len(response.json()["results"]) == rows


# --- One order ----------------------------------------------------------------------------


def test_detail_has_the_contract_fields_and_history(api_as):
    # given
    client_user = UserFactory()
    order = order_in_progress(client=client_user)

    # when
    body = api_as(client_user).get(f"/api/v1/orders/{order.pk}/").json()

    # then
    assert {
        "id", "kind", "state", "client", "provider", "title", "price", "currency", "due_at", "starts_at", "ends_at",
        "location", "policy_version", "created_at", "revisions_allowed", "revisions_used", "auto_complete_at",
        "your_role", "history", "deliveries", "payments", "ledger_transactions",
    } <= set(body)  # fmt: skip
    assert body["policy_version"] == order.policy.version
    assert [(h["from"], h["to"], h["by"], h["role"], h["transition"]) for h in body["history"]] == [
        (None, "awaiting_requirements", client_user.username, "client", "create"),
        ("awaiting_requirements", "in_progress", client_user.username, "client", "submit_requirements"),
    ]
    assert all(datetime.fromisoformat(h["at"]).tzinfo is not None for h in body["history"])


def test_detail_shows_the_money_trail_as_balanced_decimal_strings(api_as):
    # given
    me = UserFactory()
    order = service_order(client=me, price=Decimal("99.99"))

    # when
    body = api_as(me).get(f"/api/v1/orders/{order.pk}/").json()

    # then
    (payment,) = body["payments"]
    assert (payment["amount"], payment["currency"], payment["status"]) == ("99.99", "EUR", "succeeded")
    (charge,) = body["ledger_transactions"]
    assert charge["kind"] == "charge"
    assert sorted((e["account"], e["amount"]) for e in charge["entries"]) == [
        ("escrow", "-99.99"),
        ("gateway", "99.99"),
    ]


def test_detail_shows_a_system_transition_by_nobody(api_as):
    # given
    me = UserFactory()
    order = shift_order(client=me)
    TransitionLog.objects.filter(order=order).update(actor=None, actor_role="system")

    # when
    body = api_as(me).get(f"/api/v1/orders/{order.pk}/").json()

    # then
    assert (body["history"][0]["by"], body["history"][0]["role"]) == (None, "system")


def test_detail_of_someone_elses_order_is_404(api_as):
    # given
    order = service_order()

    # when
    response = api_as(UserFactory()).get(f"/api/v1/orders/{order.pk}/")

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_detail_of_an_unknown_order_is_404(api_as):
    # when
    response = api_as(UserFactory()).get("/api/v1/orders/999999/")

    # then
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def _busy_order(client_user):
    """A service order with three deliveries, two revisions and a completed escrow release."""
    order = order_in_progress(client=client_user, revisions=2)
    for round_ in range(3):
        upload = SimpleUploadedFile(f"v{round_}.txt", b"draft", content_type="text/plain")
        services.order_deliver(order=order, actor=order.provider, message=f"v{round_}", files=[upload])
        if round_ < 2:
            services.order_request_revision(order=order, actor=client_user, message="Bigger")
    services.order_accept_delivery(order=order, actor=client_user)
    return order


@pytest.mark.parametrize("busy", [False, True])
def test_detail_query_count_does_not_grow_with_history(api_as, django_assert_max_num_queries, busy):
    # given
    me = UserFactory()
    order = _busy_order(me) if busy else service_order(client=me)
    client = api_as(me)

    # when / then: token, order, history, deliveries, files, transactions, entries with their accounts, payments
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/orders/{order.pk}/")
    assert len(response.json()["deliveries"]) == (3 if busy else 0)
