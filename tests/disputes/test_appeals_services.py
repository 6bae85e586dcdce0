"""Appeals of penalties nobody ruled on: within the window, once per event; upheld reverses like a ruling appeal."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied
from credit.models import CreditEvent
from credit.services import credit_adjust, credit_score
from disputes.models import AppealState, PenaltyAppeal
from disputes.services import appeals as svc
from marketplace.models import Notification
from orders.completion import completion_rate_for
from orders.models import Cancellation, LedgerTransaction
from tests.factories import UserFactory, shift_cancelled_late
from tests.marketplace.helpers import pdf
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def staff():
    return UserFactory(support=True)


def penalty():
    """A late cancellation's credit event (−10) with its 10 % fee and completion-rate count."""
    order = shift_cancelled_late(price=Decimal("100.00"))
    return CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation"), order


def test_the_person_hit_appeals_with_a_statement_and_files():
    event, order = penalty()

    appeal = svc.appeal_file(
        event_id=event.pk, actor=order.provider, statement="My child was in hospital", files=[pdf()]
    )

    assert appeal.state == AppealState.OPEN and appeal.order_id == order.pk
    assert appeal.evidence.count() == 1
    assert appeal.decision_due == appeal.created_at + timedelta(hours=72)
    assert Notification.objects.filter(user=order.provider, kind="appeal_filed").exists()


def test_someone_elses_event_is_not_found():
    event, order = penalty()
    with pytest.raises(NotFound):
        svc.appeal_file(event_id=event.pk, actor=order.client, statement="x")


def test_one_appeal_per_event():
    event, order = penalty()
    svc.appeal_file(event_id=event.pk, actor=order.provider, statement="first")

    with pytest.raises(Conflict) as again:
        svc.appeal_file(event_id=event.pk, actor=order.provider, statement="second")

    assert again.value.code == "appeal_exists"
    assert PenaltyAppeal.objects.count() == 1


def test_the_window_closes_after_the_policys_days():
    event, order = penalty()

    with (
        time_machine.travel(event.created_at + timedelta(days=14, minutes=1), tick=False),
        pytest.raises(Conflict) as late,
    ):
        svc.appeal_file(event_id=event.pk, actor=order.provider, statement="late")

    assert late.value.code == "appeal_window_closed"


def test_what_took_no_points_or_was_ruled_is_not_appealed_here():
    user = UserFactory()
    bonus = credit_adjust(user=user, delta=5, actor=staff(), reason="goodwill")
    with pytest.raises(Conflict) as nothing:
        svc.appeal_file(event_id=bonus.pk, actor=user, statement="x")
    assert nothing.value.code == "nothing_to_appeal"


def test_upheld_reverses_the_event_and_the_fee_like_a_ruling_appeal():
    event, order = penalty()
    score = credit_score(order.provider)
    appeal = svc.appeal_file(event_id=event.pk, actor=order.provider, statement="Hospital")

    svc.appeal_decide(appeal=appeal, actor=staff(), decision="uphold", note="The hospital letter is genuine.")

    appeal.refresh_from_db()
    assert appeal.state == AppealState.UPHELD
    assert credit_score(order.provider) == score + 10
    assert CreditEvent.objects.filter(reverses=event).exists()
    assert LedgerTransaction.objects.filter(order=order, kind="fee_reversal").exists()
    assert Cancellation.objects.get(order=order).reversed_at is not None
    assert completion_rate_for(order.provider).counted_cancellations == 0
    assert Notification.objects.filter(user=order.provider, kind="appeal_upheld").exists()
    assert_every_transaction_balances()


def test_denied_keeps_the_penalty_and_says_why():
    event, order = penalty()
    score = credit_score(order.provider)
    appeal = svc.appeal_file(event_id=event.pk, actor=order.provider, statement="Traffic")

    svc.appeal_decide(appeal=appeal, actor=staff(), decision="deny", note="Traffic is foreseeable.")

    appeal.refresh_from_db()
    assert appeal.state == AppealState.DENIED
    assert credit_score(order.provider) == score
    notice = Notification.objects.get(user=order.provider, kind="appeal_denied")
    assert "foreseeable" in notice.body


def test_only_staff_decide_and_only_once():
    event, order = penalty()
    appeal = svc.appeal_file(event_id=event.pk, actor=order.provider, statement="x")
    with pytest.raises(PermissionDenied):
        svc.appeal_decide(appeal=appeal, actor=order.provider, decision="uphold", note="self-serve")
    agent = staff()
    svc.appeal_decide(appeal=appeal, actor=agent, decision="deny", note="no")
    with pytest.raises(Conflict) as again:
        svc.appeal_decide(appeal=appeal, actor=agent, decision="uphold", note="yes")
    assert again.value.code == "appeal_already_decided"


def test_an_event_already_reversed_cannot_be_appealed():
    event, order = penalty()
    appeal = svc.appeal_file(event_id=event.pk, actor=order.provider, statement="x")
    svc.appeal_decide(appeal=appeal, actor=staff(), decision="uphold", note="ok")
    reversal = CreditEvent.objects.get(reverses=event)

    with pytest.raises(Conflict) as refused:
        svc.appeal_file(event_id=reversal.pk, actor=order.provider, statement="x")

    assert refused.value.code == "nothing_to_appeal"
    with time_machine.travel(timezone.now(), tick=False):
        assert svc.appealability(event=event).code == "already_reversed"
