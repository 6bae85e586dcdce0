"""Migration disputes 0007: wages charged before they had a Payment row get one, linked to the ticket."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.jobs import sweep_run
from disputes.models import AfterSalesTicket
from disputes.services import tickets as svc
from orders.models import Charge, LedgerTransaction, Payment, RefundStatus
from tests.factories import UserFactory, order_completed

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("disputes", "0006_ruling_restrictions")]
LATEST = None  # every app's newest migration: the database is left as the other tests expect it


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())


def _legacy_wages_ticket():
    """A processing wages ticket paid the old way: the ledger memo names the charge, no Payment row."""
    order = order_completed()
    ticket = svc.ticket_open(order=order, actor=order.provider, type="unpaid_wages", description="Two hours unpaid")
    agent = UserFactory(support=True)
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("20.00"), note="Confirmed")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    sweep_run("orders.settle_charges")
    ticket.refresh_from_db()
    charge = ticket.compensation_charge
    payment = charge.payment
    txn = LedgerTransaction.objects.get(order=order, kind="ticket_compensation")
    # Undo what the new code wrote, as the old one wrote it: the reference only in the memo.
    AfterSalesTicket.objects.filter(pk=ticket.pk).update(compensation_charge=None)
    reference = payment.reference
    Charge.objects.filter(pk=charge.pk).delete()
    Payment.objects.filter(pk=payment.pk).delete()
    LedgerTransaction.objects.filter(pk=txn.pk).update(
        memo=f"Ticket #{ticket.pk}: unpaid wages charged to the client, charge {reference}"
    )
    return ticket, reference


def test_a_legacy_wages_charge_becomes_a_payment_the_cancellation_refunds():
    # Given a ticket whose wages charge exists only in a ledger memo, from before the migrations
    ticket, reference = _legacy_wages_ticket()
    _migrate(BEFORE)

    # When the migrations run
    _migrate(LATEST)

    # Then the charge is a Payment of the order, linked to the ticket, on the client's card
    ticket = AfterSalesTicket.objects.get(pk=ticket.pk)
    payment = ticket.compensation_payment
    assert payment.reference == reference
    assert payment.amount == Decimal("20.00") and payment.order_id == ticket.order_id
    assert payment.method == Payment.objects.filter(order=ticket.order).order_by("id").first().method
    # and cancelling the ticket refunds that charge like any refund
    svc.ticket_cancel(ticket=ticket, actor=UserFactory(support=True), reason="agreed_with_other_party")
    ticket.refresh_from_db()
    assert ticket.compensation_refund.payment_id == payment.pk
    assert ticket.compensation_refund.status == RefundStatus.PENDING


def test_the_backfill_leaves_tickets_paid_since_alone():
    order = order_completed()
    ticket = svc.ticket_open(order=order, actor=order.provider, type="unpaid_wages", description="Unpaid")
    agent = UserFactory(support=True)
    svc.ticket_start_review(ticket=ticket, actor=agent)
    svc.ticket_approve(ticket=ticket, actor=agent, compensation=Decimal("5.00"), note="Ok")
    svc.ticket_pay_compensation(ticket=ticket, actor=agent)
    sweep_run("orders.settle_charges")
    payments = Payment.objects.count()

    _migrate(BEFORE)
    _migrate(LATEST)

    assert Payment.objects.count() == payments
