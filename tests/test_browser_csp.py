"""The Content-Security-Policy in a real browser: the pages, the admin and the API docs load
and run without a single violation (no inline script, inline style or eval they depend on).

Skipped unless Playwright and a Chromium binary are present (see test_browser_smoke.py).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.urls import reverse

from credit.models import CreditAccount
from orders.models import Cancellation
from tests.factories import PASSWORD, UserFactory, order_in_progress, shift_cancelled_late

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Added before any page script runs (through DevTools, so the policy does not apply to it):
# every violation the page reports is kept for the test to read.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective}: ${event.blockedURI} (${where})`);
});
"""


class Browser:
    """One page that remembers every CSP violation, console error and script error it saw."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.problems: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"script error: {error}"))

    def _console(self, message) -> None:
        if message.type == "error" or "Content Security Policy" in message.text:
            self.problems.append(f"console {message.type} on {self.page.url}: {message.text}")

    def visit(self, path: str, *, ready: str = "body") -> None:
        response = self.page.goto(f"{self.base_url}{path}")
        assert response.status == 200, (path, response.status)
        assert "default-src 'self'" in response.headers["content-security-policy"], path
        self.page.wait_for_selector(ready)
        self.page.wait_for_load_state("networkidle")
        self.collect()

    def collect(self) -> None:
        for violation in self.page.evaluate("window.__cspViolations || []"):
            self.problems.append(f"CSP violation on {self.page.url}: {violation}")
        self.page.evaluate("window.__cspViolations = []")

    def log_in(self, path: str, user) -> None:
        self.page.goto(f"{self.base_url}{path}")
        self.page.fill("input[name=username]", user.username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.locator("form [type=submit]").last.click()
        self.page.wait_for_load_state("networkidle")
        self.collect()


@pytest.fixture
def browser(live_server, monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable or not Path(executable).exists():
        pytest.skip("no Chromium binary: set CHROMIUM_PATH")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.add_init_script(RECORD_VIOLATIONS)
        page = context.new_page()
        page.set_default_timeout(15_000)
        yield Browser(page, live_server.url)
        chromium.close()


def test_the_pages_run_without_a_csp_violation(browser):
    # given a provider whose shift was cancelled late: an order with a cancellation, credit events
    order = shift_cancelled_late()
    listing = order_in_progress().listing

    # when a visitor browses, logs in and opens their order, its cancellation and their credit
    browser.visit("/")
    browser.visit("/login/", ready="input[name=username]")
    browser.visit(reverse("listing_detail", args=(listing.pk,)))
    browser.log_in("/login/", order.provider)
    browser.visit(reverse("order_detail", args=(order.pk,)), ready=".cancellation-panel")
    browser.visit(reverse("credit"))
    browser.visit(reverse("dashboard"))
    browser.visit("/", ready=".filter-tabs")
    browser.page.click(".filter-tabs >> text=Services")  # htmx swaps the results in place
    browser.page.wait_for_url("**/?kind=service")
    browser.collect()

    # then no script, style or other resource was refused, and no script failed
    assert browser.problems == []


def test_the_admin_runs_without_a_csp_violation(browser):
    # given support staff, and an account and a cancellation with pages of their own
    order = shift_cancelled_late()
    account = CreditAccount.objects.get(user=order.provider)
    cancellation = Cancellation.objects.get(order=order)
    staff = UserFactory(is_staff=True, is_superuser=True)

    # when they log in and open the index, lists and change forms
    browser.log_in(reverse("admin:login"), staff)
    browser.visit(reverse("admin:index"), ready="#content-main")
    browser.visit(reverse("admin:orders_order_change", args=(order.pk,)), ready="#content-main")
    browser.visit(reverse("admin:credit_creditaccount_change", args=(account.pk,)), ready="#account-events")
    browser.visit(reverse("admin:orders_cancellation_changelist"), ready="#cancellation-summary")
    browser.visit(reverse("admin:orders_cancellation_change", args=(cancellation.pk,)), ready="#content-main")
    browser.visit(reverse("admin:marketplace_user_change", args=(staff.pk,)), ready="#content-main")

    # then nothing was refused
    assert browser.problems == []


def test_the_api_docs_run_without_a_csp_violation(browser):
    # when Swagger UI loads its script, fetches the schema and draws the operations
    browser.visit(reverse("api-docs"), ready=".swagger-ui .opblock")
    browser.page.locator(".opblock-summary").first.click()  # open one operation
    browser.page.wait_for_selector(".opblock-body")
    browser.collect()

    # then nothing was refused
    assert browser.problems == []
