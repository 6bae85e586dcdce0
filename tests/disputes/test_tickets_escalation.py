"""A rejected ticket goes up: who filed it opens a support case within the policy's days, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from core.exceptions import Conflict, PermissionDenied
from disputes.models import AfterSalesTicket, CaseState, SupportCase, TicketState
from disputes.selectors.cases import case_ticket_history
from disputes.services import tickets as svc
from marketplace.models import Notification
from tests.disputes.test_cases_helpers import PDF, PNG, open_case
from tests.disputes.test_tickets_services import open_ticket, snapshot, staff, ticket_logs
from tests.factories import order_completed

pytestmark = pytest.mark.django_db


def rejected(ticket: AfterSalesTicket | None = None, *, by: str = "client") -> AfterSalesTicket:
    """``ticket`` (or a new one filed by ``by``: "client", or "provider" for unpaid wages) rejected by an agent."""
    ticket = ticket or open_ticket(by=by)
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_reject(ticket=ticket, actor=agent, note="Not a defect")
    ticket.refresh_from_db()
    return ticket


def test_rejecting_a_ticket_says_until_when_it_can_go_to_support():
    ticket = rejected()

    assert ticket.rejected_at is not None
    assert svc.escalate_until(ticket) == ticket.rejected_at + timedelta(days=7)
    notice = Notification.objects.get(user=ticket.opened_by, kind="ticket_rejected")
    assert "Not a defect" in notice.body and "support case until" in notice.body


def test_who_filed_a_rejected_ticket_takes_it_to_a_support_case_with_its_evidence_and_history():
    # given a rejected ticket with two evidence files
    order = order_completed()
    ticket = svc.ticket_open(
        order=order,
        actor=order.client,
        type="quality_problem",
        description="The logo is blurry",
        files=[SimpleUploadedFile("a.png", PNG), SimpleUploadedFile("b.pdf", PDF)],
    )
    ticket = rejected(ticket)

    # when the client escalates it
    case = svc.ticket_escalate(ticket=ticket, actor=order.client, statement="It is blurry at any size")

    # then a support case opens through the case services, linked to the ticket
    assert case.state == CaseState.OPEN and case.order_id == order.pk
    assert case.escalated_from_ticket_id == ticket.pk and case.opened_by_id == order.client_id
    assert case.category == "not_as_described"
    assert case.statement == "It is blurry at any size"
    assert f"#{ticket.pk}" in case.desired_outcome
    assert case.first_response_due and case.ruling_due
    # with the ticket's files as its own, and the ticket's history beside it
    assert sorted(case.evidence.values_list("name", flat=True)) == ["a.png", "b.pdf"]
    assert set(case.evidence.values_list("file", flat=True)) == set(ticket.evidence.values_list("file", flat=True))
    assert [log.transition for log in case_ticket_history(case)] == ["open", "start_review", "reject", "escalate"]
    # the ticket stays rejected, its log says where it went, and everyone is told
    ticket.refresh_from_db()
    assert ticket.state == TicketState.REJECTED
    assert svc.escalated_case(ticket) == case
    assert f"#{case.pk}" in ticket_logs(ticket)[-1].reason_text
    assert Notification.objects.filter(user=order.provider, kind="case_opened").exists()
    assert Notification.objects.filter(user=ticket.assignee, kind="ticket_escalated").exists()


def test_a_wages_ticket_goes_up_as_a_pay_case_with_its_description():
    ticket = rejected(by="provider")

    case = svc.ticket_escalate(ticket=ticket, actor=ticket.order.provider)

    assert case.category == "pay" and case.statement == ticket.description


def test_a_ticket_goes_up_on_the_last_day_of_the_window():
    ticket = rejected()

    with time_machine.travel(ticket.rejected_at + timedelta(days=7) - timedelta(minutes=1)):
        case = svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    assert case.pk


def test_after_the_window_the_escalation_is_refused_and_changes_nothing():
    ticket = rejected()
    before = snapshot(ticket)

    with time_machine.travel(ticket.rejected_at + timedelta(days=7, minutes=1)), pytest.raises(Conflict) as exc:
        svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    assert exc.value.code == "escalation_window_closed"
    assert snapshot(ticket) == before and not SupportCase.objects.exists()


def test_the_window_is_the_orders_policy_days():
    order = order_completed()
    order.policy.ticket_escalation_days = 2
    order.policy.save()
    ticket = rejected(open_ticket(order))

    with time_machine.travel(ticket.rejected_at + timedelta(days=3)), pytest.raises(Conflict) as exc:
        svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    assert exc.value.code == "escalation_window_closed"


def test_only_a_rejected_ticket_goes_up():
    ticket = open_ticket()

    with pytest.raises(Conflict) as exc:
        svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    assert exc.value.code == "ticket_not_rejected"
    assert not SupportCase.objects.exists()


def test_a_ticket_goes_up_once():
    ticket = rejected()
    first = svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)
    count = SupportCase.objects.count()

    with pytest.raises(Conflict) as exc:
        svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    assert exc.value.code == "ticket_already_escalated" and exc.value.extra["case"] == first.pk
    assert SupportCase.objects.count() == count
    assert not svc.can_escalate(ticket, ticket.opened_by)


def test_only_who_filed_it_takes_it_up():
    ticket = rejected()

    for actor in (ticket.order.provider, staff()):
        with pytest.raises(PermissionDenied):
            svc.ticket_escalate(ticket=ticket, actor=actor)

    assert not SupportCase.objects.exists()


def test_a_case_already_open_on_the_order_is_refused_by_the_case_services():
    ticket = rejected()
    open_case(ticket.order)
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        svc.ticket_escalate(ticket=ticket, actor=ticket.opened_by)

    assert exc.value.code == "case_already_open"
    assert snapshot(ticket) == before
