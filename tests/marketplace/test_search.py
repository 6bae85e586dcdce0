"""Finding listings: text search (PostgreSQL full-text with its GIN index, a plain fallback
elsewhere), filters, the ranking, the browse page with its filters in the URL, and shifts posted
with early access for high credit scores."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from core.exceptions import PermissionDenied
from credit.models import CreditAccount, Level
from marketplace.models import Reputation
from marketplace.search import ListingQuery, listing_search
from orders import services as order_services
from orders.models import Order
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _titles(query: ListingQuery) -> list[str]:
    return [listing.title for listing in listing_search(query)]


@pytest.fixture
def catalogue():
    return {
        "logo": ServiceListingFactory(title="Logo design", description="Vector files included", price=Decimal("120")),
        "translation": ServiceListingFactory(title="Dutch translation", description="Legal texts", price=Decimal("60")),
        "bar": ShiftListingFactory(
            title="Bar staff",
            location="Utrecht Centraal",
            price=Decimal("90"),
            starts_at=timezone.now() + timedelta(days=1),
        ),
        "stock": ShiftListingFactory(
            title="Stock count",
            location="Amsterdam Zuid",
            price=Decimal("70"),
            starts_at=timezone.now() + timedelta(days=5),
        ),
    }


def test_text_finds_words_in_the_title_description_or_location(catalogue):
    assert _titles(ListingQuery(q="logo")) == ["Logo design"]
    assert _titles(ListingQuery(q="legal")) == ["Dutch translation"]
    assert _titles(ListingQuery(q="utrecht")) == ["Bar staff"]
    assert _titles(ListingQuery(q="nothing-like-this")) == []


def test_filters_narrow_the_list(catalogue):
    assert set(_titles(ListingQuery(kind="service"))) == {"Logo design", "Dutch translation"}
    assert set(_titles(ListingQuery(min_price=Decimal("65"), max_price=Decimal("100")))) == {"Bar staff", "Stock count"}
    assert _titles(ListingQuery(location="zuid")) == ["Stock count"]
    now = timezone.now()
    assert _titles(ListingQuery(starts_after=now + timedelta(days=3))) == ["Stock count"]
    assert _titles(ListingQuery(starts_before=now + timedelta(days=3))) == ["Bar staff"]
    assert _titles(ListingQuery(ordering="price")) == ["Dutch translation", "Stock count", "Bar staff", "Logo design"]
    assert _titles(ListingQuery(ordering="-price"))[0] == "Logo design"
    assert _titles(ListingQuery(kind="shift", ordering="starts_at")) == ["Bar staff", "Stock count"]


def test_the_ranking_favours_a_good_record_and_gives_newcomers_a_fair_start():
    ServiceListingFactory(title="Newcomer")
    praised = ServiceListingFactory(title="Praised")
    Reputation.objects.create(user=praised.owner, rating_count=20, rating_sum=100, stars_5=20)
    criticised = ServiceListingFactory(title="Criticised")
    Reputation.objects.create(user=criticised.owner, rating_count=10, rating_sum=20, stars_2=10)
    slipping = ServiceListingFactory(title="Below standard")
    CreditAccount.objects.update_or_create(
        user=slipping.owner,
        defaults={"level": Level.BELOW_STANDARD, "completed_in_window": 2, "cancelled_in_window": 4},
    )

    # 0.5 × rating/5 + 0.35 × completion + 0.15 × level (marketplace.search):
    # praised 0.5×4.8/5 + 0.35 + 0.075 = 0.905; newcomer 0.5×4/5 + 0.35 + 0.075 = 0.825;
    # criticised 0.5×(40/15)/5 + 0.35 + 0.075 = 0.692; below standard 0.4 + 0.35×7/11 + 0 = 0.623
    assert _titles(ListingQuery()) == ["Praised", "Newcomer", "Criticised", "Below standard"]
    assert _titles(ListingQuery(min_rating=Decimal("4"))) == ["Praised"]


def test_the_api_takes_the_filters_and_refuses_bad_ones(api_as, catalogue):
    client = api_as(UserFactory())

    found = client.get("/api/v1/listings/", {"q": "logo"}).json()["results"]
    assert [item["title"] for item in found] == ["Logo design"]
    cheap = client.get("/api/v1/listings/", {"max_price": "65.00", "ordering": "price"}).json()["results"]
    assert [item["title"] for item in cheap] == ["Dutch translation"]
    shifts = client.get("/api/v1/listings/", {"kind": "shift", "location": "utrecht"}).json()["results"]
    assert [item["title"] for item in shifts] == ["Bar staff"]

    for params, field in (
        ({"min_price": "100", "max_price": "50"}, "max_price"),
        ({"ordering": "cheapest"}, "ordering"),
        ({"min_rating": "6"}, "min_rating"),
        ({"starts_after": "soon"}, "starts_after"),
    ):
        response = client.get("/api/v1/listings/", params)
        assert response.status_code == 400, params
        assert field in response.json()["errors"]


def test_the_browse_page_keeps_filters_in_the_url_counts_and_says_when_nothing_matches(client, catalogue):
    page = client.get(reverse("home"), {"q": "translation", "max_price": "100"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "1 listing" in html and "Dutch translation" in html and "Logo design" not in html
    assert 'value="translation"' in html and 'value="100"' in html
    assert "?q=translation&amp;max_price=100&amp;kind=service" in html  # the tabs keep the search

    nothing = client.get(reverse("home"), {"q": "helicopter"}).content.decode()
    assert "No listing matches this search." in nothing

    bad = client.get(reverse("home"), {"min_price": "100", "max_price": "50"})
    assert bad.status_code == 200 and "The highest price is below the lowest." in bad.content.decode()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the GIN index is PostgreSQL's")
def test_on_postgresql_the_text_search_uses_its_gin_index(catalogue):
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'listing_search_idx'")
        assert "gin" in cursor.fetchone()[0].lower()
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = listing_search(ListingQuery(q="logo")).explain()
    assert "listing_search_idx" in plan


# --- early access --------------------------------------------------------------------------------


def _score(user, score: int) -> None:
    CreditAccount.objects.update_or_create(user=user, defaults={"score": score})


def test_an_early_access_shift_is_for_high_scores_first_then_for_everyone(api_as):
    shift = ShiftListingFactory(early_access=True, starts_at=timezone.now() + timedelta(days=3))
    low, high = UserFactory(), UserFactory()
    _score(low, 80)
    _score(high, 95)

    with pytest.raises(PermissionDenied) as error:
        order_services.order_create(actor=low, listing_id=shift.pk)
    assert error.value.code == "early_access"
    response = api_as(low).post("/api/v1/orders/", {"listing": shift.pk}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "early_access"

    other = ShiftListingFactory(early_access=True, starts_at=timezone.now() + timedelta(days=3))
    assert order_services.order_create(actor=high, listing_id=other.pk).provider == high

    with time_machine.travel(shift.created_at + timedelta(hours=24, minutes=1)):
        order = order_services.order_create(actor=low, listing_id=shift.pk)
    assert Order.objects.get(pk=order.pk).provider == low


def test_the_listing_page_says_until_when_early_access_lasts(client):
    shift = ShiftListingFactory(early_access=True)

    page = client.get(reverse("listing_detail", args=[shift.pk])).content.decode()

    assert "only workers with a credit score of at least 90 can book it; then everyone can." in page


def test_early_access_is_for_shifts(api_as):
    response = api_as(UserFactory()).post(
        "/api/v1/listings/",
        {"kind": "service", "title": "Logo", "price": "50.00", "delivery_days": 3, "early_access": True},
        format="json",
    )
    assert response.status_code == 400 and "early_access" in response.json()["errors"]


# --- query counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 12])
def test_the_browse_page_reads_a_fixed_number_of_queries(client, django_assert_num_queries, rows):
    for _n in range(rows):
        ServiceListingFactory()
    client.get(reverse("home"))
    with django_assert_num_queries(2):  # the count, the page (owners, ratings and levels joined)
        response = client.get(reverse("home"), {"q": "logo", "ordering": "rank"})
    assert len(response.context["page"].object_list) == rows


@pytest.mark.parametrize("rows", [1, 6])
def test_the_profile_and_listing_pages_read_a_fixed_number_of_queries(client, django_assert_num_queries, rows):
    listing = ServiceListingFactory()
    for _n in range(rows):
        ServiceListingFactory(owner=listing.owner)
    client.get(reverse("user_profile", args=[listing.owner.username]))
    # the person, their availability; the listings' count and page (owners joined); their record:
    # rating, orders, level, requests answered, the newest reviews
    with django_assert_num_queries(2 + 2 + 5):
        client.get(reverse("user_profile", args=[listing.owner.username]))
    # the listing, its owner's availability; their record (as above); the policy in force and its
    # rules (what cancelling will cost)
    with django_assert_num_queries(2 + 5 + 2):
        client.get(reverse("listing_detail", args=[listing.pk]))
