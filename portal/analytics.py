"""Why orders are cancelled, for support and the people who fix the causes: cancellations over time
and by reason, path, fault, tier and kind; the cancellation rate per provider and per client with
its sample and the outliers. Every figure is an aggregate query over the date range."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q
from django.db.models.functions import TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from disputes.models import AfterSalesTicket, AppealState, Claim, PenaltyAppeal, SupportCase
from marketplace.models import ListingKind as Kind
from orders.models import CANCELLATION_PATHS, Cancellation, CancelReason, Fault, Order

DEFAULT_DAYS = 90
# A party whose rate is at least this many times the overall rate, on at least OUTLIER_SAMPLE
# orders, is an outlier: worth a look, not a verdict.
OUTLIER_FACTOR = 2
OUTLIER_SAMPLE = 5
RATE_ROWS = 20


class AnalyticsFilter(forms.Form):
    start = forms.DateField(label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("all")), *Kind.choices]
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start > end:
            self.add_error("end", _("The end comes before the start."))
        return cleaned


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    kind: str = ""

    @property
    def since(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def until(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.end + timedelta(days=1), time.min))


def period_from(form: AnalyticsFilter, today: date) -> Period:
    data = form.cleaned_data if form.is_valid() else {}
    end = data.get("end") or today
    start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
    return Period(start, end, data.get("kind") or "")


@dataclass(frozen=True)
class Table:
    """One breakdown: its rows (label, count, share of the total) in the order shown."""

    key: str
    title: str
    rows: list[tuple[str, int, float]]


@dataclass(frozen=True)
class RateRow:
    username: str
    orders: int
    cancelled: int
    rate: float
    outlier: bool


@dataclass(frozen=True)
class QueueTimes:
    """One support queue's items filed in the period: how fast support answered and decided,
    against the service level."""

    key: str
    title: str
    filed: int
    answered: int | None  # None where the queue has no first response of its own
    answer_hours: float | None
    answered_in_time: int | None
    decided: int
    decide_hours: float | None
    decided_in_time: int
    breached: int


@dataclass
class CancellationAnalytics:
    period: Period
    total: int = 0
    orders: int = 0
    tables: list[Table] = field(default_factory=list)
    weeks: list[dict] = field(default_factory=list)  # {"week": date, reason: count, ...}
    reasons: list[tuple[str, str]] = field(default_factory=list)  # the weekly chart's series
    providers: list[RateRow] = field(default_factory=list)
    clients: list[RateRow] = field(default_factory=list)
    queues: list[QueueTimes] = field(default_factory=list)
    rulings: list[tuple[str, int]] = field(default_factory=list)  # cases ruled in the period, by fault
    appeals: list[tuple[str, int]] = field(default_factory=list)  # appeals decided in the period, by outcome
    ruling_appeals: list[tuple[str, int]] = field(default_factory=list)  # appeals of rulings filed in the period

    @property
    def week_rows(self) -> list[tuple[date, list[int]]]:
        """The weekly table: each week with its count per reason, in the order of ``reasons``."""
        return [(week["week"], [week.get(code, 0) for code, _label in self.reasons]) for week in self.weeks]

    @property
    def rate(self) -> float:
        return self.total / self.orders * 100 if self.orders else 0.0


def _cancellations(period: Period):
    qs = Cancellation.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
    return qs.filter(order__kind=period.kind) if period.kind else qs


def _orders(period: Period):
    qs = Order.objects.filter(created_at__gte=period.since, created_at__lt=period.until)
    return qs.filter(kind=period.kind) if period.kind else qs


def _breakdown(period: Period, total: int, key: str, title: str, column: str, labels: dict) -> Table:
    counts = _cancellations(period).order_by().values_list(column).annotate(n=Count("pk")).order_by("-n", column)
    rows = [(str(labels.get(value, value) or "—"), n, n / total * 100 if total else 0.0) for value, n in counts]
    return Table(key, title, rows)


def _rates(period: Period, party: str, overall: float) -> list[RateRow]:
    """Each party's orders made in the period and how many of them were cancelled, the highest
    rates first (on samples big enough to mean something, then the rest)."""
    rows = (
        _orders(period)
        .order_by()
        .values(username=F(f"{party}__username"))
        .annotate(orders=Count("pk"), cancelled=Count("pk", filter=Q(cancellation__isnull=False)))
        .filter(cancelled__gt=0)
    )
    found = []
    for row in rows:
        rate = row["cancelled"] / row["orders"] * 100
        outlier = row["orders"] >= OUTLIER_SAMPLE and overall > 0 and rate >= OUTLIER_FACTOR * overall
        found.append(RateRow(row["username"], row["orders"], row["cancelled"], rate, outlier))
    found.sort(key=lambda r: (r.orders < OUTLIER_SAMPLE, -r.rate, -r.orders, r.username))
    return found[:RATE_ROWS]


def _hours(value) -> float | None:
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value) / 1_000_000
    return round(seconds / 3600, 1)


def _queue(
    period: Period, key: str, title: str, model, decided_at: str, decision_due: str, *, answers: bool
) -> QueueTimes:
    """One aggregate query over the queue's items filed in the period."""
    to_decide = ExpressionWrapper(F(decided_at) - F("created_at"), output_field=DurationField())
    figures = {
        "filed": Count("pk"),
        "decided": Count("pk", filter=Q(**{f"{decided_at}__isnull": False})),
        "decide_time": Avg(to_decide, filter=Q(**{f"{decided_at}__isnull": False})),
        "decided_in_time": Count("pk", filter=Q(**{f"{decided_at}__lte": F(decision_due)})),
        "breached": Count("pk", filter=Q(sla_breached_at__isnull=False)),
    }
    if answers:
        to_answer = ExpressionWrapper(F("first_response_at") - F("created_at"), output_field=DurationField())
        figures |= {
            "answered": Count("pk", filter=Q(first_response_at__isnull=False)),
            "answer_time": Avg(to_answer, filter=Q(first_response_at__isnull=False)),
            "answered_in_time": Count("pk", filter=Q(first_response_at__lte=F("first_response_due"))),
        }
    row = model.objects.filter(created_at__gte=period.since, created_at__lt=period.until).aggregate(**figures)
    return QueueTimes(
        key,
        title,
        row["filed"],
        row.get("answered"),
        _hours(row.get("answer_time")),
        row.get("answered_in_time"),
        row["decided"],
        _hours(row["decide_time"]),
        row["decided_in_time"],
        row["breached"],
    )


