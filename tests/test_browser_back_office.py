"""A support agent's shift in the back office, in a real browser on a 1,366 px screen: log in, read
the dashboard, take a case from the queue to a ruling (consequences first, then confirmed), open
the cancellation analytics with its charts and download the CSV; a supervisor's policy editor and
the widest list fit the screen. Screenshots go where test_browser_smoke puts them
(``GIGFAIR_SCREENSHOT_DIR``), named ``back-office-<step>.png``. Skipped without Playwright and
Chromium.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from disputes.models import CaseState, SupportCase
from disputes.services.cases import case_add_statement
from orders.models import Cancellation
from portal.analytics import Period, cancellation_analytics
from tests.disputes.test_cases_helpers import open_case
from tests.factories import PASSWORD, UserFactory, order_cancelled, order_in_progress, service_order
from tests.test_browser_smoke import chromium_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect
WIDTH = 1366


@pytest.fixture
def desk(monkeypatch):
    yield from chromium_page(monkeypatch, width=WIDTH, height=900)


def _log_in(page, url: str, user) -> None:
    page.goto(f"{url}/admin/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_url(f"{url}/admin/")


def _fits(page) -> None:
    page.wait_for_load_state("networkidle")  # the style sheets and fonts in: the layout is final
    page.evaluate("document.fonts.ready")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"{page.url} is {width} px wide"
    cut = page.evaluate(
        "Array.from(document.querySelectorAll('.results, .tabular')).filter(e => e.scrollWidth > e.clientWidth).length"
    )
    assert cut == 0, f"{page.url} hides columns in a scrolling box"


def test_an_agent_works_a_case_to_a_ruling_and_reads_the_analytics(live_server, desk, tmp_path):
    page = desk
    agent = UserFactory(support=True, username="eva", display_name="Eva")
    case = open_case(order_in_progress(title="Website redesign", price=Decimal("300.00")))
    case_add_statement(case=case, actor=case.order.provider, text="The client changed the brief twice.")
    order_cancelled(order=service_order(title="Logo sketch"), by="client")

    # the dashboard shows what waits, each number a link to its queue
    _log_in(page, live_server.url, agent)
    dashboard = page.locator(".support-dashboard")
    expect(dashboard.get_by_role("heading", name="What waits for support")).to_be_visible()
    cases_card = dashboard.locator(".dashboard-card", has=page.get_by_role("link", name="Support cases"))
    expect(cases_card.locator("li", has_text="unassigned")).to_contain_text("1")
    _fits(page)
    shot(page, tmp_path, "back-office-dashboard")

    # from the card to the queue of unassigned cases, then the case
    cases_card.locator("li", has_text="unassigned").get_by_role("link").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    _fits(page)
    shot(page, tmp_path, "back-office-queue")
    page.locator("#result_list tbody tr th a").first.click()
    expect(page.locator("#content h2, #content h1").first).to_be_visible()
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator(".messagelist")).to_contain_text(f"You took case #{case.pk}.")

    # the ruling: its consequences first, then confirmed
    page.get_by_role("link", name="Rule").click()
    page.fill("input[name=outcome]", "Cancel: the brief changed after work began")
    page.select_option("select[name=fault]", "client")
    page.fill("textarea[name=ruling]", "The messages show two new briefs after work started.")
    page.check("input[name=cancel_order]")
    page.select_option("select[name=cancel_reason]", "client_changed_demand")
    page.get_by_role("button", name="Show the consequences").click()
    expect(page.locator("#ruling-consequences")).to_be_visible()
    shot(page, tmp_path, "back-office-ruling-consequences")
    page.get_by_role("button", name="Confirm the ruling").click()
    expect(page.locator(".messagelist")).to_be_visible()
    case.refresh_from_db()
    assert case.state == CaseState.RULED and case.fault == "client"
    assert Cancellation.objects.filter(order=case.order).exists()
    shot(page, tmp_path, "back-office-case-ruled")

    # the analytics: charts beside their tables, and the CSV with the same figures
    page.goto(f"{live_server.url}/admin/")
    page.get_by_role("link", name="Why orders are cancelled: cancellation analytics").click()
    expect(page.locator("#chart-weeks")).to_be_visible()
    page.wait_for_function("document.querySelector('#chart-weeks').width > 0")
    _fits(page)
    shot(page, tmp_path, "back-office-analytics")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))  # noqa: SIM115
    today = timezone.localdate()
    expected = cancellation_analytics(Period(today - timedelta(days=89), today))
    total = next(r for r in rows if r and r[0] == "total")
    assert (int(total[2]), int(total[4])) == (expected.total, expected.orders) == (2, 2)
    by_fault = {r[1]: int(r[2]) for r in rows if r and r[0] == "fault"}
    assert by_fault == {label: n for label, n, _share in next(t for t in expected.tables if t.key == "fault").rows}


def test_the_policy_editor_and_the_widest_list_fit_the_screen(live_server, desk, tmp_path):
    page = desk
    supervisor = UserFactory(supervisor=True, username="sam")
    order_cancelled(order=service_order(), by="client")
    SupportCase.objects.all().delete()

    _log_in(page, live_server.url, supervisor)
    page.goto(f"{live_server.url}/admin/orders/policy/")
    page.locator("#result_list tbody tr th a").first.click()
    expect(page.locator("input[name=_save]")).to_be_visible()  # a supervisor edits the policy
    _fits(page)
    shot(page, tmp_path, "back-office-policy-editor")
    page.goto(f"{live_server.url}/admin/orders/cancellation/")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    shot(page, tmp_path, "back-office-cancellations")
    _fits(page)
