"""Each restriction holds on the web, in the API and in the admin; each refusal says why and what restores it."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from credit.services import credit_event_record, restriction_impose
from marketplace.models import Listing
from orders.models import Order
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db

WHY = "Three late cancellations in 60 days."
RESTORES = "Support lifts it after a review."


def _words(response) -> str:
    """The page as a reader sees it: no tags, one plain space between words."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _below_60(user) -> None:
    credit_event_record(user=user, delta=-41, reason="manual")


def _restrict(user, kind: str) -> None:
    restriction_impose(user_id=user.pk, kind=kind, reason=WHY, restores=RESTORES, actor=UserFactory(support=True))


def _service_listing_data(**overrides) -> dict:
    return {
        "kind": "service",
        "title": "Vector logo",
        "price": "150.00",
        "currency": "EUR",
        "delivery_days": "4",
        "revisions": "2",
        **overrides,
    }


# --- The web -----------------------------------------------------------------------------------


def test_web_booking_a_shift_below_60_says_why_and_how_to_recover(client):
    # given
    worker = UserFactory()
    _below_60(worker)
    listing = ShiftListingFactory()
    client.force_login(worker)

    # when
    response = client.post(reverse("order_create", args=[listing.pk]))

    # then
    words = _words(response)
    assert response.status_code == 200
    assert "Your credit score is 59; providers need 60 to take new orders." in words
    assert "Completing your open orders adds to it" in words
    assert not Order.objects.exists()


def test_web_ordering_from_a_provider_below_60_is_refused_without_their_details(client):
    # given
    listing = ServiceListingFactory()
    _below_60(listing.owner)
    buyer = UserFactory()
    client.force_login(buyer)

    # when
    response = client.post(reverse("order_create", args=[listing.pk]))

    # then: the client learns the provider cannot take orders, never the provider's score
    words = _words(response)
    assert "This provider cannot take new orders right now." in words
    # (the listing's cancellation terms may say what a rule does to "the provider's credit score"; never what it is)
    assert "credit score is" not in words.lower() and "score of" not in words.lower()
    # the score (59) nowhere as a number of its own (a price or a time on the page may hold the digits)
    assert not re.search(r"(?<![\d:.,])59(?![\d:.,])", words)
    assert not Order.objects.exists()


def test_web_a_provider_suspended_from_taking_orders_reads_why_and_what_restores_access(client):
    # given
    worker = UserFactory()
    _restrict(worker, "taking_orders")
    client.force_login(worker)

    # when
    response = client.post(reverse("order_create", args=[ShiftListingFactory().pk]))

    # then
    words = _words(response)
    assert f"You cannot take new orders: {WHY} {RESTORES}" in words
    assert not Order.objects.exists()


def test_web_a_listing_minimum_score_refusal_says_the_minimum_and_how_to_raise_the_score(client):
    # given
    worker = UserFactory()
    credit_event_record(user=worker, delta=-10, reason="manual")
    listing = ShiftListingFactory(min_credit_score=95)
    client.force_login(worker)

    # when
    response = client.post(reverse("order_create", args=[listing.pk]))

    # then
    words = _words(response)
    assert "This listing asks for a credit score of at least 95; yours is 90." in words
    assert "Completed orders raise it by one each." in words
    assert not Order.objects.exists()


def test_web_a_client_who_lost_the_right_to_post_reads_why_and_what_restores_access(client):
    # given
    user = UserFactory()
    _restrict(user, "posting")
    client.force_login(user)

    # when
    response = client.post(reverse("listing_create"), _service_listing_data())

    # then
    assert response.status_code == 200
    assert f"You cannot post listings: {WHY} {RESTORES}" in _words(response)
    assert not Listing.objects.exists()


# --- The API -----------------------------------------------------------------------------------


