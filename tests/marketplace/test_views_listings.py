"""Browse, listing detail, posting and withdrawing listings."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.models import Listing, ListingKind
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


def _service_data(**overrides):
    data = {
        "kind": "service",
        "title": "Vector logo",
        "description": "Three concepts.",
        "price": "150.00",
        "currency": "EUR",
        "delivery_days": "4",
        "revisions": "2",
    }
    return {**data, **overrides}


def _shift_data(**overrides):
    start = timezone.now() + timedelta(days=3)
    data = {
        "kind": "shift",
        "title": "Bar shift",
        "price": "90.00",
        "currency": "EUR",
        "starts_at": start.strftime(LOCAL),
        "ends_at": (start + timedelta(hours=6)).strftime(LOCAL),
        "location": "Utrecht",
    }
    return {**data, **overrides}


# --- Browse -------------------------------------------------------------------------------


def test_home_shows_services_and_shifts_with_price_terms_and_owner(client):
    service = ServiceListingFactory(price=Decimal("120.00"), currency="EUR", delivery_days=3)
    shift = ShiftListingFactory(price=Decimal("80.50"), currency="GBP", location="Leeds station")

    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert service.title in html and shift.title in html
    assert "120.00\u00a0EUR" in html and "80.50\u00a0GBP" in html
    assert "Delivery in 3 days" in html and "Leeds station" in html
    assert service.owner.public_name in html
    assert "UTC" in html  # times carry their zone


def test_home_filters_by_kind(client):
    service = ServiceListingFactory()
    shift = ShiftListingFactory()

    response = client.get(reverse("home"), {"kind": "shift"})

    assert [listing.pk for listing in response.context["page"].object_list] == [shift.pk]
    assert service.title not in response.content.decode()


def test_home_leaves_out_withdrawn_listings(client):
    ServiceListingFactory(is_active=False, title="Gone")

    response = client.get(reverse("home"))

    assert "Gone" not in response.content.decode()


def test_home_is_paginated(client):
    ServiceListingFactory.create_batch(13)

    first = client.get(reverse("home"))
    second = client.get(reverse("home"), {"page": 2})

    assert len(first.context["page"].object_list) == 12
    assert len(second.context["page"].object_list) == 1
    assert b'rel="next"' in first.content


def test_home_answers_htmx_with_the_results_fragment_only(client):
    ServiceListingFactory()

    response = client.get(reverse("home"), {"kind": "service"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")

    assert response.status_code == 200
    assert b'id="results"' in response.content
    assert b"<html" not in response.content
    assert "HX-Request" in response["Vary"]


@pytest.mark.parametrize("rows", [3, 10])
def test_home_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries, rows):
    for _ in range(rows):
        ServiceListingFactory(owner=UserFactory())
        ShiftListingFactory(owner=UserFactory())

    with django_assert_max_num_queries(2):
        response = client.get(reverse("home"))

    assert len(response.context["page"].object_list) == min(2 * rows, 12)


# --- Detail -------------------------------------------------------------------------------


def test_service_detail_offers_an_order_form_and_explains_escrow(client, user):
    listing = ServiceListingFactory()
    client.force_login(user)

    response = client.get(reverse("listing_detail", args=[listing.pk]))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Order this service" in html
    assert 'name="requirements"' in html
    assert "held in escrow" in html
    assert "simulated card gateway" in html


def test_shift_detail_offers_a_booking_button(client, user):
    listing = ShiftListingFactory()
    client.force_login(user)

    response = client.get(reverse("listing_detail", args=[listing.pk]))

    html = response.content.decode()
    assert "Book this shift" in html
    assert 'name="requirements"' not in html


def test_listing_detail_asks_anonymous_visitors_to_log_in(client):
    listing = ServiceListingFactory()

    response = client.get(reverse("listing_detail", args=[listing.pk]))

    assert response.status_code == 200
    assert "Log in to order" in response.content.decode()
    assert reverse("order_create", args=[listing.pk]) not in response.content.decode()


def test_listing_detail_offers_the_owner_withdrawal_not_ordering(client):
    listing = ServiceListingFactory()
    client.force_login(listing.owner)

    response = client.get(reverse("listing_detail", args=[listing.pk]))

    html = response.content.decode()
    assert reverse("listing_withdraw", args=[listing.pk]) in html
    assert reverse("order_create", args=[listing.pk]) not in html


def test_withdrawn_listing_is_404_for_others_but_visible_to_its_owner(client, user):
    listing = ServiceListingFactory(is_active=False)

    client.force_login(user)
    assert client.get(reverse("listing_detail", args=[listing.pk])).status_code == 404
    client.force_login(listing.owner)
    assert client.get(reverse("listing_detail", args=[listing.pk])).status_code == 200


def test_unknown_listing_is_404(client):
    assert client.get(reverse("listing_detail", args=[999999])).status_code == 404


# --- Create -------------------------------------------------------------------------------


def test_listing_create_needs_login(client):
    response = client.get(reverse("listing_create"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_listing_create_page_shows_the_fields_of_the_chosen_kind(client, user):
    client.force_login(user)

    response = client.get(reverse("listing_create"), {"kind": "shift"})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-kind-fields="shift">' in html
    assert 'data-kind-fields="service" hidden disabled>' in html


def test_listing_create_publishes_a_service(client, user):
    client.force_login(user)

    response = client.post(reverse("listing_create"), _service_data())

    listing = Listing.objects.get(owner=user)
    assert response.status_code == 302
    assert response.url == reverse("listing_detail", args=[listing.pk])
    assert (listing.kind, listing.price, listing.delivery_days, listing.revisions) == (
        ListingKind.SERVICE,
        Decimal("150.00"),
        4,
        2,
    )
    follow = client.get(response.url)
    assert "is live" in follow.content.decode()


def test_listing_create_publishes_a_shift(client, user):
    client.force_login(user)

    response = client.post(reverse("listing_create"), _shift_data(min_credit_score="70"))

    listing = Listing.objects.get(owner=user)
    assert response.status_code == 302
    assert listing.kind == ListingKind.SHIFT
    assert listing.location == "Utrecht"
    assert listing.min_credit_score == 70
    assert listing.ends_at - listing.starts_at == timedelta(hours=6)


def test_listing_create_refuses_a_negative_price_on_the_price_field(client, user):
    client.force_login(user)

    response = client.post(reverse("listing_create"), _service_data(price="-5"))

    assert response.status_code == 200
    assert response.context["form"].errors["price"] == ["The price must be greater than zero."]
    assert not Listing.objects.exists()


def test_listing_create_refuses_a_shift_that_ends_before_it_starts(client, user):
    client.force_login(user)
    start = timezone.now() + timedelta(days=3)

    response = client.post(
        reverse("listing_create"),
        _shift_data(starts_at=start.strftime(LOCAL), ends_at=(start - timedelta(hours=1)).strftime(LOCAL)),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["ends_at"] == ["The shift must end after it starts."]
    assert 'data-kind-fields="shift">' in response.content.decode()  # the shift fields stay open
    assert not Listing.objects.exists()


def test_listing_create_refuses_a_service_without_delivery_days(client, user):
    client.force_login(user)

    response = client.post(reverse("listing_create"), _service_data(delivery_days=""))

    assert response.context["form"].errors["delivery_days"]
    assert not Listing.objects.exists()


# --- My listings and withdrawal -----------------------------------------------------------


def test_my_listings_shows_mine_including_withdrawn(client, user):
    mine = ServiceListingFactory(owner=user)
    gone = ShiftListingFactory(owner=user, is_active=False)
    other = ServiceListingFactory()
    client.force_login(user)

    response = client.get(reverse("my_listings"))

    assert response.status_code == 200
    html = response.content.decode()
    assert mine.title in html and gone.title in html and other.title not in html


def test_my_listings_needs_login(client):
    assert client.get(reverse("my_listings")).status_code == 302


def test_withdraw_takes_the_listing_off_the_market(client, user):
    listing = ServiceListingFactory(owner=user)
    client.force_login(user)

    response = client.post(reverse("listing_withdraw", args=[listing.pk]), follow=True)

    listing.refresh_from_db()
    assert not listing.is_active
    assert "is withdrawn" in response.content.decode()


def test_withdraw_of_someone_elses_listing_is_refused_and_changes_nothing(client, user):
    listing = ServiceListingFactory()
    client.force_login(user)

    response = client.post(reverse("listing_withdraw", args=[listing.pk]), follow=True)

    listing.refresh_from_db()
    assert listing.is_active
    assert "Only the owner can withdraw this listing." in response.content.decode()


def test_withdraw_is_post_only(client, user):
    listing = ServiceListingFactory(owner=user)
    client.force_login(user)

    assert client.get(reverse("listing_withdraw", args=[listing.pk])).status_code == 405
