"""One real browser run through the main path: sign up, post a service, order it as someone else.

Skipped unless Playwright and a Chromium binary are present. The binary is found through the
``CHROMIUM_PATH`` environment variable, else ``chromium`` on the PATH. Set
``GIGFAIR_SCREENSHOT_DIR`` to keep the screenshots for a look at the design.
"""

import os
import shutil
from pathlib import Path

import pytest

from orders.models import Order, OrderState
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser_page(monkeypatch):
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable or not Path(executable).exists():
        pytest.skip("no Chromium binary: set CHROMIUM_PATH")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(10_000)
        yield page
        browser.close()


def _shot(page, tmp_path, name):
    folder = Path(os.environ.get("GIGFAIR_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_sign_up_post_a_service_and_order_it_as_someone_else(live_server, browser_page, tmp_path):
    page = browser_page
    buyer = UserFactory(username="bram", display_name="Bram")

    # given a new provider who signs up and posts a service
    page.goto(f"{live_server.url}/signup/")
    page.fill("input[name=username]", "sofia")
    page.fill("input[name=email]", "sofia@example.com")
    page.fill("input[name=display_name]", "Sofia Designs")
    page.fill("input[name=password1]", "Quiet-Harbour-2024")
    page.fill("input[name=password2]", "Quiet-Harbour-2024")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")

    page.click("text=Post a listing")
    page.check("input[name=kind][value=service]")
    page.fill("input[name=title]", "Hand-drawn shop sign")
    page.fill("input[name=price]", "85.00")
    page.fill("input[name=delivery_days]", "5")
    page.fill("input[name=revisions]", "2")
    assert page.locator("input[name=location]").is_hidden()  # shift fields are out of the way
    page.locator("main form button[type=submit]").click()
    page.wait_for_selector("text=is live")
    _shot(page, tmp_path, "listing")
    page.locator("header form button[type=submit]").click()  # log out

    # when another user logs in and orders it with requirements
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", buyer.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")
    page.click("text=Browse")
    page.click(".filter-tabs >> text=Services")  # htmx swaps the results in place
    page.wait_for_url(f"{live_server.url}/?kind=service")
    assert page.locator(".filter-tabs a[aria-current]").inner_text() == "Services"
    page.click("text=Hand-drawn shop sign")
    assert "held in escrow" in page.locator(".escrow-note").inner_text()
    page.fill("textarea[name=requirements]", "A fox holding a loaf of bread.")
    page.click("button:has-text('Order this service')")

    # then the order page shows the work under way and the money in escrow
    page.wait_for_selector("text=Order placed")
    _shot(page, tmp_path, "order")
    order = Order.objects.get(client=buyer)
    assert order.state == OrderState.IN_PROGRESS
    assert page.locator(".badge.state-in_progress").first.is_visible()
    assert page.locator("text=to escrow: 85.00").is_visible()
