"""Races on support cases leave exactly one outcome (PostgreSQL, threads)."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.contenttypes.models import ContentType

from core.exceptions import ApplicationError
from core.jobs import sweep_run
from core.models import TransitionLog
from credit.models import CreditEvent, CreditReason
from disputes.models import APPEAL_WINDOW, CaseState, SupportCase
from disputes.services.cases import (
    CreditEffect,
    case_add_statement,
    case_appeal,
    case_ask_for_info,
    case_rule,
    case_rule_appeal,
)
from orders.models import Cancellation, Order, OrderState, Refund
from tests.disputes.test_cases_helpers import agent, open_case, supervisor
from tests.orders.test_concurrency import race
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _transitions(case: SupportCase) -> list[str]:
    return list(
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(SupportCase), object_id=case.pk)
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def _fresh(case: SupportCase) -> SupportCase:
    return SupportCase.objects.get(pk=case.pk)


def _rule(case: SupportCase, by, outcome: str, fault: str):
    return lambda: case_rule(
        case=_fresh(case),
        actor=by,
        outcome=outcome,
        fault=fault,
        ruling=f"Ruled {outcome}",
        cancel_order=True,
        credit=[CreditEffect("provider" if fault == "provider" else "client", -5)],
    )


def test_two_agents_ruling_the_same_case_at_once_leave_one_ruling():
    # given an open case and two agents
    case = open_case()
    first, second = agent(), agent()

    # when both rule at the same moment, differently
    results = race(
        _rule(case, first, "provider at fault", "provider"), _rule(case, second, "client at fault", "client")
    )

    # then one ruling stands, with one cancellation, one refund and one credit event from it
    assert sum(isinstance(r, SupportCase) for r in results) == 1
    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1 and errors[0].code == "invalid_transition"
    case.refresh_from_db()
    assert case.state == CaseState.RULED
    winner = next(r for r in results if isinstance(r, SupportCase))
    assert (case.ruled_by_id, case.outcome) == (winner.ruled_by_id, winner.outcome)
    assert Cancellation.objects.filter(order=case.order).count() == 1
    assert case.ruling_cancellation_id == Cancellation.objects.get(order=case.order).pk
    assert Refund.objects.filter(order=case.order).count() == 1
    assert Order.objects.get(pk=case.order_id).state == OrderState.CANCELLED
    assert set(case.ruling_credit_events.values_list("pk", flat=True)) == set(
        CreditEvent.objects.filter(order=case.order).values_list("pk", flat=True)
    )
    assert _transitions(case) == ["open", "rule"]
    assert_every_transaction_balances()


def test_a_ruling_racing_the_party_answering_support_leaves_one_consistent_outcome():
    # given a case waiting for the client's answer
    case = open_case()
    staff = agent()
    case_ask_for_info(case=case, actor=staff, party="client", question="Send the brief.")

    # when the client answers while the agent rules
    results = race(
        lambda: case_add_statement(case=_fresh(case), actor=case.order.client, text="Here is the brief."),
        _rule(case, staff, "provider at fault", "provider"),
    )

    # then both succeed in some order, the case is ruled once, and the log tells which came first
    assert not [r for r in results if isinstance(r, Exception)]
    case.refresh_from_db()
    assert case.state == CaseState.RULED and case.statements.count() == 1
    log = _transitions(case)
    assert log.count("rule") == 1
    assert log in (
        ["open", "ask_for_info", "info_received", "rule"],  # the answer came first
        ["open", "ask_for_info", "rule"],  # the ruling came first; the answer is a plain statement
    )
    assert Cancellation.objects.filter(order=case.order).count() == 1


def test_a_ruling_racing_the_sla_sweep_is_ruled_once_and_flagged_at_most_once():
    # given a case past its ruling time
    case = open_case()
    staff = agent()
    later = case.ruling_due + timedelta(minutes=1)

    # when the agent rules while the SLA sweep runs
    with time_machine.travel(later, tick=True):
        results = race(
            _rule(case, staff, "provider at fault", "provider"), lambda: sweep_run("disputes.flag_case_sla_breaches")
        )

    # then the ruling stands whatever the sweep did, and a breach is logged at most once
    assert isinstance(results[0], SupportCase)
    case.refresh_from_db()
    assert case.state == CaseState.RULED and case.ruled_by_id == staff.pk
    assert _transitions(case).count("flag_sla_breach") <= 1
    assert _transitions(case).count("rule") == 1


def test_two_supervisors_upholding_the_same_appeal_reverse_the_ruling_once():
    # given an appealed ruling
    case = open_case()
    _rule(case, agent(), "provider at fault", "provider")()
    case_appeal(case=_fresh(case), actor=case.order.provider, text="I was ill.")
    bosses = supervisor(), supervisor()

    # when two supervisors uphold it at once
    results = race(
        *[
            (lambda boss=boss: case_rule_appeal(case=_fresh(case), actor=boss, upheld=True, ruling="Genuine note."))
            for boss in bosses
        ]
    )

    # then one decision, and each of the ruling's events reversed exactly once
    assert sum(isinstance(r, SupportCase) for r in results) == 1
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.appeal_upheld is True
    ruled = set(case.ruling_credit_events.values_list("pk", flat=True))
    reversals = list(CreditEvent.objects.filter(reason=CreditReason.REVERSAL).values_list("reverses_id", flat=True))
    assert sorted(reversals) == sorted(ruled)
    assert _transitions(case).count("rule_appeal") == 1
    assert_every_transaction_balances()


def test_an_appeal_at_the_end_of_the_window_racing_the_close_sweep_leaves_one_outcome():
    # given a ruled case whose appeal window ends now
    case = open_case()
    _rule(case, agent(), "provider at fault", "provider")()
    case.refresh_from_db()

    # when a party appeals while the close sweep runs
    with time_machine.travel(case.ruled_at + APPEAL_WINDOW - timedelta(milliseconds=200), tick=True):
        race(
            lambda: case_appeal(case=_fresh(case), actor=case.order.provider, text="Unfair"),
            lambda: sweep_run("disputes.close_ruled_cases"),
        )

    # then it is either appealed or closed, never both
    case.refresh_from_db()
    log = _transitions(case)
    assert (case.state, log.count("file_appeal"), log.count("close")) in (
        (CaseState.APPEALED, 1, 0),
        (CaseState.CLOSED, 0, 1),
    )
