"""After-sales tickets in the back office: the queue, the ticket page and the agent actions."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from core.jobs import sweep_run
from disputes.models import TicketState
from disputes.services import tickets as svc
from tests.disputes.test_tickets_escalation import rejected
from tests.disputes.test_tickets_services import open_ticket, snapshot
from tests.disputes.test_tickets_windows import after_window, pending_cancel
from tests.factories import order_completed
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:disputes_aftersalesticket_changelist"


def act_url(ticket, action: str) -> str:
    return reverse("admin:disputes_aftersalesticket_act", args=(ticket.pk, action))


def change_url(ticket) -> str:
    return reverse("admin:disputes_aftersalesticket_change", args=(ticket.pk,))


def test_the_queue_runs_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries):
    for _ in range(8):
        open_ticket()

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse(CHANGELIST))

    assert response.status_code == 200
    assert response.context["cl"].result_count == 8


def test_the_queue_filters_mine_unassigned_and_cancel_pending(admin_client, admin_user):
    mine, unassigned, pending = open_ticket(), open_ticket(), open_ticket()
    svc.ticket_start_review(ticket=mine, actor=admin_user)
    svc.ticket_start_review(ticket=pending, actor=admin_user)
    svc.ticket_approve(ticket=pending, actor=admin_user, compensation=Decimal("1.00"), note="ok")
    svc.ticket_cancel(ticket=pending, actor=pending.opened_by, reason="other")

    def ids(query: str) -> set[int]:
        response = admin_client.get(reverse(CHANGELIST) + query)
        return {t.pk for t in response.context["cl"].result_list}

    assert ids("?assignee=mine") == {mine.pk, pending.pk}
    assert ids("?assignee=unassigned") == {unassigned.pk}
    assert ids("?cancel_pending=yes") == {pending.pk}
    assert ids("?state=under_review") == {mine.pk}


def test_the_queue_filters_by_age(admin_client):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        old = open_ticket(order_completed())
    new = open_ticket()

    def ids(query: str) -> set[int]:
        return {t.pk for t in admin_client.get(reverse(CHANGELIST) + query).context["cl"].result_list}

    assert ids("?age=1d") == {new.pk}
    assert ids("?age=1-3d") == {old.pk}


def test_the_ticket_page_shows_versions_evidence_log_and_the_actions_available(admin_client):
    ticket = open_ticket()
    svc.ticket_edit(ticket=ticket, actor=ticket.opened_by, description="Second words")

    response = admin_client.get(change_url(ticket))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Second words" in html and "The logo is blurry" in html
    assert act_url(ticket, "start_review") in html
    assert act_url(ticket, "approve") not in html


def test_an_agent_works_a_ticket_through_the_admin(admin_client):
    ticket = open_ticket()

    admin_client.post(act_url(ticket, "start_review"), {})
    admin_client.post(act_url(ticket, "approve"), {"compensation": "12.50", "note": "Fair"})
    admin_client.post(act_url(ticket, "pay_compensation"), {})
    admin_client.post(act_url(ticket, "start_processing"), {"note": ""})
    response = admin_client.post(act_url(ticket, "resolve"), {"note": "Done"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.RESOLVED
    assert ticket.compensation == Decimal("12.50") and ticket.compensation_paid_at
    assert_every_transaction_balances()


def test_approving_above_the_price_shows_the_error_and_changes_nothing(admin_client, admin_user):
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=admin_user)
    before = snapshot(ticket)

    response = admin_client.post(act_url(ticket, "approve"), {"compensation": "999.00", "note": "x"})

    assert response.status_code == 200
    assert "between 0 and the order" in response.content.decode()
    assert snapshot(ticket) == before


def test_an_action_not_allowed_now_is_refused_with_a_message(admin_client):
    ticket = open_ticket()
    before = snapshot(ticket)

    response = admin_client.post(act_url(ticket, "resolve"), {"note": ""}, follow=True)

    assert "cannot resolve" in response.content.decode()
    assert snapshot(ticket) == before


def test_the_agent_confirms_a_pending_cancellation_and_the_payment_is_reversed(admin_client, admin_user):
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=admin_user)
    svc.ticket_approve(ticket=ticket, actor=admin_user, compensation=Decimal("20.00"), note="ok")
    svc.ticket_pay_compensation(ticket=ticket, actor=admin_user)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="agreed_with_other_party")

    page = admin_client.get(change_url(ticket)).content.decode()
    response = admin_client.post(act_url(ticket, "confirm_cancel"), {})

    assert act_url(ticket, "confirm_cancel") in page and act_url(ticket, "approve") not in page
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert ticket.order.ledger_transactions.filter(kind="ticket_compensation_reversal").exists()
    assert_every_transaction_balances()


def test_non_staff_cannot_reach_the_actions(client):
    ticket = open_ticket()
    client.force_login(ticket.opened_by)

    response = client.post(act_url(ticket, "start_review"), {})

    assert response.status_code == 302 and "/login/" in response.url
    ticket.refresh_from_db()
    assert ticket.state == TicketState.PENDING_REVIEW


def test_an_agent_action_is_logged_with_the_ticket_as_the_action_left_it(admin_client):
    ticket = open_ticket()

    admin_client.post(act_url(ticket, "start_review"), {})

    log = LogEntry.objects.get()
    assert (log.object_id, log.change_message) == (str(ticket.pk), "Start review (assign to me)")
    assert log.object_repr == f"Ticket #{ticket.pk} on order #{ticket.order_id} (under review)"


def test_an_unknown_action_is_refused(admin_client):
    ticket = open_ticket()
    before = snapshot(ticket)

    response = admin_client.post(act_url(ticket, "delete_everything"), {})

    assert response.status_code == 403
    assert snapshot(ticket) == before


def test_an_agent_cancelling_in_processing_is_told_it_waits_for_the_provider(admin_client, admin_user):
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=admin_user)
    svc.ticket_approve(ticket=ticket, actor=admin_user, compensation=Decimal("0.00"), note="ok")
    svc.ticket_start_processing(ticket=ticket, actor=admin_user)

    response = admin_client.post(act_url(ticket, "cancel"), {"reason": "other", "message": ""}, follow=True)

    ticket.refresh_from_db()
    assert "it happens once the provider accepts it" in response.content.decode()
    assert ticket.state == TicketState.PROCESSING and ticket.cancel_pending


# --- Answer times, agents deciding, the service level (second wave) -----------------------------


def test_the_queue_filters_cancellations_handed_to_support(admin_client):
    handed, _agent = pending_cancel(state="processing")
    waiting, _agent = pending_cancel(state="processing", at=timezone.now() + timedelta(hours=1))
    with after_window(handed):
        sweep_run("disputes.expire_ticket_confirmations")

    def ids(query: str) -> set[int]:
        return {t.pk for t in admin_client.get(reverse(CHANGELIST) + query).context["cl"].result_list}

    assert ids("?cancel_pending=support") == {handed.pk}
    assert ids("?cancel_pending=yes") == {handed.pk, waiting.pk}


def test_the_queue_filters_by_service_level(admin_client, admin_user):
    breached, answered = open_ticket(), open_ticket()
    svc.ticket_start_review(ticket=answered, actor=admin_user)
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        fresh = open_ticket()
    with time_machine.travel(breached.first_response_due + timedelta(minutes=1)):
        sweep_run("disputes.flag_ticket_sla_breaches")

    def ids(query: str) -> set[int]:
        return {t.pk for t in admin_client.get(reverse(CHANGELIST) + query).context["cl"].result_list}

    assert ids("?sla=breached") == {breached.pk}
    assert ids("?sla=awaiting_response") == {breached.pk, fresh.pk}
    assert ids("?sla=ok") == {answered.pk, fresh.pk}


def test_the_agent_decides_a_cancellation_only_the_provider_may_answer(admin_client):
    ticket, _agent = pending_cancel(state="processing", paid=True)

    page = admin_client.get(change_url(ticket)).content.decode()
    missing_note = admin_client.post(act_url(ticket, "decide_cancel"), {"decision": "confirm", "note": ""})
    response = admin_client.post(act_url(ticket, "decide_cancel"), {"decision": "confirm", "note": "Agreed by phone"})

    assert act_url(ticket, "decide_cancel") in page and act_url(ticket, "confirm_cancel") not in page
    assert missing_note.status_code == 200 and "This field is required" in missing_note.content.decode()
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert ticket.order.ledger_transactions.filter(kind="ticket_compensation_reversal").exists()
    assert_every_transaction_balances()


def test_the_agent_refuses_a_cancellation_handed_to_support(admin_client):
    ticket, _agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run("disputes.expire_ticket_confirmations")

    page = admin_client.get(change_url(ticket)).content.decode()
    response = admin_client.post(act_url(ticket, "decide_cancel"), {"decision": "refuse", "note": "Work goes on"})

    assert "cancellation handed to support at" in page.lower()
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and not ticket.cancel_pending


def test_the_agent_withdraws_a_cancellation_for_who_asked(admin_client):
    ticket, _agent = pending_cancel()

    response = admin_client.post(act_url(ticket, "withdraw_cancel"), {"message": "The client phoned"})

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == TicketState.APPROVED and not ticket.cancel_pending


def test_the_ticket_page_links_the_support_case_it_went_to(admin_client):
    ticket = rejected()
    case = svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    ticket_page = admin_client.get(change_url(ticket)).content.decode()
    case_page = admin_client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,))).content.decode()

    assert reverse("admin:disputes_supportcase_change", args=(case.pk,)) in ticket_page
    assert "escalated from ticket" in case_page.lower() and f"Ticket #{ticket.pk}" in case_page
