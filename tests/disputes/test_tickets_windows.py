"""Ticket cancellations never stall: an answer time, what silence does, late answers, withdrawal, agents deciding."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, PermissionDenied, ValidationFailed
from core.jobs import sweep_run
from disputes.models import AfterSalesTicket, TicketState
from disputes.services import tickets as svc
from marketplace.models import Notification, User
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, LedgerTransaction
from tests.disputes.test_tickets_services import approved, open_ticket, snapshot, staff, ticket_logs
from tests.factories import order_completed
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

EXPIRE = "disputes.expire_ticket_confirmations"


def pending_cancel(
    *, state: str = "approved", by: str = "client", paid: bool = False, at: datetime | None = None
) -> tuple[AfterSalesTicket, object]:
    """A client's ticket (compensation 30.00) in ``state`` ("approved" or "processing") whose cancellation
    ``by`` ("client", who filed it, or "support") asked for, at ``at`` or now; ``paid``: the compensation
    was paid first. Returns the ticket (fresh from the database) and the agent."""
    order = order_completed()
    ticket = open_ticket(order)
    agent = staff()
    approved(ticket, agent)
    if paid:
        svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    if state == "processing":
        svc.ticket_start_processing(ticket=ticket, actor=agent)
    actor = agent if by == "support" else getattr(order, by)
    with time_machine.travel(at or timezone.now(), tick=False):
        svc.ticket_cancel(ticket=ticket, actor=actor, reason="circumstances_changed", message="Not needed now")
    ticket.refresh_from_db()
    return ticket, agent


def after_window(ticket: AfterSalesTicket, minutes: int = 1):
    return time_machine.travel(ticket.cancel_respond_by + timedelta(minutes=minutes), tick=False)


def transitions(ticket: AfterSalesTicket) -> list[tuple[str, str, str]]:
    return [(log.transition, log.to_state, log.actor_role) for log in ticket_logs(ticket)]


# --- The answer time ---------------------------------------------------------------------------


def test_asking_to_cancel_sets_the_answer_time_from_the_policy():
    ticket, _agent = pending_cancel()

    assert ticket.cancel_respond_by == ticket.cancel_requested_at + timedelta(hours=48)


def test_the_answer_time_is_the_orders_policy_hours():
    order = order_completed()
    order.policy.ticket_confirm_hours = 6
    order.policy.save()
    ticket = open_ticket(order)
    approved(ticket, staff())

    svc.ticket_cancel(ticket=ticket, actor=order.client, reason="other")

    ticket.refresh_from_db()
    assert ticket.cancel_respond_by == ticket.cancel_requested_at + timedelta(hours=6)


def test_the_answer_time_counts_business_days_when_the_policy_says_so():
    friday_evening = datetime(2031, 1, 3, 18, 0, tzinfo=UTC)
    with time_machine.travel(friday_evening - timedelta(days=3), tick=False):
        order = order_completed()
        order.policy.windows_in_business_days = True
        order.policy.save()
        ticket = open_ticket(order)
        approved(ticket, staff())

    with time_machine.travel(friday_evening, tick=False):
        svc.ticket_cancel(ticket=ticket, actor=order.client, reason="other")

    ticket.refresh_from_db()
    assert ticket.cancel_respond_by == datetime(2031, 1, 7, 18, 0, tzinfo=UTC)  # Tuesday evening


def test_who_must_answer_is_told_until_when_and_what_silence_does():
    ticket, _agent = pending_cancel(state="processing")

    notice = Notification.objects.get(user=ticket.order.provider, kind="ticket_cancel_requested")

    assert "Answer by" in notice.body and "a support agent decides" in notice.body


def test_an_answer_within_the_time_is_taken():
    ticket, _agent = pending_cancel()

    with time_machine.travel(ticket.cancel_respond_by - timedelta(minutes=1), tick=False):
        svc.ticket_cancel_confirm(ticket=ticket, actor=ticket.order.provider)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


# --- Silence (the sweep) -----------------------------------------------------------------------


def test_silence_confirms_the_cancellation_of_an_approved_ticket_and_reverses_the_paid_compensation():
    # given an approved ticket with its compensation paid, whose cancellation nobody answers
    ticket, agent = pending_cancel(paid=True)
    order = ticket.order
    provider_account = account_for(kind=AccountKind.PROVIDER, currency="EUR", user=order.provider)
    paid_balance = account_balance(provider_account)

    # when the sweep runs before, then after the answer time
    with time_machine.travel(ticket.cancel_respond_by - timedelta(minutes=1), tick=False):
        early = sweep_run(EXPIRE)
    with after_window(ticket):
        done = sweep_run(EXPIRE)
        again = sweep_run(EXPIRE)

    # then it is cancelled once, by the system, as the provider's confirmation would have
    ticket.refresh_from_db()
    assert (early.processed, done.processed, again.processed) == (0, 1, 0)
    assert ticket.state == TicketState.CANCELLED and not ticket.cancel_pending
    assert ticket.cancel_requested_by_id == order.client_id and ticket.cancel_reason == "circumstances_changed"
    assert transitions(ticket)[-1] == ("cancel_auto_confirm", "cancelled", "system")
    assert ticket_logs(ticket)[-1].actor_id is None
    assert account_balance(provider_account) == paid_balance - Decimal("30.00")
    assert order.ledger_transactions.filter(kind="ticket_compensation_reversal").count() == 1
    assert_every_transaction_balances()
    for user in (order.client, order.provider, agent):
        notice = Notification.objects.get(user=user, kind="ticket_cancelled")
        assert "confirmed automatically" in notice.body and "reversed" in notice.body


def test_silence_in_processing_hands_the_cancellation_to_support():
    # given a ticket in processing whose cancellation the provider does not answer
    ticket, agent = pending_cancel(state="processing")

    # when the answer time passes
    with after_window(ticket):
        done = sweep_run(EXPIRE)
        again = sweep_run(EXPIRE)
        now = timezone.now()

    # then nothing is decided: it waits for an agent, due within the policy's case hours
    ticket.refresh_from_db()
    assert (done.processed, again.processed) == (1, 0)
    assert ticket.state == TicketState.PROCESSING and ticket.cancel_pending
    assert ticket.cancel_handed_over_at == now and ticket.cancel_with_support
    assert ticket.resolution_due == now + timedelta(hours=72)
    assert transitions(ticket)[-1] == ("cancel_hand_over", "processing", "system")
    assert not LedgerTransaction.objects.filter(kind="ticket_compensation_reversal").exists()
    for user in (ticket.order.client, ticket.order.provider, agent):
        assert Notification.objects.filter(user=user, kind="ticket_cancel_to_support").exists()


# --- Answers after the answer time ---------------------------------------------------------------


def test_a_confirmation_after_the_answer_time_is_refused_and_the_automatic_outcome_applies_then():
    # given an approved ticket past its answer time, the sweep not run yet
    ticket, _agent = pending_cancel(paid=True)

    # when the provider confirms late
    with after_window(ticket), pytest.raises(Conflict) as exc:
        svc.ticket_cancel_confirm(ticket=ticket, actor=ticket.order.provider, message="Fine")

    # then the answer is refused, and the ticket is cancelled as silence decides, by the system
    assert exc.value.code == "confirmation_expired" and exc.value.extra["state"] == "cancelled"
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert transitions(ticket)[-1] == ("cancel_auto_confirm", "cancelled", "system")
    assert LedgerTransaction.objects.filter(kind="ticket_compensation_reversal").count() == 1
    # and the sweep finds nothing left
    with after_window(ticket, minutes=2):
        assert sweep_run(EXPIRE).processed == 0


def test_a_refusal_after_the_answer_time_cannot_keep_an_approved_ticket_alive():
    ticket, _agent = pending_cancel()

    with after_window(ticket), pytest.raises(Conflict) as exc:
        svc.ticket_cancel_refuse(ticket=ticket, actor=ticket.order.provider, message="No")

    assert exc.value.code == "confirmation_expired"
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_a_late_answer_in_processing_hands_the_cancellation_to_support_then():
    ticket, _agent = pending_cancel(state="processing")

    with after_window(ticket), pytest.raises(Conflict) as exc:
        svc.ticket_cancel_confirm(ticket=ticket, actor=ticket.order.provider)

    assert exc.value.code == "confirmation_expired" and exc.value.extra["state"] == "processing"
    ticket.refresh_from_db()
    assert ticket.cancel_with_support
    assert [t for t, _s, _r in transitions(ticket)].count("cancel_hand_over") == 1
    with after_window(ticket, minutes=2):
        assert sweep_run(EXPIRE).processed == 0


def test_an_answer_after_the_sweep_decided_is_refused_with_the_same_code_and_changes_nothing():
    ticket, _agent = pending_cancel()
    with after_window(ticket):
        sweep_run(EXPIRE)
    before = snapshot(ticket)

    with after_window(ticket, minutes=5), pytest.raises(Conflict) as exc:
        svc.ticket_cancel_confirm(ticket=ticket, actor=ticket.order.provider)

    assert exc.value.code == "confirmation_expired"
    assert snapshot(ticket) == before


def test_a_late_answer_to_a_cancellation_already_with_support_changes_nothing():
    ticket, _agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run(EXPIRE)
    before = snapshot(ticket)

    with after_window(ticket, minutes=5), pytest.raises(Conflict) as exc:
        svc.ticket_cancel_refuse(ticket=ticket, actor=ticket.order.provider)

    assert exc.value.code == "confirmation_expired"
    assert snapshot(ticket) == before


def test_the_page_rules_offer_no_answer_after_the_answer_time():
    ticket, _agent = pending_cancel()
    assert svc.can_confirm_cancel(ticket, ticket.order.provider)

    with after_window(ticket):
        assert not svc.can_confirm_cancel(ticket, ticket.order.provider)
        assert svc.confirmation_expired(ticket)


# --- Withdrawing -------------------------------------------------------------------------------


def test_who_asked_withdraws_a_pending_cancellation_and_the_ticket_goes_on():
    ticket, agent = pending_cancel(state="processing")

    svc.ticket_cancel_withdraw(ticket=ticket, actor=ticket.order.client, message="Work can go on")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and not ticket.cancel_pending
    assert (ticket.cancel_requested_at, ticket.cancel_respond_by, ticket.cancel_reason) == (None, None, "")
    assert transitions(ticket)[-1] == ("cancel_withdraw", "processing", "client")
    assert ticket_logs(ticket)[-1].reason == "Work can go on"
    for user in (ticket.order.provider, agent):
        assert Notification.objects.filter(user=user, kind="ticket_cancel_withdrawn").exists()
    # and the sweep has nothing to decide
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert sweep_run(EXPIRE).processed == 0


def test_only_who_asked_or_an_agent_withdraws():
    ticket, _agent = pending_cancel()
    before = snapshot(ticket)

    with pytest.raises(PermissionDenied) as exc:
        svc.ticket_cancel_withdraw(ticket=ticket, actor=ticket.order.provider)

    assert exc.value.code == "wrong_party"
    assert snapshot(ticket) == before


def test_an_agent_withdraws_for_who_asked():
    ticket, agent = pending_cancel()

    svc.ticket_cancel_withdraw(ticket=ticket, actor=agent, message="The client phoned")

    ticket.refresh_from_db()
    assert not ticket.cancel_pending
    assert transitions(ticket)[-1] == ("cancel_withdraw", "approved", "support")


def test_withdrawing_after_silence_confirmed_an_approved_ticket_is_refused_and_it_is_cancelled():
    ticket, _agent = pending_cancel()

    with after_window(ticket), pytest.raises(Conflict) as exc:
        svc.ticket_cancel_withdraw(ticket=ticket, actor=ticket.order.client)

    assert exc.value.code == "confirmation_expired"
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_a_cancellation_handed_to_support_can_still_be_withdrawn():
    ticket, _agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run(EXPIRE)

    with after_window(ticket, minutes=10):
        svc.ticket_cancel_withdraw(ticket=ticket, actor=ticket.order.client)

    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and not ticket.cancel_pending
    assert ticket.cancel_handed_over_at is None


def test_withdrawing_without_a_pending_cancellation_is_refused():
    ticket = open_ticket()

    with pytest.raises(Conflict) as exc:
        svc.ticket_cancel_withdraw(ticket=ticket, actor=ticket.opened_by)

    assert exc.value.code == "no_cancel_pending"


# --- Agents deciding for the party --------------------------------------------------------------


def test_an_agent_confirms_for_the_provider_in_processing_with_a_note():
    # given a cancellation in processing, which only the provider may answer
    ticket, agent = pending_cancel(state="processing", paid=True)
    assert not svc.can_confirm_cancel(ticket, agent) and svc.can_decide_cancel(ticket, agent)

    # when an agent decides it for them
    svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="confirm", note="Provider agreed by phone")

    # then it is cancelled by support with the note, and the paid compensation reversed
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert transitions(ticket)[-1] == ("cancel", "cancelled", "support")
    assert "Provider agreed by phone" in ticket_logs(ticket)[-1].reason
    assert LedgerTransaction.objects.filter(kind="ticket_compensation_reversal").count() == 1
    notice = Notification.objects.get(user=ticket.order.provider, kind="ticket_cancelled")
    assert "Provider agreed by phone" in notice.body
    assert_every_transaction_balances()


def test_an_agent_refuses_for_the_party_and_the_ticket_goes_on():
    ticket, agent = pending_cancel(state="processing")

    svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="refuse", note="Rework is half done")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.PROCESSING and not ticket.cancel_pending
    assert transitions(ticket)[-1] == ("cancel_refuse", "processing", "support")
    assert Notification.objects.filter(user=ticket.order.client, kind="ticket_cancel_refused").exists()


def test_an_agent_decides_a_cancellation_silence_handed_over():
    ticket, agent = pending_cancel(state="processing")
    with after_window(ticket):
        sweep_run(EXPIRE)

    with after_window(ticket, minutes=30):
        svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="confirm", note="No reply from the provider")

    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED


def test_an_agents_decision_needs_a_note_and_a_decision():
    ticket, agent = pending_cancel(state="processing")
    before = snapshot(ticket)

    with pytest.raises(ValidationFailed) as no_note:
        svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="confirm", note=" ")
    with pytest.raises(ValidationFailed) as no_decision:
        svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="maybe", note="x")

    assert "note" in no_note.value.errors and "decision" in no_decision.value.errors
    assert snapshot(ticket) == before


def test_only_agents_decide_for_a_party():
    ticket, _agent = pending_cancel(state="processing")
    before = snapshot(ticket)

    with pytest.raises(PermissionDenied) as exc:
        svc.ticket_cancel_decide(ticket=ticket, actor=ticket.order.provider, decision="confirm", note="x")

    assert exc.value.code == "not_an_agent"
    assert snapshot(ticket) == before


def test_deciding_without_a_pending_cancellation_is_refused():
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent)

    with pytest.raises(Conflict) as exc:
        svc.ticket_cancel_decide(ticket=ticket, actor=agent, decision="refuse", note="x")

    assert exc.value.code == "no_cancel_pending"


def test_what_silence_did_is_told_in_each_recipients_language():
    ticket, _agent = pending_cancel()
    User.objects.filter(pk=ticket.order.client_id).update(language="zh-hans")

    with after_window(ticket):
        sweep_run(EXPIRE)

    client_notice = Notification.objects.get(user=ticket.order.client, kind="ticket_cancelled")
    provider_notice = Notification.objects.get(user=ticket.order.provider, kind="ticket_cancelled")
    assert client_notice.title == f"售后工单 #{ticket.pk} 已取消"
    assert provider_notice.title == f"After-sales ticket #{ticket.pk} is cancelled"
