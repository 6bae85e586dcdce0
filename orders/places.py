"""The places of a shift: ``Listing.positions_taken`` counts those held, by bookings being paid and
by live orders. ``orders.services`` takes one under the listing's row lock when a worker books;
the place comes back here when the booking is not paid or the order is cancelled."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.db.models import F
from django.db.models.functions import Greatest

from marketplace.models import Listing, ListingKind


def shift_places_release(listing_counts: dict[int, int]) -> None:
    """Give back places of shifts: ``{listing id: places}``."""
    for listing_id, count in sorted(listing_counts.items()):
        if count:
            Listing.objects.filter(pk=listing_id).update(positions_taken=Greatest(F("positions_taken") - count, 0))


def shift_places_of(orders: Iterable) -> dict[int, int]:
    """``{listing id: places}`` the shift orders among ``orders`` hold."""
    return dict(Counter(o.listing_id for o in orders if o.kind == ListingKind.SHIFT and o.listing_id))
