"""Thin Celery task: take delivery ids, send each that is still due."""

from __future__ import annotations

from celery import shared_task

from .services import webhook_delivery_attempt


@shared_task(name="core.webhook_deliveries_send")
def webhook_deliveries_send_task(delivery_ids: list[int]) -> int:
    """Attempt each delivery once; ones gone, done, not due or paused are skipped. Returns how many were sent."""
    sent = 0
    for delivery_id in delivery_ids:
        if webhook_delivery_attempt(delivery_id=delivery_id) is not None:
            sent += 1
    return sent
