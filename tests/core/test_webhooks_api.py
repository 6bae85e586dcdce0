"""The partner API for webhook endpoints: the contract, the secret shown once, others' endpoints 404."""

from __future__ import annotations

import json

import pytest

from core.models import WebhookDelivery, WebhookEndpoint
from core.webhooks.services import webhook_endpoint_create, webhook_endpoint_ping
from core.webhooks.signing import signature_verify
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "https://partner.example/gigfair"
FIELDS = {
    "id",
    "url",
    "events",
    "description",
    "active",
    "failure_count",
    "disabled_at",
    "last_success_at",
    "created_at",
}


def create(client, body=None, **headers):
    return client.post("/api/v1/webhooks/", body or {"url": URL, "events": ["*"]}, format="json", **headers)


def test_create_answers_201_with_the_secret(api_as):
    # when
    response = create(api_as(UserFactory()), {"url": URL, "events": ["order.cancelled", "request.accepted"]})

    # then
    assert response.status_code == 201
    body = response.json()
    assert set(body) == FIELDS | {"secret"}
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    assert (body["url"], body["events"], body["active"]) == (URL, ["order.cancelled", "request.accepted"], True)
    assert WebhookEndpoint.objects.get(pk=body["id"]).secret == body["secret"]


def test_the_secret_is_never_returned_again(api_as):
    # given
    client = api_as(UserFactory())
    created = create(client).json()

    # when
    listed = client.get("/api/v1/webhooks/").json()
    detail = client.get(f"/api/v1/webhooks/{created['id']}/").json()
    patched = client.patch(f"/api/v1/webhooks/{created['id']}/", {"description": "HR"}, format="json").json()

    # then
    assert created["secret"] not in json.dumps([listed, detail, patched])
    assert set(detail) == set(patched) == set(listed["results"][0]) == FIELDS


def test_list_is_the_callers_own_newest_first_and_paginated(api_as, django_assert_max_num_queries):
    # given
    user = UserFactory()
    ids = [webhook_endpoint_create(owner=user, url=f"{URL}/{i}", events=["*"]).pk for i in range(3)]
    webhook_endpoint_create(owner=UserFactory(), url=URL, events=["*"])
    client = api_as(user)

    # when
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/webhooks/?page_size=2")

    # then
    body = response.json()
    assert [r["id"] for r in body["results"]] == ids[::-1][:2]
    assert body["count"] == 3 and body["next"] and body["previous"] is None


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://partner.example/hooks", "http"),
        ("javascript:alert(1)", "http"),
        ("https://user:pass@partner.example/hooks", "credentials"),
        ("https:///nohost", "valid"),
        ("not a url", "http"),
    ],
)
def test_a_bad_url_is_400_problem_json_naming_url(api_as, url, why):
    response = create(api_as(UserFactory()), {"url": url, "events": ["*"]})

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "invalid_url"
    assert why in body["errors"]["url"][0]
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://10.1.2.3/",
        "http://[::1]/",
        "http://169.254.169.254/latest",
    ],
)
def test_private_hosts_are_refused_in_production(api_as, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False

    response = create(api_as(UserFactory()), {"url": url, "events": ["*"]})

    assert response.status_code == 400
    assert "public" in response.json()["errors"]["url"][0]


def test_an_unknown_event_is_400_naming_events(api_as):
    response = create(api_as(UserFactory()), {"url": URL, "events": ["order.cancelled", "order.exploded"]})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "unknown_event"
    assert "order.exploded" in body["errors"]["events"][0]


def test_no_events_is_400(api_as):
    response = create(api_as(UserFactory()), {"url": URL, "events": []})

    assert response.status_code == 400
    assert "events" in response.json()["errors"]


def test_same_idempotency_key_replays_and_creates_once(api_as):
    # given
    client = api_as(UserFactory())

    # when
    first = create(client, HTTP_IDEMPOTENCY_KEY="hook-1")
    again = create(client, HTTP_IDEMPOTENCY_KEY="hook-1")
    other = create(client, {"url": URL + "/2", "events": ["*"]}, HTTP_IDEMPOTENCY_KEY="hook-1")

    # then
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert other.status_code == 422
    assert WebhookEndpoint.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", ""),
        ("patch", ""),
        ("delete", ""),
        ("post", "rotate-secret/"),
        ("get", "deliveries/"),
        ("post", "test/"),
    ],
)
def test_someone_elses_endpoint_is_404(api_as, method, path):
    # given
    endpoint = webhook_endpoint_create(owner=UserFactory(), url=URL, events=["*"])
    client = api_as(UserFactory())

    # when
    response = getattr(client, method)(f"/api/v1/webhooks/{endpoint.pk}/{path}", {}, format="json")

    # then
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookEndpoint.objects.count() == 1
    assert not WebhookDelivery.objects.exists()


