"""Thin Celery tasks of orders: take ids, re-fetch, call a service."""

from __future__ import annotations

from celery import shared_task

from .refunds import charge_settle


@shared_task(name="orders.charge_settle")
def charge_settle_task(charge_id: int) -> str:
    """Charge the client's card for a charge just asked for; one not due any more is left alone."""
    charge = charge_settle(charge_id=charge_id)
    return charge.status if charge is not None else "not due"
