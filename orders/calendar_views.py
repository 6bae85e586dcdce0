"""The shift calendar: a week of a person's shifts, and their private iCalendar feed."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from . import calendar


def _feed_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("shift_calendar_feed", args=[token]))


def _on(entry: calendar.CalendarEntry, day: date) -> bool:
    """Whether the entry takes place (in part) on ``day``, in the viewer's time zone."""
    first = timezone.localtime(entry.starts_at).date()
    last = timezone.localtime(entry.ends_at - timedelta(seconds=1)).date()
    return first <= day <= last


@login_required
@require_safe
def shift_calendar(request: HttpRequest) -> HttpResponse:
    """The week (``?week=YYYY-MM-DD``, any day of it; this week by default), day by day."""
    try:
        day = date.fromisoformat(request.GET.get("week", "")) if request.GET.get("week") else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
        messages.error(request, _("That is not a date; here is this week."))
    monday, start, end = calendar.week_of(day)
    entries = calendar.calendar_entries(request.user, start, end)
    days = []
    for offset in range(7):
        current = monday + timedelta(days=offset)
        shown = [
            e
            for e in entries
            if timezone.localtime(e.starts_at).date()
            <= current
            <= timezone.localtime(e.ends_at - timedelta(seconds=1)).date()
        ]
        days.append({"date": current, "entries": shown, "today": current == timezone.localdate()})
    feed = calendar.calendar_feed_of(request.user)
    context = {
        "monday": monday,
        "days": days,
        "count": len(entries),
        "previous": (monday - timedelta(days=7)).isoformat(),
        "next": (monday + timedelta(days=7)).isoformat(),
        "feed_url": _feed_url(request, feed.token) if feed else "",
    }
    return render(request, "orders/calendar.html", context)


@login_required
@require_POST
def shift_calendar_feed_renew(request: HttpRequest) -> HttpResponse:
    had = calendar.calendar_feed_of(request.user) is not None
    calendar.calendar_feed_renew(user=request.user)
    if had:
        messages.success(request, _("Your calendar has a new address; the old one no longer works."))
    else:
        messages.success(request, _("Your calendar address is ready: add it to your phone's calendar."))
    return redirect(reverse("shift_calendar") + "#feed")


@login_required
@require_POST
def shift_calendar_feed_stop(request: HttpRequest) -> HttpResponse:
    if calendar.calendar_feed_stop(user=request.user):
        messages.success(request, _("Your calendar address is turned off."))
    return redirect(reverse("shift_calendar") + "#feed")


@require_safe
def shift_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The private feed, for calendar apps (no login: the secret address is the key)."""
    user = calendar.calendar_feed_user(token)
    if user is None:
        raise Http404(_("No such calendar."))
    response = HttpResponse(
        calendar.calendar_ics(user, base_url=request.build_absolute_uri("/")),
        content_type="text/calendar; charset=utf-8",
    )
    response["Content-Disposition"] = 'inline; filename="gigfair-shifts.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
