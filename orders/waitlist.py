"""The waitlist of a full shift: workers queue for a place; when one opens (a booking cancelled by
anyone — the worker, the employer, a no-show, a claim — or a card declined), the first worker
waiting is offered it for the policy's minutes and books it with one action; silence passes the
offer on (``waitlist_offers_expire``, from beat).

An offer keeps its place for the worker it was made to: while offers are out, others find the
shift full (``orders.services._shift_place_take`` counts them); the worker with the offer books
it like any booking, and their entry is done.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.batches import locked_batches
from core.exceptions import Conflict, NotFound, PermissionDenied
from core.i18n import Moment, Translatable
from core.jobs import SweepResult
from marketplace.models import Listing, ListingKind, User
from marketplace.notifications import notification_build, notifications_send

from .models import Order, OrderState, Policy, WaitlistEntry, WaitlistState

BATCH = 500
LIVE = (WaitlistState.WAITING, WaitlistState.OFFERED)


def _offer_minutes() -> int:
    policy = Policy.objects.order_by("-version").only("waitlist_offer_minutes").first()
    return policy.waitlist_offer_minutes if policy else 60


def offers_out(listing_id: int, *, now: datetime, except_worker: int | None = None) -> int:
    """Places of a shift kept for workers with an open offer (those not yet run out)."""
    offers = WaitlistEntry.objects.filter(listing_id=listing_id, state=WaitlistState.OFFERED, offer_expires_at__gt=now)
    if except_worker is not None:
        offers = offers.exclude(worker_id=except_worker)
    return offers.count()


@transaction.atomic
def waitlist_join(*, listing: Listing, worker: User) -> WaitlistEntry:
    """``worker`` queues for a place on a full shift."""
    listing = Listing.objects.select_for_update(no_key=True).get(pk=listing.pk)
    if listing.kind != ListingKind.SHIFT:
        raise Conflict(_("Only shifts have a waitlist."), code="not_a_shift")
    if listing.owner_id == worker.pk:
        raise PermissionDenied(_("You posted this shift."), code="own_listing")
    if not listing.is_active or listing.starts_at <= timezone.now():
        raise Conflict(_("This shift is no longer open."), code="shift_started")
    if Order.objects.filter(listing=listing, provider=worker).exclude(state=OrderState.CANCELLED).exists():
        raise Conflict(_("You have booked this shift already."), code="already_booked")
    now = timezone.now()
    if listing.positions_taken + offers_out(listing.pk, now=now) < listing.positions:
        raise Conflict(_("This shift has a free place: book it."), code="shift_not_full")
    try:
        with transaction.atomic():
            return WaitlistEntry.objects.create(listing=listing, worker=worker, created_at=now)
    except IntegrityError:
        raise Conflict(_("You are on this shift's waitlist already."), code="already_waiting") from None


@transaction.atomic
def waitlist_leave(*, listing: Listing, worker: User) -> WaitlistEntry:
    """``worker`` leaves the waitlist (an offer they had passes on)."""
    entry = WaitlistEntry.objects.select_for_update().filter(listing=listing, worker=worker, state__in=LIVE).first()
    if entry is None:
        raise NotFound(_("You are not on this shift's waitlist."))
    had_offer = entry.state == WaitlistState.OFFERED
    entry.state, entry.ended_at = WaitlistState.LEFT, timezone.now()
    entry.save(update_fields=("state", "ended_at"))
    if had_offer:
        waitlist_offer_next([listing.pk])
    return entry


def waitlist_position(entry: WaitlistEntry) -> int:
    """1 for the first worker waiting."""
    if entry.state != WaitlistState.WAITING:
        return 0
    return (
        WaitlistEntry.objects.filter(listing_id=entry.listing_id, state=WaitlistState.WAITING)
        .filter(Q(created_at__lt=entry.created_at) | Q(created_at=entry.created_at, pk__lt=entry.pk))
        .count()
        + 1
    )


def waitlist_of(listing: Listing) -> QuerySet[WaitlistEntry]:
    """The live waitlist of a shift, first in line first (what the employer sees)."""
    return (
        WaitlistEntry.objects.filter(listing=listing, state__in=LIVE)
        .select_related("worker")
        .order_by("created_at", "pk")
    )


def waitlist_entry_for(*, listing: Listing, worker: User) -> WaitlistEntry | None:
    return WaitlistEntry.objects.filter(listing=listing, worker=worker, state__in=LIVE).first()


def waitlist_offer_next(listing_ids: Iterable[int], *, now: datetime | None = None) -> int:
    """Offer each free place of these shifts (not kept by an open offer) to the next worker
    waiting; call inside the transaction that freed them. Returns how many offers were made.

    A constant number of queries whatever the number of shifts: the shifts are locked (as a
    booking locks them, so the two take turns), the next workers of every shift are ranked in
    one query, the offers written in one update and their notices in one insert."""
    now = now or timezone.now()
    listing_ids = sorted(set(listing_ids))
    if not listing_ids:
        return 0
    listings = {
        listing.pk: listing
        for listing in Listing.objects.select_for_update(no_key=True)
        .filter(pk__in=listing_ids, kind=ListingKind.SHIFT, is_active=True, starts_at__gt=now)
        .only("pk", "title", "positions", "positions_taken")
        .order_by("pk")
    }
    if not listings:
        return 0
    kept = dict(
        WaitlistEntry.objects.filter(listing_id__in=listings, state=WaitlistState.OFFERED, offer_expires_at__gt=now)
        .order_by()
        .values_list("listing_id")
        .annotate(n=Count("pk"))
    )
    free = {pk: listing.positions - listing.positions_taken - kept.get(pk, 0) for pk, listing in listings.items()}
    free = {pk: n for pk, n in free.items() if n > 0}
    if not free:
        return 0
    ranked = (
        WaitlistEntry.objects.filter(listing_id__in=free, state=WaitlistState.WAITING)
        .annotate(
            rank=Window(RowNumber(), partition_by=F("listing_id"), order_by=(F("created_at").asc(), F("pk").asc()))
        )
        .values_list("pk", "listing_id", "worker_id", "rank")
    )
    chosen = [(pk, listing_id, worker_id) for pk, listing_id, worker_id, rank in ranked if rank <= free[listing_id]]
    if not chosen:
        return 0
    expires = now + timedelta(minutes=_offer_minutes())
    WaitlistEntry.objects.filter(pk__in=[pk for pk, _l, _w in chosen], state=WaitlistState.WAITING).update(
        state=WaitlistState.OFFERED, offered_at=now, offer_expires_at=expires
    )
    notifications_send(
        notification_build(
            user_id=worker_id,
            kind="waitlist_offer",
            title=Translatable(
                gettext_noop("A place opened on “%(title)s”: it is yours until %(until)s"),
                {"title": listings[listing_id].title, "until": Moment(expires)},
            ),
            body=Translatable(
                gettext_noop("Book it on the shift's page (%(url)s) before then, or it goes to the next worker."),
                {"url": reverse("listing_detail", args=[listing_id])},
            ),
            at=now,
        )
        for _pk, listing_id, worker_id in chosen
    )
    return len(chosen)


def waitlist_offer_taken(*, listing_id: int, worker_id: int) -> None:
    """The worker booked the shift: their waitlist entry is done (inside the booking's transaction).
    An entry the offers' sweep holds at that moment is left to it (it is expiring it anyway):
    waiting for it could deadlock with the sweep, which locks entries before shifts."""
    live = (
        WaitlistEntry.objects.select_for_update(skip_locked=True)
        .filter(listing_id=listing_id, worker_id=worker_id, state__in=LIVE)
        .values_list("pk", flat=True)
    )
    ids = list(live)
    if ids:
        WaitlistEntry.objects.filter(pk__in=ids).update(state=WaitlistState.BOOKED, ended_at=timezone.now())


def waitlist_offers_expire() -> SweepResult:
    """Offers nobody took in time pass to the next worker waiting (batched)."""

    def due(now: datetime) -> QuerySet[WaitlistEntry]:
        return WaitlistEntry.objects.filter(state=WaitlistState.OFFERED, offer_expires_at__lte=now)

    done = 0
    for batch in locked_batches(due, size=BATCH):
        WaitlistEntry.objects.filter(pk__in=[e.pk for e in batch]).update(
            state=WaitlistState.EXPIRED, ended_at=batch.now
        )
        waitlist_offer_next({e.listing_id for e in batch}, now=batch.now)
        done += len(batch)
    return SweepResult(processed=done)
