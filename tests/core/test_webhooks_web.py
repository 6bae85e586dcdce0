"""The Webhooks page: add with the secret shown once, pause, rotate, remove, recent deliveries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import WebhookDelivery, WebhookEndpoint
from core.webhooks.services import webhook_endpoint_create, webhook_endpoint_ping
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "https://partner.example/gigfair"


@pytest.fixture
def signed_in(client, user):
    client.force_login(user)
    return client


def test_adding_an_endpoint_shows_its_secret_exactly_once(signed_in, user):
    # when
    response = signed_in.post(reverse("webhooks"), {"url": URL, "all_events": "on"}, follow=True)

    # then
    endpoint = WebhookEndpoint.objects.get(owner=user)
    assert endpoint.events == ["*"]
    assert response.status_code == 200
    assert endpoint.secret in response.content.decode()
    assert endpoint.secret not in signed_in.get(reverse("webhooks")).content.decode()


def test_adding_with_chosen_events(signed_in, user):
    signed_in.post(reverse("webhooks"), {"url": URL, "events": ["order.cancelled", "order.completed"]})

    assert WebhookEndpoint.objects.get(owner=user).events == ["order.cancelled", "order.completed"]


def test_a_refused_url_is_shown_on_its_field_and_nothing_is_added(signed_in):
    response = signed_in.post(reverse("webhooks"), {"url": "ftp://partner.example/", "all_events": "on"})

    assert response.status_code == 200
    assert "Only http:// and https://" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_no_events_chosen_is_refused(signed_in):
    response = signed_in.post(reverse("webhooks"), {"url": URL})

    assert "Choose at least one event" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_page_lists_only_the_users_endpoints_and_never_a_secret(signed_in, user, django_assert_max_num_queries):
    # given
    mine = [webhook_endpoint_create(owner=user, url=f"{URL}/{i}", events=["*"]) for i in range(3)]
    theirs = webhook_endpoint_create(owner=UserFactory(), url="https://other.example/x", events=["*"])

    # when
    with django_assert_max_num_queries(8):
        response = signed_in.get(reverse("webhooks"))

    # then
    html = response.content.decode()
    assert all(e.url in html and e.secret not in html for e in mine)
    assert theirs.url not in html


def test_pause_resume_rotate_and_remove(signed_in, user):
    endpoint = webhook_endpoint_create(owner=user, url=URL, events=["*"])
    old_secret = endpoint.secret

    signed_in.post(reverse("webhook_toggle", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active is False

    signed_in.post(reverse("webhook_toggle", args=[endpoint.pk]))
    endpoint.refresh_from_db()
    assert endpoint.active is True

    response = signed_in.post(reverse("webhook_rotate", args=[endpoint.pk]), follow=True)
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret
    assert endpoint.secret in response.content.decode()

    signed_in.post(reverse("webhook_delete", args=[endpoint.pk]))
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "name", ["webhook_detail", "webhook_toggle", "webhook_rotate", "webhook_ping", "webhook_delete"]
)
def test_someone_elses_endpoint_is_404(signed_in, name):
    endpoint = webhook_endpoint_create(owner=UserFactory(), url=URL, events=["*"])

    method = signed_in.get if name == "webhook_detail" else signed_in.post
    assert method(reverse(name, args=[endpoint.pk])).status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.active and not WebhookDelivery.objects.exists()


def test_deliveries_page_shows_each_with_its_status(
    signed_in, user, receiver, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    # given
    receiver.statuses = [500]
    endpoint = webhook_endpoint_create(owner=user, url=receiver.url, events=["*"])
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_ping(endpoint=endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("webhook_ping", args=[endpoint.pk]))

    # when
    with django_assert_max_num_queries(8):
        response = signed_in.get(reverse("webhook_detail", args=[endpoint.pk]))

    # then
    html = response.content.decode()
    assert html.count("<code>ping</code>") == 2
    assert "HTTP 500" in html and "delivered" in html and "pending" in html


def test_the_user_menu_links_to_the_page(signed_in):
    assert reverse("webhooks").encode() in signed_in.get(reverse("availability")).content


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("webhooks"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]
