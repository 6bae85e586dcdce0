"""Housekeeping sweeps of the shared plumbing (no domain logic)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from core.jobs import SweepResult
from core.models import IdempotencyKey


def purge_expired_idempotency_keys() -> SweepResult:
    """Delete stored API answers older than the Idempotency-Key window (24 h)."""
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return SweepResult(processed=deleted)
