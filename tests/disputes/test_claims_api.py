"""The API of claims, appeals of penalties, and the support API that decides them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group

from core.models import WebhookDelivery
from core.support import SUPPORT_GROUP
from core.webhooks.services import webhook_endpoint_create
from credit.models import CreditEvent
from credit.services import credit_score
from disputes.models import Claim, PenaltyAppeal
from orders.models import OrderState
from tests.factories import UserFactory, shift_cancelled_late, shift_order
from tests.marketplace.helpers import pdf

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


def support_agent():
    agent = UserFactory(support=True)
    agent.groups.add(Group.objects.get_or_create(name=SUPPORT_GROUP)[0])
    return agent


def late_shift():
    return shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))


def claim_url(order):
    return f"/api/v1/orders/{order.pk}/claims/"


def test_a_claim_with_files_cancels_the_order_and_answers_the_contract(api_as):
    order = late_shift()

    response = api_as(order.provider).post(
        claim_url(order),
        {"kind": "force_majeure", "statement": "Food poisoning", "files": [pdf("note.pdf")]},
        format="multipart",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert {"id", "kind", "state", "order", "held", "created_at", "decided_at"} <= set(body)
    assert (body["kind"], body["state"], body["order"]) == ("force_majeure", "pending_review", order.pk)
    assert body["held"]["fee_to_platform"] == "10.00"
    assert body["held"]["credit_delta"] == -10
    assert body["held"]["counts_against_completion_rate"] is True
    assert body["decided_at"] is None and len(body["evidence"]) == 1
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    detail = api_as(order.client).get(f"/api/v1/claims/{body['id']}/")
    assert detail.status_code == 200 and detail.json()["id"] == body["id"]


def test_the_preview_answers_before_filing(api_as):
    order = late_shift()

    body = api_as(order.provider).get(claim_url(order) + "preview/").json()

    assert body["allowed"] is True and body["kinds"] == ["force_majeure", "client_responsible"]
    assert body["held"]["fee_to_platform"] == "10.00"


def test_a_second_claim_and_a_closed_order_are_409(api_as):
    order = late_shift()
    api_as(order.provider).post(claim_url(order), {"kind": "force_majeure", "statement": "Storm"}, format="json")

    again = api_as(order.client).post(claim_url(order), {"kind": "force_majeure", "statement": "Me too"}, format="json")

    assert again.status_code == 409 and again["Content-Type"] == PROBLEM
    assert again.json()["code"] == "claim_already_open"


def test_a_stranger_gets_404_and_bad_input_400(api_as):
    order = late_shift()
    stranger = api_as(UserFactory()).post(claim_url(order), {"kind": "force_majeure", "statement": "x"}, format="json")
    bad = api_as(order.client).post(claim_url(order), {"kind": "client_responsible", "statement": "x"}, format="json")
    empty = api_as(order.provider).post(claim_url(order), {"kind": "nonsense", "statement": ""}, format="json")

    assert stranger.status_code == 404
    assert bad.status_code == 400 and "kind" in bad.json()["errors"]
    assert empty.status_code == 400
    assert not Claim.objects.exists()


def test_only_support_sees_the_support_api(api_as):
    order = late_shift()
    claim_id = api_as(order.provider).post(claim_url(order), {"kind": "force_majeure", "statement": "x"}, format="json")
    claim_id = claim_id.json()["id"]
    url = f"/api/v1/support/claims/{claim_id}/decide/"
    staff_without_group = UserFactory(is_staff=True)

    for user in (order.provider, order.client, staff_without_group):
        refused = api_as(user).post(url, {"decision": "accept", "note": "ok"}, format="json")
        assert refused.status_code == 404 and refused["Content-Type"] == PROBLEM
    assert api_as(staff_without_group).get("/api/v1/support/claims/").status_code == 404
    assert api_as(staff_without_group).get(f"/api/v1/claims/{claim_id}/").status_code == 404

    agent = support_agent()
    queue = api_as(agent).get("/api/v1/support/claims/").json()
    assert [c["id"] for c in queue["results"]] == [claim_id]
    decided = api_as(agent).post(url, {"decision": "reject", "note": "No proof"}, format="json")
    assert decided.status_code == 200 and decided.json()["state"] == "rejected"
    again = api_as(agent).post(url, {"decision": "accept", "note": "oops"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "claim_already_decided"


def test_a_superuser_acts_for_support(api_as):
    order = late_shift()
    claim_id = api_as(order.provider).post(claim_url(order), {"kind": "force_majeure", "statement": "x"}, format="json")
    boss = UserFactory(support=True, is_superuser=True)

    decided = api_as(boss).post(
        f"/api/v1/support/claims/{claim_id.json()['id']}/decide/", {"decision": "accept", "note": "ok"}, format="json"
    )

    assert decided.status_code == 200 and decided.json()["state"] == "accepted"


# --- Appeals ------------------------------------------------------------------------------------


def _penalty():
    order = shift_cancelled_late(price=Decimal("100.00"))
    return CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation"), order


def test_an_appeal_answers_the_contract_and_support_upholds_it(api_as):
    event, order = _penalty()
    score = credit_score(order.provider)

    response = api_as(order.provider).post(
        f"/api/v1/me/credit/events/{event.pk}/appeal/", {"statement": "Hospital", "files": [pdf()]}, format="multipart"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["event"]) == ("open", event.pk) and "id" in body
    upheld = api_as(support_agent()).post(
        f"/api/v1/support/appeals/{body['id']}/decide/",
        {"decision": "uphold", "note": "Letter checks out"},
        format="json",
    )
    assert upheld.status_code == 200 and upheld.json()["state"] == "upheld"
    assert credit_score(order.provider) == score + 10


def test_appeal_refusals_have_their_codes(api_as):
    event, order = _penalty()
    provider = api_as(order.provider)
    url = f"/api/v1/me/credit/events/{event.pk}/appeal/"

    assert api_as(order.client).post(url, {"statement": "x"}, format="json").status_code == 404
    assert provider.post(url, {"statement": "first"}, format="json").status_code == 201
    second = provider.post(url, {"statement": "second"}, format="json")
    assert second.status_code == 409 and second.json()["code"] == "appeal_exists"
    assert PenaltyAppeal.objects.count() == 1

    other_event, other_order = _penalty()
    with time_machine.travel(other_event.created_at + timedelta(days=15), tick=False):
        late = api_as(other_order.provider).post(
            f"/api/v1/me/credit/events/{other_event.pk}/appeal/", {"statement": "late"}, format="json"
        )
    assert late.status_code == 409 and late.json()["code"] == "appeal_window_closed"


def test_only_support_decides_appeals(api_as):
    event, order = _penalty()
    appeal_id = (
        api_as(order.provider)
        .post(f"/api/v1/me/credit/events/{event.pk}/appeal/", {"statement": "x"}, format="json")
        .json()["id"]
    )

    refused = api_as(UserFactory(is_staff=True)).post(
        f"/api/v1/support/appeals/{appeal_id}/decide/", {"decision": "uphold", "note": "x"}, format="json"
    )

    assert refused.status_code == 404
    assert PenaltyAppeal.objects.get().state == "open"
    assert api_as(order.provider).get(f"/api/v1/appeals/{appeal_id}/").status_code == 200
    assert api_as(order.client).get(f"/api/v1/appeals/{appeal_id}/").status_code == 404


def test_a_claim_is_a_webhook_event_for_both_parties(api_as):
    order = late_shift()
    webhook_endpoint_create(owner=order.client, url="https://partner.example/hooks", events=["claim.*"])

    api_as(order.provider).post(claim_url(order), {"kind": "force_majeure", "statement": "Storm"}, format="json")

    delivery = WebhookDelivery.objects.get(endpoint__owner=order.client)
    assert delivery.event_type == "claim.pending_review"
