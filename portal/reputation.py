"""Trust on a public profile, gathered from the apps that hold it: the rating (published reviews,
``marketplace.Reputation``), completed orders and on-time delivery (orders), the seller level
(credit), and responsiveness (how often the person answers the other party's requests in the
Resolution Center themselves rather than letting the window decide). Never credit events or
the completion rate: those stay with the person and staff.

The same figures serve the profile page, the listing page and ``GET /api/v1/users/{username}/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, F, Q

from credit.models import CreditAccount, Level
from disputes.models import RequestState, Resolution, ResolutionRequest
from marketplace.models import Reputation, User
from orders.models import Order, OrderState
from orders.reviews import reviews_about

RECENT_REVIEWS = 10


@dataclass(frozen=True)
class Trust:
    username: str
    display_name: str
    member_since: datetime
    rating_average: Decimal | None
    rating_count: int
    distribution: list[tuple[int, int]]  # (stars, reviews), 5 down to 1
    completed_orders: int
    level: str
    level_label: str
    on_time_percent: int | None  # services delivered by their due date, as provider; None without any
    responsive_percent: int | None  # requests answered in person; None without any
    reviews: list = field(default_factory=list)

    @property
    def distribution_rows(self) -> list[tuple[int, int, int]]:
        """``(stars, reviews, percent of all)`` for the bars of the profile."""
        total = self.rating_count or 1
        return [(stars, n, round(n * 100 / total)) for stars, n in self.distribution]


def _percent(part: int, whole: int) -> int | None:
    return round(part * 100 / whole) if whole else None


def trust_for(user: User, *, with_reviews: bool = True) -> Trust:
    """What the public may know about ``user``'s record: five queries (four with no reviews asked)."""
    reputation = Reputation.objects.filter(user=user).first() or Reputation(user=user)
    orders = Order.objects.filter(Q(client=user) | Q(provider=user), state=OrderState.COMPLETED).aggregate(
        completed=Count("pk"),
        delivered=Count("pk", filter=Q(provider=user, delivered_at__isnull=False, due_at__isnull=False)),
        on_time=Count("pk", filter=Q(provider=user, delivered_at__isnull=False, delivered_at__lte=F("due_at"))),
    )
    level = CreditAccount.objects.filter(user=user).values_list("level", flat=True).first() or Level.NEW
    requests = (
        ResolutionRequest.objects.filter(Q(order__client=user) | Q(order__provider=user))
        .exclude(author=user)
        .exclude(state__in=(RequestState.OPEN, RequestState.WITHDRAWN))
        .aggregate(
            decided=Count("pk"),
            answered=Count("pk", filter=Q(resolution=Resolution.BY_PARTY)),
        )
    )
    return Trust(
        username=user.username,
        display_name=user.display_name,
        member_since=user.date_joined,
        rating_average=reputation.average,
        rating_count=reputation.rating_count,
        distribution=reputation.distribution,
        completed_orders=orders["completed"],
        level=level,
        level_label=str(Level(level).label),
        on_time_percent=_percent(orders["on_time"], orders["delivered"]),
        responsive_percent=_percent(requests["answered"], requests["decided"]),
        reviews=list(reviews_about(user)[:RECENT_REVIEWS]) if with_reviews else [],
    )