def _assert_problem(response, status: int, code: str, *phrases: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    for phrase in phrases:
        assert phrase in body["detail"]


def test_api_booking_a_shift_below_60_is_403_saying_why_and_how_to_recover(api_as):
    # given
    worker = UserFactory()
    _below_60(worker)

    # when
    response = api_as(worker).post("/api/v1/orders/", {"listing": ShiftListingFactory().pk}, format="json")

    # then
    _assert_problem(response, 403, "provider_credit_too_low", "is 59", "need 60", "Completing your open orders")
    assert not Order.objects.exists()


def test_api_ordering_from_a_provider_below_60_is_403(api_as):
    # given
    listing = ServiceListingFactory()
    _below_60(listing.owner)

    # when
    response = api_as(UserFactory()).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    _assert_problem(response, 403, "provider_credit_too_low", "This provider cannot take new orders right now.")
    assert not Order.objects.exists()


def test_api_a_suspended_provider_is_403_with_why_and_what_restores_access(api_as):
    # given
    worker = UserFactory()
    _restrict(worker, "taking_orders")

    # when
    response = api_as(worker).post("/api/v1/orders/", {"listing": ShiftListingFactory().pk}, format="json")

    # then
    _assert_problem(response, 403, "taking_orders_restricted", WHY, RESTORES)
    assert not Order.objects.exists()


def test_api_a_listing_minimum_score_is_enforced_at_order_time(api_as):
    # given
    worker = UserFactory()
    credit_event_record(user=worker, delta=-10, reason="manual")
    listing = ShiftListingFactory(min_credit_score=95)

    # when
    response = api_as(worker).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    # then
    _assert_problem(response, 403, "credit_score_too_low", "at least 95", "yours is 90", "Completed orders raise it")
    assert not Order.objects.exists()


def test_api_a_client_who_lost_the_right_to_post_is_403_with_why_and_what_restores_access(api_as):
    # given
    user = UserFactory()
    _restrict(user, "posting")
    body = {**_service_listing_data(), "delivery_days": 4, "revisions": 2}

    # when
    response = api_as(user).post("/api/v1/listings/", body, format="json")

    # then
    _assert_problem(response, 403, "posting_restricted", WHY, RESTORES)
    assert not Listing.objects.exists()


def test_api_a_shift_posted_by_a_restricted_client_is_refused_too(api_as):
    # given
    user = UserFactory()
    _restrict(user, "posting")
    starts = timezone.now() + timedelta(days=3)
    body = {
        "kind": "shift",
        "title": "Bar shift",
        "price": "80.00",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=6)).isoformat(),
        "location": "Utrecht",
    }

    # when
    response = api_as(user).post("/api/v1/listings/", body, format="json")

    # then
    _assert_problem(response, 403, "posting_restricted", WHY)
    assert not Listing.objects.exists()


# --- The admin ---------------------------------------------------------------------------------


def _admin_listing_data(owner, **overrides) -> dict:
    return {
        "kind": "service",
        "owner": owner.pk,
        "title": "Vector logo",
        "description": "",
        "is_active": "on",
        "price": "150.00",
        "currency": "EUR",
        "delivery_days": "4",
        "revisions": "2",
        **overrides,
    }


def test_admin_adding_a_listing_for_a_user_who_lost_the_right_to_post_is_refused_with_why(admin_client):
    # given
    owner = UserFactory()
    _restrict(owner, "posting")

    # when
    response = admin_client.post(reverse("admin:marketplace_listing_add"), _admin_listing_data(owner))

    # then: the form comes back with the refusal on the owner, and nothing is posted
    assert response.status_code == 200
    assert f"You cannot post listings: {WHY} {RESTORES}" in _words(response)
    assert not Listing.objects.exists()


def test_admin_adding_a_listing_for_an_unrestricted_user_still_works(admin_client):
    # given
    owner = UserFactory()

    # when
    response = admin_client.post(reverse("admin:marketplace_listing_add"), _admin_listing_data(owner))

    # then
    assert response.status_code == 302
    assert Listing.objects.get().owner == owner


def test_admin_editing_an_existing_listing_of_a_restricted_owner_is_not_posting(admin_client):
    # given: a listing posted before its owner was restricted
    listing = ServiceListingFactory()
    _restrict(listing.owner, "posting")

    # when: staff correct its title
    data = _admin_listing_data(listing.owner, title="Corrected title")
    response = admin_client.post(reverse("admin:marketplace_listing_change", args=[listing.pk]), data)

    # then
    assert response.status_code == 302
    listing.refresh_from_db()
    assert listing.title == "Corrected title"


def test_admin_cannot_make_an_order_on_anyones_behalf(admin_client):
    # when
    response = admin_client.get(reverse("admin:orders_order_add"))

    # then: orders are made only through the order service, where the restrictions are checked
    assert response.status_code == 403
