"""After-sales compensation to a client is paid out through a Refund, like a cancellation's refund."""

from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.jobs import sweep_run
from disputes.models import TicketState
from disputes.services import tickets as svc
from orders.ledger import account_balance, account_for
from orders.models import AccountKind, Charge, ChargeStatus, LedgerTransaction, Refund, RefundStatus
from tests.disputes.test_tickets_services import approved, open_ticket, staff
from tests.factories import order_completed
from tests.gateways import FlakyRefundGateway
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

LATER = timedelta(days=7)  # past any policy's settlement business days


def _paid(amount: str = "30.00"):
    ticket = open_ticket()
    agent = staff()
    approved(ticket, agent, amount)
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    ticket.refresh_from_db()
    return ticket, agent


def _balances(order):
    return (
        account_balance(account_for(kind=AccountKind.PROVIDER, currency="EUR", user=order.provider)),
        account_balance(account_for(kind=AccountKind.REFUNDS, currency="EUR")),
        account_balance(account_for(kind=AccountKind.GATEWAY, currency="EUR")),
    )


def test_paying_a_clients_compensation_writes_a_pending_refund_and_calls_no_gateway(settings):
    # given a gateway whose refunds would fail
    settings.PAYMENT_GATEWAY = "tests.gateways.FlakyRefundGateway"
    FlakyRefundGateway.failures_left = 100

    # when the agent pays the compensation
    ticket, _agent = _paid()

    # then it is a pending refund, due after the policy's business days, owed from the provider
    refund = ticket.compensation_refund
    assert refund is not None and refund.status == RefundStatus.PENDING and refund.attempts == 0
    assert refund.amount == Decimal("30.00") and refund.order_id == ticket.order_id
    assert refund.settle_after > timezone.now() + timedelta(days=1)
    assert ticket.compensation_paid_at is not None
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency="EUR")) == Decimal("-30.00")
    assert_every_transaction_balances()
    FlakyRefundGateway.failures_left = 0


def test_resolving_does_not_pay_out_directly_the_settlement_sweep_does(settings):
    # given a paid compensation on a processing ticket, and a gateway failing once
    settings.PAYMENT_GATEWAY = "tests.gateways.FlakyRefundGateway"
    FlakyRefundGateway.failures_left = 1
    ticket, agent = _paid()
    svc.ticket_start_processing(ticket=ticket, actor=agent)

    # when the ticket is resolved, then the sweep runs twice (a failure, then its retry)
    svc.ticket_resolve(ticket=ticket, actor=agent)
    assert not LedgerTransaction.objects.filter(kind="refund_settled").exists()
    with time_machine.travel(timezone.now() + LATER, tick=False):
        sweep_run("orders.settle_refunds")
    refund = Refund.objects.get(pk=ticket.compensation_refund_id)
    assert refund.status == RefundStatus.FAILED and refund.attempts == 1
    with time_machine.travel(timezone.now() + LATER + timedelta(days=1), tick=False):
        sweep_run("orders.settle_refunds")

    # then the refund settled once, retried with back-off, and nothing is owed any more
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SETTLED and refund.attempts == 2
    assert LedgerTransaction.objects.filter(kind="refund_settled", order=ticket.order).count() == 1
    assert account_balance(account_for(kind=AccountKind.REFUNDS, currency="EUR")) == 0
    assert_every_transaction_balances()


def test_cancelling_before_the_payout_cancels_the_pending_refund():
    # given a paid compensation whose refund has not settled
    ticket, agent = _paid()
    order = ticket.order
    provider_before = account_balance(account_for(kind=AccountKind.PROVIDER, currency="EUR", user=order.provider))
    refund_id = ticket.compensation_refund_id

    # when the agent cancels the approved ticket (an agent asking cancels at once)
    svc.ticket_cancel(ticket=ticket, actor=agent, reason="agreed_with_other_party")

    # then the refund is kept, marked cancelled before payout, the amount is back with the
    # provider, and the sweep pays nothing
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED and ticket.compensation_refund_id == refund_id
    refund = Refund.objects.get(pk=refund_id)
    assert (refund.status, refund.settled_at, refund.attempts) == (RefundStatus.CANCELLED, None, 0)
    assert refund.cancelled_at is not None
    provider_after, refunds_owed, _gateway = _balances(order)
    assert provider_after == provider_before - Decimal("30.00")
    assert refunds_owed == 0
    reversal = order.ledger_transactions.get(kind="ticket_compensation_reversal")
    assert f"refund #{refund_id}" in reversal.memo
    with time_machine.travel(timezone.now() + LATER, tick=False):
        assert sweep_run("orders.settle_refunds").processed == 0
    assert_every_transaction_balances()


