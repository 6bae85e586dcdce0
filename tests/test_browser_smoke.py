"""Real browser runs through the main paths: sign up, post a service and order it as someone
else; cancel a booked shift through the quote dialog.

Skipped unless Playwright and a Chromium binary are present. The binary is found through the
``CHROMIUM_PATH`` environment variable, else ``chromium`` on the PATH. Set
``GIGFAIR_SCREENSHOT_DIR`` to keep the screenshots for a look at the design.
"""

import os
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from orders.models import Order, OrderState
from tests.factories import PASSWORD, UserFactory, shift_order

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def chromium_page(monkeypatch, *, width: int, height: int):
    """A page in headless Chromium of ``width`` × ``height`` CSS pixels (a generator for a fixture)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    executable = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium")
    if not executable or not Path(executable).exists():
        pytest.skip("no Chromium binary: set CHROMIUM_PATH")
    # Playwright's sync API runs an event loop in this thread; the ORM calls in the test are
    # still synchronous and safe.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": width, "height": height})
        page.set_default_timeout(10_000)
        yield page
        browser.close()


@pytest.fixture
def browser_page(monkeypatch):
    yield from chromium_page(monkeypatch, width=1280, height=900)


def shot(page, tmp_path, name):
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
    shot(page, tmp_path, "listing")
    page.locator('header form[action$="/logout/"] button').click()  # log out

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
    shot(page, tmp_path, "order")
    order = Order.objects.get(client=buyer)
    assert order.state == OrderState.IN_PROGRESS
    assert page.locator(".badge.state-in_progress").first.is_visible()
    assert page.locator("text=to escrow: 85.00").is_visible()


def _log_in(page, live_server, user):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/dashboard/")


def test_cancel_a_booked_shift_through_the_quote_dialog(live_server, browser_page, tmp_path):
    page = browser_page
    # given a shift that starts in 5 hours: the client's 2–24 h tier (90 % back, 10 % to the worker)
    order = shift_order(price=Decimal("80.00"), starts_at=timezone.now() + timedelta(hours=5))
    _log_in(page, live_server, order.client)
    page.goto(f"{live_server.url}/orders/{order.pk}/")

    # when the client opens the dialog, the quote shows before any confirm button is pressed
    page.click("text=Cancel order…")
    dialog = page.locator("dialog#cancel-dialog[open]")
    dialog.wait_for()
    quote = dialog.inner_text().replace("\u00a0", " ")
    assert "You get back 72.00 EUR" in quote
    assert "The provider gets 8.00 EUR as compensation" in quote
    assert "2–24 h before start" in quote and "Policy version 1" in quote
    shot(page, tmp_path, "cancel-dialog")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, tmp_path, "cancel-dialog-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # and "Keep the order" closes it without a trace
    dialog.locator("button:has-text('Keep the order')").click()
    page.locator("dialog#cancel-dialog:not([open])").wait_for(state="attached")
    assert Order.objects.get(pk=order.pk).state == OrderState.BOOKED

    # when they open it again and confirm with a reason
    page.click("text=Cancel order…")
    dialog.wait_for()
    dialog.locator("select[name=reason]").select_option("client_changed_demand")
    dialog.locator("textarea[name=message]").fill("The event moved to Sunday.")
    dialog.locator("button:has-text('Cancel the order')").click()

    # then the whole order page reloads with the cancellation, on the quoted terms
    page.wait_for_selector("text=is cancelled on the quoted terms")
    panel = page.locator(".cancellation-panel").inner_text().replace("\u00a0", " ")
    assert "The event moved to Sunday." in panel and "2–24 h before start" in panel
    assert "Refund 72.00 EUR" in page.locator(".refunds").inner_text().replace("\u00a0", " ")
    assert page.locator(".bell-count").is_visible()  # both parties are told
    shot(page, tmp_path, "cancelled")
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert order.cancellation.quote_id is not None
    assert order.cancellation.refund_to_client == Decimal("72.00")
