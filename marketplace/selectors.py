"""Reads of marketplace data."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.prepared import PreparedRead, columns, count_of, counted, instance

from .models import (
    Availability,
    Block,
    Listing,
    ListingKind,
    Notification,
    User,
)


def away_now(*, at: datetime | None = None) -> QuerySet[Availability]:
    """Announcements in force at ``at`` (default now): the user is unavailable exactly then."""
    at = at or timezone.now()
    return Availability.objects.filter(away_from__lte=at).filter(Q(away_until__isnull=True) | Q(away_until__gt=at))


def listing_list(*, kind: str | None = None, owner=None, include_inactive: bool = False) -> QuerySet[Listing]:
    """Listings to browse: active, newest first; shifts that already started are left out, and so
    are the listings of people who announced they are unavailable right now."""
    qs = Listing.objects.select_related("owner")
    if not include_inactive:
        qs = qs.active()
    if kind in ListingKind.values:
        qs = qs.filter(kind=kind)
    if owner is not None:
        qs = qs.filter(owner=owner)
    elif not include_inactive:
        now = timezone.now()
        qs = qs.exclude(Q(kind=ListingKind.SHIFT) & Q(starts_at__lte=now))
        qs = qs.filter(~Exists(away_now(at=now).filter(user=OuterRef("owner_id"))))
    return qs.order_by("-created_at", "-id")


def listing_list_on_profile(*, owner) -> QuerySet[Listing]:
    """A user's listings that can be ordered (or could be, once they are back): active, not started."""
    return (
        Listing.objects.active()
        .select_related("owner")
        .filter(owner=owner)
        .exclude(Q(kind=ListingKind.SHIFT) & Q(starts_at__lte=timezone.now()))
        .order_by("-created_at", "-id")
    )


def listing_get(*, pk) -> Listing | None:
    try:
        return Listing.objects.select_related("owner").get(pk=int(pk))
    except (Listing.DoesNotExist, TypeError, ValueError):
        return None


def notification_list_for(*, user) -> QuerySet[Notification]:
    """``user``'s notifications, newest first (the order is linked by id, never joined)."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


_unread_count = PreparedRead(
    lambda user: counted(Notification.objects.filter(user=user, read_at__isnull=True), "user"), "user"
)


def notification_unread_count(*, user) -> int:
    """How many of ``user``'s notifications are unread (every page's header): one prepared COUNT on
    the (user, read_at) index."""
    return count_of(_unread_count(user=user.pk))


# --- People -------------------------------------------------------------------------------


def user_get_public(*, username: str) -> User | None:
    """An active account by username."""
    return User.objects.filter(username=username, is_active=True).first()


def user_get(*, pk) -> User | None:
    try:
        return User.objects.filter(pk=int(pk), is_active=True).first()
    except (TypeError, ValueError):
        return None


# --- Availability -------------------------------------------------------------------------


def availability_of(*, user) -> Availability | None:
    """``user``'s announcement if it is in force or still to come; None once it is over."""
    now = timezone.now()
    availability = Availability.objects.filter(user=user).select_related("user").first()
    if availability is None or (availability.away_until is not None and availability.away_until <= now):
        return None
    return availability


_away_at = PreparedRead(
    lambda user_id, at: (
        Availability.objects.filter(user_id=user_id, away_from__lte=at)
        .filter(Q(away_until__isnull=True) | Q(away_until__gt=at))
        .order_by("pk")
        .values_list(*columns(Availability), *columns(User, "user__"))[:1]
    ),
    "user_id",
    "at",
    moments=("at",),
)


def availability_current(*, user) -> Availability | None:
    """``user``'s announcement if they are unavailable right now (a prepared read: every order and
    booking asks it)."""
    rows = _away_at(user_id=user.pk, at=timezone.now())
    if not rows:
        return None
    availability = instance(Availability, rows[0])
    availability.user = instance(User, rows[0], "user__")
    return availability


# --- Blocks -------------------------------------------------------------------------------


# Prepared (compiled once per process): every order, booking and message asks it.
_block_either_way = PreparedRead(
    lambda a, b: (
        Block.objects.filter(unblocked_at__isnull=True)
        .filter(Q(blocker_id=a, blocked_id=b) | Q(blocker_id=b, blocked_id=a))
        .order_by("-created_at", "-id")
        .values_list(*columns(Block))[:1]
    ),
    "a",
    "b",
)


def block_active_between(a, b, *, by=None) -> Block | None:
    """The block in force between ``a`` and ``b`` (either direction, or only the one made ``by``)."""
    if by is None:
        rows = _block_either_way(a=a.pk, b=b.pk)
        return instance(Block, rows[0]) if rows else None
    other = b if by.pk == a.pk else a
    qs = Block.objects.filter(unblocked_at__isnull=True, blocker_id=by.pk, blocked_id=other.pk)
    return qs.order_by("-created_at", "-id").first()


def block_list_for(*, user) -> QuerySet[Block]:
    """The blocks ``user`` has in force, newest first, with whom they blocked."""
    return (
        Block.objects.filter(blocker=user, unblocked_at__isnull=True)
        .select_related("blocked")
        .order_by("-created_at", "-id")
    )


def block_get_for(*, pk, user) -> Block:
    """One of ``user``'s own blocks; NotFound for anyone else's."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise NotFound(_("No such block.")) from None
    block = Block.objects.filter(pk=pk, blocker=user).select_related("blocked").first()
    if block is None:
        raise NotFound(_("No such block."))
    return block