def support_times(period: Period) -> list[QueueTimes]:
    """Each support queue's speed against its service level, for the items filed in the period."""
    return [
        _queue(period, "cases", _("Support cases"), SupportCase, "ruled_at", "ruling_due", answers=True),
        _queue(
            period, "tickets", _("After-sales tickets"), AfterSalesTicket, "resolved_at", "resolution_due", answers=True
        ),
        _queue(period, "claims", _("Claims with proof"), Claim, "decided_at", "decision_due", answers=False),
        _queue(
            period, "appeals", _("Appeals of penalties"), PenaltyAppeal, "decided_at", "decision_due", answers=False
        ),
    ]


def cancellation_analytics(period: Period) -> CancellationAnalytics:
    result = CancellationAnalytics(period)
    result.total = _cancellations(period).count()
    result.orders = _orders(period).count()
    reasons = dict(CancelReason.choices)
    result.tables = [
        _breakdown(period, result.total, "reason", _("By reason"), "reason", reasons),
        _breakdown(period, result.total, "path", _("By rule"), "path", dict(CANCELLATION_PATHS)),
        _breakdown(period, result.total, "fault", _("By fault"), "fault", dict(Fault.choices)),
        _breakdown(period, result.total, "tier", _("By tier"), "tier", {}),
        _breakdown(period, result.total, "kind", _("By kind"), "order__kind", dict(Kind.choices)),
        _breakdown(period, result.total, "actor_role", _("By who cancelled"), "actor_role", {}),
    ]
    weekly = (
        _cancellations(period)
        .order_by()
        .annotate(week=TruncWeek("created_at", tzinfo=timezone.get_current_timezone()))
        .values_list("week", "reason")
        .annotate(n=Count("pk"))
        .order_by("week")
    )
    weeks: dict = {}
    for week, reason, n in weekly:
        weeks.setdefault(week.date() if isinstance(week, datetime) else week, {})[reason] = n
    used = sorted({reason for counts in weeks.values() for reason in counts})
    result.reasons = [(code, str(reasons.get(code, code))) for code in used]
    result.weeks = [{"week": week, **counts} for week, counts in sorted(weeks.items())]
    result.providers = _rates(period, "provider", result.rate)
    result.clients = _rates(period, "client", result.rate)
    result.queues = support_times(period)
    faults = dict(Fault.choices)
    ruled = (
        SupportCase.objects.filter(ruled_at__gte=period.since, ruled_at__lt=period.until)
        .order_by()
        .values_list("fault")
        .annotate(n=Count("pk"))
        .order_by("-n", "fault")
    )
    result.rulings = [(str(faults.get(fault, fault) or "—"), n) for fault, n in ruled]
    outcomes = dict(AppealState.choices)
    decided = (
        PenaltyAppeal.objects.filter(decided_at__gte=period.since, decided_at__lt=period.until)
        .order_by()
        .values_list("state")
        .annotate(n=Count("pk"))
        .order_by("state")
    )
    result.appeals = [(str(outcomes.get(state, state)), n) for state, n in decided]
    appealed = SupportCase.objects.filter(appealed_at__gte=period.since, appealed_at__lt=period.until).aggregate(
        upheld=Count("pk", filter=Q(appeal_upheld=True)),
        dismissed=Count("pk", filter=Q(appeal_upheld=False)),
        waiting=Count("pk", filter=Q(appeal_upheld__isnull=True)),
    )
    result.ruling_appeals = [
        (_("upheld"), appealed["upheld"]),
        (_("dismissed"), appealed["dismissed"]),
        (_("not decided yet"), appealed["waiting"]),
    ]
    return result


