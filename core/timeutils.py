"""Time helpers shared by the apps; all time is aware UTC from ``timezone.now()``."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward ``days`` working days (Monday to Friday), same time of day."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


def when_text(value: datetime) -> str:
    """``value`` in the site's time zone as plain text (``2026-12-03 15:17 UTC``), for logs and notices."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M %Z")
