"""GET, PUT /api/v1/me/availability/ and the profile endpoint."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.fields import DateTimeField

from marketplace import services
from orders.models import Order
from tests.factories import ServiceListingFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/availability/"


def _iso(value) -> str:
    return DateTimeField().to_representation(value)


def test_available_by_default(api_as, user):
    assert api_as(user).get(URL).json() == {"available_now": True, "announcement": None}


def test_announce_time_away_now_until_a_date(api_as, user):
    back = timezone.now() + timedelta(days=5)

    response = api_as(user).put(URL, {"announcement": {"ends_at": _iso(back), "message": "Fair"}}, format="json")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["available_now"] is False
    assert body["announcement"]["ends_at"] == _iso(back)
    assert body["announcement"]["message"] == "Fair"


def test_a_planned_period_is_announced_but_not_in_force(api_as, user):
    start = timezone.now() + timedelta(days=2)
    payload = {"announcement": {"starts_at": _iso(start), "ends_at": _iso(start + timedelta(days=1))}}

    body = api_as(user).put(URL, payload, format="json").json()

    assert body["available_now"] is True
    assert body["announcement"]["starts_at"] == _iso(start)


def test_null_makes_me_available(api_as, user):
    services.availability_set(user=user)

    response = api_as(user).put(URL, {"announcement": None}, format="json")

    assert response.json() == {"available_now": True, "announcement": None}


def test_an_impossible_period_is_400(api_as, user):
    past = timezone.now() - timedelta(days=1)

    response = api_as(user).put(URL, {"announcement": {"ends_at": _iso(past)}}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "away_until" in response.json()["errors"]


def test_the_announcement_ends_by_itself(api_as, user):
    back = timezone.now() + timedelta(hours=3)
    services.availability_set(user=user, away_until=back)

    with time_machine.travel(back, tick=False):
        assert api_as(user).get(URL).json() == {"available_now": True, "announcement": None}


def test_ordering_from_someone_away_is_409_with_the_return_date(api_as, user):
    listing = ServiceListingFactory()
    back = timezone.now() + timedelta(days=2)
    services.availability_set(user=listing.owner, away_until=back, message="Out")

    response = api_as(user).post("/api/v1/orders/", {"listing": listing.pk}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "provider_unavailable"
    assert body["unavailable_until"] == back.isoformat()
    assert "Out" in body["detail"]
    assert not Order.objects.exists()


def test_listings_of_someone_away_are_not_browsable(api_as, user):
    away = ServiceListingFactory()
    here = ServiceListingFactory()
    services.availability_set(user=away.owner)

    ids = [item["id"] for item in api_as(user).get("/api/v1/listings/").json()["results"]]

    assert ids == [here.pk]


def test_the_profile_shows_availability(api_as, user):
    other = UserFactory(display_name="Dora", bio="Bar staff")
    services.availability_set(user=other, message="Exams")

    body = api_as(user).get(f"/api/v1/users/{other.username}/").json()

    assert (body["display_name"], body["bio"]) == ("Dora", "Bar staff")
    assert body["availability"]["available_now"] is False
    assert body["availability"]["announcement"]["message"] == "Exams"


def test_an_unknown_profile_is_404(api_as, user):
    assert api_as(user).get("/api/v1/users/no-such-person/").status_code == 404
