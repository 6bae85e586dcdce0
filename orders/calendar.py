"""Shifts in time: a person's week of shifts (those they work, those they posted and who books
them) and their private iCalendar feed for phone calendars.

The feed's address carries a random secret (``CalendarFeed.token``, 256 bits); anyone holding it
reads the shifts, so the person can replace it (the old address stops answering) or turn it off.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from marketplace.models import Listing, ListingKind, User

from .models import CalendarFeed, Order, OrderState

LIVE = (OrderState.BOOKED, OrderState.CHECKED_IN, OrderState.COMPLETED)
FEED_PAST = timedelta(days=30)
FEED_AHEAD = timedelta(days=366)


@dataclass(frozen=True)
class CalendarEntry:
    kind: str  # "work" (a shift the person works), "booking" (someone works their shift), "posted"
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str
    url: str
    uid: str
    detail: str = ""
    state: str = ""


def calendar_entries(user: User, start: datetime, end: datetime) -> list[CalendarEntry]:
    """``user``'s shifts overlapping ``start``–``end``, soonest first: the ones they work, the
    bookings of the ones they posted, and their posted shifts with places still open. Three queries."""
    entries: list[CalendarEntry] = []
    orders = (
        Order.objects.filter(Q(provider=user) | Q(client=user), kind=ListingKind.SHIFT, state__in=LIVE)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .select_related("client", "provider")
        .order_by("starts_at", "pk")
    )
    for order in orders:
        works = order.provider_id == user.pk
        other = order.client if works else order.provider
        entries.append(
            CalendarEntry(
                kind="work" if works else "booking",
                title=order.title,
                starts_at=order.starts_at,
                ends_at=order.ends_at,
                location=order.location,
                url=reverse("order_detail", args=[order.pk]),
                uid=f"order-{order.pk}",
                detail=(_("for %(name)s") if works else _("worked by %(name)s")) % {"name": other.public_name},
                state=order.state,
            )
        )
    posted = (
        Listing.objects.filter(owner=user, kind=ListingKind.SHIFT, is_active=True)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .order_by("starts_at", "pk")
    )
    for listing in posted:
        if listing.positions_left:
            entries.append(
                CalendarEntry(
                    kind="posted",
                    title=listing.title,
                    starts_at=listing.starts_at,
                    ends_at=listing.ends_at,
                    location=listing.location,
                    url=reverse("listing_detail", args=[listing.pk]),
                    uid=f"listing-{listing.pk}",
                    detail=_("%(left)d of %(all)d places open")
                    % {"left": listing.positions_left, "all": listing.positions},
                )
            )
    rank = {"work": 0, "booking": 1, "posted": 2}
    return sorted(entries, key=lambda e: (e.starts_at, rank[e.kind], e.uid))


def week_of(day: date) -> tuple[date, datetime, datetime]:
    """The Monday of ``day``'s week and that week's bounds in the active time zone (a day at the
    calendar's very ends counts as a week inside it, with room for the weeks before and after)."""
    day = min(max(day, date.min + timedelta(days=14)), date.max - timedelta(days=14))
    monday = day - timedelta(days=day.weekday())
    zone = timezone.get_current_timezone()
    start = datetime.combine(monday, time.min, tzinfo=zone)
    return monday, start, start + timedelta(days=7)


# --- The feed -------------------------------------------------------------------------------------


@transaction.atomic
def calendar_feed_renew(*, user: User) -> CalendarFeed:
    """Give ``user`` a feed address, replacing the one they had (which stops answering)."""
    feed, _created = CalendarFeed.objects.update_or_create(
        user=user, defaults={"token": secrets.token_urlsafe(32), "created_at": timezone.now()}
    )
    return feed


def calendar_feed_stop(*, user: User) -> bool:
    """Turn ``user``'s feed off; True if there was one."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_of(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user).first()


def calendar_feed_user(token: str) -> User | None:
    """Whose feed ``token`` opens (None: unknown, replaced or turned off)."""
    if not token or len(token) > 64:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(token=token, user__is_active=True).first()
    return feed.user if feed else None


def calendar_ics(user: User, *, now: datetime | None = None, base_url: str = "") -> bytes:
    """``user``'s shifts from a month ago to a year ahead as an iCalendar document."""
    now = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Gigfair//Shifts//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Gigfair shifts"))
    host = (getattr(settings, "GIGFAIR_PUBLIC_URL", "") or base_url).rstrip("/")
    for entry in calendar_entries(user, now - FEED_PAST, now + FEED_AHEAD):
        event = Event()
        event.add("uid", f"{entry.uid}@gigfair")
        event.add("dtstamp", now)
        event.add("dtstart", entry.starts_at)
        event.add("dtend", entry.ends_at)
        event.add("summary", f"{entry.title} ({entry.detail})" if entry.detail else entry.title)
        if entry.location:
            event.add("location", entry.location)
        if host:
            event.add("url", host + entry.url)
        event.add("status", "TENTATIVE" if entry.kind == "posted" else "CONFIRMED")
        calendar.add_component(event)
    return calendar.to_ical()
