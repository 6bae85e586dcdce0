"""The listing page says what cancelling will cost before anyone orders or books: the policy's
tiers for this listing, worked out on its price, from the side of whoever commits."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def _terms(client, listing) -> str:
    html = unescape(client.get(reverse("listing_detail", args=[listing.pk])).content.decode())
    match = re.search(r'<section class="cancellation-terms".*?</section>', html, re.S)
    assert match, "no cancellation terms on the listing page"
    return re.sub(r"\s+", " ", match.group(0))


def test_a_shift_shows_the_workers_tiers_the_no_show_and_the_employers_tiers_on_its_price(client):
    listing = ShiftListingFactory()  # 80.00 EUR
    client.force_login(UserFactory())

    terms = _terms(client, listing)

    # the worker's own cancellation, earliest tier first
    mine = terms[terms.index("If you cancel") : terms.index("If you do not show up")]
    assert mine.index("24 h or more before the start") < mine.index("Between 2 h and 24 h before the start")
    assert mine.index("Between 2 h and 24 h before the start") < mine.index("Less than 2 h before the start")
    assert "You pay no cancellation fee" in mine
    assert "You pay a cancellation fee of 8.00 EUR" in mine  # 10 % of 80.00
    assert "Your credit score drops by 10" in mine
    assert "It counts against your completion rate" in mine
    # a no-show, and what the worker gets when the employer cancels late
    no_show = terms[terms.index("If you do not show up") : terms.index("If the employer cancels")]
    assert "You pay a cancellation fee of 16.00 EUR" in no_show and "drops by 20" in no_show
    theirs = terms[terms.index("If the employer cancels") :]
    assert "You get 8.00 EUR as compensation" in theirs  # 10 %
    assert "You get 24.00 EUR as compensation" in theirs  # 30 % under 2 h


def test_a_service_shows_the_clients_free_cancellation_and_the_late_work_rule(client):
    listing = ServiceListingFactory()  # 120.00 EUR

    terms = _terms(client, listing)  # shown before logging in too

    assert "If you cancel before sending your requirements" in terms
    assert "You get back 120.00 EUR" in terms
    assert "If the work is late" in terms and "From 24 hours past the due date" in terms


def test_the_terms_are_in_the_readers_language(client):
    listing = ShiftListingFactory()
    client.force_login(UserFactory(language="nl"))
    client.cookies["django_language"] = "nl"

    terms = _terms(client, listing)

    with translation.override("nl"):
        assert translation.gettext("If you cancel") in terms
        assert translation.gettext("If you cancel") != "If you cancel"
