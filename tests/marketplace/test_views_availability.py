"""The "My availability" page, and what clients see while a provider is away."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import Availability
from marketplace.selectors import availability_of
from tests.factories import ServiceListingFactory, UserFactory

pytestmark = pytest.mark.django_db

LOCAL = "%Y-%m-%dT%H:%M"


def _local(value) -> str:
    return timezone.localtime(value).strftime(LOCAL)


def test_the_page_needs_a_login(client):
    assert client.get(reverse("availability")).status_code == 302


def test_the_page_says_i_am_available(client, user):
    client.force_login(user)

    html = client.get(reverse("availability")).content.decode()

    assert "You are available" in html
    assert 'name="away_until"' in html


def test_going_away_now_with_a_return_date(client, user):
    client.force_login(user)
    back = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)

    response = client.post(reverse("availability"), {"away_from": "", "away_until": _local(back), "message": "Holiday"})

    assert response.status_code == 302
    availability = availability_of(user=user)
    assert availability.is_away and availability.away_until == back and availability.message == "Holiday"
    html = client.get(reverse("availability")).content.decode()
    assert "You are unavailable until" in html
    assert "I am available again" in html


def test_a_return_before_the_start_is_a_form_error(client, user):
    client.force_login(user)
    start = timezone.now() + timedelta(days=5)

    response = client.post(
        reverse("availability"), {"away_from": _local(start), "away_until": _local(start - timedelta(days=1))}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["away_until"]
    assert not Availability.objects.exists()


def test_switching_back(client, user):
    services.availability_set(user=user)
    client.force_login(user)

    response = client.post(reverse("availability_clear"))

    assert response.status_code == 302
    assert availability_of(user=user) is None


def test_the_nav_and_user_menu_link_the_new_pages(client, user):
    client.force_login(user)

    html = client.get(reverse("home")).content.decode()

    assert reverse("availability") in html
    assert reverse("block_list") in html
    assert reverse("user_profile", args=[user.username]) in html


def test_browsing_hides_the_listings_of_someone_away(client):
    away = ServiceListingFactory(title="Away logo")
    here = ServiceListingFactory(title="Here logo")
    services.availability_set(user=away.owner)

    html = client.get(reverse("home")).content.decode()

    assert "Here logo" in html and "Away logo" not in html
    assert here.pk


def test_the_listing_page_shows_the_announcement_and_no_order_form(client, user):
    listing = ServiceListingFactory()
    back = timezone.now() + timedelta(days=3)
    services.availability_set(user=listing.owner, away_until=back, message="Back after the fair")
    client.force_login(user)

    html = client.get(reverse("listing_detail", args=[listing.pk])).content.decode()

    assert "is unavailable until" in html
    assert "Back after the fair" in html
    assert "Not taking orders right now" in html
    assert 'name="requirements"' not in html


def test_the_listing_page_shows_a_planned_absence_and_still_takes_orders(client, user):
    listing = ServiceListingFactory()
    start = timezone.now() + timedelta(days=3)
    services.availability_set(user=listing.owner, away_from=start, away_until=start + timedelta(days=2))
    client.force_login(user)

    html = client.get(reverse("listing_detail", args=[listing.pk])).content.decode()

    assert "will be unavailable from" in html
    assert 'name="requirements"' in html


def test_an_order_posted_while_away_is_refused_on_the_page(client, user):
    listing = ServiceListingFactory()
    services.availability_set(user=listing.owner, message="Sick")
    client.force_login(user)

    response = client.post(reverse("order_create", args=[listing.pk]), {"requirements": ""})

    assert response.status_code == 200
    assert "is unavailable until further notice" in response.content.decode()
    assert not user.orders_as_client.exists()


def test_the_listing_comes_back_by_itself(client):
    listing = ServiceListingFactory(title="Returning logo")
    back = timezone.now() + timedelta(days=1)
    services.availability_set(user=listing.owner, away_until=back)

    assert "Returning logo" not in client.get(reverse("home")).content.decode()
    with time_machine.travel(back + timedelta(seconds=1), tick=False):
        assert "Returning logo" in client.get(reverse("home")).content.decode()


def test_someone_elses_announcement_is_not_mine(client, user):
    services.availability_set(user=UserFactory())
    client.force_login(user)

    assert "You are available" in client.get(reverse("availability")).content.decode()
