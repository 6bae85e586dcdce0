"""Claims with proof: filing cancels at once and holds the claimant's consequences; support decides."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.models import TransitionLog
from credit.models import CreditEvent, Restriction
from credit.services import credit_score
from disputes.models import Claim, ClaimState
from disputes.services import claims as svc
from marketplace.models import Notification
from orders.completion import completion_rate_for
from orders.models import Cancellation, LedgerTransaction, OrderState, Refund
from tests.factories import UserFactory, order_cancelled, order_in_progress, shift_order
from tests.marketplace.helpers import pdf
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def staff():
    return UserFactory(support=True)


def late_shift():
    """A shift starting in an hour: the provider cancelling now would pay 10 %, lose 10 credit, count."""
    return shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))


def file(order, by="provider", kind="force_majeure", **kw):
    return svc.claim_file(order=order, actor=getattr(order, by), kind=kind, statement="I fell ill", **kw)


def test_the_preview_shows_what_a_claim_would_hold():
    order = late_shift()

    preview = svc.claim_preview(order=order, user=order.provider)

    assert preview.allowed and preview.role == "provider"
    assert preview.kinds == ("force_majeure", "client_responsible")
    held = preview.held
    assert (held.fee_to_platform, held.credit_delta) == (Decimal("10.00"), -10)
    assert held.counts_against_completion_rate and held.counts_as_complaint


def test_filing_cancels_at_once_refunds_in_full_and_holds_the_rest():
    order = late_shift()
    score = credit_score(order.provider)

    claim = file(order, files=[pdf("doctor.pdf")])

    order.refresh_from_db()
    assert order.state == OrderState.CANCELLED
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.path == "claim" and cancellation.refund_to_client == Decimal("100.00")
    assert (cancellation.fee_to_platform, cancellation.credit_delta) == (0, 0)
    assert not cancellation.counts_against_completion_rate
    assert Refund.objects.get(order=order).amount == Decimal("100.00")
    assert credit_score(order.provider) == score  # nothing applied yet
    assert claim.state == ClaimState.PENDING_REVIEW and claim.cancellation == cancellation
    assert (claim.held_fee, claim.held_credit_delta, claim.held_counts_against_completion_rate) == (
        Decimal("10.00"),
        -10,
        True,
    )
    assert claim.evidence.get().name == "doctor.pdf"
    assert claim.decision_due == claim.created_at + timedelta(hours=72)
    assert Notification.objects.filter(user=order.client, kind="claim_filed").exists()
    assert TransitionLog.objects.filter(object_id=claim.pk, transition="file").exists()
    assert_every_transaction_balances()


def test_a_second_claim_on_the_order_is_refused():
    order = late_shift()
    file(order)

    with pytest.raises(Conflict) as refused:
        file(order, by="client")

    assert refused.value.code == "claim_already_open"
    assert Claim.objects.count() == 1


def test_a_closed_order_takes_no_claim():
    order = order_cancelled(order=late_shift(), by="client")

    with pytest.raises(Conflict) as refused:
        file(order)
    assert refused.value.code == "order_closed"
    assert not svc.claim_preview(order=order, user=order.provider).allowed


def test_only_the_provider_claims_the_client_is_responsible():
    order = late_shift()

    with pytest.raises(ValidationFailed) as refused:
        file(order, by="client", kind="client_responsible")

    assert "kind" in refused.value.errors
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED


def test_a_stranger_cannot_claim():
    order = late_shift()
    with pytest.raises(NotFound):
        svc.claim_file(order=order, actor=UserFactory(), kind="force_majeure", statement="x")


def test_accepted_drops_everything_held():
    order = late_shift()
    claim = file(order)
    score = credit_score(order.provider)
    transactions = LedgerTransaction.objects.count()

    svc.claim_decide(claim=claim, actor=staff(), decision="accept", note="The doctor's note checks out.")

    claim.refresh_from_db()
    assert claim.state == ClaimState.ACCEPTED and claim.decided_at is not None
    assert credit_score(order.provider) == score
    assert LedgerTransaction.objects.count() == transactions
    assert Cancellation.objects.get(order=order).fault == "force_majeure"
    assert completion_rate_for(order.provider).counted_cancellations == 0
    assert Notification.objects.filter(user=order.provider, kind="claim_accepted").exists()
    assert Notification.objects.filter(user=order.client, kind="claim_accepted").exists()


def test_rejected_applies_what_was_held_dated_at_the_claim():
    order = late_shift()
    claim = file(order)
    score = credit_score(order.provider)

    with time_machine.travel(timezone.now() + timedelta(days=2), tick=False):
        svc.claim_decide(claim=claim, actor=staff(), decision="reject", note="No proof of illness.")

    claim.refresh_from_db()
    assert claim.state == ClaimState.REJECTED
    event = claim.credit_events.get()
    assert event.delta == -10 and event.created_at == claim.cancellation.created_at
    assert credit_score(order.provider) == score - 10
    fee = LedgerTransaction.objects.get(order=order, kind="provider_fee")
    assert fee.entries.get(amount__gt=0).amount == Decimal("10.00")
    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.counts_against_completion_rate and cancellation.counts_as_complaint
    assert cancellation.fault == "provider"
    assert completion_rate_for(order.provider).counted_cancellations == 1
    assert_every_transaction_balances()


def test_a_client_responsible_claim_accepted_puts_the_ruling_on_the_client():
    order = order_in_progress()
    client_score = credit_score(order.client)
    claim = file(order, kind="client_responsible")

    svc.claim_decide(claim=claim, actor=staff(), decision="accept", note="The brief changed after the order.")

    cancellation = Cancellation.objects.get(order=order)
    assert cancellation.path == "ruling_client_responsible" and cancellation.fault == "client"
    assert credit_score(order.client) == client_score - 10
    assert CreditEvent.objects.filter(user=order.client, reason="ruling", order=order).count() == 1
    assert completion_rate_for(order.provider).counted_cancellations == 0


def test_repeat_client_faults_from_claims_restrict_posting():
    client = UserFactory()
    for _ in range(2):
        order = order_in_progress(client=client)
        svc.claim_decide(
            claim=file(order, kind="client_responsible"), actor=staff(), decision="accept", note="Not as described"
        )

    assert Restriction.objects.filter(user=client, kind="posting", lifted_at__isnull=True).exists()


def test_only_staff_decide_and_only_once():
    order = late_shift()
    claim = file(order)

    with pytest.raises(PermissionDenied):
        svc.claim_decide(claim=claim, actor=order.client, decision="accept", note="x")
    agent = staff()
    svc.claim_decide(claim=claim, actor=agent, decision="accept", note="ok")
    with pytest.raises(Conflict) as again:
        svc.claim_decide(claim=claim, actor=agent, decision="reject", note="changed my mind")
    assert again.value.code == "claim_already_decided"


def test_a_decision_needs_a_note_and_a_known_decision():
    claim = file(late_shift())
    with pytest.raises(ValidationFailed) as no_note:
        svc.claim_decide(claim=claim, actor=staff(), decision="accept", note=" ")
    with pytest.raises(ValidationFailed) as unknown:
        svc.claim_decide(claim=claim, actor=staff(), decision="maybe", note="x")
    assert "note" in no_note.value.errors and "decision" in unknown.value.errors
