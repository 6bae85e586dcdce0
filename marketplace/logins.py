"""Locks on logins after repeated failures, in Gigfair's words (django-axes does the counting).

django-axes records each failed login and refuses a locked one in its authentication backend,
on every path that authenticates through ``django.contrib.auth.authenticate(request, ...)``:
the login page, the admin's login and the API's token endpoint. A lock holds for one username
from one address (``AXES_LOCKOUT_PARAMETERS``), so a stranger elsewhere cannot lock a person
out. This module says until when a lock holds, how each path shows it, and lets support lift one.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime

from axes.helpers import get_client_ip_address, get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import ngettext

from core.timeutils import when_text

LOCKED_STATUS = 429


def client_ip(request: HttpRequest) -> str | None:
    """The address a login comes from (``AXES_CLIENT_IP_CALLABLE``).

    REMOTE_ADDR, unless ``GIGFAIR_TRUSTED_PROXY_COUNT`` reverse proxies of ours stand in front
    and append to X-Forwarded-For: then the entry the outermost of them added. Entries further
    left are the client's own say and are never believed.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.GIGFAIR_TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote


def _now(request: HttpRequest) -> datetime:
    return getattr(request, "axes_attempt_time", None) or timezone.now()


def login_locked_until(request: HttpRequest, username: str | None) -> datetime | None:
    """When the lock on ``username`` from this request's address ends; None when none holds.

    A failure counts for ``AXES_COOLOFF_TIME`` after it (axes keeps one row per username,
    address and browser, stamped with its latest failure): the lock ends as soon as the
    failures still counting drop below the limit.
    """
    now = _now(request)
    cool_off = get_cool_off(request)
    limit = get_failure_limit(request, {"username": username})
    rows = AccessAttempt.objects.filter(
        username=username, ip_address=get_client_ip_address(request), attempt_time__gte=now - cool_off
    ).order_by("attempt_time")
    counting = list(rows.values_list("attempt_time", "failures_since_start"))
    remaining = sum(failures for _at, failures in counting)
    if remaining < limit:
        return None
    for at, failures in counting:
        remaining -= failures
        if remaining < limit:
            return at + cool_off
    return None  # not reached: the loop ends with nothing left counting


def retry_after_seconds(until: datetime, *, now: datetime | None = None) -> int:
    """Whole seconds from now until ``until``, at least 1 (the Retry-After header's value)."""
    return max(1, math.ceil((until - (now or timezone.now())).total_seconds()))


def lock_message(until: datetime, *, now: datetime | None = None) -> str:
    """What a person is told while a lock holds: why, and when they can try again."""
    minutes = max(1, math.ceil(retry_after_seconds(until, now=now) / 60))
    return ngettext(
        "Too many failed log-ins for this username from your address. Logging in is paused for your "
        "safety: try again in %(minutes)d minute (at %(time)s).",
        "Too many failed log-ins for this username from your address. Logging in is paused for your "
        "safety: try again in %(minutes)d minutes (at %(time)s).",
        minutes,
    ) % {"minutes": minutes, "time": when_text(until)}


def lock_for(request: HttpRequest, username: str | None) -> datetime:
    """The end of the lock that refused this request's login (axes flagged it as locked out)."""
    return login_locked_until(request, username) or _now(request) + get_cool_off(request)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """django-axes' answer to a login refused by a lock (``AXES_LOCKOUT_CALLABLE``).

    The login page the view rendered already names the lock on its form (``LockAwareLoginMixin``):
    it goes out as it is, with status 429 and Retry-After. Anything else gets the plain message.
    """
    until = lock_for(request, get_client_username(request, credentials))
    if original_response is not None and original_response.status_code in (200, LOCKED_STATUS):
        response = original_response
        response.status_code = LOCKED_STATUS
    else:
        response = HttpResponse(lock_message(until), status=LOCKED_STATUS, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(retry_after_seconds(until, now=_now(request)))
    return response


def login_failures_forget_on_success(*, request: HttpRequest, username: str) -> None:
    """A successful login that is not a session (the API token) forgets that pair's failures.

    The web and admin logins do this through django-axes' ``user_logged_in`` handler
    (``AXES_RESET_ON_SUCCESS``); issuing a token logs nobody in, so it says so itself.
    """
    if settings.AXES_RESET_ON_SUCCESS:
        AccessAttempt.objects.filter(username=username, ip_address=get_client_ip_address(request)).delete()


# --- For support ------------------------------------------------------------------------------


def attempts_with_recent_failures(queryset: QuerySet[AccessAttempt], *, now: datetime | None = None) -> QuerySet:
    """``queryset`` annotated with ``recent_failures``: the failures still counting for its username and address."""
    threshold = (now or timezone.now()) - get_cool_off()
    same_pair = (
        AccessAttempt.objects.filter(
            username=OuterRef("username"), ip_address=OuterRef("ip_address"), attempt_time__gte=threshold
        )
        .order_by()
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .values("total")
    )
    return queryset.annotate(recent_failures=Subquery(same_pair))


def attempts_locked_now(queryset: QuerySet[AccessAttempt], *, now: datetime | None = None) -> QuerySet:
    """The rows of ``queryset`` whose username and address are locked now."""
    return attempts_with_recent_failures(queryset, now=now).filter(recent_failures__gte=settings.AXES_FAILURE_LIMIT)


@transaction.atomic
def login_locks_lift(*, attempts: QuerySet[AccessAttempt]) -> int:
    """Forget the failed logins of ``attempts``' usernames and addresses, lifting their locks.

    Returns how many rows went.

    The permanent failure log (AccessFailureLog) keeps every failure for the record.
    """
    pairs = set(attempts.values_list("username", "ip_address"))
    removed = 0
    for username, ip_address in pairs:
        removed += AccessAttempt.objects.filter(username=username, ip_address=ip_address).delete()[0]
    return removed
