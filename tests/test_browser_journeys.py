"""Whole journeys of a client (employer) and a provider (worker) through the real pages, in a
real browser: a service ordered, delivered, accepted and followed by an after-sales ticket; a
booked shift cancelled through the quote dialog; a cancellation asked for and answered in the
Resolution Center; a support case with a file; a shift cancelled with a claim and proof.

Each journey runs on a desktop screen in English and on a phone screen in Dutch (the quote
dialog, which test_browser_smoke covers on desktop in English, only on the phone). The
assertions are on what the page shows; the expected words are worked out through the
translation catalogue, so polishing the wording does not break them. On the phone every page
must fit the screen's width. Screenshots go where test_browser_smoke puts them
(``GIGFAIR_SCREENSHOT_DIR``), named ``journey-<who>-<device>-<language>-<step>.png``.
Skipped without Playwright and Chromium.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext, override

from disputes.models import (
    AfterSalesTicket,
    CaseState,
    Claim,
    ClaimState,
    RequestState,
    RequestType,
    SupportCase,
    TicketState,
    TicketType,
)
from disputes.services.requests import request_open
from orders.models import Order, OrderState
from tests.factories import (
    PASSWORD,
    ServiceListingFactory,
    UserFactory,
    order_in_progress,
    shift_order,
)
from tests.test_browser_smoke import chromium_page, shot

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

expect = pytest.importorskip("playwright.sync_api").expect


@dataclass(frozen=True)
class Screen:
    device: str
    width: int
    height: int
    language: str


DESKTOP_EN = Screen("desktop", 1280, 900, "en")
PHONE_NL = Screen("phone", 390, 844, "nl")
SCREENS = [pytest.param(DESKTOP_EN, id="desktop-en"), pytest.param(PHONE_NL, id="phone-nl")]


def _png_1x1() -> bytes:
    """A valid one-pixel PNG, built here so the test needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)  # 1 × 1, 8-bit RGB
    pixels = zlib.compress(b"\x00\xff\x99\x00")  # filter byte, then one orange pixel
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


PROOF_PNG = {"name": "proof.png", "mimeType": "image/png", "buffer": _png_1x1()}
PROOF_PDF = {"name": "doctor-note.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n%%EOF\n"}


