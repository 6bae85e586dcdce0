"""A due delivery taken by several workers at once is sent once (PostgreSQL, threads)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection
from django.utils import timezone

from core.models import WebhookDelivery
from core.webhooks.services import webhook_delivery_attempt, webhook_endpoint_create
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_the_task_and_the_sweep_at_once_send_a_delivery_once(receiver):
    # given: a pending delivery, due now
    endpoint = webhook_endpoint_create(owner=UserFactory(), url=receiver.url, events=["*"])
    delivery = WebhookDelivery.objects.create(
        event_id=uuid.uuid4(),
        endpoint=endpoint,
        event_type="ping",
        payload={"type": "ping"},
        next_attempt_at=timezone.now(),
    )
    barrier = threading.Barrier(4)
    results: list[object] = []

    def attempt() -> None:
        try:
            barrier.wait()
            results.append(webhook_delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    # when
    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then
    delivery.refresh_from_db()
    assert len(receiver.received) == 1
    assert sum(r is not None for r in results) == 1
    assert (delivery.status, delivery.attempts) == ("delivered", 1)
