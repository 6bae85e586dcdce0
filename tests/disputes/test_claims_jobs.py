"""Claims and appeals of penalties answer to the case SLA: taken in 24 h, decided in 72 h, else escalated."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.utils import timezone

from core.jobs import sweep_run
from core.models import TransitionLog
from core.support import SUPERVISOR_GROUP
from credit.models import CreditEvent
from disputes.services import appeals as appeal_svc
from disputes.services import claims as claim_svc
from marketplace.models import Notification
from tests.factories import UserFactory, shift_cancelled_late, shift_order

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor():
    boss = UserFactory(support=True)
    boss.groups.add(Group.objects.get_or_create(name=SUPERVISOR_GROUP)[0])
    return boss


def _claim():
    order = shift_order(starts_in=timedelta(hours=1), price=Decimal("100.00"))
    return claim_svc.claim_file(order=order, actor=order.provider, kind="force_majeure", statement="Ill")


def test_a_claim_nobody_took_in_24_hours_is_flagged_once_and_escalated(supervisor):
    claim = _claim()

    with time_machine.travel(timezone.now() + timedelta(hours=23), tick=False):
        assert sweep_run("disputes.flag_claim_sla_breaches").processed == 0
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert sweep_run("disputes.flag_claim_sla_breaches").processed == 1
        assert sweep_run("disputes.flag_claim_sla_breaches").processed == 0

    claim.refresh_from_db()
    assert claim.sla_breached_at is not None
    notice = Notification.objects.get(user=supervisor, kind="claim_sla_breached")
    assert f"Claim #{claim.pk}" in notice.body and "Nobody took it" in notice.body
    assert TransitionLog.objects.filter(object_id=claim.pk, transition="flag_sla_breach").count() == 1


def test_a_claim_taken_but_undecided_in_72_hours_is_flagged(supervisor):
    claim = _claim()
    claim_svc.claim_assign(claim=claim, agent=UserFactory(support=True))

    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        assert sweep_run("disputes.flag_claim_sla_breaches").processed == 0
    with time_machine.travel(timezone.now() + timedelta(hours=73), tick=False):
        assert sweep_run("disputes.flag_claim_sla_breaches").processed == 1
    assert "No decision by" in Notification.objects.get(user=supervisor, kind="claim_sla_breached").body


def test_a_decided_claim_is_never_flagged(supervisor):
    claim = _claim()
    claim_svc.claim_decide(claim=claim, actor=UserFactory(support=True), decision="accept", note="ok")

    with time_machine.travel(timezone.now() + timedelta(days=5), tick=False):
        assert sweep_run("disputes.flag_claim_sla_breaches").processed == 0


def test_appeals_answer_to_the_same_service_level(supervisor):
    order = shift_cancelled_late()
    event = CreditEvent.objects.get(order=order, user=order.provider, reason="cancellation")
    appeal = appeal_svc.appeal_file(event_id=event.pk, actor=order.provider, statement="x")

    with time_machine.travel(timezone.now() + timedelta(hours=73), tick=False):
        assert sweep_run("disputes.flag_appeal_sla_breaches").processed == 1

    appeal.refresh_from_db()
    assert appeal.sla_breached_at is not None
    assert Notification.objects.filter(user=supervisor, kind="appeal_sla_breached").exists()
