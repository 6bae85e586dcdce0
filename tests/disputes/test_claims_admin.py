"""The back office of claims and appeals: queues, and a page each to decide with the reasons."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.urls import reverse

from credit.models import CreditEvent
from disputes.models import AppealState, ClaimState
from disputes.services import appeals as appeal_svc
from disputes.services import claims as claim_svc
from tests.factories import shift_cancelled_late, shift_order, support_with

pytestmark = pytest.mark.django_db


def _claim():
    order = shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))
    return claim_svc.claim_file(order=order, actor=order.provider, kind="force_majeure", statement="Ill")


def test_the_claim_queue_and_page_show_what_is_held(admin_client):
    claim = _claim()

    queue = admin_client.get(reverse("admin:disputes_claim_changelist"))
    page = unescape(admin_client.get(reverse("admin:disputes_claim_change", args=[claim.pk])).content.decode())

    assert queue.status_code == 200 and f"#{claim.order_id}" in queue.content.decode()
    assert "a fee of 10.00 EUR" in page and "credit -10" in page
    assert reverse("admin:disputes_claim_decide", args=[claim.pk]) in page


def test_deciding_a_claim_in_the_admin(admin_client):
    claim = _claim()
    url = reverse("admin:disputes_claim_decide", args=[claim.pk])

    form = unescape(admin_client.get(url).content.decode())
    assert "Applied, dated at the claim: a fee of 10.00 EUR, credit -10" in form
    missing = admin_client.post(url, {"decision": "accept", "note": ""})
    assert missing.status_code == 200
    response = admin_client.post(url, {"decision": "reject", "note": "No proof"})

    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED and claim.decision_note == "No proof"
    again = admin_client.get(url)
    assert again.status_code == 302  # already decided: back to the claim, with the reason


def test_staff_without_the_permission_cannot_decide(client):
    claim = _claim()
    client.force_login(support_with("view_claim"))

    assert client.get(reverse("admin:disputes_claim_decide", args=[claim.pk])).status_code == 403


def test_deciding_an_appeal_in_the_admin(admin_client):
    order = shift_cancelled_late()
    event = CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation")
    appeal = appeal_svc.appeal_file(event_id=event.pk, actor=order.provider, statement="Flat tyre")
    url = reverse("admin:disputes_penaltyappeal_decide", args=[appeal.pk])

    assert admin_client.get(reverse("admin:disputes_penaltyappeal_changelist")).status_code == 200
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"decision": "uphold", "note": "Receipt from the garage"})

    assert response.status_code == 302
    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD
