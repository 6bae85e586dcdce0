"""The support case sweeps: SLA breaches flagged once and escalated; unanswered questions expire."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.jobs import sweep_run
from core.models import TransitionLog
from disputes.models import CaseState
from disputes.services.cases import case_add_statement, case_ask_for_info, case_rule
from marketplace.models import Notification
from tests.disputes.test_cases_helpers import agent, open_case, supervisor

pytestmark = pytest.mark.django_db

FLAG = "disputes.flag_case_sla_breaches"
EXPIRE = "disputes.expire_info_requests"


def test_a_case_without_a_first_response_is_flagged_once_after_24_hours():
    # given
    case = open_case()
    boss = supervisor()

    # when: just before the first response is due, nothing happens
    with time_machine.travel(case.first_response_due - timedelta(minutes=1)):
        assert sweep_run(FLAG).processed == 0

    with time_machine.travel(case.first_response_due + timedelta(minutes=1)):
        first = sweep_run(FLAG)
        again = sweep_run(FLAG)

    # then
    case.refresh_from_db()
    assert (first.processed, again.processed) == (1, 0)
    assert case.sla_breached_at is not None and case.escalated_at == case.sla_breached_at
    notice = Notification.objects.get(user=boss, kind="case_sla_breached")
    assert f"#{case.pk}" in notice.body
    assert TransitionLog.objects.filter(object_id=case.pk, transition="flag_sla_breach").count() == 1


def test_a_first_response_in_time_avoids_the_first_breach_but_not_a_late_ruling():
    case = open_case()
    case_add_statement(case=case, actor=agent(), text="We are on it.")

    with time_machine.travel(case.first_response_due + timedelta(hours=1)):
        assert sweep_run(FLAG).processed == 0
    with time_machine.travel(case.ruling_due + timedelta(minutes=1)):
        assert sweep_run(FLAG).processed == 1

    case.refresh_from_db()
    assert case.sla_breached_at is not None


def test_a_ruled_case_is_never_flagged():
    case = open_case()
    case_rule(case=case, actor=agent(), outcome="x", fault="none", ruling="y")

    with time_machine.travel(case.ruling_due + timedelta(days=1)):
        assert sweep_run(FLAG).processed == 0


def test_an_unanswered_request_for_information_goes_back_to_open_and_both_are_told():
    # given
    case = open_case()
    case = case_ask_for_info(case=case, actor=agent(), party="provider", question="Files?")
    due = case.info_due_at

    # when
    with time_machine.travel(due - timedelta(minutes=1)):
        assert sweep_run(EXPIRE).processed == 0
    with time_machine.travel(due + timedelta(minutes=1)):
        done = sweep_run(EXPIRE)
        again = sweep_run(EXPIRE)

    # then
    case.refresh_from_db()
    assert (done.processed, again.processed) == (1, 0)
    assert (case.state, case.info_due_at) == (CaseState.OPEN, None)
    log = TransitionLog.objects.get(object_id=case.pk, transition="info_expired")
    assert (log.from_state, log.to_state, log.actor_role) == ("awaiting_info", "open", "system")
    for user in (case.order.client, case.order.provider, case.assignee):
        assert Notification.objects.filter(user=user, kind="case_info_expired").exists()


def test_an_answer_in_time_is_not_expired():
    case = open_case()
    case = case_ask_for_info(case=case, actor=agent(), party="client", question="Photos?")
    case_add_statement(case=case, actor=case.order.client, text="Attached.")

    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert sweep_run(EXPIRE).processed == 0
