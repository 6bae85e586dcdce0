"""Racing ticket actions leave one outcome (PostgreSQL, threads)."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import ApplicationError
from core.jobs import sweep_run
from disputes.models import AfterSalesTicket, SupportCase, TicketState
from disputes.services import tickets as svc
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, LedgerTransaction, Refund, RefundStatus
from tests.disputes.test_tickets_escalation import rejected
from tests.disputes.test_tickets_services import open_ticket, staff, ticket_logs
from tests.disputes.test_tickets_windows import pending_cancel
from tests.factories import order_completed
from tests.orders.test_concurrency import race
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_tickets_filed_at_once_by_one_party_leave_one():
    order = order_completed()

    results = race(
        *[lambda: svc.ticket_open(order=order, actor=order.client, type="rework", description="x") for _ in range(2)]
    )

    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1 and errors[0].code == "ticket_already_open"
    assert AfterSalesTicket.objects.filter(order=order).count() == 1


def test_confirm_and_refuse_at_once_leave_one_outcome():
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("10.00"), note="ok")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    svc.ticket_cancel(ticket=ticket, actor=ticket.opened_by, reason="other")
    stale_a = AfterSalesTicket.objects.get(pk=ticket.pk)
    stale_b = AfterSalesTicket.objects.get(pk=ticket.pk)

    results = race(
        lambda: svc.ticket_cancel_confirm(ticket=stale_a, actor=ticket.order.provider),
        lambda: svc.ticket_cancel_refuse(ticket=stale_b, actor=agent),
    )

    ticket.refresh_from_db()
    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1 and errors[0].code == "no_cancel_pending"
    reversals = LedgerTransaction.objects.filter(kind="ticket_compensation_reversal").count()
    assert (ticket.state, reversals) in ((TicketState.CANCELLED, 1), (TicketState.APPROVED, 0))
    assert_every_transaction_balances()


def test_paying_twice_at_once_pays_once():
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("10.00"), note="ok")

    race(*[lambda: svc.ticket_pay_compensation(ticket=ticket, actor=agent) for _ in range(2)])

    assert LedgerTransaction.objects.filter(kind="ticket_compensation").count() == 1


def test_a_cancellation_racing_the_refund_settlement_pays_out_or_cancels_never_both():
    # given a client's compensation paid on an approved ticket, its refund now due
    ticket = open_ticket()
    agent = staff()
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("10.00"), note="ok")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    refund_id = ticket.compensation_refund_id

    # when the agent cancels the ticket while the settlement sweep pays refunds out
    with time_machine.travel(timezone.now() + timedelta(days=7), tick=True):
        results = race(
            lambda: svc.ticket_cancel(ticket=AfterSalesTicket.objects.get(pk=ticket.pk), actor=agent, reason="other"),
            lambda: sweep_run("orders.settle_refunds"),
        )

    # then either the refund was cancelled before payout, or it was paid out and charged back
    assert not [r for r in results if isinstance(r, Exception)]
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    kinds = list(ticket.order.ledger_transactions.order_by("id").values_list("kind", flat=True))
    refund = Refund.objects.get(pk=refund_id)
    if refund.status == RefundStatus.CANCELLED:
        assert kinds[-2:] == ["ticket_compensation", "ticket_compensation_reversal"]
    else:
        assert refund.status == RefundStatus.SETTLED
        assert kinds[-3:] == ["ticket_compensation", "refund_settled", "ticket_compensation_reversal"]
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency="EUR")) == 0
    assert_every_transaction_balances()


def fresh(ticket: AfterSalesTicket) -> AfterSalesTicket:
    """The ticket as another request would read it (its own instance)."""
    return AfterSalesTicket.objects.get(pk=ticket.pk)


def _log_count(ticket: AfterSalesTicket, transition: str) -> int:
    return sum(log.transition == transition for log in ticket_logs(ticket))


def test_a_confirmation_as_the_answer_time_ends_racing_the_sweep_cancels_once():
    # given an approved ticket with a paid compensation, its cancellation waiting for the provider
    ticket, _agent = pending_cancel(paid=True)

    # when the provider confirms at the moment the sweep runs, just after the answer time
    with time_machine.travel(ticket.cancel_respond_by + timedelta(seconds=1), tick=True):
        results = race(
            lambda: svc.ticket_cancel_confirm(ticket=fresh(ticket), actor=ticket.order.provider),
            lambda: sweep_run("disputes.expire_ticket_confirmations"),
        )

    # then the ticket is cancelled once, by silence, with one reversal; the answer is told why
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert _log_count(ticket, "cancel_auto_confirm") == 1 and _log_count(ticket, "cancel") == 0
    assert LedgerTransaction.objects.filter(kind="ticket_compensation_reversal").count() == 1
    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert [e.code for e in errors] == ["confirmation_expired"]
    assert_every_transaction_balances()


def test_a_refusal_as_the_answer_time_ends_racing_the_sweep_hands_over_once():
    ticket, _agent = pending_cancel(state="processing")

    with time_machine.travel(ticket.cancel_respond_by + timedelta(seconds=1), tick=True):
        results = race(
            lambda: svc.ticket_cancel_refuse(ticket=fresh(ticket), actor=ticket.order.provider),
            lambda: sweep_run("disputes.expire_ticket_confirmations"),
            lambda: sweep_run("disputes.expire_ticket_confirmations"),
        )

    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and ticket.cancel_with_support
    assert _log_count(ticket, "cancel_hand_over") == 1 and _log_count(ticket, "cancel_refuse") == 0
    assert [r.code for r in results if isinstance(r, ApplicationError)] == ["confirmation_expired"]


def test_a_withdrawal_as_the_answer_time_ends_racing_two_sweeps_cancels_each_ticket_once():
    # given many approved tickets whose answer time ends, and who asked one of them withdrawing it then
    tickets = [pending_cancel()[0] for _ in range(6)]
    first = tickets[0]
    latest = max(t.cancel_respond_by for t in tickets)

    with time_machine.travel(latest + timedelta(seconds=1), tick=True):
        race(
            lambda: svc.ticket_cancel_withdraw(
                ticket=AfterSalesTicket.objects.get(pk=first.pk), actor=first.order.client
            ),
            lambda: sweep_run("disputes.expire_ticket_confirmations"),
            lambda: sweep_run("disputes.expire_ticket_confirmations"),
        )

    # then every ticket is cancelled exactly once (a late withdrawal cannot save one)
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.state == TicketState.CANCELLED
        assert _log_count(ticket, "cancel_auto_confirm") == 1


def test_escalating_twice_at_once_opens_one_case():
    ticket = rejected()

    results = race(
        *[
            lambda: svc.ticket_escalate(ticket=AfterSalesTicket.objects.get(pk=ticket.pk), actor=ticket.opened_by)
            for _ in range(2)
        ]
    )

    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1 and errors[0].code == "ticket_already_escalated"
    assert SupportCase.objects.filter(escalated_from_ticket=ticket).count() == 1
    assert _log_count(ticket, "escalate") == 1
