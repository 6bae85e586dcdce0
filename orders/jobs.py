"""Clock-driven sweeps over orders: batched, state-filtered, safe to run twice at once."""

from __future__ import annotations

from django.utils import timezone

from core.jobs import SweepResult

from .models import Order, OrderState
from .services import order_auto_complete

BATCH = 500


def _auto_complete_due(kind: str, state: str) -> SweepResult:
    done = 0
    last_id = 0
    while True:
        ids = list(
            Order.objects.filter(kind=kind, state=state, auto_complete_at__lte=timezone.now(), pk__gt=last_id)
            .order_by("pk")
            .values_list("pk", flat=True)[:BATCH]
        )
        if not ids:
            break
        last_id = ids[-1]
        for order_id in ids:
            if order_auto_complete(order_id=order_id) is not None:
                done += 1
    return SweepResult(processed=done)


def auto_complete_service_orders() -> SweepResult:
    """Complete delivered service orders the client left unanswered past the policy's window."""
    return _auto_complete_due("service", OrderState.DELIVERED)


def auto_complete_shift_orders() -> SweepResult:
    """Complete checked-in shifts the client did not confirm within the policy's window."""
    return _auto_complete_due("shift", OrderState.CHECKED_IN)