def test_anonymous_is_401(api):
    assert api.get("/api/v1/webhooks/").status_code == 401
    assert api.post("/api/v1/webhooks/", {"url": URL, "events": ["*"]}, format="json").status_code == 401


def test_patch_pauses_resumes_and_changes_the_subscription(api_as):
    # given
    user = UserFactory()
    endpoint = webhook_endpoint_create(owner=user, url=URL, events=["*"])
    client = api_as(user)

    # when
    paused = client.patch(
        f"/api/v1/webhooks/{endpoint.pk}/", {"active": False, "events": ["order.late"]}, format="json"
    )

    # then
    assert paused.status_code == 200
    assert (paused.json()["active"], paused.json()["events"]) == (False, ["order.late"])
    resumed = client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": True}, format="json")
    assert resumed.json()["active"] is True
    bad = client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"url": "ftp://x.example/"}, format="json")
    assert bad.status_code == 400 and "url" in bad.json()["errors"]
    endpoint.refresh_from_db()
    assert endpoint.url == URL


def test_delete_removes_the_endpoint(api_as):
    user = UserFactory()
    endpoint = webhook_endpoint_create(owner=user, url=URL, events=["*"])

    response = api_as(user).delete(f"/api/v1/webhooks/{endpoint.pk}/")

    assert response.status_code == 204
    assert not WebhookEndpoint.objects.exists()


def test_rotate_returns_a_new_secret_that_signs_from_now_on(api_as, user, receiver, django_capture_on_commit_callbacks):
    # given
    endpoint = webhook_endpoint_create(owner=user, url=receiver.url, events=["*"])
    old = endpoint.secret

    # when
    response = api_as(user).post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret/")
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_ping(endpoint=endpoint)

    # then
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != old
    [hit] = receiver.received
    assert signature_verify(secret=new, body=hit.body, header=hit.headers["Gigfair-Signature"])
    assert not signature_verify(secret=old, body=hit.body, header=hit.headers["Gigfair-Signature"])


def test_test_sends_a_ping_and_deliveries_show_it(api_as, user, receiver, django_capture_on_commit_callbacks):
    # given
    endpoint = webhook_endpoint_create(owner=user, url=receiver.url, events=["order.completed"])
    client = api_as(user)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")
    deliveries = client.get(f"/api/v1/webhooks/{endpoint.pk}/deliveries/")

    # then
    assert sent.status_code == 202
    assert sent.json()["event_type"] == "ping"
    assert receiver.received[0].headers["Gigfair-Event"] == "ping"
    [row] = deliveries.json()["results"]
    assert (row["id"], row["status"], row["attempts"], row["last_status_code"]) == (
        sent.json()["id"],
        "delivered",
        1,
        200,
    )


def test_test_on_a_paused_endpoint_is_409(api_as, user):
    endpoint = webhook_endpoint_create(owner=user, url=URL, events=["*"])
    client = api_as(user)
    client.patch(f"/api/v1/webhooks/{endpoint.pk}/", {"active": False}, format="json")

    response = client.post(f"/api/v1/webhooks/{endpoint.pk}/test/")

    assert response.status_code == 409
    assert response.json()["code"] == "endpoint_paused"


def test_event_catalogue_is_listed(api_as):
    events = api_as(UserFactory()).get("/api/v1/webhooks/events/").json()["events"]

    assert "order.cancelled" in events and "ticket.approved" in events


def test_a_subject_wildcard_is_accepted_and_an_unknown_subject_is_not(api_as):
    client = api_as(UserFactory())

    assert create(client, {"url": URL, "events": ["order.*"]}).json()["events"] == ["order.*"]
    assert create(client, {"url": URL, "events": ["invoice.*"]}).status_code == 400
