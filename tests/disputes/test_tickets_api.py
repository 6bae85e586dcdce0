"""The partner API for after-sales tickets: paths, fields, codes, evidence uploads, query counts."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.jobs import sweep_run
from core.models import WebhookDelivery
from core.webhooks.services import webhook_endpoint_create
from disputes.models import AfterSalesTicket, Evidence, TicketState
from disputes.services import tickets as svc
from marketplace.models import Notification
from tests.disputes.test_tickets_escalation import rejected
from tests.disputes.test_tickets_services import open_ticket, staff
from tests.disputes.test_tickets_windows import after_window, pending_cancel
from tests.factories import UserFactory, order_completed

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"x" * 64


def _create(api_as, order, *, by="client", **overrides):
    body = {"order": order.pk, "type": "quality_problem", "description": "Blurry logo", **overrides}
    return api_as(getattr(order, by)).post("/api/v1/tickets/", body, format="json")


def test_a_client_files_a_ticket_and_gets_it_back_with_version_one(api_as):
    order = order_completed()

    response = _create(api_as, order)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "pending_review"
    assert body["order"] == order.pk
    assert body["type"] == "quality_problem"
    assert body["description"] == "Blurry logo"
    assert body["cancel_pending"] is False
    assert body["editable"] is True and body["you_can_cancel"] is True
    assert body["compensation_to"] == "client"
    assert [v["version"] for v in body["versions"]] == [1]
    assert [h["transition"] for h in body["history"]] == ["open"]


def test_filing_with_evidence_files_in_multipart(api_as):
    order = order_completed()
    files = [SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.pdf", PDF)]

    response = api_as(order.client).post(
        "/api/v1/tickets/",
        {"order": order.pk, "type": "rework", "description": "Redo", "files": files},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert [e["content_type"] for e in response.json()["evidence"]] == ["image/png", "application/pdf"]


def test_filing_after_the_window_is_409(api_as):
    order = order_completed()
    client = api_as(order.client)

    with time_machine.travel(order.completed_at + timedelta(days=15)):
        response = client.post(
            "/api/v1/tickets/", {"order": order.pk, "type": "rework", "description": "x"}, format="json"
        )

    assert response.status_code == 409
    assert response.json()["code"] == "after_sales_window_closed"
    assert response["Content-Type"].startswith("application/problem+json")


def test_filing_on_an_open_order_is_409(api_as):
    from tests.factories import service_order

    order = service_order()

    response = _create(api_as, order)

    assert response.status_code == 409
    assert response.json()["code"] == "order_not_completed"


def test_filing_on_someone_elses_order_is_400_on_the_order_field(api_as):
    order = order_completed()
    stranger = UserFactory()

    response = api_as(stranger).post(
        "/api/v1/tickets/", {"order": order.pk, "type": "rework", "description": "x"}, format="json"
    )

    assert response.status_code == 400
    assert "order" in response.json()["errors"]
    assert not AfterSalesTicket.objects.exists()


def test_a_second_live_ticket_is_409(api_as):
    order = order_completed()
    _create(api_as, order)

    response = _create(api_as, order, type="rework")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_already_open"


def test_strangers_get_404(api_as):
    ticket = open_ticket()
    stranger = api_as(UserFactory())

    assert stranger.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 404
    assert stranger.patch(f"/api/v1/tickets/{ticket.pk}/", {"description": "x"}, format="json").status_code == 404
    assert stranger.post(f"/api/v1/tickets/{ticket.pk}/cancel/", {"reason": "other"}, format="json").status_code == 404
    assert stranger.get("/api/v1/tickets/").json()["results"] == []


def test_the_other_party_sees_the_ticket_but_cannot_edit_it(api_as):
    ticket = open_ticket()
    provider = api_as(ticket.order.provider)

    assert provider.get(f"/api/v1/tickets/{ticket.pk}/").json()["your_role"] == "provider"
    response = provider.patch(f"/api/v1/tickets/{ticket.pk}/", {"description": "x"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "wrong_party"


def test_patch_while_pending_review_adds_a_version(api_as):
    ticket = open_ticket()

    response = api_as(ticket.opened_by).patch(
        f"/api/v1/tickets/{ticket.pk}/", {"description": "Blurry and crooked"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 2
    assert [v["description"] for v in body["versions"]] == ["The logo is blurry", "Blurry and crooked"]


def test_patch_outside_pending_review_is_409_and_changes_nothing(api_as):
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=staff())

    response = api_as(ticket.opened_by).patch(f"/api/v1/tickets/{ticket.pk}/", {"description": "x"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_not_editable"
    assert response.json()["state"] == "under_review"
    ticket.refresh_from_db()
    assert (ticket.version, ticket.description) == (1, "The logo is blurry")


def test_cancel_pending_review_returns_the_cancelled_ticket(api_as):
    ticket = open_ticket()

    response = api_as(ticket.opened_by).post(
        f"/api/v1/tickets/{ticket.pk}/cancel/", {"reason": "filed_by_mistake"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "cancelled" and body["cancel_pending"] is False
    assert body["cancellation"]["reason"] == "filed_by_mistake"
    assert body["cancellation"]["waiting_for"] == []


def test_cancel_approved_opens_a_confirmation_for_the_other_party(api_as):
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("10.00"), note="ok")

    response = api_as(ticket.opened_by).post(
        f"/api/v1/tickets/{ticket.pk}/cancel/", {"reason": "agreed_with_other_party", "message": "ok"}, format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["state"] == "approved" and body["cancel_pending"] is True
    assert body["cancellation"]["waiting_for"] == ["provider", "support"]
    assert body["cancellation"]["you_can_answer"] is False

    provider = api_as(ticket.order.provider)
    assert provider.get(f"/api/v1/tickets/{ticket.pk}/").json()["cancellation"]["you_can_answer"] is True
    confirmed = provider.post(f"/api/v1/tickets/{ticket.pk}/cancel/confirm/", {}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "cancelled" and confirmed.json()["cancel_pending"] is False


def test_the_confirming_partys_message_is_kept_in_the_log_and_told_to_the_others(api_as):
    # given a cancellation of an approved ticket waiting for the provider's confirmation
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("10.00"), note="ok")
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="agreed_with_other_party", message="We agreed")

    # when the provider confirms with a message
    response = api_as(ticket.order.provider).post(
        f"/api/v1/tickets/{ticket.pk}/cancel/confirm/", {"message": "Fine by me, thanks"}, format="json"
    )

    # then it is cancelled and the message is on record: the log and the client's notice
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    (entry,) = [h for h in response.json()["history"] if h["to"] == "cancelled"]
    assert "We agreed" in entry["reason"] and "Fine by me, thanks" in entry["reason"]
    notice = Notification.objects.filter(user=ticket.opened_by, kind="ticket_cancelled").get()
    assert "Fine by me, thanks" in notice.body


def test_a_confirmation_message_over_the_limit_is_400_and_nothing_changes(api_as):
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("10.00"), note="ok")
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="agreed_with_other_party")

    response = api_as(ticket.order.provider).post(
        f"/api/v1/tickets/{ticket.pk}/cancel/confirm/", {"message": "x" * 5001}, format="json"
    )

    assert response.status_code == 400 and "message" in response.json()["errors"]
    ticket.refresh_from_db()
    assert ticket.state == TicketState.APPROVED and ticket.cancel_pending


def test_confirm_by_the_wrong_person_is_403_and_refuse_keeps_the_state(api_as):
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("0"), note="ok")
    svc.ticket_start_processing(ticket=ticket, actor=agent)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")

    wrong = api_as(ticket.opened_by).post(f"/api/v1/tickets/{ticket.pk}/cancel/confirm/", {}, format="json")
    refused = api_as(ticket.order.provider).post(
        f"/api/v1/tickets/{ticket.pk}/cancel/refuse/", {"message": "Rework is on its way"}, format="json"
    )

    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_party"
    assert refused.status_code == 200
    assert refused.json()["state"] == "processing" and refused.json()["cancel_pending"] is False
    assert refused.json()["cancellation"] is None


def test_confirm_without_a_pending_cancellation_is_409(api_as):
    ticket = open_ticket()

    response = api_as(ticket.order.provider).post(f"/api/v1/tickets/{ticket.pk}/cancel/confirm/", {}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "no_cancel_pending"


def test_cancel_with_an_unknown_reason_is_400(api_as):
    ticket = open_ticket()

    response = api_as(ticket.opened_by).post(f"/api/v1/tickets/{ticket.pk}/cancel/", {"reason": "x"}, format="json")

    assert response.status_code == 400
    assert "reason" in response.json()["errors"]


def test_cancel_a_rejected_ticket_is_409(api_as):
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_reject(ticket=ticket, actor=agent, note="no")

    response = api_as(ticket.opened_by).post(f"/api/v1/tickets/{ticket.pk}/cancel/", {"reason": "other"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"


def test_evidence_upload(api_as):
    ticket = open_ticket()

    response = api_as(ticket.order.provider).post(
        f"/api/v1/tickets/{ticket.pk}/evidence/",
        {"file": SimpleUploadedFile("proof.pdf", PDF), "description": "Invoice"},
        format="multipart",
    )

    assert response.status_code == 201, response.json()
    assert response.json()["content_type"] == "application/pdf"
    assert response.json()["url"].endswith(f"/api/v1/evidence/{response.json()['id']}/file/")
    download = api_as(ticket.order.client).get(response.json()["url"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_evidence_of_another_type_is_415(api_as):
    ticket = open_ticket()

    response = api_as(ticket.opened_by).post(
        f"/api/v1/tickets/{ticket.pk}/evidence/",
        {"file": SimpleUploadedFile("evil.png", b"MZ\x90\x00binary\x00stuff")},
        format="multipart",
    )

    assert response.status_code == 415
    assert not Evidence.objects.exists()


def test_evidence_over_ten_megabytes_is_413(api_as):
    ticket = open_ticket()
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024))

    response = api_as(ticket.opened_by).post(
        f"/api/v1/tickets/{ticket.pk}/evidence/", {"file": big}, format="multipart"
    )

    assert response.status_code == 413
    assert not Evidence.objects.exists()


def test_evidence_on_a_cancelled_ticket_is_409(api_as):
    ticket = open_ticket()
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")

    response = api_as(ticket.opened_by).post(
        f"/api/v1/tickets/{ticket.pk}/evidence/", {"file": SimpleUploadedFile("a.png", PNG)}, format="multipart"
    )

    assert response.status_code == 409
    assert response.json()["code"] == "ticket_closed"


def test_the_list_shows_tickets_of_both_parties_and_filters_by_state(api_as):
    ticket = open_ticket()
    other = open_ticket()
    svc.ticket_cancel(ticket=other, actor=other.opened_by, reason="other")

    provider = api_as(ticket.order.provider)
    assert [t["id"] for t in provider.get("/api/v1/tickets/").json()["results"]] == [ticket.pk]
    client = api_as(other.opened_by)
    assert client.get("/api/v1/tickets/?state=pending_review").json()["results"] == []
    assert [t["state"] for t in client.get("/api/v1/tickets/?state=cancelled").json()["results"]] == ["cancelled"]


def test_the_list_runs_a_bounded_number_of_queries(api_as, django_assert_max_num_queries):
    client_user = UserFactory()
    for _ in range(6):
        open_ticket(order_completed(client=client_user))
    api = api_as(client_user)

    with django_assert_max_num_queries(6):
        response = api.get("/api/v1/tickets/")

    assert len(response.json()["results"]) == 6


def test_the_detail_runs_a_bounded_number_of_queries(api_as, django_assert_max_num_queries):
    ticket = open_ticket()
    for _ in range(3):
        svc.ticket_add_evidence(ticket=ticket, actor=ticket.opened_by, file=SimpleUploadedFile("a.png", PNG))
        svc.ticket_edit(ticket=ticket, actor=ticket.opened_by, description=f"v{_}")
    api = api_as(ticket.opened_by)

    with django_assert_max_num_queries(10):
        response = api.get(f"/api/v1/tickets/{ticket.pk}/")

    assert len(response.json()["evidence"]) == 3 and len(response.json()["versions"]) == 4


def test_cancel_reasons_are_listed(api_as):
    response = api_as(UserFactory()).get("/api/v1/ticket-cancel-reasons/")

    assert [r["code"] for r in response.json()["results"]] == [
        "resolved_myself",
        "agreed_with_other_party",
        "filed_by_mistake",
        "circumstances_changed",
        "other",
    ]


def test_the_provider_files_unpaid_wages(api_as):
    order = order_completed()

    response = _create(api_as, order, by="provider", type="unpaid_wages")

    assert response.status_code == 201
    assert response.json()["compensation_to"] == "provider"
    assert AfterSalesTicket.objects.get().state == TicketState.PENDING_REVIEW


# --- Answer times, withdrawing, agents deciding (second wave) ----------------------------------


def test_a_pending_cancellation_shows_when_it_must_be_answered(api_as):
    ticket, _agent = pending_cancel()
    provider = api_as(ticket.order.provider)

    body = provider.get(f"/api/v1/tickets/{ticket.pk}/").json()
    listed = provider.get("/api/v1/tickets/").json()["results"]

    respond_by = ticket.cancel_respond_by.isoformat().replace("+00:00", "Z")
    assert body["respond_by"] == respond_by and body["cancellation"]["respond_by"] == respond_by
    assert body["cancellation"]["handed_to_support_at"] is None
    assert body["cancellation"]["you_can_withdraw"] is False and body["cancellation"]["you_can_decide"] is False
    assert [t["respond_by"] for t in listed] == [respond_by]
    assert api_as(ticket.order.client).get(f"/api/v1/tickets/{ticket.pk}/").json()["cancellation"]["you_can_withdraw"]


def test_no_answer_time_without_a_pending_cancellation(api_as):
    ticket = open_ticket()

    body = api_as(ticket.opened_by).get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert body["respond_by"] is None and body["cancellation"] is None


def test_a_late_confirmation_is_409_and_the_ticket_shows_the_automatic_outcome(api_as):
    # given an approved ticket whose answer time passed, the sweep not run yet
    ticket, _agent = pending_cancel(paid=True)
    provider = api_as(ticket.order.provider)

    # when the provider confirms
    with after_window(ticket):
        response = provider.post(f"/api/v1/tickets/{ticket.pk}/cancel/confirm/", {}, format="json")
        body = provider.get(f"/api/v1/tickets/{ticket.pk}/").json()

    # then 409, and the automatic outcome stays applied
    assert response.status_code == 409 and response.json()["code"] == "confirmation_expired"
    assert response.json()["state"] == "cancelled"
    assert body["state"] == "cancelled" and body["cancel_pending"] is False
    assert body["history"][-1]["transition"] == "cancel_auto_confirm" and body["history"][-1]["by"] is None
    assert body["respond_by"] is None and body["cancellation"]["cancelled_at"]


def test_a_late_refusal_in_processing_is_409_and_the_cancellation_waits_for_support(api_as):
    ticket, _agent = pending_cancel(state="processing")
    provider = api_as(ticket.order.provider)

    with after_window(ticket):
        response = provider.post(f"/api/v1/tickets/{ticket.pk}/cancel/refuse/", {"message": "No"}, format="json")
        body = provider.get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert response.status_code == 409 and response.json()["code"] == "confirmation_expired"
    assert body["state"] == "processing" and body["cancel_pending"] is True
    assert body["cancellation"]["handed_to_support_at"] is not None
    assert body["cancellation"]["you_can_answer"] is False
    assert body["history"][-1]["transition"] == "cancel_hand_over"


def test_who_asked_withdraws_through_the_api_and_the_other_party_cannot(api_as):
    ticket, _agent = pending_cancel(state="processing")
    path = f"/api/v1/tickets/{ticket.pk}/cancel/withdraw/"

    wrong = api_as(ticket.order.provider).post(path, {}, format="json")
    withdrawn = api_as(ticket.order.client).post(path, {"message": "Go on"}, format="json")
    again = api_as(ticket.order.client).post(path, {}, format="json")

    assert wrong.status_code == 403 and wrong.json()["code"] == "wrong_party"
    assert withdrawn.status_code == 200
    assert withdrawn.json()["state"] == "processing" and withdrawn.json()["cancellation"] is None
    assert withdrawn.json()["history"][-1]["transition"] == "cancel_withdraw"
    assert again.status_code == 409 and again.json()["code"] == "no_cancel_pending"


def test_an_agent_decides_a_pending_cancellation_through_the_api(api_as):
    ticket, agent = pending_cancel(state="processing")
    path = f"/api/v1/tickets/{ticket.pk}/cancel/decide/"
    assert api_as(agent).get(f"/api/v1/tickets/{ticket.pk}/").json()["cancellation"]["you_can_decide"] is True

    party = api_as(ticket.order.provider).post(path, {"decision": "confirm", "note": "x"}, format="json")
    no_note = api_as(agent).post(path, {"decision": "confirm"}, format="json")
    decided = api_as(agent).post(path, {"decision": "confirm", "note": "The provider agreed by phone"}, format="json")

    assert party.status_code == 403 and party.json()["code"] == "not_an_agent"
    assert no_note.status_code == 400 and "note" in no_note.json()["errors"]
    assert decided.status_code == 200 and decided.json()["state"] == "cancelled"
    last = decided.json()["history"][-1]
    assert (last["transition"], last["role"]) == ("cancel", "support")
    assert "The provider agreed by phone" in last["reason"]


def test_the_detail_shows_the_service_level(api_as):
    ticket = open_ticket()

    body = api_as(ticket.opened_by).get(f"/api/v1/tickets/{ticket.pk}/").json()

    assert body["first_response_due"] == ticket.first_response_due.isoformat().replace("+00:00", "Z")
    assert body["resolution_due"] == ticket.resolution_due.isoformat().replace("+00:00", "Z")
    assert body["first_response_at"] is None and body["sla_breached_at"] is None


def test_the_automatic_outcome_is_a_webhook_event_for_the_parties():
    ticket, _agent = pending_cancel()
    hook = webhook_endpoint_create(owner=ticket.order.provider, url="https://partner.example/hooks", events=["*"])

    with after_window(ticket):
        sweep_run("disputes.expire_ticket_confirmations")

    (delivery,) = WebhookDelivery.objects.filter(endpoint=hook, event_type="ticket.cancelled")
    assert delivery.payload["data"]["transition"] == "cancel_auto_confirm"
    assert delivery.payload["data"]["role"] == "system"


# --- Escalating a rejected ticket ----------------------------------------------------------------


def test_escalating_a_rejected_ticket_answers_201_with_the_support_case(api_as):
    ticket = open_ticket()
    svc.ticket_add_evidence(ticket=ticket, actor=ticket.opened_by, file=SimpleUploadedFile("a.png", PNG))
    ticket = rejected(ticket)
    client = api_as(ticket.opened_by)
    assert client.get(f"/api/v1/tickets/{ticket.pk}/").json()["you_can_escalate"] is True

    response = client.post(
        f"/api/v1/tickets/{ticket.pk}/escalate/",
        {"statement": "Still blurry"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="e1",
    )

    assert response.status_code == 201, response.json()
    case = response.json()
    assert case["id"] and case["state"] == "open" and case["escalated_from_ticket"] == ticket.pk
    assert case["statement"] == "Still blurry" and case["order"] == ticket.order_id
    assert [e["name"] for e in case["evidence"]] == ["a.png"]
    assert [h["transition"] for h in case["ticket_history"]] == ["open", "start_review", "reject", "escalate"]
    body = client.get(f"/api/v1/tickets/{ticket.pk}/").json()
    assert body["escalated_case"] == case["id"] and body["you_can_escalate"] is False
    assert body["state"] == "rejected" and body["escalate_until"]
    assert api_as(ticket.order.provider).get(f"/api/v1/cases/{case['id']}/").status_code == 200


def test_escalating_is_409_unless_rejected_in_time_and_once(api_as):
    live = open_ticket()
    late = rejected()
    twice = rejected()
    svc.ticket_escalate(ticket=twice, actor=twice.opened_by)

    not_rejected = api_as(live.opened_by).post(f"/api/v1/tickets/{live.pk}/escalate/", {}, format="json")
    with time_machine.travel(late.rejected_at + timedelta(days=8)):
        closed = api_as(late.opened_by).post(f"/api/v1/tickets/{late.pk}/escalate/", {}, format="json")
    again = api_as(twice.opened_by).post(f"/api/v1/tickets/{twice.pk}/escalate/", {}, format="json")

    assert (not_rejected.status_code, not_rejected.json()["code"]) == (409, "ticket_not_rejected")
    assert (closed.status_code, closed.json()["code"]) == (409, "escalation_window_closed")
    assert (again.status_code, again.json()["code"]) == (409, "ticket_already_escalated")


def test_only_who_filed_it_escalates_and_strangers_see_nothing(api_as):
    ticket = rejected()

    other_party = api_as(ticket.order.provider).post(f"/api/v1/tickets/{ticket.pk}/escalate/", {}, format="json")
    stranger = api_as(UserFactory()).post(f"/api/v1/tickets/{ticket.pk}/escalate/", {}, format="json")

    assert other_party.status_code == 403 and other_party.json()["code"] == "wrong_party"
    assert stranger.status_code == 404
