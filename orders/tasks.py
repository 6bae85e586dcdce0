"""Thin Celery tasks of orders: take ids, re-fetch, call a service."""

from __future__ import annotations

from celery import shared_task

from .payouts import payout_send
from .refunds import charge_settle


@shared_task(name="orders.charge_settle")
def charge_settle_task(charge_id: int) -> str:
    """Charge the client's card for a charge just asked for; one not due any more is left alone."""
    charge = charge_settle(charge_id=charge_id)
    return charge.status if charge is not None else "not due"


@shared_task(name="orders.payout_send")
def payout_send_task(payout_id: int) -> str:
    """Send a payout just asked for to the gateway; one sent or under way elsewhere is left alone."""
    payout = payout_send(payout_id=payout_id)
    return payout.state if payout is not None else "not due"
