"""Listings over the API: browse, filter, read one, publish with exact money."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketplace.models import Listing
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _service(**overrides):
    return {
        "kind": "service",
        "title": "Logo design",
        "description": "Vector logo",
        "price": "120.00",
        "currency": "EUR",
        "delivery_days": 3,
        "revisions": 2,
        **overrides,
    }


def _shift(**overrides):
    starts = timezone.now() + timedelta(days=3)
    return {
        "kind": "shift",
        "title": "Bar shift",
        "price": "80.00",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=6)).isoformat(),
        "location": "Utrecht",
        **overrides,
    }


# --- Reading ------------------------------------------------------------------------------


def test_list_returns_a_page_newest_first(api_as):
    # given
    older, newer = ServiceListingFactory(), ShiftListingFactory()

    # when
    response = api_as(UserFactory()).get("/api/v1/listings/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [item["id"] for item in body["results"]] == [newer.pk, older.pk]


def test_list_item_has_the_contract_fields_with_money_as_a_string(api_as):
    # given
    listing = ServiceListingFactory(price=Decimal("99.50"), min_credit_score=70)

    # when
    item = api_as(UserFactory()).get("/api/v1/listings/").json()["results"][0]

    # then
    assert item["price"] == "99.50"
    assert item["currency"] == "EUR"
    assert item["owner"] == {
        "id": listing.owner.pk,
        "username": listing.owner.username,
        "display_name": listing.owner.display_name,
    }
    assert item["min_credit_score"] == 70
    assert datetime.fromisoformat(item["created_at"]).tzinfo is not None
    assert set(item) == {
        "id", "kind", "owner", "title", "description", "price", "currency", "delivery_days", "revisions",
        "starts_at", "ends_at", "location", "min_credit_score", "positions", "positions_left",
        "early_access", "is_active", "created_at",
    }  # fmt: skip


def test_list_pages_with_next_and_previous(api_as):
    # given
    listings = [ServiceListingFactory() for _ in range(3)]
    client = api_as(UserFactory())

    # when
    first = client.get("/api/v1/listings/?page_size=2").json()
    second = client.get(first["next"]).json()

    # then
    assert first["count"] == 3
    assert first["previous"] is None
    assert second["next"] is None
    assert second["previous"] is not None
    seen = [item["id"] for item in first["results"] + second["results"]]
    assert seen == [listing.pk for listing in reversed(listings)]


def test_list_filters_by_kind(api_as):
    # given
    ServiceListingFactory()
    shift = ShiftListingFactory()

    # when
    response = api_as(UserFactory()).get("/api/v1/listings/?kind=shift")

    # then
    assert [item["id"] for item in response.json()["results"]] == [shift.pk]


def test_list_with_an_unknown_kind_is_400_naming_kind(api_as):
    # when
    response = api_as(UserFactory()).get("/api/v1/listings/?kind=car")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["kind"]


def test_list_leaves_out_inactive_listings(api_as):
    # given
    ServiceListingFactory(is_active=False)

    # when
    response = api_as(UserFactory()).get("/api/v1/listings/")

    # then
    assert response.json()["results"] == []


def test_mine_lists_only_the_callers_listings_inactive_included(api_as):
    # given
    me = UserFactory()
    ServiceListingFactory()
    active = ServiceListingFactory(owner=me)
    inactive = ServiceListingFactory(owner=me, is_active=False)

    # when
    response = api_as(me).get("/api/v1/listings/?mine=true")

    # then
    assert [item["id"] for item in response.json()["results"]] == [inactive.pk, active.pk]


@pytest.mark.parametrize("rows", [3, 10])
def test_list_query_count_does_not_grow_with_rows(api_as, django_assert_max_num_queries, rows):
    # given
    for _ in range(rows):
        ServiceListingFactory()
    client = api_as(UserFactory())

    # when / then: token, count, page
    with django_assert_max_num_queries(3):
        response = client.get("/api/v1/listings/")
    assert len(response.json()["results"]) == rows


def test_detail_returns_one_listing(api_as):
    # given
    listing = ShiftListingFactory()

    # when
    response = api_as(UserFactory()).get(f"/api/v1/listings/{listing.pk}/")

    # then
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["kind"], body["location"]) == (listing.pk, "shift", "Utrecht Centraal")
    assert datetime.fromisoformat(body["starts_at"]) == listing.starts_at


def test_detail_of_an_unknown_listing_is_404_problem(api_as):
    # when
    response = api_as(UserFactory()).get("/api/v1/listings/999999/")

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "not_found"


def test_list_without_credentials_is_401(api):
    # when
    response = api.get("/api/v1/listings/")

    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"


# --- Publishing ---------------------------------------------------------------------------


def test_create_service_listing(api_as):
    # given
    me = UserFactory()

    # when
    response = api_as(me).post("/api/v1/listings/", _service(), format="json")

    # then
    assert response.status_code == 201
    listing = Listing.objects.get()
    assert listing.owner == me
    assert (listing.price, listing.delivery_days, listing.revisions) == (Decimal("120.00"), 3, 2)
    assert response.json()["id"] == listing.pk
    assert response.json()["price"] == "120.00"


def test_create_shift_listing(api_as):
    # given
    body = _shift()

    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", body, format="json")

    # then
    assert response.status_code == 201
    listing = Listing.objects.get()
    assert listing.starts_at == datetime.fromisoformat(body["starts_at"])
    assert listing.location == "Utrecht"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("120", Decimal("120.00")),
        ("19.99", Decimal("19.99")),
        ("0.1", Decimal("0.10")),
        ("9999999999.99", Decimal("9999999999.99")),
    ],
)
def test_price_as_a_json_number_is_read_exactly(api_as, raw, expected):
    # given: a raw JSON number, not a string
    body = '{"kind": "service", "title": "Logo", "price": RAW, "delivery_days": 3}'.replace("RAW", raw)

    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", data=body, content_type="application/json")

    # then
    assert response.status_code == 201, response.json()
    assert Listing.objects.get().price == expected
    assert response.json()["price"] == f"{expected:.2f}"


@pytest.mark.parametrize(
    "price",
    ["-5.00", "0", "0.00", "12.345", "abc", "", "1e400", "NaN", "Infinity", "10000000000.00", True, None, [1]],
)
def test_bad_price_is_400_naming_price_and_writes_nothing(api_as, price):
    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", _service(price=price), format="json")

    # then
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert list(response.json()["errors"]) == ["price"]
    assert not Listing.objects.exists()


@pytest.mark.parametrize("raw", ["-5", "0", "12.345", "0.001"])
def test_bad_price_as_a_json_number_is_400_naming_price(api_as, raw):
    # given
    body = '{"kind": "service", "title": "Logo", "price": RAW, "delivery_days": 3}'.replace("RAW", raw)

    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", data=body, content_type="application/json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["price"]
    assert not Listing.objects.exists()


def test_shift_ending_before_it_starts_is_400_naming_ends_at(api_as):
    # given
    starts = timezone.now() + timedelta(days=3)
    body = _shift(starts_at=starts.isoformat(), ends_at=(starts - timedelta(hours=1)).isoformat())

    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", body, format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ends_at"]
    assert not Listing.objects.exists()


def test_shift_starting_in_the_past_is_400_naming_starts_at(api_as):
    # given
    starts = timezone.now() - timedelta(hours=1)
    body = _shift(starts_at=starts.isoformat(), ends_at=(starts + timedelta(hours=6)).isoformat())

    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", body, format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["starts_at"]


def test_shift_with_a_malformed_time_is_400_naming_it(api_as):
    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", _shift(starts_at="next tuesday"), format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["starts_at"]


def test_service_without_delivery_days_is_400_naming_it(api_as):
    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", _service(delivery_days=None), format="json")

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["delivery_days"]


def test_unknown_kind_and_currency_are_400_naming_both(api_as):
    # when
    response = api_as(UserFactory()).post("/api/v1/listings/", _service(kind="car", currency="XXX"), format="json")

    # then
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"kind", "currency"}


def test_create_without_credentials_is_401_and_writes_nothing(api):
    # when
    response = api.post("/api/v1/listings/", _service(), format="json")

    # then
    assert response.status_code == 401
    assert not Listing.objects.exists()
