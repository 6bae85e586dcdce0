"""Reads of marketplace data."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone

from .models import Listing, ListingKind, Notification


def listing_list(*, kind: str | None = None, owner=None, include_inactive: bool = False) -> QuerySet[Listing]:
    """Listings to browse: active, newest first; shifts that already started are left out."""
    qs = Listing.objects.select_related("owner")
    if not include_inactive:
        qs = qs.active()
    if kind in ListingKind.values:
        qs = qs.filter(kind=kind)
    if owner is not None:
        qs = qs.filter(owner=owner)
    elif not include_inactive:
        qs = qs.exclude(Q(kind=ListingKind.SHIFT) & Q(starts_at__lte=timezone.now()))
    return qs.order_by("-created_at", "-id")


def listing_get(*, pk) -> Listing | None:
    try:
        return Listing.objects.select_related("owner").get(pk=int(pk))
    except (Listing.DoesNotExist, TypeError, ValueError):
        return None


def notification_list_for(*, user) -> QuerySet[Notification]:
    """``user``'s notifications, newest first (the order is linked by id, never joined)."""
    return Notification.objects.filter(user=user).order_by("-created_at", "-id")


def notification_unread_count(*, user) -> int:
    """How many of ``user``'s notifications are unread: one COUNT on the (user, read_at) index."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
