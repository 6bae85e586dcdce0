"""Reads for support's tools that cross the apps: one search box over orders, people, cases and
tickets, and the whole history of one person on one page.

Portal sits above every app whose tables these read; each list is one query, bounded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from credit.models import CreditAccount, CreditEvent, Restriction
from disputes.models import AfterSalesTicket, Claim, PenaltyAppeal, SupportCase
from marketplace.models import Block, User
from orders.models import Cancellation, MessageReport, Order, Review

SEARCH_SHOWN = 20
HISTORY_SHOWN = 50
MAX_QUERY = 200


@dataclass
class SearchResults:
    query: str
    orders: list[Order] = field(default_factory=list)
    users: list[User] = field(default_factory=list)
    cases: list[SupportCase] = field(default_factory=list)
    tickets: list[AfterSalesTicket] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.orders) + len(self.users) + len(self.cases) + len(self.tickets)


def _number(text: str) -> int | None:
    """``123`` or ``#123`` as a number (an id), else None."""
    digits = text.removeprefix("#")
    if digits.isdigit() and len(digits) < 18:
        return int(digits)
    return None


def back_office_search(query: str) -> SearchResults:
    """Orders, people, cases and tickets matching ``query``: a number matches ids (of the row, or
    of its order), words match names, usernames, e-mail addresses and order titles. Four
    queries at most, each showing the first ``SEARCH_SHOWN``; an empty query finds nothing."""
    query = " ".join(query.split())[:MAX_QUERY]
    results = SearchResults(query=query)
    if not query:
        return results
    number = _number(query)
    people = Q(username__icontains=query) | Q(email__icontains=query) | Q(display_name__icontains=query)
    if number is not None:
        results.orders = list(Order.objects.filter(pk=number).select_related("client", "provider")[:SEARCH_SHOWN])
        results.users = list(User.objects.filter(Q(pk=number) | people).order_by("username")[:SEARCH_SHOWN])
        results.cases = list(
            SupportCase.objects.filter(Q(pk=number) | Q(order_id=number)).order_by("-pk")[:SEARCH_SHOWN]
        )
        results.tickets = list(
            AfterSalesTicket.objects.filter(Q(pk=number) | Q(order_id=number)).order_by("-pk")[:SEARCH_SHOWN]
        )
        return results
    party = (
        Q(client__username__icontains=query)
        | Q(client__email__icontains=query)
        | Q(client__display_name__icontains=query)
        | Q(provider__username__icontains=query)
        | Q(provider__email__icontains=query)
        | Q(provider__display_name__icontains=query)
    )
    results.orders = list(
        Order.objects.filter(Q(title__icontains=query) | party)
        .select_related("client", "provider")
        .order_by("-created_at", "-pk")[:SEARCH_SHOWN]
    )
    results.users = list(User.objects.filter(people).order_by("username")[:SEARCH_SHOWN])
    on_order = Q(order__title__icontains=query)
    for side in ("client", "provider"):
        on_order |= Q(**{f"order__{side}__username__icontains": query}) | Q(
            **{f"order__{side}__email__icontains": query}
        )
    results.cases = list(SupportCase.objects.filter(on_order).order_by("-pk")[:SEARCH_SHOWN])
    results.tickets = list(AfterSalesTicket.objects.filter(on_order).order_by("-pk")[:SEARCH_SHOWN])
    return results


# --- One person's whole history ------------------------------------------------------------------

TITLES = {
    "orders": _("Orders"),
    "cancellations": _("Cancellations"),
    "credit_events": _("Credit events"),
    "restrictions": _("Restrictions"),
    "cases": _("Support cases"),
    "tickets": _("After-sales tickets"),
    "claims": _("Claims with proof"),
    "appeals": _("Appeals of penalties"),
    "blocks": _("Blocks"),
    "reports": _("Message reports"),
    "reviews": _("Reviews written and received"),
}


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    rows: list
    count: int
    url_name: str = ""  # the admin page of a row, for the lists shown plainly

    @property
    def more(self) -> int:
        return max(self.count - len(self.rows), 0)


def _section(key: str, queryset: QuerySet) -> Section:
    """The newest ``HISTORY_SHOWN`` rows, and how many there are in all (a second query only when
    there are more than shown)."""
    rows = list(queryset[: HISTORY_SHOWN + 1])
    count = queryset.count() if len(rows) > HISTORY_SHOWN else len(rows)
    opts = queryset.model._meta
    return Section(key, TITLES[key], rows[:HISTORY_SHOWN], count, f"admin:{opts.app_label}_{opts.model_name}_change")


@dataclass(frozen=True)
class UserHistory:
    person: User
    account: CreditAccount | None
    sections: list[Section]

    def section(self, key: str) -> Section:
        return next(s for s in self.sections if s.key == key)


def user_history(user: User) -> UserHistory:
    """Everything support may need about one person, newest first: orders on either side, the
    cancellations of those orders, credit events and restrictions, cases, tickets, claims and
    appeals, blocks either way, message reports by them or about their messages, and reviews
    they wrote or received (pending and removed ones too)."""
    orders_of = Q(order__client=user) | Q(order__provider=user)
    sections = [
        _section(
            "orders",
            Order.objects.filter(Q(client=user) | Q(provider=user))
            .select_related("client", "provider")
            .order_by("-created_at", "-pk"),
        ),
        _section(
            "cancellations",
            Cancellation.objects.filter(orders_of).select_related("order", "actor").order_by("-created_at", "-pk"),
        ),
        _section(
            "credit_events",
            CreditEvent.objects.filter(user=user).select_related("order").order_by("-created_at", "-pk"),
        ),
        _section(
            "restrictions",
            Restriction.objects.filter(user=user).select_related("created_by").order_by("-created_at", "-pk"),
        ),
        _section("cases", SupportCase.objects.filter(orders_of).select_related("order").order_by("-pk")),
        _section("tickets", AfterSalesTicket.objects.filter(orders_of).select_related("order").order_by("-pk")),
        _section("claims", Claim.objects.filter(orders_of).select_related("order").order_by("-pk")),
        _section("appeals", PenaltyAppeal.objects.filter(appellant=user).select_related("event").order_by("-pk")),
        _section(
            "blocks",
            Block.objects.filter(Q(blocker=user) | Q(blocked=user))
            .select_related("blocker", "blocked")
            .order_by("-created_at", "-pk"),
        ),
        _section(
            "reports",
            MessageReport.objects.filter(Q(reporter=user) | Q(message__author=user))
            .select_related("reporter", "message__author")
            .order_by("-created_at", "-pk"),
        ),
        _section("reviews", Review.objects.filter(Q(author=user) | Q(subject=user)).order_by("-created_at", "-pk")),
    ]
    account = CreditAccount.objects.filter(user=user).first()
    return UserHistory(person=user, account=account, sections=sections)