def test_cancelling_after_the_payout_charges_the_client_back_and_the_ledger_nets_to_zero():
    # given a compensation already paid out to the client by the sweep
    ticket, agent = _paid()
    order = ticket.order
    before = _balances(order)
    with time_machine.travel(timezone.now() + LATER, tick=False):
        sweep_run("orders.settle_refunds")

    # when the agent cancels the approved ticket (and the charge back is made, outside it)
    svc.ticket_cancel(ticket=ticket, actor=agent, reason="filed_by_mistake")
    sweep_run("orders.settle_charges")

    # then the settled refund stays, the client is charged back, and every account is back
    # where it was before the payout (provider: paid back; refunds owed: 0; gateway: net 0 + 30)
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    assert Refund.objects.get(pk=ticket.compensation_refund_id).status == RefundStatus.SETTLED
    provider_after, refunds_owed, gateway_after = _balances(order)
    assert provider_after == before[0] - Decimal("30.00")
    assert refunds_owed == 0
    assert gateway_after == before[2]
    kinds = list(order.ledger_transactions.order_by("id").values_list("kind", flat=True))
    assert kinds[-3:] == ["ticket_compensation", "refund_settled", "ticket_compensation_reversal"]
    assert_every_transaction_balances()


def test_a_declined_charge_back_moves_no_money_and_is_retried_until_it_is_made(settings):
    # given a compensation paid out, and a gateway that declines charges
    ticket, agent = _paid()
    order = ticket.order
    with time_machine.travel(timezone.now() + LATER, tick=False):
        sweep_run("orders.settle_refunds")
    settings.PAYMENT_GATEWAY = "tests.gateways.DecliningGateway"
    balances = _balances(order)

    # when the agent cancels, and the charge back is tried
    svc.ticket_cancel(ticket=ticket, actor=agent, reason="other")
    sweep_run("orders.settle_charges")

    # then the ticket is cancelled, the declined charge moved no money and waits for its retry
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    charge = Charge.objects.get(order=order, kind="ticket_compensation_reversal")
    assert charge.status == ChargeStatus.FAILED and charge.attempts == 1 and charge.payment is None
    assert charge.charge_after > timezone.now()
    assert _balances(order) == balances
    # and once the card takes it, the books close as if it had gone through at once
    settings.PAYMENT_GATEWAY = "orders.gateways.SimulatedCardGateway"
    with time_machine.travel(timezone.now() + timedelta(hours=2), tick=False):
        assert sweep_run("orders.settle_charges").processed == 1
    charge.refresh_from_db()
    assert charge.status == ChargeStatus.CHARGED and charge.attempts == 2
    assert_every_transaction_balances()


def test_unpaid_wages_are_a_payment_of_the_client_on_the_order():
    # when an agent pays an approved unpaid-wages ticket
    order = order_completed()
    ticket = open_ticket(order, by="provider")
    agent = staff()
    approved(ticket, agent, "25.00")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    sweep_run("orders.settle_charges")

    # then the client's charge is a Payment row of the order, linked to the ticket
    ticket.refresh_from_db()
    payment = ticket.compensation_charge.payment
    assert payment is not None and payment.order_id == order.pk
    assert (payment.amount, payment.status) == (Decimal("25.00"), "succeeded")
    assert payment.reference in order.ledger_transactions.get(kind="ticket_compensation").memo
    assert_every_transaction_balances()


def test_cancelling_paid_wages_refunds_the_wages_charge_through_a_refund_even_while_the_gateway_fails(settings):
    # given paid wages, and a gateway whose next refund fails
    order = order_completed()
    ticket = open_ticket(order, by="provider")
    agent = staff()
    approved(ticket, agent, "25.00")
    before = _balances(order)
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    sweep_run("orders.settle_charges")
    settings.PAYMENT_GATEWAY = "tests.gateways.FlakyRefundGateway"
    FlakyRefundGateway.failures_left = 1

    # when the agent cancels the ticket (approved: an agent cancels at once)
    svc.ticket_cancel(ticket=ticket, actor=agent, reason="agreed_with_other_party")

    # then it is cancelled, and the refund of the wages charge waits for the sweep
    ticket.refresh_from_db()
    assert ticket.state == TicketState.CANCELLED
    refund = ticket.compensation_refund
    assert refund.payment_id == ticket.compensation_charge.payment_id and refund.status == RefundStatus.PENDING
    with time_machine.travel(timezone.now() + LATER, tick=False):
        sweep_run("orders.settle_refunds")
    with time_machine.travel(timezone.now() + LATER + timedelta(days=1), tick=False):
        sweep_run("orders.settle_refunds")

    # and once the retry settles it, every account is back where it was
    refund.refresh_from_db()
    assert refund.status == RefundStatus.SETTLED and refund.attempts == 2
    assert _balances(order) == before
    assert_every_transaction_balances()


def test_the_ticket_page_says_the_refund_was_cancelled_before_payout(client):
    # given a paid compensation whose refund was cancelled with the ticket before it settled
    ticket, agent = _paid()
    svc.ticket_cancel(ticket=ticket, actor=agent, reason="agreed_with_other_party")
    client.force_login(ticket.order.client)

    # when the client opens the ticket
    html = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    # then the refund is still on record, with what became of it
    assert "refund to the client was cancelled before payout" in unescape(html)
    assert "refund to the client&#x27;s payment method due" not in html
