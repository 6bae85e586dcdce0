"""Cancellation analytics for support: the aggregates, the CSV (the same figures), who may see it."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.cancellation import order_cancel
from portal.analytics import Period, analytics_csv, cancellation_analytics
from tests.factories import UserFactory, order_in_progress, service_order, shift_order, support_user

pytestmark = pytest.mark.django_db


def _period(**kwargs) -> Period:
    today = timezone.localdate()
    return Period(today - timedelta(days=30), today, **kwargs)


@pytest.fixture
def cancellations():
    flaky = UserFactory(username="flaky")
    for _ in range(5):  # flaky's services, all cancelled by their clients before requirements
        order = service_order(provider=flaky)
        order_cancel(order=order, actor=order.client, reason="schedule_change")
    for _ in range(2):  # shifts their workers cancel early
        shift = shift_order(starts_in=timedelta(days=3))
        order_cancel(order=shift, actor=shift.provider, reason="other")
    for _ in range(10):
        order_in_progress()  # orders that go on


def test_the_aggregates_count_by_reason_kind_and_rule(cancellations):
    result = cancellation_analytics(_period())

    assert (result.total, result.orders) == (7, 17)
    tables = {table.key: {label: count for label, count, _share in table.rows} for table in result.tables}
    assert sorted(tables["reason"].values()) == [2, 5]
    assert sorted(tables["kind"].values()) == [2, 5] and len(tables["kind"]) == 2
    assert sum(tables["path"].values()) == sum(tables["fault"].values()) == 7
    assert sum(sum(week.get(code, 0) for code, _l in result.reasons) for week in result.weeks) == 7


def test_the_rate_per_provider_names_the_outlier_with_its_sample(cancellations):
    result = cancellation_analytics(_period())

    flaky = next(row for row in result.providers if row.username == "flaky")
    assert (flaky.orders, flaky.cancelled, flaky.rate, flaky.outlier) == (5, 5, 100.0, True)
    assert result.providers[0].username == "flaky"


def test_the_kind_filter_keeps_one_kind(cancellations):
    assert cancellation_analytics(_period(kind="shift")).total == 2


def test_the_csv_holds_the_same_figures(cancellations):
    result = cancellation_analytics(_period())

    rows = list(csv.DictReader(io.StringIO(analytics_csv(result))))

    for table in result.tables:
        assert {r["label"]: int(r["count"]) for r in rows if r["table"] == table.key} == {
            label: count for label, count, _share in table.rows
        }
    assert next(r for r in rows if r["table"] == "total")["count"] == "7"
    assert {r["label"]: int(r["orders"]) for r in rows if r["table"] == "provider"}["flaky"] == 5


def test_support_sees_the_page_and_downloads_the_csv(client, cancellations):
    client.force_login(support_user())
    url = reverse("admin:analytics_cancellations")

    page = client.get(url, {"kind": ""})
    download = client.get(url, {"format": "csv"})

    assert page.status_code == 200
    html = page.content.decode()
    assert "chart.umd.min.js" in html and 'id="analytics-data"' in html and "flaky" in html
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    assert "flaky" in download.content.decode()


def test_a_bad_range_is_a_form_error_not_a_500(client):
    client.force_login(support_user())

    page = client.get(reverse("admin:analytics_cancellations"), {"start": "2026-12-01", "end": "2026-11-01"})

    assert page.status_code == 200
    assert "The end comes before the start." in page.content.decode()


def test_staff_outside_support_are_refused(client):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("admin:analytics_cancellations")).status_code == 403


def test_supports_speed_against_its_service_level():
    from disputes.models import SupportCase
    from tests.disputes.test_cases_helpers import open_case

    answered, late, waiting = open_case(), open_case(), open_case()
    now = timezone.now()
    filed = now - timedelta(hours=20)
    SupportCase.objects.filter(pk=answered.pk).update(
        created_at=filed,
        first_response_due=filed + timedelta(hours=24),
        first_response_at=filed + timedelta(hours=2),
        ruled_at=filed + timedelta(hours=10),
        fault="provider",
    )
    SupportCase.objects.filter(pk=late.pk).update(
        first_response_at=late.first_response_due + timedelta(hours=1), sla_breached_at=now
    )

    result = cancellation_analytics(_period())

    cases = next(q for q in result.queues if q.key == "cases")
    assert (cases.filed, cases.answered, cases.answered_in_time, cases.decided, cases.breached) == (3, 2, 1, 1, 1)
    assert cases.decide_hours == 10.0
    assert waiting.pk  # filed, not yet answered: counted as filed only
    assert dict(result.rulings) and sum(n for _label, n in result.rulings) == 1
    rows = list(csv.reader(io.StringIO(analytics_csv(result))))
    assert next(r for r in rows if r and r[0] == "cases")[:3] == ["cases", "3", "2"]


def test_appeals_of_rulings_and_the_charts_show_the_tables_figures(admin_client):
    from disputes.models import SupportCase
    from portal.analytics import analytics_chart
    from tests.disputes.test_cases_helpers import open_case

    upheld, dismissed, waiting = open_case(), open_case(), open_case()
    now = timezone.now()
    SupportCase.objects.filter(pk=upheld.pk).update(appealed_at=now, appeal_upheld=True)
    SupportCase.objects.filter(pk=dismissed.pk).update(appealed_at=now, appeal_upheld=False)
    SupportCase.objects.filter(pk=waiting.pk).update(appealed_at=now)

    result = cancellation_analytics(_period())
    chart = analytics_chart(result)

    assert [n for _label, n in result.ruling_appeals] == [1, 1, 1]
    assert chart["ruling_appeals"]["data"] == [1, 1, 1]
    cases = next(q for q in result.queues if q.key == "cases")
    in_time, late, not_yet = (series["data"][0] for series in chart["queues"]["series"])
    assert (in_time, late, not_yet) == (cases.decided_in_time, cases.decided - cases.decided_in_time, 3)
    rows = list(csv.reader(io.StringIO(analytics_csv(result))))
    assert [r[2] for r in rows if r and r[0] == "ruling_appeal"] == ["1", "1", "1"]
    page = admin_client.get(reverse("admin:analytics_cancellations")).content.decode()
    assert 'id="chart-queues"' in page and 'data-pairs="ruling_appeals"' in page
