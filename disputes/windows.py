"""Answer windows of resolution requests: pure functions, no I/O.

A window is an amount of *counting* time. Wall-clock time stops counting on Saturdays and
Sundays when the policy counts windows in business days, and during every period the
person who must answer announced they are away. Both are the Gigfair answer to "a 48-hour
window expired over a weekend" (PRODUCT.md, "Windows that respect weekends").
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta, tzinfo

from core.timeutils import LATEST, shifted

Period = tuple[datetime, datetime]


def _merged(periods: Iterable[Period], since: datetime) -> list[Period]:
    """Periods that end after ``since``, sorted and merged where they overlap or touch."""
    out: list[list[datetime]] = []
    for start, end in sorted((s, e) for s, e in periods if e > since and e > s):
        if out and start <= out[-1][1]:
            out[-1][1] = max(out[-1][1], end)
        else:
            out.append([start, end])
    return [(s, e) for s, e in out]


def _weekend_bounds(at: datetime, tz: tzinfo) -> tuple[datetime, datetime]:
    """The weekend at or after ``at`` in ``tz``: (Saturday 00:00, Monday 00:00), as aware datetimes.

    Within days of the calendar's end (year 9999) there is no whole weekend left: both bounds
    are then its last instant.
    """
    try:
        local = at.astimezone(tz)
        saturday = local.date() + timedelta(days=(5 - local.weekday()) % 7)
        if local.weekday() == 6:  # Sunday: the weekend under way began yesterday
            saturday = local.date() - timedelta(days=1)
        start = datetime.combine(saturday, time(0), tzinfo=tz)
        end = datetime.combine(saturday + timedelta(days=2), time(0), tzinfo=tz)
        return start.astimezone(UTC), end.astimezone(UTC)
    except OverflowError:
        return LATEST, LATEST


def window_end(
    start: datetime,
    duration: timedelta,
    *,
    business_days: bool = False,
    paused: Iterable[Period] = (),
    tz: tzinfo = UTC,
) -> datetime:
    """When a window of ``duration`` counting time, opened at ``start``, closes.

    ``business_days``: Saturdays and Sundays (whole days in ``tz``) do not count.
    ``paused``: (start, end) periods that do not count either, e.g. announced time away;
    the window is extended by exactly their overlap with it. A window that would close past
    the calendar's end (time away announced until 9999) closes at its last instant.
    """
    if duration <= timedelta(0):
        return start
    cursor = start.astimezone(UTC)
    remaining = duration
    pauses = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in _merged(paused, cursor)]
    while True:
        # Skip whatever does not count at the cursor (a weekend, a pause; one may follow the other).
        moved = True
        while moved:
            moved = False
            if business_days:
                weekend_start, weekend_end = _weekend_bounds(cursor, tz)
                if weekend_start <= cursor < weekend_end:
                    cursor, moved = weekend_end, True
            for pause_start, pause_end in pauses:
                if pause_start <= cursor < pause_end:
                    cursor, moved = pause_end, True
        # Count up to the next thing that stops the clock.
        stops = [s for s, _e in pauses if s > cursor]
        if business_days:
            stops.append(_weekend_bounds(cursor, tz)[0])
        next_stop = min(stops, default=None)
        end = shifted(cursor, remaining)
        if next_stop is None or end <= next_stop:
            return end
        remaining -= next_stop - cursor
        cursor = next_stop


def reminder_at(respond_by: datetime, reminder: timedelta) -> datetime:
    """When to remind the person who must answer: ``reminder`` of wall-clock time before the end."""
    return respond_by - reminder