def analytics_chart(result: CancellationAnalytics) -> dict:
    """What the page's charts draw (``static/js/analytics.js``), from the same figures as its tables."""

    def pairs(rows) -> dict:
        return {"labels": [str(label) for label, _n in rows], "data": [n for _label, n in rows]}

    return {
        "weeks": [week["week"].isoformat() for week in result.weeks],
        "series": [
            {"label": label, "data": [week.get(code, 0) for week in result.weeks]} for code, label in result.reasons
        ],
        "tables": {t.key: {"labels": [r[0] for r in t.rows], "data": [r[1] for r in t.rows]} for t in result.tables},
        "queues": {
            "labels": [str(q.title) for q in result.queues],
            "series": [
                {"label": _("Decided in time"), "data": [q.decided_in_time for q in result.queues]},
                {"label": _("Decided late"), "data": [q.decided - q.decided_in_time for q in result.queues]},
                {"label": _("Not decided yet"), "data": [q.filed - q.decided for q in result.queues]},
            ],
        },
        "hours": {
            "labels": [str(q.title) for q in result.queues],
            "series": [
                {"label": _("First response, average hours"), "data": [q.answer_hours for q in result.queues]},
                {"label": _("Decision, average hours"), "data": [q.decide_hours for q in result.queues]},
            ],
        },
        "rulings": pairs(result.rulings),
        "appeals": pairs(result.appeals),
        "ruling_appeals": pairs(result.ruling_appeals),
    }


def analytics_csv(result: CancellationAnalytics) -> str:
    """Every table of the page in one CSV: table, label, count, share (or orders, cancelled, rate)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["table", "label", "count", "percent", "orders", "cancelled"])
    writer.writerow(["total", "cancellations", result.total, f"{result.rate:.2f}", result.orders, result.total])
    for table in result.tables:
        for label, count, share in table.rows:
            writer.writerow([table.key, label, count, f"{share:.2f}", "", ""])
    for week in result.weeks:
        for code, _label in result.reasons:
            writer.writerow(["week", f"{week['week'].isoformat()} {code}", week.get(code, 0), "", "", ""])
    for key, rows in (("provider", result.providers), ("client", result.clients)):
        for row in rows:
            writer.writerow([key, row.username, row.cancelled, f"{row.rate:.2f}", row.orders, row.cancelled])
    writer.writerow([])
    writer.writerow(
        [
            "queue",
            "filed",
            "answered",
            "answer_hours",
            "answered_in_time",
            "decided",
            "decide_hours",
            "decided_in_time",
            "breached",
        ]
    )
    for q in result.queues:
        writer.writerow(
            [
                q.key,
                q.filed,
                q.answered,
                q.answer_hours,
                q.answered_in_time,
                q.decided,
                q.decide_hours,
                q.decided_in_time,
                q.breached,
            ]
        )
    for label, n in result.rulings:
        writer.writerow(["ruling_fault", label, n])
    for label, n in result.appeals:
        writer.writerow(["appeal_outcome", label, n])
    for label, n in result.ruling_appeals:
        writer.writerow(["ruling_appeal", label, n])
    return out.getvalue()
