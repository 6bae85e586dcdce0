"""The shift calendar: a week of the shifts a person works and those they posted (with who works
them), on the page and in the API, and a private iCalendar feed that can be replaced or turned off."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from orders import calendar
from orders import services as order_services
from tests.factories import ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def week():
    """A worker with a booked shift in three days, and the employer who posted it (with a second,
    open shift); another person's shift the same day."""
    starts = timezone.now() + timedelta(days=3)
    employer, worker = UserFactory(display_name="Studio Ana"), UserFactory(display_name="Dora")
    booked = ShiftListingFactory(owner=employer, title="Bar at the fair", starts_at=starts, positions=2)
    order = order_services.order_create(actor=worker, listing_id=booked.pk)
    ShiftListingFactory(owner=employer, title="Stock count", starts_at=starts + timedelta(days=1))
    ShiftListingFactory(title="Someone else's shift", starts_at=starts)
    return employer, worker, order


def test_the_worker_and_the_employer_each_see_their_week(week):
    employer, worker, order = week
    start = order.starts_at - timedelta(days=1)
    end = order.starts_at + timedelta(days=5)

    mine = calendar.calendar_entries(worker, start, end)
    assert [(e.kind, e.title) for e in mine] == [("work", "Bar at the fair")]
    assert "Studio Ana" in mine[0].detail

    theirs = calendar.calendar_entries(employer, start, end)
    assert [(e.kind, e.title) for e in theirs] == [
        ("booking", "Bar at the fair"),
        ("posted", "Bar at the fair"),
        ("posted", "Stock count"),
    ]
    assert "Dora" in theirs[0].detail and "1 of 2 places open" in theirs[1].detail


def test_the_calendar_page_shows_the_week_and_moves_between_weeks(client, week):
    _employer, worker, order = week
    client.force_login(worker)
    day = timezone.localtime(order.starts_at).date().isoformat()

    page = client.get(reverse("shift_calendar"), {"week": day}).content.decode()
    assert "Bar at the fair" in page and reverse("order_detail", args=[order.pk]) in page
    empty = client.get(reverse("shift_calendar"), {"week": "2020-01-01"}).content.decode()
    assert "No shifts this week." in empty
    bad = client.get(reverse("shift_calendar"), {"week": "soon"}, follow=True)
    assert bad.status_code == 200 and "That is not a date" in bad.content.decode()


def test_the_private_feed_serves_the_shifts_and_can_be_replaced_or_turned_off(client, week):
    _employer, worker, order = week
    client.force_login(worker)
    client.post(reverse("shift_calendar_feed_renew"))
    token = calendar.calendar_feed_of(worker).token
    client.logout()

    response = client.get(reverse("shift_calendar_feed", args=[token]))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = list(Calendar.from_ical(response.content).walk("VEVENT"))
    assert [str(e["SUMMARY"]) for e in events] == ["Bar at the fair (for Studio Ana)"]
    assert events[0]["DTSTART"].dt == order.starts_at.replace(microsecond=0)
    assert str(events[0]["UID"]) == f"order-{order.pk}@gigfair"

    client.force_login(worker)
    client.post(reverse("shift_calendar_feed_renew"))
    client.logout()
    assert client.get(reverse("shift_calendar_feed", args=[token])).status_code == 404  # the old address
    client.force_login(worker)
    client.post(reverse("shift_calendar_feed_stop"))
    assert calendar.calendar_feed_of(worker) is None


def test_the_api_lists_the_week_and_manages_the_feed(api_as, week):
    _employer, worker, order = week
    day = timezone.localtime(order.starts_at).date()
    api = api_as(worker)

    listed = api.get("/api/v1/me/calendar/", {"start": day.isoformat()}).json()
    assert [(e["kind"], e["title"], e["state"]) for e in listed] == [("work", "Bar at the fair", "booked")]
    assert api.get("/api/v1/me/calendar/", {"start": "2026-01-10", "end": "2026-01-01"}).status_code == 400
    assert api.get("/api/v1/me/calendar/", {"start": "2026-01-01", "end": "2026-12-31"}).status_code == 400

    made = api.post("/api/v1/me/calendar/feed/")
    assert made.status_code == 201 and made.json()["url"].endswith(".ics")
    assert api.delete("/api/v1/me/calendar/feed/").status_code == 204
    assert calendar.calendar_feed_of(worker) is None


def test_an_unknown_feed_is_404(client):
    assert client.get(reverse("shift_calendar_feed", args=["nope"])).status_code == 404


def test_the_page_names_the_time_zone(client, week):
    _employer, worker, _order = week
    worker.time_zone = "Europe/Amsterdam"
    worker.save(update_fields=["time_zone"])
    client.force_login(worker)

    assert "times in Europe/Amsterdam." in client.get(reverse("shift_calendar")).content.decode()
