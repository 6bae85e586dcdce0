"""Browsing listings: text search, filters, and the default ranking — one definition for the
browse page and ``GET /api/v1/listings/``.

Text (``q``): on PostgreSQL a full-text search over the title (weight A), the description (B)
and the location (C), in the ``simple`` configuration (no language's stemming: listings are
written in many), ranked by ``ts_rank`` and served by a GIN index on the same expression
(migration ``marketplace.0012``); elsewhere (SQLite on a laptop) every word must appear in the
title, description or location, case-insensitively.

The default order (``ordering=rank``) is the **ranking**, a number from 0 to 1 per listing,
from its owner's record:

    rank = 0.50 × rating + 0.35 × completion + 0.15 × level

- ``rating`` is the Bayesian average of the owner's published reviews over 5: the stars of
  their reviews plus ``RATING_PRIOR_COUNT`` (5) imagined reviews of ``RATING_PRIOR_MEAN`` (4),
  so a newcomer starts at 0.8 and a few reviews move it only a little;
- ``completion`` is the smoothed completion rate of the credit window: completed orders over
  completed plus counted cancellations, as if everyone started with ``COMPLETION_PRIOR``
  (5) completed orders — the rate the credit page shows (a newcomer starts at 1);
- ``level`` is the seller level: level two 1, level one 0.75, new 0.5, below standard 0.

Ties go to the newer listing. With ``q`` the text's relevance comes first, then the ranking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import Case, F, FloatField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce

from credit.models import Level

from .models import Listing, ListingKind
from .selectors import listing_list

RATING_PRIOR_COUNT = 5
RATING_PRIOR_MEAN = 4
COMPLETION_PRIOR = 5
WEIGHTS = {"rating": 0.50, "completion": 0.35, "level": 0.15}
LEVEL_WEIGHT = {Level.LEVEL_TWO: 1.0, Level.LEVEL_ONE: 0.75, Level.NEW: 0.5, Level.BELOW_STANDARD: 0.0}
MAX_QUERY = 200

# The orders a browser can ask for, each with what it sorts by.
ORDERINGS = {
    "rank": ("-rank", "-created_at", "-id"),
    "newest": ("-created_at", "-id"),
    "price": ("price", "-created_at", "-id"),
    "-price": ("-price", "-created_at", "-id"),
    "starts_at": (F("starts_at").asc(nulls_last=True), "-created_at", "-id"),
    "rating": ("-rating_average", "-rank", "-id"),
}


@dataclass(frozen=True)
class ListingQuery:
    q: str = ""
    kind: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    location: str = ""
    starts_after: datetime | None = None
    starts_before: datetime | None = None
    min_rating: Decimal | None = None
    ordering: str = "rank"

    @property
    def filtered(self) -> bool:
        """True when a filter narrows the list (the text and the kind tabs aside)."""
        return any(
            (
                self.min_price is not None,
                self.max_price is not None,
                self.location,
                self.starts_after,
                self.starts_before,
                self.min_rating is not None,
            )
        )


def search_vector():
    """The text a listing is found by (PostgreSQL): the GIN index is built on this expression."""
    return (
        SearchVector("title", weight="A", config="simple")
        + SearchVector("description", weight="B", config="simple")
        + SearchVector("location", weight="C", config="simple")
    )


def _with_rank(queryset: QuerySet[Listing]) -> QuerySet[Listing]:
    count = Coalesce(F("owner__reputation__rating_count"), 0)
    total = Coalesce(F("owner__reputation__rating_sum"), 0)
    rating = (Cast(total, FloatField()) + RATING_PRIOR_COUNT * RATING_PRIOR_MEAN) / (
        Cast(count, FloatField()) + RATING_PRIOR_COUNT
    )
    completed = Cast(Coalesce(F("owner__credit_account__completed_in_window"), 0), FloatField())
    cancelled = Cast(Coalesce(F("owner__credit_account__cancelled_in_window"), 0), FloatField())
    completion = (completed + COMPLETION_PRIOR) / (completed + cancelled + COMPLETION_PRIOR)
    level = Case(
        *(When(owner__credit_account__level=code, then=Value(weight)) for code, weight in LEVEL_WEIGHT.items()),
        default=Value(LEVEL_WEIGHT[Level.NEW]),
        output_field=FloatField(),
    )
    return queryset.annotate(
        rating_average=Case(
            When(owner__reputation__rating_count__gt=0, then=Cast(total, FloatField()) / Cast(count, FloatField())),
            default=Value(None),
            output_field=FloatField(),
        ),
        rank=WEIGHTS["rating"] * rating / 5 + WEIGHTS["completion"] * completion + WEIGHTS["level"] * level,
    )


def _text(queryset: QuerySet[Listing], q: str) -> tuple[QuerySet[Listing], bool]:
    """Listings matching ``q``; True when they carry a ``text_rank`` to sort by first."""
    if connection.vendor == "postgresql":
        query = SearchQuery(q, search_type="websearch", config="simple")
        vector = search_vector()
        return (
            queryset.annotate(search=vector).filter(search=query).annotate(text_rank=SearchRank(vector, query)),
            True,
        )
    for word in q.split():
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(description__icontains=word) | Q(location__icontains=word)
        )
    return queryset, False


def listing_search(query: ListingQuery) -> QuerySet[Listing]:
    """The listings a browser sees for ``query``: active, not started, owner not away; filtered,
    found by text and ordered (by default by the ranking above)."""
    queryset = listing_list(kind=query.kind or None).order_by()
    if query.min_price is not None:
        queryset = queryset.filter(price__gte=query.min_price)
    if query.max_price is not None:
        queryset = queryset.filter(price__lte=query.max_price)
    if query.location:
        queryset = queryset.filter(location__icontains=query.location)
    if query.starts_after is not None:
        queryset = queryset.filter(kind=ListingKind.SHIFT, starts_at__gte=query.starts_after)
    if query.starts_before is not None:
        queryset = queryset.filter(kind=ListingKind.SHIFT, starts_at__lt=query.starts_before)
    queryset = _with_rank(queryset)
    if query.min_rating is not None:
        queryset = queryset.filter(rating_average__gte=float(query.min_rating))
    text_ranked = False
    q = " ".join(query.q.split())[:MAX_QUERY]
    if q:
        queryset, text_ranked = _text(queryset, q)
    ordering = ORDERINGS.get(query.ordering, ORDERINGS["rank"])
    if text_ranked and query.ordering == "rank":
        ordering = ("-text_rank", *ordering)
    return queryset.order_by(*ordering)
