"""What waits for support, as the back office's front page: a card per queue, each counted by one
aggregate query, every number a link to the filtered queue it counts.

Portal sits above the apps whose queues it counts, so it reads their tables here; the admin
site (``portal.admin_site``) shows the cards on its index for support staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q, Value
from django.db.models.fields import CharField
from django.urls import reverse
from django.utils.translation import gettext as _

from core.models import WebhookDelivery, WebhookDeliveryStatus
from disputes.models import (
    AfterSalesTicket,
    AppealState,
    CaseState,
    Claim,
    ClaimState,
    PenaltyAppeal,
    SupportCase,
    TicketState,
)
from orders.models import MessageReport, Payout, PayoutState, ReconciliationRun, Refund, RefundStatus, Review

# How far ahead "breaches its SLA soon" looks.
SOON = timedelta(hours=4)
DUE_SOON_SHOWN = 10

CASE_LIVE = (CaseState.OPEN, CaseState.AWAITING_INFO, CaseState.APPEALED)
TICKET_SUPPORT = (TicketState.PENDING_REVIEW, TicketState.UNDER_REVIEW)
TICKET_LIVE = (*TICKET_SUPPORT, TicketState.APPROVED, TicketState.PROCESSING)


@dataclass(frozen=True)
class Line:
    label: str
    count: int
    url: str
    tone: str = ""  # "alert" when it needs attention now


@dataclass(frozen=True)
class Card:
    title: str
    lines: list[Line]
    url: str
    total: int = 0


@dataclass(frozen=True)
class DueItem:
    kind: str
    pk: int
    due: datetime
    url: str


@dataclass
class SupportDashboard:
    cards: list[Card] = field(default_factory=list)
    due_soon: list[DueItem] = field(default_factory=list)


def _url(name: str, **query) -> str:
    base = reverse(f"admin:{name}_changelist")
    return f"{base}?{urlencode(query)}" if query else base


def _line(label: str, count: int, name: str, tone: str = "", **query) -> Line:
    return Line(label, count, _url(name, **query), tone if count else "")


def _cases(user, soon: datetime) -> Card:
    name = "disputes_supportcase"
    c = SupportCase.objects.filter(state__in=CASE_LIVE).aggregate(
        total=Count("pk"),
        open=Count("pk", filter=Q(state=CaseState.OPEN)),
        info=Count("pk", filter=Q(state=CaseState.AWAITING_INFO)),
        appealed=Count("pk", filter=Q(state=CaseState.APPEALED)),
        breached=Count("pk", filter=Q(sla_breached_at__isnull=False)),
        unseen=Count("pk", filter=Q(sla_breached_at__isnull=False, sla_seen_at__isnull=True)),
        unanswered=Count("pk", filter=Q(first_response_at__isnull=True)),
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        due_soon=Count("pk", filter=Q(sla_breached_at__isnull=True, ruling_due__lte=soon)),
    )
    lines = [
        _line(_("open"), c["open"], name, state__exact=CaseState.OPEN),
        _line(_("waiting for a party's information"), c["info"], name, state__exact=CaseState.AWAITING_INFO),
        _line(_("appealed"), c["appealed"], name, state__exact=CaseState.APPEALED),
        _line(_("SLA breached, not seen yet"), c["unseen"], name, "alert", sla="unseen"),
        _line(_("SLA breached"), c["breached"], name, sla="breached"),
        _line(_("no first response yet"), c["unanswered"], name, sla="awaiting_response"),
        _line(_("ruling due within 4 hours"), c["due_soon"], name, "alert", sla="ok"),
        _line(_("assigned to me"), c["mine"], name, assignee="mine"),
        _line(_("unassigned"), c["unassigned"], name, assignee="unassigned"),
    ]
    return Card(_("Support cases"), lines, _url(name), c["total"])


def _tickets(user, soon: datetime) -> Card:
    name = "disputes_aftersalesticket"
    cancel_pending = Q(cancel_requested_at__isnull=False, state__in=(TicketState.APPROVED, TicketState.PROCESSING))
    c = AfterSalesTicket.objects.filter(state__in=TICKET_LIVE).aggregate(
        total=Count("pk"),
        support=Count("pk", filter=Q(state__in=TICKET_SUPPORT)),
        party=Count("pk", filter=cancel_pending),
        processing=Count("pk", filter=Q(state__in=(TicketState.APPROVED, TicketState.PROCESSING)) & ~cancel_pending),
        breached=Count("pk", filter=Q(sla_breached_at__isnull=False)),
        unseen=Count("pk", filter=Q(sla_breached_at__isnull=False, sla_seen_at__isnull=True)),
        mine=Count("pk", filter=Q(assignee=user)),
        due_soon=Count(
            "pk", filter=Q(sla_breached_at__isnull=True, resolution_due__lte=soon, state__in=TICKET_SUPPORT)
        ),
    )
    lines = [
        _line(_("waiting for review"), c["support"], name, state__exact=TicketState.PENDING_REVIEW),
        _line(_("a cancellation waiting for a party"), c["party"], name, cancel_pending="yes"),
        _line(_("approved, being carried out"), c["processing"], name, state__exact=TicketState.APPROVED),
        _line(_("SLA breached, not seen yet"), c["unseen"], name, "alert", sla="unseen"),
        _line(_("SLA breached"), c["breached"], name, sla="breached"),
        _line(_("decision due within 4 hours"), c["due_soon"], name, "alert", sla="ok"),
        _line(_("assigned to me"), c["mine"], name, assignee="mine"),
    ]
    return Card(_("After-sales tickets"), lines, _url(name), c["total"])


def _decided_by_support(model, name: str, title: str, waiting: str, user, soon: datetime) -> Card:
    c = model.objects.filter(state=waiting).aggregate(
        total=Count("pk"),
        breached=Count("pk", filter=Q(sla_breached_at__isnull=False)),
        unseen=Count("pk", filter=Q(sla_breached_at__isnull=False, sla_seen_at__isnull=True)),
        mine=Count("pk", filter=Q(assignee=user)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True)),
        due_soon=Count("pk", filter=Q(sla_breached_at__isnull=True, decision_due__lte=soon)),
    )
    lines = [
        _line(_("waiting for a decision"), c["total"], name, state__exact=waiting),
        _line(_("SLA breached, not seen yet"), c["unseen"], name, "alert", state__exact=waiting, sla="unseen"),
        _line(_("SLA breached"), c["breached"], name, state__exact=waiting, sla="breached"),
        _line(_("decision due within 4 hours"), c["due_soon"], name, "alert", state__exact=waiting, sla="ok"),
        _line(_("assigned to me"), c["mine"], name, state__exact=waiting, assignee="mine"),
        _line(_("unassigned"), c["unassigned"], name, state__exact=waiting, assignee="unassigned"),
    ]
    return Card(title, lines, _url(name, state__exact=waiting), c["total"])


def _one_count(title: str, label: str, queryset, name: str, **query) -> Card:
    """A card of one queue counted by one COUNT: what waits there, linked to it."""
    count = queryset.count()
    return Card(title, [_line(label, count, name, "alert", **query)], _url(name), count)


def _books() -> Card:
    """The latest reconciliation of the ledger: how many differences it found (one query)."""
    name = "orders_reconciliationrun"
    latest = ReconciliationRun.objects.order_by("-created_at", "-id").values_list("differences", flat=True).first()
    count = len(latest or ())
    return Card(
        _("Books"),
        [_line(_("differences in the last reconciliation"), count, name, "alert")],
        _url(name),
        count,
    )


def _due_soon(soon: datetime) -> list[DueItem]:
    """The next SLA deadlines not yet breached, across the four queues: one query (a union)."""

    def kind(label: str):
        return Value(label, output_field=CharField())

    cases = (
        SupportCase.objects.filter(state__in=CASE_LIVE, sla_breached_at__isnull=True, ruling_due__lte=soon)
        .annotate(queue=kind("case"))
        .order_by()
        .values_list("queue", "pk", "ruling_due")
    )
    tickets = (
        AfterSalesTicket.objects.filter(
            state__in=TICKET_SUPPORT, sla_breached_at__isnull=True, resolution_due__lte=soon
        )
        .annotate(queue=kind("ticket"))
        .order_by()
        .values_list("queue", "pk", "resolution_due")
    )
    claims = (
        Claim.objects.filter(state=ClaimState.PENDING_REVIEW, sla_breached_at__isnull=True, decision_due__lte=soon)
        .annotate(queue=kind("claim"))
        .order_by()
        .values_list("queue", "pk", "decision_due")
    )
    appeals = (
        PenaltyAppeal.objects.filter(state=AppealState.OPEN, sla_breached_at__isnull=True, decision_due__lte=soon)
        .annotate(queue=kind("appeal"))
        .order_by()
        .values_list("queue", "pk", "decision_due")
    )
    rows = cases.union(tickets, claims, appeals, all=True).order_by("ruling_due")[:DUE_SOON_SHOWN]
    names = {
        "case": ("disputes_supportcase", _("Support case")),
        "ticket": ("disputes_aftersalesticket", _("After-sales ticket")),
        "claim": ("disputes_claim", _("Claim")),
        "appeal": ("disputes_penaltyappeal", _("Appeal")),
    }
    items = []
    for label, pk, due in rows:
        model, shown = names[label]
        items.append(DueItem(f"{shown} #{pk}", pk, due, reverse(f"admin:{model}_change", args=[pk])))
    return items


def support_dashboard(*, user, now: datetime) -> SupportDashboard:
    """The cards of what waits for support, and the deadlines of the next four hours."""
    soon = now + SOON
    return SupportDashboard(
        cards=[
            _cases(user, soon),
            _tickets(user, soon),
            _decided_by_support(Claim, "disputes_claim", _("Claims with proof"), ClaimState.PENDING_REVIEW, user, soon),
            _decided_by_support(
                PenaltyAppeal, "disputes_penaltyappeal", _("Appeals of penalties"), AppealState.OPEN, user, soon
            ),
            _one_count(
                _("Reported messages"),
                _("to look at"),
                MessageReport.objects.filter(resolved_at__isnull=True),
                "orders_messagereport",
                status="unresolved",
            ),
            _one_count(
                _("Reported reviews"),
                _("to look at"),
                Review.objects.filter(reported_at__isnull=False, report_handled_at__isnull=True),
                "orders_review",
                reported="waiting",
            ),
            _one_count(
                _("Refunds"),
                _("failed at the gateway, retried"),
                Refund.objects.filter(status=RefundStatus.FAILED),
                "orders_refund",
                status__exact=RefundStatus.FAILED,
            ),
            _one_count(
                _("Payouts"),
                _("failed at the gateway, to retry"),
                Payout.objects.filter(state=PayoutState.FAILED),
                "orders_payout",
                state__exact=PayoutState.FAILED,
            ),
            _books(),
            _one_count(
                _("Webhook deliveries"),
                _("failed"),
                WebhookDelivery.objects.filter(status=WebhookDeliveryStatus.FAILED),
                "core_webhookdelivery",
                status__exact=WebhookDeliveryStatus.FAILED,
            ),
        ],
        due_soon=_due_soon(soon),
    )
