"""Time helpers shared by the apps; all time is aware UTC from ``timezone.now()``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.utils import timezone

# Where Python's calendar ends. A stored date may lie at either end (an order due in 9999): a
# deadline counted from it is then "not before the end of the calendar", never an OverflowError.
LATEST = datetime.max.replace(tzinfo=UTC)
EARLIEST = datetime.min.replace(tzinfo=UTC)


def shifted(at: datetime, delta: timedelta) -> datetime:
    """``at + delta``, or the calendar's last (first) instant when that falls past year 9999 (before year 1)."""
    try:
        return at + delta
    except OverflowError:
        edge = LATEST if delta > timedelta(0) else EARLIEST
        return edge if timezone.is_aware(at) else edge.replace(tzinfo=None)


def add_business_days(start: datetime, days: int) -> datetime:
    """``start`` moved forward ``days`` working days (Monday to Friday), same time of day."""
    current = start
    added = 0
    while added < days:
        following = shifted(current, timedelta(days=1))
        if following == current:  # the calendar's end
            break
        current = following
        if current.weekday() < 5:
            added += 1
    return current


def when_text(value: datetime) -> str:
    """``value`` in the site's time zone as plain text (``2026-12-03 15:17 UTC``), for logs and notices."""
    try:
        local = timezone.localtime(value)
    except OverflowError:  # within hours of the calendar's end, the site's zone may not reach it
        local = value.astimezone(UTC)
    return local.strftime("%Y-%m-%d %H:%M %Z")
