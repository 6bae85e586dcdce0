"""The back office for people and listings."""

from __future__ import annotations

import pytest
from django.urls import reverse

from marketplace.models import Listing, User
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST_MAX_QUERIES = 12


@pytest.mark.parametrize("url_name", ["admin:marketplace_user_changelist", "admin:marketplace_listing_changelist"])
def test_changelist_loads_with_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries, url_name):
    for _ in range(6):
        ServiceListingFactory()
        ShiftListingFactory()

    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 12


def test_user_search_finds_by_username_email_and_display_name(admin_client):
    ana = UserFactory(username="ana", email="ana@studio.example", display_name="Ana Souza")
    UserFactory(username="bram")
    url = reverse("admin:marketplace_user_changelist")

    found = [list(admin_client.get(url, {"q": q}).context["cl"].result_list) for q in ("ana", "studio", "souza")]

    assert found == [[ana], [ana], [ana]]


def test_user_change_page_shows_the_display_name(admin_client):
    user = UserFactory(display_name="Dora Jansen")

    response = admin_client.get(reverse("admin:marketplace_user_change", args=(user.pk,)))

    assert response.status_code == 200
    assert "display_name" in response.context["adminform"].form.fields
    assert b"Dora Jansen" in response.content


def test_staff_can_add_a_user_with_a_display_name(admin_client):
    response = admin_client.post(
        reverse("admin:marketplace_user_add"),
        {
            "username": "eve",
            "email": "eve@example.com",
            "display_name": "Eve",
            "password1": "Another-Horse-77",
            "password2": "Another-Horse-77",
            "usable_password": "true",
        },
    )

    user = User.objects.get(username="eve")
    assert response.status_code == 302
    assert (user.display_name, user.email) == ("Eve", "eve@example.com")
    assert user.check_password("Another-Horse-77")


def test_listing_search_and_filters(admin_client):
    owner = UserFactory(username="bram")
    logo = ServiceListingFactory(owner=owner, title="Logo design")
    shift = ShiftListingFactory(title="Bar shift", is_active=False)
    url = reverse("admin:marketplace_listing_changelist")

    by_owner = list(admin_client.get(url, {"q": "bram"}).context["cl"].result_list)
    by_title = list(admin_client.get(url, {"q": "logo"}).context["cl"].result_list)
    inactive_shifts = list(admin_client.get(url, {"kind": "shift", "is_active__exact": "0"}).context["cl"].result_list)

    assert by_owner == by_title == [logo]
    assert inactive_shifts == [shift]


def test_listing_kind_and_owner_are_fixed_once_it_exists(admin_client):
    listing = ServiceListingFactory()

    response = admin_client.get(reverse("admin:marketplace_listing_change", args=(listing.pk,)))

    fields = response.context["adminform"].form.fields
    assert "title" in fields
    assert "kind" not in fields
    assert "owner" not in fields


def test_staff_can_take_a_listing_off_the_market(admin_client):
    listing = ServiceListingFactory()
    url = reverse("admin:marketplace_listing_change", args=(listing.pk,))
    form = admin_client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None}
    data["is_active"] = ""

    response = admin_client.post(url, {k: v for k, v in data.items() if v != ""})

    listing.refresh_from_db()
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert listing.is_active is False
    assert Listing.objects.count() == 1
