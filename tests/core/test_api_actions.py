"""What every action endpoint shares: input checked first, the object as its detail shows it, no double act."""

import pytest

from core.models import WebhookDelivery, WebhookEndpoint
from core.webhooks.services import webhook_endpoint_create
from orders.models import Order
from tests.disputes.test_requests_services import open_cancel
from tests.factories import UserFactory, order_in_progress, service_order

pytestmark = pytest.mark.django_db

URL = "https://partner.example/gigfair"


def test_invalid_input_is_400_before_the_object_is_looked_up(api_as):
    # given: an order the caller has no part in
    order = service_order()

    # when
    response = api_as(UserFactory()).post(f"/api/v1/orders/{order.pk}/cancel/", {}, format="json")

    # then: refused for its input, which says nothing about the order, and nothing changed
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "reason" in response.json()["errors"]
    assert Order.objects.get(pk=order.pk).state == order.state


def test_an_order_action_answers_with_the_order_as_its_detail_shows_it(api_as):
    # given
    order = service_order()
    client = api_as(order.client)

    # when
    acted = client.post(f"/api/v1/orders/{order.pk}/requirements/", {"requirements": "A fox"}, format="json")

    # then
    assert acted.status_code == 200
    assert acted.json()["state"] == "in_progress"
    assert acted.json() == client.get(f"/api/v1/orders/{order.pk}/").json()


def test_a_request_action_answers_with_the_request_as_its_detail_shows_it(api_as):
    # given
    found = open_cancel(order_in_progress())
    client = api_as(found.author)

    # when
    acted = client.post(f"/api/v1/requests/{found.pk}/withdraw/")

    # then
    assert acted.status_code == 200
    assert acted.json()["state"] == "withdrawn"
    assert acted.json() == client.get(f"/api/v1/requests/{found.pk}/").json()


def test_an_action_on_someone_elses_object_is_404_and_changes_nothing(api_as):
    # given
    endpoint = webhook_endpoint_create(owner=UserFactory(), url=URL, events=["*"])

    # when
    response = api_as(UserFactory()).post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/")

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_a_rotation_replayed_with_its_key_answers_the_first_secret_and_rotates_once(api_as, user):
    # given
    endpoint = webhook_endpoint_create(owner=user, url=URL, events=["*"])
    client = api_as(user)
    first = client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", HTTP_IDEMPOTENCY_KEY="r-1")

    # when
    again = client.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/", HTTP_IDEMPOTENCY_KEY="r-1")

    # then: a second rotation would have stored a secret nobody was shown
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == first.json()["secret"] != endpoint.secret


def test_a_ping_replayed_with_its_key_is_queued_once(api_as, user):
    # given
    endpoint = webhook_endpoint_create(owner=user, url=URL, events=["*"])
    client = api_as(user)
    first = client.post(f"/api/v1/webhooks/{endpoint.pk}/test/", HTTP_IDEMPOTENCY_KEY="p-1")

    # when
    again = client.post(f"/api/v1/webhooks/{endpoint.pk}/test/", HTTP_IDEMPOTENCY_KEY="p-1")

    # then
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert list(WebhookDelivery.objects.filter(endpoint=endpoint).values_list("pk", flat=True)) == [first.json()["id"]]
