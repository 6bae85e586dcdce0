"""The ticket pages: the order page's panel, filing, editing, evidence, cancelling and answering."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.jobs import sweep_run
from disputes.models import AfterSalesTicket, Evidence, SupportCase, TicketState
from disputes.services import tickets as svc
from tests.disputes.test_tickets_api import PDF, PNG
from tests.disputes.test_tickets_escalation import rejected
from tests.disputes.test_tickets_services import open_ticket, staff
from tests.disputes.test_tickets_windows import after_window, pending_cancel
from tests.factories import UserFactory, order_completed, service_order, support_user

pytestmark = pytest.mark.django_db


def test_the_order_page_offers_to_report_a_problem_on_a_completed_order(client):
    order = order_completed()
    client.force_login(order.client)

    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert reverse("ticket_create", args=[order.pk]) in html
    assert reverse("order_tickets_panel", args=[order.pk]) in html


def test_the_order_page_says_why_not_on_an_open_order(client):
    order = service_order()
    client.force_login(order.client)

    html = client.get(reverse("order_detail", args=[order.pk])).content.decode()

    assert reverse("ticket_create", args=[order.pk]) not in html
    assert "once the order is completed" in html


def test_the_panel_says_until_when_and_why_not_after_the_window(client):
    order = order_completed()
    client.force_login(order.client)

    open_html = client.get(reverse("order_tickets_panel", args=[order.pk])).content.decode()
    with time_machine.travel(order.completed_at + timedelta(days=15)):
        client.force_login(order.client)  # sessions last two weeks
        closed_html = client.get(reverse("order_tickets_panel", args=[order.pk])).content.decode()

    assert "Open until" in open_html and reverse("ticket_create", args=[order.pk]) in open_html
    assert "closed on" in closed_html and reverse("ticket_create", args=[order.pk]) not in closed_html


def test_the_panel_shows_a_cancelled_ticket_as_cancelled(client):
    ticket = open_ticket()
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="resolved_myself")
    client.force_login(ticket.order.provider)

    html = client.get(reverse("order_tickets_panel", args=[ticket.order_id])).content.decode()

    assert "ticket-cancelled" in html and "ticket-pending_review" not in html


def test_the_panel_is_404_for_a_stranger(client):
    order = order_completed()
    client.force_login(UserFactory())

    assert client.get(reverse("order_tickets_panel", args=[order.pk])).status_code == 404


def test_filing_a_ticket_with_evidence_from_the_page(client):
    order = order_completed()
    client.force_login(order.client)

    response = client.post(
        reverse("ticket_create", args=[order.pk]),
        {"type": "quality_problem", "description": "Blurry", "files": [SimpleUploadedFile("a.png", PNG)]},
    )

    ticket = AfterSalesTicket.objects.get()
    assert response.status_code == 302 and response.url == reverse("ticket_detail", args=[ticket.pk])
    assert ticket.evidence.count() == 1


def test_a_refused_evidence_file_is_shown_on_the_form(client):
    order = order_completed()
    client.force_login(order.client)

    response = client.post(
        reverse("ticket_create", args=[order.pk]),
        {"type": "quality_problem", "description": "Blurry", "files": [SimpleUploadedFile("a.exe", b"MZ\x00\x01")]},
    )

    assert response.status_code == 415
    assert "not an accepted file type" in response.content.decode()
    assert not AfterSalesTicket.objects.exists()


def test_the_create_page_says_why_not_after_the_window(client):
    order = order_completed()
    client.force_login(order.client)

    with time_machine.travel(order.completed_at + timedelta(days=15)):
        client.force_login(order.client)  # sessions last two weeks
        response = client.get(reverse("ticket_create", args=[order.pk]))

    assert "closed on" in response.content.decode()
    assert 'name="description"' not in response.content.decode()


def test_the_provider_is_offered_unpaid_wages_only(client):
    order = order_completed()
    client.force_login(order.provider)

    html = client.get(reverse("ticket_create", args=[order.pk])).content.decode()

    assert 'value="unpaid_wages"' in html and 'value="quality_problem"' not in html


def test_the_ticket_page_is_404_for_a_stranger(client):
    ticket = open_ticket()
    client.force_login(UserFactory())

    assert client.get(reverse("ticket_detail", args=[ticket.pk])).status_code == 404


def test_editing_from_the_page_keeps_versions(client):
    ticket = open_ticket()
    client.force_login(ticket.opened_by)

    response = client.post(
        reverse("ticket_edit", args=[ticket.pk]), {"edit-type": "rework", "edit-description": "Please redo"}
    )

    assert response.status_code == 302
    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Please redo" in html and "Version 2" in html and "The logo is blurry" in html


def test_the_edit_form_is_gone_once_review_started(client):
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=staff())
    client.force_login(ticket.opened_by)

    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    response = client.post(
        reverse("ticket_edit", args=[ticket.pk]), {"edit-type": "rework", "edit-description": "Please redo"}
    )

    assert reverse("ticket_edit", args=[ticket.pk]) not in html
    assert response.status_code == 409
    ticket.refresh_from_db()
    assert ticket.version == 1


def test_evidence_upload_errors_are_shown_on_the_form(client):
    ticket = open_ticket()
    client.force_login(ticket.order.provider)
    big = SimpleUploadedFile("big.pdf", PDF + b"x" * (10 * 1024 * 1024))

    response = client.post(reverse("ticket_evidence", args=[ticket.pk]), {"evidence-file": big})

    assert response.status_code == 413
    assert "larger than 10 MB" in response.content.decode()
    assert not Evidence.objects.exists()


def test_evidence_is_downloaded_by_parties_and_support_only(client):
    ticket = open_ticket()
    evidence = svc.ticket_add_evidence(ticket=ticket, actor=ticket.opened_by, file=SimpleUploadedFile("a.pdf", PDF))
    url = reverse("evidence_download", args=[evidence.pk])

    for outsider in (UserFactory(), UserFactory(is_staff=True)):
        client.force_login(outsider)
        assert client.get(url).status_code == 404
    for user in (ticket.order.client, ticket.order.provider, support_user()):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_cancelling_pending_review_from_the_page_shows_it_cancelled(client):
    ticket = open_ticket()
    client.force_login(ticket.opened_by)

    response = client.post(reverse("ticket_cancel", args=[ticket.pk]), {"cancel-reason": "filed_by_mistake"})

    assert response.status_code == 302
    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "The ticket is cancelled." in html and "ticket-cancelled" in html
    assert reverse("ticket_cancel", args=[ticket.pk]) not in html


def test_cancel_without_a_reason_shows_the_error(client):
    ticket = open_ticket()
    client.force_login(ticket.opened_by)

    response = client.post(reverse("ticket_cancel", args=[ticket.pk]), {"cancel-reason": ""})

    assert response.status_code == 400
    assert "Choose a reason." in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == TicketState.PENDING_REVIEW


def test_a_pending_cancellation_is_confirmed_by_the_other_party_on_the_page(client):
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("5.00"), note="ok")
    client.force_login(ticket.opened_by)
    client.post(reverse("ticket_cancel", args=[ticket.pk]), {"cancel-reason": "agreed_with_other_party"})
    author_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    client.force_login(ticket.order.provider)
    provider_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    response = client.post(reverse("ticket_cancel_answer", args=[ticket.pk, "confirm"]), {})

    assert "waiting for confirmation" in author_html
    assert reverse("ticket_cancel_answer", args=[ticket.pk, "confirm"]) not in author_html
    assert reverse("ticket_cancel_answer", args=[ticket.pk, "confirm"]) in provider_html
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_refusing_from_the_page_keeps_the_ticket(client):
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("5.00"), note="ok")
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    client.force_login(ticket.order.provider)

    response = client.post(reverse("ticket_cancel_answer", args=[ticket.pk, "refuse"]), {"answer-message": "No"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.APPROVED and not ticket.cancel_pending


def test_my_tickets_lists_both_sides_with_bounded_queries(client, django_assert_max_num_queries):
    user = UserFactory()
    for _ in range(4):
        open_ticket(order_completed(client=user))
    for _ in range(3):
        open_ticket(order_completed(provider=user))
    client.force_login(user)

    with django_assert_max_num_queries(12):
        response = client.get(reverse("ticket_list"))

    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 7


# --- Answer times, withdrawing, escalating (second wave) -----------------------------------------


def test_the_ticket_page_says_when_support_answers_and_decides(client):
    ticket = open_ticket()
    client.force_login(ticket.opened_by)

    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "Support answers by" in html and "A decision is due by" in html


def test_the_page_says_until_when_a_cancellation_must_be_answered_and_what_silence_does(client):
    approved_ticket, _agent = pending_cancel()
    processing_ticket, _agent = pending_cancel(state="processing")

    client.force_login(approved_ticket.order.provider)
    approved_html = client.get(reverse("ticket_detail", args=[approved_ticket.pk])).content.decode()
    client.force_login(processing_ticket.order.provider)
    processing_html = client.get(reverse("ticket_detail", args=[processing_ticket.pk])).content.decode()

    assert "Answer by" in approved_html and "without an answer the ticket is cancelled" in approved_html
    assert "Answer by" in processing_html and "without an answer a support agent decides" in processing_html


def test_a_late_confirmation_on_the_page_says_why_and_shows_the_automatic_outcome(client):
    ticket, _agent = pending_cancel()
    client.force_login(ticket.order.provider)

    with after_window(ticket):
        client.force_login(ticket.order.provider)
        response = client.post(reverse("ticket_cancel_answer", args=[ticket.pk, "confirm"]), {})

    html = response.content.decode()
    assert response.status_code == 409
    assert "The time to answer this cancellation ended" in html
    # (the page's own path is in it, for the language menu: look for the form instead)
    assert (
        "ticket-cancelled" in html
        and f'action="{reverse("ticket_cancel_answer", args=[ticket.pk, "confirm"])}"' not in html
    )
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_a_cancellation_handed_to_support_says_so_and_offers_no_answer(client):
    ticket, _agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run("disputes.expire_ticket_confirmations")
        client.force_login(ticket.order.provider)
        html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert "cancellation waiting for support" in html and "Nobody answered by" in html
    assert reverse("ticket_cancel_answer", args=[ticket.pk, "confirm"]) not in html


def test_who_asked_withdraws_the_cancellation_from_the_page(client):
    ticket, _agent = pending_cancel(state="processing")
    withdraw_url = reverse("ticket_cancel_withdraw", args=[ticket.pk])
    client.force_login(ticket.order.provider)
    provider_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    client.force_login(ticket.order.client)
    client_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    response = client.post(withdraw_url, {"withdraw-message": "Carry on"})

    assert withdraw_url in client_html and withdraw_url not in provider_html
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and not ticket.cancel_pending
    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "Cancellation withdrawn" in html


def test_the_other_party_cannot_withdraw_from_the_page(client):
    ticket, _agent = pending_cancel()
    client.force_login(ticket.order.provider)

    response = client.post(reverse("ticket_cancel_withdraw", args=[ticket.pk]), {})

    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.cancel_pending


def test_who_filed_a_rejected_ticket_takes_it_to_support_from_the_page(client):
    # given a rejected ticket, seen by who filed it and by the other party
    ticket = rejected()
    escalate_url = reverse("ticket_escalate", args=[ticket.pk])
    client.force_login(ticket.order.provider)
    provider_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    client.force_login(ticket.opened_by)
    filer_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    # when who filed it sends it to support
    response = client.post(escalate_url, {"escalate-statement": "Please look again"})

    # then they land on the new case, which carries the ticket's history
    assert escalate_url in filer_html and "support case until" in filer_html
    assert escalate_url not in provider_html
    case = SupportCase.objects.get()
    assert response.status_code == 302 and response.url == reverse("case_detail", args=[case.pk])
    case_html = client.get(response.url).content.decode()
    assert "Please look again" in case_html and reverse("ticket_detail", args=[ticket.pk]) in case_html
    assert "Taken to a support case" in case_html
    ticket_html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert reverse("case_detail", args=[case.pk]) in ticket_html and escalate_url not in ticket_html


def test_after_the_escalation_window_the_page_says_it_ended(client):
    ticket = rejected()

    with time_machine.travel(ticket.rejected_at + timedelta(days=8)):
        client.force_login(ticket.opened_by)
        html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
        response = client.post(reverse("ticket_escalate", args=[ticket.pk]), {})

    assert reverse("ticket_escalate", args=[ticket.pk]) not in html
    assert "The time to take it to support ended" in html
    assert response.status_code == 409 and not SupportCase.objects.exists()
