"""Webhook delivery to a real HTTP server: signed bodies, retries with back-off, switching off."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.jobs import sweep_run
from core.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint
from core.webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    webhook_delivery_attempt,
    webhook_endpoint_create,
    webhook_endpoint_ping,
    webhook_endpoint_update,
)
from core.webhooks.signing import signature_header, signature_verify
from marketplace.models import Notification
from orders import services as order_services
from tests.factories import service_order

pytestmark = pytest.mark.django_db

SWEEP = "core.retry_webhook_deliveries"


def endpoint_for(user, url: str, events=("*",)) -> WebhookEndpoint:
    return webhook_endpoint_create(owner=user, url=url, events=list(events))


def ping(endpoint, capture) -> WebhookDelivery:
    with capture(execute=True):
        delivery = webhook_endpoint_ping(endpoint=endpoint)
    delivery.refresh_from_db()
    return delivery


def test_order_change_is_posted_signed_to_the_partner(receiver, django_capture_on_commit_callbacks):
    # given
    order = service_order()
    endpoint = endpoint_for(order.client, receiver.url)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_submit_requirements(order=order, actor=order.client, requirements="A logo")

    # then
    [hit] = receiver.received
    body = json.loads(hit.body)
    assert hit.path == "/hooks"
    assert hit.headers["Content-Type"] == "application/json"
    assert hit.headers["Gigfair-Event"] == "order.in_progress" == body["type"]
    assert signature_verify(secret=endpoint.secret, body=hit.body, header=hit.headers["Gigfair-Signature"])
    t, v1 = (part.split("=", 1)[1] for part in hit.headers["Gigfair-Signature"].split(","))
    assert v1 == hmac.new(endpoint.secret.encode(), f"{t}.".encode() + hit.body, hashlib.sha256).hexdigest()
    delivery = WebhookDelivery.objects.get()
    assert hit.headers["Gigfair-Delivery"] == str(delivery.pk)
    assert body["id"] == str(delivery.event_id)
    assert body["data"]["object"] == {"type": "order", "id": order.pk, "url": f"/api/v1/orders/{order.pk}/"}
    assert body["data"] | {"at": None} == {
        "object": body["data"]["object"],
        "transition": "submit_requirements",
        "from": "awaiting_requirements",
        "to": "in_progress",
        "at": None,
        "by": order.client.username,
        "role": "client",
        "reason": body["data"]["reason"],
    }
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_signature_with_another_secret_or_an_old_timestamp_does_not_verify():
    body = b'{"type":"ping"}'
    header = signature_header(secret="whsec_right", body=body)

    assert signature_verify(secret="whsec_right", body=body, header=header)
    assert not signature_verify(secret="whsec_wrong", body=body, header=header)
    assert not signature_verify(secret="whsec_right", body=body + b" ", header=header)
    old = signature_header(secret="whsec_right", body=body, timestamp=int(timezone.now().timestamp()) - 3600)
    assert not signature_verify(secret="whsec_right", body=body, header=old)


def test_failed_delivery_is_retried_with_back_off_until_it_succeeds(receiver, user, django_capture_on_commit_callbacks):
    # given: the partner answers 500, then 503, then 200
    receiver.statuses = [500, 503]
    endpoint = endpoint_for(user, receiver.url)
    start = timezone.now()

    with time_machine.travel(start, tick=False):
        delivery = ping(endpoint, django_capture_on_commit_callbacks)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    assert delivery.next_attempt_at == start + RETRY_DELAYS[0]

    # when: the sweep runs before the back-off is over, nothing is sent
    with time_machine.travel(start + RETRY_DELAYS[0] - timedelta(seconds=1), tick=False):
        assert sweep_run(SWEEP).processed == 0
    # when: after it, the second attempt
    second = start + RETRY_DELAYS[0]
    with time_machine.travel(second, tick=False):
        assert sweep_run(SWEEP).processed == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at == second + RETRY_DELAYS[1]
    endpoint.refresh_from_db()
    assert endpoint.failure_count == 2

    with time_machine.travel(second + RETRY_DELAYS[1], tick=False):
        sweep_run(SWEEP)

    # then
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("delivered", 3, None)
    assert len(receiver.received) == 3
    assert {r.headers["Gigfair-Delivery"] for r in receiver.received} == {str(delivery.pk)}
    assert (endpoint.failure_count, endpoint.active) == (0, True)


def test_delivery_fails_for_good_after_the_last_attempt(receiver, user, settings, django_capture_on_commit_callbacks):
    # given
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 100
    receiver.default_status = 500
    endpoint = endpoint_for(user, receiver.url)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        delivery = ping(endpoint, django_capture_on_commit_callbacks)

    # when: every retry comes due and fails
    for delay in RETRY_DELAYS:
        now += delay
        with time_machine.travel(now, tick=False):
            sweep_run(SWEEP)

    # then
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", MAX_ATTEMPTS, None)
    assert len(receiver.received) == MAX_ATTEMPTS
    with time_machine.travel(now + timedelta(days=7), tick=False):
        assert sweep_run(SWEEP).processed == 0


def test_endpoint_is_switched_off_after_failures_in_a_row_and_its_owner_told(
    receiver, user, settings, django_capture_on_commit_callbacks
):
    # given
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    receiver.default_status = 500
    endpoint = endpoint_for(user, receiver.url)

    # when
    for _ in range(3):
        ping(endpoint, django_capture_on_commit_callbacks)

    # then
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert endpoint.disabled_at is not None
    assert endpoint.failure_count == 3
    notice = Notification.objects.get(user=user, kind="webhook_disabled")
    assert endpoint.url in notice.body
    # and nothing more is recorded for it
    order = service_order(client=user)
    with django_capture_on_commit_callbacks(execute=True):
        order_services.order_submit_requirements(order=order, actor=user, requirements="A logo")
    assert WebhookDelivery.objects.filter(event_type__startswith="order.").count() == 0


def test_resuming_a_switched_off_endpoint_sends_what_was_held_back(
    receiver, user, settings, django_capture_on_commit_callbacks
):
    # given: a failed attempt pending its retry, then the endpoint switched off
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 1
    receiver.statuses = [500]
    endpoint = endpoint_for(user, receiver.url)
    delivery = ping(endpoint, django_capture_on_commit_callbacks)
    endpoint.refresh_from_db()
    assert endpoint.active is False
    assert sweep_run(SWEEP).processed == 0

    # when
    webhook_endpoint_update(endpoint=endpoint, active=True)
    result = sweep_run(SWEEP)

    # then
    delivery.refresh_from_db()
    endpoint.refresh_from_db()
    assert result.processed == 1
    assert delivery.status == WebhookDeliveryStatus.DELIVERED
    assert (endpoint.active, endpoint.failure_count, endpoint.disabled_at) == (True, 0, None)


def test_unreachable_endpoint_records_the_error(user, django_capture_on_commit_callbacks):
    # given: a port nobody listens on
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    endpoint = endpoint_for(user, f"http://127.0.0.1:{port}/hooks")

    # when
    delivery = ping(endpoint, django_capture_on_commit_callbacks)

    # then
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, None)
    assert delivery.last_error


def test_a_redirect_is_not_followed_and_counts_as_a_failure(receiver, user, django_capture_on_commit_callbacks):
    receiver.statuses = [302]
    endpoint = endpoint_for(user, receiver.url)

    delivery = ping(endpoint, django_capture_on_commit_callbacks)

    assert (delivery.status, delivery.last_status_code) == ("pending", 302)
    assert len(receiver.received) == 1


def test_delivery_of_a_paused_endpoint_or_not_yet_due_is_not_sent(receiver, user, django_capture_on_commit_callbacks):
    # given
    receiver.statuses = [500]
    endpoint = endpoint_for(user, receiver.url)
    delivery = ping(endpoint, django_capture_on_commit_callbacks)

    # when / then: not due yet
    assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    # when / then: due, but the endpoint is paused
    webhook_endpoint_update(endpoint=endpoint, active=False)
    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert webhook_delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


def test_private_address_is_refused_at_send_time_outside_development(
    receiver, user, settings, django_capture_on_commit_callbacks
):
    # given: saved while allowed, sent after the setting changed
    endpoint = endpoint_for(user, receiver.url)
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False

    delivery = ping(endpoint, django_capture_on_commit_callbacks)

    assert receiver.received == []
    assert delivery.status == "pending"
    assert "public" in delivery.last_error


def test_old_finished_deliveries_are_purged_and_pending_ones_kept(receiver, user, django_capture_on_commit_callbacks):
    # given
    receiver.statuses = [200, 500]
    endpoint = endpoint_for(user, receiver.url)
    delivered = ping(endpoint, django_capture_on_commit_callbacks)
    pending = ping(endpoint, django_capture_on_commit_callbacks)

    # when
    with time_machine.travel(timezone.now() + timedelta(days=31), tick=False):
        result = sweep_run("core.purge_old_webhook_deliveries")

    # then
    assert result.processed == 1
    assert list(WebhookDelivery.objects.values_list("pk", flat=True)) == [pending.pk]
    assert not WebhookDelivery.objects.filter(pk=delivered.pk).exists()


def test_the_send_task_is_registered_under_its_stable_name():
    from config.celery import app

    app.loader.import_default_modules()

    assert "core.webhook_deliveries_send" in app.tasks
