"""The pages of claims with proof and appeals of penalties."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from credit.models import CreditEvent
from disputes.models import Claim, PenaltyAppeal
from disputes.services import claims as svc
from orders.models import OrderState
from tests.factories import UserFactory, shift_cancelled_late, shift_order
from tests.marketplace.helpers import pdf, upload

pytestmark = pytest.mark.django_db


def late_shift():
    return shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))


def test_the_order_page_offers_a_claim_to_its_parties_only(client):
    order = late_shift()

    client.force_login(order.provider)
    page = unescape(client.get(reverse("order_detail", args=[order.pk])).content.decode())

    assert reverse("claim_file", args=[order.pk]) in page
    client.force_login(UserFactory(support=True))
    staff_page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    assert reverse("claim_file", args=[order.pk]) not in staff_page


def test_the_claim_page_shows_both_outcomes_before_filing(client):
    order = late_shift()
    client.force_login(order.provider)

    page = unescape(client.get(reverse("claim_file", args=[order.pk])).content.decode())

    assert "If support accepts your claim" in page and "If support rejects it" in page
    assert "a fee of 10.00" in page and "credit -10" in page
    assert "it counts against your completion rate" in page
    assert 'value="client_responsible"' in page  # a provider may claim the client is responsible


def test_a_client_sees_only_force_majeure(client):
    order = late_shift()
    client.force_login(order.client)

    page = client.get(reverse("claim_file", args=[order.pk])).content.decode()

    assert 'value="force_majeure"' in page and 'value="client_responsible"' not in page


def test_filing_with_proof_cancels_and_shows_the_claim(client):
    order = late_shift()
    client.force_login(order.provider)

    response = client.post(
        reverse("claim_file", args=[order.pk]),
        {"kind": "force_majeure", "statement": "Flu, doctor's note attached", "files": [pdf("note.pdf")]},
    )

    claim = Claim.objects.get()
    assert response.status_code == 302 and response.url == reverse("claim_detail", args=[claim.pk])
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    page = unescape(client.get(response.url).content.decode())
    assert "Flu, doctor's note attached" in page and "note.pdf" in page and "Waiting for support" in page
    client.force_login(order.client)
    assert client.get(response.url).status_code == 200
    client.force_login(UserFactory())
    assert client.get(response.url).status_code == 404


def test_a_bad_file_or_an_empty_statement_is_a_form_error_and_nothing_happens(client):
    order = late_shift()
    client.force_login(order.provider)

    empty = client.post(reverse("claim_file", args=[order.pk]), {"kind": "force_majeure", "statement": ""})
    bad_file = client.post(
        reverse("claim_file", args=[order.pk]),
        {"kind": "force_majeure", "statement": "x", "files": [upload("virus.exe", b"MZ\x90\x00")]},
    )

    assert empty.status_code == 200 and bad_file.status_code in (200, 415)
    assert not Claim.objects.exists()
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED


def test_a_second_claim_is_refused_on_the_page(client):
    order = late_shift()
    svc.claim_file(order=order, actor=order.provider, kind="force_majeure", statement="x")
    client.force_login(order.client)

    page = client.get(reverse("claim_file", args=[order.pk])).content.decode()

    assert "A claim was already filed on this order" in unescape(page)


def test_the_credit_page_offers_an_appeal_of_a_penalty_and_the_appeal_page_files_it(client):
    order = shift_cancelled_late(price=Decimal("100.00"))
    event = CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation")
    client.force_login(order.provider)

    credit = client.get(reverse("credit")).content.decode()
    assert reverse("appeal_file", args=[event.pk]) in credit

    form = client.get(reverse("appeal_file", args=[event.pk]))
    assert form.status_code == 200
    response = client.post(reverse("appeal_file", args=[event.pk]), {"statement": "My car broke down"})
    appeal = PenaltyAppeal.objects.get()
    assert response.status_code == 302 and response.url == reverse("appeal_detail", args=[appeal.pk])
    credit = unescape(client.get(reverse("credit")).content.decode())
    assert reverse("appeal_detail", args=[appeal.pk]) in credit and "Your appeal: waiting for support" in credit


def test_someone_elses_penalty_cannot_be_appealed_on_the_page(client):
    order = shift_cancelled_late()
    event = CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation")
    client.force_login(order.client)

    assert client.get(reverse("appeal_file", args=[event.pk])).status_code == 404
