"""On a 390 × 844 phone: a compact header whose links fold behind a menu button, and the
dashboard's orders as cards with every value on screen. Skipped without Playwright and Chromium
(see test_browser_smoke)."""

import pytest

from tests.factories import PASSWORD, UserFactory, order_delivered, shift_checked_in
from tests.test_browser_smoke import chromium_page, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(monkeypatch):
    yield from chromium_page(monkeypatch, **PHONE)


def _log_in(page, url, user):
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{url}/dashboard/")


def test_the_header_is_one_row_and_the_menu_opens_and_closes(live_server, phone, tmp_path):
    # given
    me = UserFactory(username="ana", display_name="Ana")
    page = phone
    _log_in(page, live_server.url, me)

    # then: one compact row, the links folded away
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] < 96  # one row (it was 299 px, a third of the screen)
    assert page.locator("#site-menu").is_hidden()
    toggle = page.locator("button.menu-toggle")
    assert toggle.get_attribute("aria-expanded") == "false"

    # when the menu opens, every link is there, one under the other
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert page.locator("#site-menu").is_visible()
    assert page.locator("#site-menu >> text=Credit").is_visible()
    shot(page, tmp_path, "phone-menu-open")

    # and Escape closes it
    page.keyboard.press("Escape")
    assert page.locator("#site-menu").is_hidden()


def test_the_dashboard_shows_each_order_as_a_card_with_its_price_and_due_date_on_screen(live_server, phone, tmp_path):
    # given
    me = UserFactory(username="ana", display_name="Ana")
    order_delivered(client=me, title="A long title for a shop sign in three colours")  # waits for my review
    shift_checked_in(client=me)  # waits for my confirmation
    page = phone

    # when
    _log_in(page, live_server.url, me)

    # then: nothing wider than the screen, every price and due date inside it
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    for cell in page.locator(".orders-table td[data-label]").all():
        box = cell.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert page.locator(".orders-table tbody tr").count() == 2
    shot(page, tmp_path, "phone-dashboard")
