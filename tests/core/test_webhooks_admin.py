"""Webhooks in the back office: endpoints and deliveries, a redeliver action, never a secret."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.models import WebhookDelivery
from core.webhooks.services import webhook_endpoint_create, webhook_endpoint_ping
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_endpoint_pages_never_show_the_secret(admin_client, django_assert_max_num_queries):
    endpoints = [
        webhook_endpoint_create(owner=UserFactory(), url=f"https://p.example/{i}", events=["*"]) for i in range(4)
    ]

    with django_assert_max_num_queries(10):
        listing = admin_client.get(reverse("admin:core_webhookendpoint_changelist"))
    page = admin_client.get(reverse("admin:core_webhookendpoint_change", args=[endpoints[0].pk]))

    assert listing.status_code == page.status_code == 200
    for endpoint in endpoints:
        assert endpoint.url in listing.content.decode()
        assert endpoint.secret not in listing.content.decode()
    assert endpoints[0].secret not in page.content.decode()
    assert endpoints[0].owner.username in page.content.decode()


def test_deliveries_filter_by_status_and_event_and_search_by_owner(admin_client, django_assert_max_num_queries):
    # given
    ana, bram = UserFactory(username="ana"), UserFactory(username="bram")
    for user in (ana, bram):
        webhook_endpoint_ping(endpoint=webhook_endpoint_create(owner=user, url="https://p.example/", events=["*"]))
    changelist = reverse("admin:core_webhookdelivery_changelist")

    # when / then
    with django_assert_max_num_queries(12):
        assert len(admin_client.get(changelist).context["cl"].result_list) == 2
    assert len(admin_client.get(changelist, {"status": "pending", "event_type": "ping"}).context["cl"].result_list) == 2
    assert len(admin_client.get(changelist, {"status": "delivered"}).context["cl"].result_list) == 0
    [found] = admin_client.get(changelist, {"q": "ana"}).context["cl"].result_list
    assert found.endpoint.owner == ana


def test_redeliver_sends_a_failed_delivery_again(admin_client, receiver, django_capture_on_commit_callbacks):
    # given: a delivery that failed for good
    endpoint = webhook_endpoint_create(owner=UserFactory(), url=receiver.url, events=["*"])
    delivery = webhook_endpoint_ping(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8, next_attempt_at=None)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("admin:core_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [delivery.pk]},
            follow=True,
        )

    # then
    delivery.refresh_from_db()
    assert response.status_code == 200
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
    assert len(receiver.received) == 1


def test_pause_action_calls_the_service(admin_client):
    endpoint = webhook_endpoint_create(owner=UserFactory(), url="https://p.example/", events=["*"])

    admin_client.post(
        reverse("admin:core_webhookendpoint_changelist"), {"action": "pause", "_selected_action": [endpoint.pk]}
    )

    endpoint.refresh_from_db()
    assert endpoint.active is False
