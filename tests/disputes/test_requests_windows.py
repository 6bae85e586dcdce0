"""Answer windows: hours, business days over a weekend, and paused time away (pure functions)."""

from datetime import UTC, datetime, timedelta

from disputes.windows import reminder_at, window_end

H48 = timedelta(hours=48)
FRIDAY_EVENING = datetime(2025, 1, 3, 18, 0, tzinfo=UTC)  # a Friday
TUESDAY_NOON = datetime(2025, 1, 7, 12, 0, tzinfo=UTC)


def test_a_plain_window_is_wall_clock_hours():
    assert window_end(FRIDAY_EVENING, H48) == FRIDAY_EVENING + H48


def test_a_business_days_window_opened_friday_evening_ends_tuesday_evening():
    assert window_end(FRIDAY_EVENING, H48, business_days=True) == datetime(2025, 1, 7, 18, 0, tzinfo=UTC)


def test_a_business_days_window_within_the_week_is_unchanged():
    assert window_end(TUESDAY_NOON - timedelta(days=1), H48, business_days=True) == TUESDAY_NOON + timedelta(days=1)


def test_a_window_opened_on_a_weekend_starts_counting_on_monday():
    saturday = datetime(2025, 1, 4, 10, 0, tzinfo=UTC)

    assert window_end(saturday, timedelta(hours=1), business_days=True) == datetime(2025, 1, 6, 1, 0, tzinfo=UTC)


def test_business_days_are_counted_in_the_given_time_zone():
    from zoneinfo import ZoneInfo

    amsterdam = ZoneInfo("Europe/Amsterdam")
    # Friday 23:30 UTC is already Saturday in Amsterdam: nothing counts until Monday 00:00 there.
    start = datetime(2025, 1, 3, 23, 30, tzinfo=UTC)

    end = window_end(start, timedelta(hours=1), business_days=True, tz=amsterdam)

    assert end == datetime(2025, 1, 6, 0, 0, tzinfo=UTC)  # Monday 01:00 in Amsterdam


def test_time_away_extends_the_window_by_its_overlap():
    away = (TUESDAY_NOON + timedelta(hours=10), TUESDAY_NOON + timedelta(hours=30))

    assert window_end(TUESDAY_NOON, H48, paused=[away]) == TUESDAY_NOON + H48 + timedelta(hours=20)


def test_time_away_already_under_way_pauses_from_the_start():
    away = (TUESDAY_NOON - timedelta(days=1), TUESDAY_NOON + timedelta(hours=5))

    assert window_end(TUESDAY_NOON, H48, paused=[away]) == TUESDAY_NOON + H48 + timedelta(hours=5)


def test_time_away_after_the_window_changes_nothing():
    away = (TUESDAY_NOON + timedelta(days=5), TUESDAY_NOON + timedelta(days=6))

    assert window_end(TUESDAY_NOON, H48, paused=[away]) == TUESDAY_NOON + H48


def test_overlapping_periods_of_time_away_count_once():
    first = (TUESDAY_NOON + timedelta(hours=1), TUESDAY_NOON + timedelta(hours=5))
    second = (TUESDAY_NOON + timedelta(hours=3), TUESDAY_NOON + timedelta(hours=7))

    assert window_end(TUESDAY_NOON, H48, paused=[second, first]) == TUESDAY_NOON + H48 + timedelta(hours=6)


def test_time_away_and_a_weekend_together_both_pause():
    # Friday 18:00, away Monday 06:00 until Sunday 02:00 the week after, business days on:
    # 6 h on Friday, 6 h on Monday morning, then the rest from the Monday after: Tuesday 12:00.
    away = (datetime(2025, 1, 6, 6, 0, tzinfo=UTC), datetime(2025, 1, 12, 2, 0, tzinfo=UTC))

    end = window_end(FRIDAY_EVENING, H48, business_days=True, paused=[away])

    assert end == datetime(2025, 1, 14, 12, 0, tzinfo=UTC)


def test_the_reminder_goes_out_the_given_hours_before_the_end():
    end = window_end(TUESDAY_NOON, H48)

    assert reminder_at(end, timedelta(hours=12)) == TUESDAY_NOON + timedelta(hours=36)
