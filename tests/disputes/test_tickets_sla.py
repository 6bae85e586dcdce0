"""Tickets have the support cases' service level: due times, breaches flagged once, escalated to supervisors."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from core.jobs import sweep_run
from disputes.services import tickets as svc
from marketplace.models import Notification
from tests.disputes.test_cases_helpers import supervisor
from tests.disputes.test_tickets_services import approved, open_ticket, staff, ticket_logs
from tests.disputes.test_tickets_windows import after_window, pending_cancel
from tests.factories import UserFactory, order_completed

pytestmark = pytest.mark.django_db

FLAG = "disputes.flag_ticket_sla_breaches"


def test_a_ticket_is_due_a_first_response_and_a_decision_within_the_policys_case_hours():
    order = order_completed()
    order.policy.case_first_response_hours, order.policy.case_ruling_hours = 8, 30
    order.policy.save()

    ticket = open_ticket(order)

    assert ticket.first_response_due == ticket.created_at + timedelta(hours=8)
    assert ticket.resolution_due == ticket.created_at + timedelta(hours=30)
    assert ticket.first_response_at is None and ticket.sla_breached_at is None


def test_an_agent_starting_the_review_is_the_first_response():
    ticket = open_ticket()

    svc.ticket_start_review(ticket=ticket, actor=staff())

    ticket.refresh_from_db()
    assert ticket.first_response_at is not None


def test_no_first_response_in_time_is_flagged_once_and_escalated_to_supervisors():
    # given a ticket nobody at support looked at, and two supervisors (a group member, a superuser)
    ticket = open_ticket()
    boss, root = supervisor(), UserFactory(support=True, is_superuser=True)
    plain_agent = staff()

    # when the sweep runs just before, then after the first response was due
    with time_machine.travel(ticket.first_response_due - timedelta(minutes=1)):
        early = sweep_run(FLAG)
    with time_machine.travel(ticket.first_response_due + timedelta(minutes=1)):
        first = sweep_run(FLAG)
        again = sweep_run(FLAG)

    # then it is flagged once, logged by the system, and the supervisors are told
    ticket.refresh_from_db()
    assert (early.processed, first.processed, again.processed) == (0, 1, 0)
    assert ticket.sla_breached_at is not None and ticket.escalated_at == ticket.sla_breached_at
    log = ticket_logs(ticket)[-1]
    assert (log.transition, log.from_state, log.to_state, log.actor_role) == (
        "flag_sla_breach",
        "pending_review",
        "pending_review",
        "system",
    )
    assert "No first response" in log.reason
    for user in (boss, root):
        notice = Notification.objects.get(user=user, kind="ticket_sla_breached")
        assert f"#{ticket.pk}" in notice.body
    assert not Notification.objects.filter(user=plain_agent, kind="ticket_sla_breached").exists()


def test_a_first_response_in_time_avoids_the_first_breach_but_not_a_late_decision():
    ticket = open_ticket()
    svc.ticket_start_review(ticket=ticket, actor=staff())

    with time_machine.travel(ticket.first_response_due + timedelta(hours=1)):
        assert sweep_run(FLAG).processed == 0
    with time_machine.travel(ticket.resolution_due + timedelta(minutes=1)):
        assert sweep_run(FLAG).processed == 1

    ticket.refresh_from_db()
    assert "No decision" in ticket_logs(ticket)[-1].reason


def test_a_decided_ticket_is_never_flagged():
    ticket = open_ticket()
    approved(ticket, staff())

    with time_machine.travel(ticket.resolution_due + timedelta(days=3)):
        assert sweep_run(FLAG).processed == 0


def test_a_closed_ticket_is_never_flagged():
    ticket = open_ticket()
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="filed_by_mistake")

    with time_machine.travel(ticket.resolution_due + timedelta(days=3)):
        assert sweep_run(FLAG).processed == 0


def test_a_cancellation_handed_to_support_is_due_within_the_case_hours_and_flagged_when_late():
    # given a ticket decided in time, whose cancellation nobody answered in processing
    ticket, _agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run("disputes.expire_ticket_confirmations")
    ticket.refresh_from_db()

    # when support does not decide it by its new due time
    with time_machine.travel(ticket.resolution_due - timedelta(minutes=1)):
        assert sweep_run(FLAG).processed == 0
    with time_machine.travel(ticket.resolution_due + timedelta(minutes=1)):
        assert sweep_run(FLAG).processed == 1

    # then the ticket is flagged for it
    ticket.refresh_from_db()
    assert ticket.sla_breached_at is not None
    assert "cancellation handed to support" in ticket_logs(ticket)[-1].reason


def test_a_cancellation_support_decided_in_time_is_not_flagged():
    ticket, agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run("disputes.expire_ticket_confirmations")
        svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="refuse", note="Work goes on")
    ticket.refresh_from_db()

    with time_machine.travel(ticket.resolution_due + timedelta(days=1)):
        assert sweep_run(FLAG).processed == 0
