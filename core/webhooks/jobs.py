"""The webhook sweeps: retry deliveries whose back-off has run out, and forget old finished ones."""

from __future__ import annotations

import time
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.jobs import SweepResult
from core.models import WebhookDelivery, WebhookDeliveryStatus

from .services import webhook_delivery_attempt

BATCH = 100
# Stop starting new attempts after this long: the sweep runs every minute, the next run goes on.
TIME_BUDGET_SECONDS = 45


def retry_webhook_deliveries() -> SweepResult:
    """Attempt every pending delivery that is due (first attempts the worker missed, and retries)."""
    started = time.monotonic()
    sent = delivered = 0
    last_seen: tuple = ()
    while time.monotonic() - started < TIME_BUDGET_SECONDS:
        due = WebhookDelivery.objects.filter(
            status=WebhookDeliveryStatus.PENDING, next_attempt_at__lte=timezone.now(), endpoint__active=True
        ).order_by("next_attempt_at", "pk")
        ids = list(due.values_list("pk", flat=True)[:BATCH])
        if not ids or tuple(ids) == last_seen:
            break  # nothing due, or only rows another worker holds right now
        last_seen = tuple(ids)
        for delivery_id in ids:
            delivery = webhook_delivery_attempt(delivery_id=delivery_id)
            if delivery is not None:
                sent += 1
                delivered += delivery.status == WebhookDeliveryStatus.DELIVERED
            if time.monotonic() - started >= TIME_BUDGET_SECONDS:
                break
    return SweepResult(processed=sent, detail=f"{delivered} delivered" if sent else "")


def purge_old_webhook_deliveries() -> SweepResult:
    """Delete delivered and failed deliveries older than WEBHOOKS_KEEP_DELIVERIES_DAYS; pending ones stay."""
    cutoff = timezone.now() - timedelta(days=settings.WEBHOOKS_KEEP_DELIVERIES_DAYS)
    deleted, _ = WebhookDelivery.objects.filter(
        created_at__lt=cutoff, status__in=(WebhookDeliveryStatus.DELIVERED, WebhookDeliveryStatus.FAILED)
    ).delete()
    return SweepResult(processed=deleted)
