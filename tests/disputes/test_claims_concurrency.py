"""Races on claims and appeals leave exactly one outcome (PostgreSQL, threads)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import ApplicationError
from core.jobs import sweep_run
from credit.models import CreditEvent
from disputes.models import Claim, PenaltyAppeal
from disputes.services.appeals import appeal_file
from disputes.services.claims import claim_file
from orders.models import Cancellation, Order, OrderState, Refund
from tests.factories import shift_cancelled_late, shift_order
from tests.orders.test_concurrency import race
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_claim_filed_while_the_no_show_sweep_runs_ends_the_order_once():
    # given a booked shift whose worker never checked in, now past the no-show time
    order = shift_order(starts_in=timedelta(hours=2), price=Decimal("100.00"))

    with time_machine.travel(timezone.now() + timedelta(hours=3, minutes=5), tick=True):
        results = race(
            lambda: claim_file(
                order=Order.objects.get(pk=order.pk), actor=order.provider, kind="force_majeure", statement="Ill"
            ),
            lambda: sweep_run("orders.cancel_no_shows"),
        )

    # then exactly one cancellation, one refund and a balanced ledger; a losing claim was refused
    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    assert Cancellation.objects.filter(order=order).count() == 1
    assert Refund.objects.filter(order=order).count() == 1
    claims = Claim.objects.filter(order=order).count()
    refused = [r for r in results if isinstance(r, ApplicationError)]
    assert (claims, len(refused)) in ((1, 0), (0, 1))
    assert all(r.code == "order_closed" for r in refused)
    assert_every_transaction_balances()


def test_two_claims_at_once_leave_one():
    order = shift_order(starts_in=timedelta(hours=5))

    results = race(
        lambda: claim_file(
            order=Order.objects.get(pk=order.pk), actor=order.provider, kind="force_majeure", statement="Storm"
        ),
        lambda: claim_file(
            order=Order.objects.get(pk=order.pk), actor=order.client, kind="force_majeure", statement="Storm"
        ),
    )

    assert sum(isinstance(r, Claim) for r in results) == 1
    assert all(r.code == "claim_already_open" for r in results if isinstance(r, ApplicationError))
    assert Cancellation.objects.filter(order=order).count() == 1


def test_two_appeals_of_one_penalty_at_once_leave_one():
    order = shift_cancelled_late()
    event = CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation")

    results = race(
        lambda: appeal_file(event_id=event.pk, actor=order.provider, statement="first"),
        lambda: appeal_file(event_id=event.pk, actor=order.provider, statement="second"),
    )

    assert sum(isinstance(r, PenaltyAppeal) for r in results) == 1
    assert [r.code for r in results if isinstance(r, ApplicationError)] == ["appeal_exists"]
    assert PenaltyAppeal.objects.filter(event=event).count() == 1
