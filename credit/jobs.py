"""The nightly recomputation of seller levels: batched, and equal to a from-scratch computation."""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from core.db import bulk_update_rows
from core.jobs import SweepResult

from .models import CreditAccount, Level
from .selectors import completed_orders, counted_cancellations, level_for
from .services import policy_in_force

BATCH = 1000


def recompute_levels() -> SweepResult:
    """Recompute every provider's completion numbers and level from the orders in the window."""
    changed = 0
    from orders.models import Order

    policy = policy_in_force()
    now = timezone.now()
    provider_ids = set(Order.objects.values_list("provider_id", flat=True).distinct())
    provider_ids |= set(CreditAccount.objects.exclude(level=Level.NEW).values_list("user_id", flat=True))
    CreditAccount.objects.bulk_create([CreditAccount(user_id=uid) for uid in provider_ids], ignore_conflicts=True)
    ids = sorted(provider_ids)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        completed = dict(
            completed_orders(now=now, policy=policy)
            .filter(provider_id__in=chunk)
            .values("provider_id")
            .annotate(n=Count("pk"))
            .values_list("provider_id", "n")
        )
        cancelled = dict(
            counted_cancellations(now=now, policy=policy)
            .filter(order__provider_id__in=chunk)
            .values("order__provider_id")
            .annotate(n=Count("pk"))
            .values_list("order__provider_id", "n")
        )
        changed_accounts = []
        for account in CreditAccount.objects.filter(user_id__in=chunk):
            c, x = completed.get(account.user_id, 0), cancelled.get(account.user_id, 0)
            level = level_for(completed=c, counted_cancellations=x, score=account.score, policy=policy)
            if (account.level, account.completed_in_window, account.cancelled_in_window) != (level, c, x):
                account.level, account.completed_in_window, account.cancelled_in_window = level, c, x
                account.level_computed_at = now
                changed_accounts.append(account)
        bulk_update_rows(changed_accounts, ["level", "completed_in_window", "cancelled_in_window", "level_computed_at"])
        changed += len(changed_accounts)
    # Only accounts whose numbers moved are written (and counted), so a rerun reports 0.
    return SweepResult(processed=changed)