@dataclass
class Journey:
    """One browser tab on one screen, in one language, with the steps every journey takes."""

    page: Page
    url: str
    screen: Screen
    folder: Path

    def t(self, message: str | Promise, **params) -> str:
        """``message`` as the page shows it in this journey's language."""
        with override(self.screen.language):
            text = str(message) if isinstance(message, Promise) else gettext(message)
        return text % params if params else text

    def user(self, **kwargs):
        return UserFactory(language=self.screen.language, **kwargs)

    def log_in(self, user) -> None:
        """Log ``user`` in through the login form, in a browser that forgot whoever came before."""
        self.page.context.clear_cookies()
        self.page.context.add_cookies([{"name": "django_language", "value": self.screen.language, "url": self.url}])
        self.visit("/login/")
        self.page.fill("input[name=username]", user.username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.locator("main form button[type=submit]").click()
        self.page.wait_for_url(f"{self.url}/dashboard/")
        self.fits()

    def visit(self, path: str) -> None:
        self.page.goto(f"{self.url}{path}")
        expect(self.page.locator("html")).to_have_attribute("lang", self.screen.language)
        self.fits()

    def fits(self) -> None:
        """On the phone, nothing is wider than the screen (no sideways scrolling)."""
        if self.screen.device == "phone":
            width = self.page.evaluate("document.documentElement.scrollWidth")
            assert width <= self.screen.width, f"{self.page.url} is {width} px wide"

    def snap(self, who: str, step: str) -> None:
        self.fits()
        shot(self.page, self.folder, f"journey-{who}-{self.screen.device}-{self.screen.language}-{step}")

    def flash(self, message: str | Promise, **params) -> None:
        expect(self.page.locator(".flash-list")).to_contain_text(self.t(message, **params))

    def button(self, message: str | Promise, **params) -> Locator:
        return self.page.get_by_role("button", name=self.t(message, **params), exact=True)

    def order_state(self, state: OrderState) -> None:
        """The order page's header shows ``state``."""
        badge = self.page.locator(f".order-header .badge.state-{state}")
        expect(badge).to_be_visible()
        expect(badge).to_have_text(self.t(state.label))


@pytest.fixture
def journey(request, monkeypatch, live_server, tmp_path):
    screen = request.param
    for page in chromium_page(monkeypatch, width=screen.width, height=screen.height):
        yield Journey(page=page, url=live_server.url, screen=screen, folder=tmp_path)


def _order_page(journey: Journey, order: Order) -> None:
    journey.visit(f"/orders/{order.pk}/")
    expect(journey.page.locator("h1")).to_have_text(order.title)


# --- 1. A service from the listing to an after-sales ticket --------------------------------------


@pytest.mark.parametrize("journey", SCREENS, indirect=True)
def test_a_client_orders_a_service_accepts_the_delivery_and_reports_a_problem(journey):
    page, t = journey.page, journey.t
    provider = journey.user(display_name="Sofia Designs")
    client = journey.user(display_name="Bram")
    listing = ServiceListingFactory(owner=provider, title="Hand-drawn shop sign", price=Decimal("85.00"))

    # the client reads what cancelling would cost before ordering
    journey.log_in(client)
    journey.visit(f"/listings/{listing.pk}/")
    terms = page.locator("section.cancellation-terms")
    expect(terms.get_by_role("heading", name=t("What cancelling will cost"))).to_be_visible()
    expect(terms.locator("details[open] li.effect").first).to_be_visible()
    journey.snap("client", "listing")

    # and orders it with the requirements
    page.fill("textarea[name=requirements]", "A fox holding a loaf of bread.")
    journey.button("Order this service").click()
    journey.flash("Order placed: %(price)s %(currency)s is held in escrow.", price="85.00", currency="EUR")
    order = Order.objects.get(client=client)
    journey.order_state(OrderState.IN_PROGRESS)
    stepper = page.locator("ol.stepper")
    expect(stepper).to_be_visible()
    expect(stepper.locator("li.step-done")).to_have_count(2)
    expect(stepper.locator("li[aria-current=step]")).to_contain_text(t("Work"))
    expect(page.get_by_role("heading", name=t("What you can do now"))).to_be_visible()
    expect(page.locator(".actions .waiting")).to_have_text(t("Waiting for the provider to deliver."))
    expect(page.locator(".prose.boxed")).to_contain_text("A fox holding a loaf of bread.")
    journey.snap("client", "order")

    # the provider delivers the work with a file
    journey.log_in(provider)
    _order_page(journey, order)
    expect(page.get_by_role("heading", name=t("Deliver your work"))).to_be_visible()
    page.fill("textarea[name=deliver-message]", "Here is the sign, in two sizes.")
    page.set_input_files("input[name=deliver-files]", PROOF_PNG)
    journey.button("Deliver").click()
    journey.flash("Delivered: the client has been told.")
    journey.order_state(OrderState.DELIVERED)
    expect(page.locator("article.delivery")).to_contain_text("Here is the sign, in two sizes.")
    expect(page.locator("article.delivery ul.files")).to_contain_text("proof.png")
    journey.snap("provider", "delivered")

    # the client accepts it: the order is complete, every step done
    journey.log_in(client)
    _order_page(journey, order)
    expect(page.get_by_role("heading", name=t("Accept the delivery"))).to_be_visible()
    journey.button("Accept delivery").click()
    journey.flash("Delivery accepted: the order is complete and the provider is paid.")
    journey.order_state(OrderState.COMPLETED)
    expect(page.locator(".actions .waiting")).to_have_text(t("This order is complete."))
    expect(stepper.locator("li.step-done")).to_have_count(5)
    journey.snap("client", "completed")

    # and files an after-sales ticket from the order page (the panel loads itself through htmx)
    journey.button("Report a problem").click()
    expect(page.locator("h1")).to_have_text(t("Report a problem"))
    journey.fits()
    page.select_option("select[name=type]", "quality_problem")
    page.fill("textarea[name=description]", "The fox is missing its loaf.")
    page.set_input_files("input[name=files]", PROOF_PNG)
    journey.snap("client", "ticket-form")
    journey.button("File the ticket").click()
    journey.flash("Ticket filed: support will review it.")
    ticket = AfterSalesTicket.objects.get(order=order)
    ticket_title = t("Ticket #%(id)s: %(type)s", id=ticket.pk, type=t(TicketType.QUALITY.label))
    expect(page.locator("h1")).to_have_text(ticket_title)
    expect(page.locator(".order-header .ticket-state")).to_have_text(capfirst(t(TicketState.PENDING_REVIEW.label)))
    journey.snap("client", "ticket")

    # the ticket is listed on the order page, and filing another waits for it
    _order_page(journey, order)
    row = page.locator("#order-tickets li.ticket")
    expect(row.get_by_role("link", name=ticket_title)).to_be_visible()
    expect(row.locator(".ticket-state")).to_have_text(capfirst(t(TicketState.PENDING_REVIEW.label)))
    expect(page.locator("#order-tickets")).to_contain_text(
        t("You already have an open ticket on this order: add evidence to it or cancel it first.")
    )
    journey.snap("client", "order-with-ticket")


# --- 2. A booked shift cancelled through the quote dialog ---------------------------------------


@pytest.mark.parametrize("journey", [pytest.param(PHONE_NL, id="phone-nl")], indirect=True)
def test_a_worker_cancels_a_booked_shift_through_the_quote_dialog(journey):
    page, t = journey.page, journey.t
    worker = journey.user(display_name="Ana")
    order = shift_order(client=journey.user(display_name="Café Oost"), provider=worker, title="Saturday bar shift")

    journey.log_in(worker)
    _order_page(journey, order)
    journey.order_state(OrderState.BOOKED)
    journey.snap("worker", "shift")

    # the quote shows what would happen before anything does
    journey.button("Cancel order…").click()
    dialog = page.locator("dialog#cancel-dialog[open]")
    expect(dialog.get_by_role("heading", name=t("Cancel this order?"))).to_be_visible()
    expect(dialog.locator(".quote-lead")).to_have_text(
        t("Nothing has happened yet. If you confirm, this is exactly what happens:")
    )
    assert dialog.locator("ul.effects li.effect").count() >= 4  # refund, compensation, fee, credit, ...
    box = dialog.locator("#cancel-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= journey.screen.width
    assert Order.objects.get(pk=order.pk).state == OrderState.BOOKED
    journey.snap("worker", "cancel-dialog")

    # confirming with a reason cancels it on those terms
    dialog.locator("select[name=reason]").select_option("schedule_change")
    dialog.locator("textarea[name=message]").fill("I have an exam that day.")
    dialog.get_by_role("button", name=t("Cancel the order"), exact=True).click()
    journey.flash("Order #%(id)s is cancelled on the quoted terms.", id=order.pk)
    journey.order_state(OrderState.CANCELLED)
    expect(page.locator(".actions .waiting")).to_have_text(t("This order was cancelled."))
    expect(page.locator("ol.stepper li.step-cancelled")).to_contain_text(t("Cancelled"))
    expect(page.locator(".cancellation-panel .cancellation-message")).to_have_text("I have an exam that day.")
    journey.snap("worker", "cancelled")


# --- 3. A cancellation asked for and answered in the Resolution Center --------------------------


@pytest.mark.parametrize(
    ("journey", "answer"),
    [
        pytest.param(DESKTOP_EN, "accept", id="desktop-en-accept"),
        pytest.param(PHONE_NL, "decline", id="phone-nl-decline"),
    ],
    indirect=["journey"],
)
def test_a_client_asks_to_cancel_and_the_provider_answers(journey, answer):
    page, t = journey.page, journey.t
    client = journey.user(display_name="Bram")
    provider = journey.user(display_name="Sofia Designs")
    order = order_in_progress(client=client, provider=provider, title="Shop window lettering")

    # the client cannot simply cancel work under way: the page offers to ask instead
    journey.log_in(client)
    _order_page(journey, order)
    journey.button("Ask to cancel…").click()
    form = page.locator("details#request-cancel[open] form.request-open-form")  # loaded by htmx
    expect(form).to_be_visible()
    form.locator("select[name=open-cancel-reason]").select_option("schedule_change")
    form.locator("input[name=open-cancel-refund_percent]").fill("80")
    form.locator("textarea[name=open-cancel-message]").fill("The shop is closing, sorry.")
    journey.snap("client", "cancel-request-form")
    form.get_by_role("button", name=t("Send the request")).click()
    journey.flash("Your request is sent. The other party has been told.")
    asked = page.locator("article.resolution-request")
    expect(asked.get_by_role("heading", name=t("Request to cancel the order"))).to_be_visible()
    expect(asked.locator(".request-state")).to_have_text(t(RequestState.OPEN.label))
    expect(asked.locator(".request-terms")).to_contain_text("80 %")
    expect(asked.locator(".request-message")).to_have_text("The shop is closing, sorry.")
    expect(asked.locator(".request-consequences li.effect").first).to_be_visible()
    journey.snap("client", "cancel-requested")

    # the provider sees the open request and what accepting it would do
    journey.log_in(provider)
    _order_page(journey, order)
    open_request = page.locator("article.resolution-request")
    expect(open_request.locator("p.muted").first).to_contain_text("Bram")  # who asked
    expect(open_request.get_by_text(t("If you accept, this is exactly what happens:"))).to_be_visible()
    expect(open_request.locator(".request-consequences li.effect").first).to_be_visible()
    journey.snap("provider", "cancel-request")

    if answer == "accept":
        open_request.locator("textarea[name=request-accept-message]").fill("Understood, good luck.")
        journey.button("Accept and cancel the order").click()
        journey.flash("You accepted the request.")
        journey.order_state(OrderState.CANCELLED)
        expect(page.locator(".actions .waiting")).to_have_text(t("This order was cancelled."))
        expect(page.locator(".cancellation-panel")).to_be_visible()
        final_state = RequestState.ACCEPTED
    else:
        open_request.locator("textarea[name=request-decline-message]").fill("The letters are already cut.")
        journey.button("Decline").click()
        journey.flash("You declined the request.")
        journey.order_state(OrderState.IN_PROGRESS)
        expect(page.get_by_role("heading", name=t("Deliver your work"))).to_be_visible()
        final_state = RequestState.DECLINED
    past = page.locator("ul.past-requests li")
    expect(past.locator(".request-state")).to_have_text(t(final_state.label))
    expect(page.locator("article.resolution-request")).to_have_count(0)
    journey.snap("provider", f"cancel-request-{final_state.value}")


@pytest.mark.parametrize("journey", [pytest.param(DESKTOP_EN, id="desktop-en")], indirect=True)
def test_ask_to_cancel_leads_to_the_open_request(journey):
    """While a cancel request is open, a way to cancel still shown on the order page leads to it."""
    page = journey.page
    order = order_in_progress(client=journey.user(), provider=journey.user(), title="Shop window lettering")
    request_open(
        order=order,
        actor=order.client,
        type=RequestType.CANCEL,
        reason="schedule_change",
        refund_percent=Decimal(80),
        message="The shop is closing, sorry.",
    )

    journey.log_in(order.client)
    _order_page(journey, order)
    expect(page.locator("article.resolution-request")).to_be_visible()
    # One request at a time: the cancel door leads to the open one, never to nothing.
    expect(journey.button("Ask to cancel…")).to_have_count(0)
    journey.button("See the open request…").click()
    expect(page.locator("article.resolution-request")).to_be_in_viewport()


# --- 4. A support case with a file -------------------------------------------------------------


@pytest.mark.parametrize("journey", SCREENS, indirect=True)
def test_a_client_asks_support_to_rule_and_adds_a_file(journey):
    page, t = journey.page, journey.t
    client = journey.user(display_name="Bram")
    order = order_in_progress(client=client, provider=journey.user(), title="Menu card illustration")

    journey.log_in(client)
    _order_page(journey, order)
    journey.button("Ask support to rule…").click()
    expect(page.locator("h1")).to_have_text(t("Ask support to rule"))
    page.select_option("select[name=category]", "not_as_described")
    page.fill("textarea[name=statement]", "The sketches show a different menu.")
    page.fill("textarea[name=desired_outcome]", "Cancel with a full refund.")
    journey.snap("client", "case-form")
    journey.button("Open the case").click()

    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = SupportCase.objects.get(order=order)
    expect(page.locator("h1")).to_have_text(t("Support case #%(pk)s: %(title)s", pk=case.pk, title=order.title))
    expect(page.locator("header .badge")).to_have_text(t(CaseState.OPEN.label))
    expect(page.locator("article.statement").first).to_contain_text("The sketches show a different menu.")
    journey.fits()

    # a file added on the case page is listed with its type
    page.set_input_files("input[name=evidence-file]", PROOF_PNG)
    page.fill("input[name=evidence-description]", "The menu they sent")
    journey.button("Add file").click()
    journey.flash("The file is added to the case.")
    evidence = page.locator("section[aria-labelledby=evidence-title] li")
    expect(evidence.get_by_role("link", name="proof.png")).to_be_visible()
    expect(evidence).to_contain_text("image/png")
    expect(evidence).to_contain_text("The menu they sent")
    journey.snap("client", "case")

    # and the order page lists the case
    _order_page(journey, order)
    expect(page.locator("section.support-cases")).to_contain_text(t("Case #%(id)s", id=case.pk))


# --- 5. A shift cancelled with a claim and proof ------------------------------------------------


@pytest.mark.parametrize("journey", SCREENS, indirect=True)
def test_a_worker_cancels_a_shift_with_a_claim_and_proof(journey):
    page, t = journey.page, journey.t
    worker = journey.user(display_name="Ana")
    order = shift_order(
        provider=worker, client=journey.user(), title="Harbour festival stand", starts_in=timedelta(hours=5)
    )

    journey.log_in(worker)
    _order_page(journey, order)
    page.locator("section.order-claim").get_by_role("button", name=t("Cancel with a claim…")).click()
    expect(page.locator("h1")).to_have_text(t("Cancel with a claim"))
    expect(page.locator("article.claim-outcomes")).to_be_visible()
    page.check("input[name=kind][value=force_majeure]")
    page.fill("textarea[name=statement]", "I have the flu; the note from my doctor is attached.")
    page.set_input_files("input[name=files]", [PROOF_PNG, PROOF_PDF])
    journey.snap("worker", "claim-form")
    journey.button("Cancel the order and file the claim").click()

    # the claim waits for support, with its proof
    page.wait_for_url(re.compile(r"/claims/\d+/$"))
    claim = Claim.objects.get(order=order)
    expect(page.locator("h1")).to_contain_text(t("Claim #%(pk)s", pk=claim.pk))
    expect(page.locator("h1 .badge")).to_have_text(t(ClaimState.PENDING_REVIEW.label))
    expect(page.get_by_role("heading", name=t("Waiting for support"), exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="proof.png")).to_be_visible()
    expect(page.get_by_role("link", name="doctor-note.pdf")).to_be_visible()
    journey.snap("worker", "claim")

    # and the order is cancelled, the claim pending on its page
    _order_page(journey, order)
    journey.order_state(OrderState.CANCELLED)
    claim_panel = page.locator("section.order-claim")
    expect(claim_panel.get_by_role("link", name=t("Claim #%(id)s", id=claim.pk))).to_be_visible()
    expect(claim_panel.locator(".badge")).to_have_text(t(ClaimState.PENDING_REVIEW.label))
    journey.snap("worker", "order-cancelled-with-claim")
