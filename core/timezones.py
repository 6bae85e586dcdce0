"""The time zones people choose (IANA names, from the tzdata package) and turning one on."""

from __future__ import annotations

import functools
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

# Set by gigfair.js from the browser (Intl), so pages are in the visitor's zone before they log in.
TIME_ZONE_COOKIE = "gigfair_tz"


@functools.cache
def time_zone_names() -> tuple[str, ...]:
    """Every IANA zone name there is, sorted (``Europe/Amsterdam``, ``Asia/Shanghai``, ``UTC`` …)."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


@functools.cache
def _known() -> frozenset[str]:
    return frozenset(time_zone_names())


def valid_time_zone(name: str | None) -> str:
    """``name`` if it is an IANA zone Gigfair offers, else ""."""
    return name if name and name in _known() else ""


def time_zone_choices() -> list[tuple[str, str]]:
    """For a select: each zone as its name, underscores as spaces (``America/Sao Paulo``)."""
    return [(name, name.replace("_", " ")) for name in time_zone_names()]


class TimeZoneMiddleware:
    """Pages in the viewer's time zone: a signed-in user's chosen one, else the browser's (cookie).

    After AuthenticationMiddleware. The user's zone is on the row already loaded for the
    request, so this costs no query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = ""
        if user is not None and user.is_authenticated:
            name = valid_time_zone(getattr(user, "time_zone", ""))
        if not name:
            name = valid_time_zone(request.COOKIES.get(TIME_ZONE_COOKIE))
        if name and name != settings.TIME_ZONE:
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
