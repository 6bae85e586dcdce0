"""Time helpers shared by the apps; all time is aware UTC from ``timezone.now()``."""

from __future__ import annotations

from datetime import datetime, timedelta


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward ``days`` working days (Monday to Friday), same time of day."""
    current = start
    added = 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current
