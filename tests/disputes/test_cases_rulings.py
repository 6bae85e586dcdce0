"""A ruling is linked to the cancellation and credit events it made; nobody appealing closes it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from core.exceptions import Conflict
from core.jobs import sweep_run
from core.models import TransitionLog
from credit.models import CreditEvent, CreditReason, Restriction
from credit.services import credit_event_record, credit_score, credit_score_replay, restriction_impose
from disputes.models import APPEAL_WINDOW, CaseState
from disputes.services.cases import CreditEffect, RestrictionEffect, case_appeal, case_rule, case_rule_appeal
from marketplace.models import Notification
from orders.models import Cancellation
from tests.disputes.test_cases_helpers import agent, open_case, supervisor
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

CLOSE = "disputes.close_ruled_cases"


PROVIDER_MINUS_5 = (CreditEffect("provider", -5),)


def _ruled(*, cancel_order: bool = True, credit=PROVIDER_MINUS_5):
    return case_rule(
        case=open_case(),
        actor=agent(),
        outcome="Cancelled, provider at fault",
        fault="provider",
        ruling="No delivery.",
        cancel_order=cancel_order,
        credit=list(credit),
    )


def test_a_ruling_links_the_cancellation_and_every_credit_event_it_made():
    # when a ruling cancels the order and changes the provider's credit
    case = _ruled()

    # then the case points at exactly those rows
    case.refresh_from_db()
    assert case.ruling_cancellation == Cancellation.objects.get(order=case.order)
    linked = set(case.ruling_credit_events.values_list("pk", flat=True))
    assert linked == set(CreditEvent.objects.filter(order=case.order).values_list("pk", flat=True))
    assert len(linked) == 2  # the cancellation's (policy) and the ruling's own


def test_a_ruling_without_cancelling_links_only_its_credit_events():
    case = _ruled(cancel_order=False, credit=[CreditEffect("client", -10)])

    case.refresh_from_db()
    assert case.ruling_cancellation is None
    assert list(case.ruling_credit_events.values_list("delta", flat=True)) == [-10]


def test_an_upheld_appeal_reverses_exactly_the_rulings_events_not_others_at_the_same_instant():
    # given a ruled case, and another credit event on the same order at the very same instant
    case = _ruled()
    order = case.order
    ruled_events = set(case.ruling_credit_events.values_list("pk", flat=True))
    other = credit_event_record(
        user=order.provider,
        delta=-3,
        reason=CreditReason.RULING,
        order=order,
        detail="Another ruling",
        at=case.ruled_at,
    )
    case = case_appeal(case=case, actor=order.provider, text="I was ill.")

    # when a supervisor upholds the appeal
    case_rule_appeal(case=case, actor=supervisor(), upheld=True, ruling="Medical note is genuine.")

    # then the ruling's events are reversed, once each, and the other event stands
    reversed_ids = set(CreditEvent.objects.filter(reason=CreditReason.REVERSAL).values_list("reverses_id", flat=True))
    assert reversed_ids == ruled_events
    assert not CreditEvent.objects.filter(reverses=other).exists()
    assert credit_score(order.provider) == credit_score_replay(order.provider) == 97
    assert Cancellation.objects.get(order=order).reversed_at is not None
    assert_every_transaction_balances()


def test_an_appeal_after_the_window_is_refused_and_changes_nothing():
    case = _ruled()

    with time_machine.travel(case.ruled_at + APPEAL_WINDOW, tick=False), pytest.raises(Conflict) as refused:
        case_appeal(case=case, actor=case.order.provider, text="Too late?")

    assert refused.value.code == "appeal_window_closed"
    case.refresh_from_db()
    assert (case.state, case.appealed_at) == (CaseState.RULED, None)


def test_a_ruled_case_closes_itself_once_the_appeal_window_passes(django_capture_on_commit_callbacks):
    # given a ruled case nobody appeals
    case = _ruled()

    # when the sweep runs just before and just after the appeal window
    with time_machine.travel(case.ruled_at + APPEAL_WINDOW - timedelta(seconds=1), tick=False):
        assert sweep_run(CLOSE).processed == 0
    with (
        time_machine.travel(case.ruled_at + APPEAL_WINDOW, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert sweep_run(CLOSE).processed == 1
        assert sweep_run(CLOSE).processed == 0  # a rerun finds nothing

    # then the case is closed, logged by the system, and both parties are told
    case.refresh_from_db()
    assert case.state == CaseState.CLOSED and case.closed_at == case.ruled_at + APPEAL_WINDOW
    log = TransitionLog.objects.filter(object_id=case.pk, content_type__model="supportcase").latest("id")
    assert (log.transition, log.actor_role, log.to_state) == ("close", "system", "closed")
    for user in (case.order.client, case.order.provider):
        assert Notification.objects.filter(user=user, kind="case_closed").exists()


def test_an_appealed_case_is_not_closed_by_the_sweep():
    case = _ruled()
    with time_machine.travel(case.ruled_at + timedelta(days=1), tick=False):
        case_appeal(case=case, actor=case.order.provider, text="Unfair")

    with time_machine.travel(case.ruled_at + APPEAL_WINDOW + timedelta(days=30), tick=False):
        assert sweep_run(CLOSE).processed == 0

    case.refresh_from_db()
    assert case.state == CaseState.APPEALED


def test_the_close_sweep_runs_from_run_due_jobs(capsys):
    from django.core.management import call_command

    case = _ruled()

    with time_machine.travel(timezone.now() + APPEAL_WINDOW + timedelta(days=400), tick=False):
        call_command("run_due_jobs")

    case.refresh_from_db()
    assert case.state == CaseState.CLOSED
    assert CLOSE in capsys.readouterr().out


def test_the_api_and_the_page_show_until_when_a_ruling_can_be_appealed(api_as, client):
    # given a ruled case
    case = _ruled()
    client.force_login(case.order.provider)

    # when the provider reads it within the window and after it
    body = api_as(case.order.provider).get(f"/api/v1/cases/{case.pk}/").json()
    within = client.get(reverse("case_detail", args=(case.pk,))).content.decode()
    with time_machine.travel(case.ruled_at + APPEAL_WINDOW, tick=False):
        after = client.get(reverse("case_detail", args=(case.pk,))).content.decode()

    # then the deadline is named, and the appeal form is offered only before it
    assert datetime.fromisoformat(body["ruling"]["appeal_until"]) == case.ruled_at + APPEAL_WINDOW
    assert "Appeal until" in within and reverse("case_appeal", args=(case.pk,)) in within
    assert reverse("case_appeal", args=(case.pk,)) not in after


def test_the_admin_case_page_links_what_the_ruling_did(admin_client):
    case = _ruled()

    page = admin_client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,))).content.decode()

    assert reverse("admin:orders_cancellation_change", args=(case.ruling_cancellation_id,)) in page
    assert "-5 " in page


def test_an_appeal_after_the_window_is_409_over_the_api(api_as):
    case = _ruled()

    with time_machine.travel(case.ruled_at + APPEAL_WINDOW + timedelta(minutes=1), tick=False):
        response = api_as(case.order.client).post(f"/api/v1/cases/{case.pk}/appeal/", {"text": "Late"}, format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "appeal_window_closed"
    case.refresh_from_db()
    assert case.state == CaseState.RULED


def test_an_upheld_appeal_lifts_only_the_restrictions_the_ruling_imposed():
    # given: the client was already barred from posting before the case; the ruling bars it again
    # (no new row: that one is in force) and bars the provider from taking orders
    case = open_case()
    order = case.order
    earlier = restriction_impose(
        user_id=order.client_id, kind="posting", reason="Earlier rulings", restores="Support", automatic=True
    )
    case = case_rule(
        case=case,
        actor=agent(),
        outcome="Both at fault",
        fault="provider",
        ruling="Both broke the rules.",
        restrictions=[RestrictionEffect("client", "posting"), RestrictionEffect("provider", "taking_orders")],
    )
    imposed = Restriction.objects.get(user=order.provider, kind="taking_orders")
    assert list(case.ruling_restrictions.all()) == [imposed]
    assert f"(#{case.pk})" in imposed.reason  # named for the people reading it

    # when a supervisor upholds the appeal
    case = case_appeal(case=case, actor=order.provider, text="It was not me.")
    case_rule_appeal(case=case, actor=supervisor(), upheld=True, ruling="Mistaken identity.")

    # then the ruling's restriction is lifted and the earlier one still holds
    imposed.refresh_from_db()
    earlier.refresh_from_db()
    assert imposed.lifted_at is not None and imposed.lift_reason == "Mistaken identity."
    assert earlier.lifted_at is None


def test_a_restriction_that_merely_mentions_the_case_number_is_not_the_rulings():
    # given another case's restriction whose free text happens to contain this case's marker
    case = open_case()
    restriction_impose(
        user_id=case.order.provider_id,
        kind="taking_orders",
        reason=f"See case (#{case.pk}) in the old tracker",
        restores="Support",
        automatic=True,
    )
    case = case_rule(case=case, actor=agent(), outcome="No fault", fault="none", ruling="Nothing to do.")
    case = case_appeal(case=case, actor=case.order.client, text="Please look again")

    # when the appeal is upheld
    case_rule_appeal(case=case, actor=supervisor(), upheld=True, ruling="Looked again.")

    # then nothing the ruling did not impose is lifted
    assert Restriction.objects.get(user=case.order.provider).lifted_at is None
