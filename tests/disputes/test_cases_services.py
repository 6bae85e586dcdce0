"""Support cases: opening, statements, evidence, information requests, rulings and appeals."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.models import TransitionLog
from core.uploads import UploadTooLarge, UploadTypeRefused
from credit.models import CreditEvent, CreditReason, Restriction
from credit.services import credit_score, credit_score_replay
from disputes.models import CaseState, CaseStatement, Evidence, ResolutionRequest, SupportCase
from disputes.services.cases import (
    CreditEffect,
    RestrictionEffect,
    case_add_evidence,
    case_add_statement,
    case_appeal,
    case_ask_for_info,
    case_assign,
    case_close,
    case_open,
    case_rule,
    case_rule_appeal,
    is_supervisor,
)
from disputes.services.requests import request_decline, request_open, request_withdraw
from marketplace.models import Notification
from orders.models import Cancellation, LedgerTransaction, OrderState, Refund
from tests.disputes.test_cases_helpers import agent, open_case, pdf, png, supervisor, text_named_pdf, too_large
from tests.factories import UserFactory, order_completed, order_in_progress, shift_order
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def logs(case: SupportCase) -> list[str]:
    return list(
        TransitionLog.objects.filter(object_id=case.pk, content_type__model="supportcase")
        .order_by("at", "id")
        .values_list("transition", flat=True)
    )


def kinds_for(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


# --- Opening --------------------------------------------------------------------------------


def test_a_party_opens_a_case_with_the_policy_times():
    # given
    order = order_in_progress()
    before = timezone.now()

    # when
    case = open_case(order, by="provider")

    # then
    assert (case.state, case.opened_by, case.opened_by_role) == (CaseState.OPEN, order.provider, "provider")
    assert before + timedelta(hours=24) <= case.first_response_due <= timezone.now() + timedelta(hours=24)
    assert case.ruling_due - case.first_response_due == timedelta(hours=48)
    assert logs(case) == ["open"]
    assert kinds_for(order.client) == kinds_for(order.provider)[-1:] == ["case_opened"]


def test_a_stranger_cannot_open_a_case_and_nothing_is_written():
    order = order_in_progress()

    with pytest.raises(NotFound):
        case_open(order=order, actor=UserFactory(), category="abuse", statement="x", desired_outcome="y")

    assert not SupportCase.objects.exists()


def test_a_second_live_case_on_the_order_is_refused():
    case = open_case()

    with pytest.raises(Conflict) as refused:
        open_case(case.order, by="provider")

    assert refused.value.code == "case_already_open"
    assert SupportCase.objects.count() == 1


@pytest.mark.parametrize("field", ["statement", "desired_outcome"])
def test_statement_and_outcome_are_required(field):
    order = order_in_progress()

    with pytest.raises(ValidationFailed) as refused:
        open_case(order, **{field: "   "})

    assert field in refused.value.errors
    assert not SupportCase.objects.exists()


def _cancel_request(order) -> ResolutionRequest:
    return request_open(
        order=order,
        actor=order.client,
        type="cancel",
        reason="service_quality",
        refund_percent=Decimal("100"),
        message="Please cancel",
    )


def _declined_request(order) -> ResolutionRequest:
    return request_decline(resolution_request=_cancel_request(order), actor=order.provider, message="No")


def _closed(case: SupportCase) -> SupportCase:
    """``case`` ruled without effects and closed, as support would."""
    staff = agent()
    case_rule(case=case, actor=staff, outcome="Nothing to change", fault="none", ruling="Both kept their word.")
    return case_close(case=case, actor=staff)


def test_a_declined_request_is_escalated_once():
    order = order_in_progress()
    request = _declined_request(order)

    case = open_case(order, category="declined_request")

    assert case.escalated_from == request
    # a second case on the same request is refused even after this one closes
    _closed(case)
    with pytest.raises(ValidationFailed):
        open_case(order, category="declined_request")
    with pytest.raises(Conflict) as refused:
        open_case(order, category="other", escalated_from=request.pk)
    assert refused.value.code == "already_escalated"


def test_only_a_declined_request_can_be_escalated():
    order = order_in_progress()
    request = request_withdraw(resolution_request=_cancel_request(order), actor=order.client)

    with pytest.raises(ValidationFailed) as refused:
        open_case(order, category="declined_request", escalated_from=request.pk)

    assert "escalated_from" in refused.value.errors
    assert not SupportCase.objects.exists()


# --- Statements and evidence ---------------------------------------------------------------


def test_both_parties_and_support_add_statements_and_the_other_party_is_told():
    case = open_case()
    order, staff = case.order, agent()

    case_add_statement(case=case, actor=order.provider, text="I delivered what was asked.")
    case_add_statement(case=case, actor=staff, text="We are looking into it.")

    roles = list(CaseStatement.objects.filter(case=case).values_list("author_role", flat=True))
    case.refresh_from_db()
    assert roles == ["provider", "support"]
    assert case.first_response_at is not None
    assert "case_statement" in kinds_for(order.client)


def test_a_stranger_cannot_add_a_statement():
    case = open_case()

    with pytest.raises(NotFound):
        case_add_statement(case=case, actor=UserFactory(), text="hello")

    assert not CaseStatement.objects.exists()


def test_evidence_is_stored_through_the_storage_api_under_a_random_name():
    case = open_case()

    evidence = case_add_evidence(case=case, actor=case.order.client, file=png("my photo.png"), description="Screen")

    assert (evidence.name, evidence.content_type, evidence.description) == ("my photo.png", "image/png", "Screen")
    assert evidence.file.name.startswith("evidence/") and "my photo" not in evidence.file.name
    assert default_storage.exists(evidence.file.name)


def test_a_pdf_is_accepted_by_its_content():
    case = open_case()

    evidence = case_add_evidence(case=case, actor=case.order.provider, file=pdf())

    assert evidence.content_type == "application/pdf"


def test_a_text_file_named_pdf_is_refused_415():
    case = open_case()

    with pytest.raises(UploadTypeRefused) as refused:
        case_add_evidence(case=case, actor=case.order.client, file=text_named_pdf())

    assert refused.value.status == 415
    assert not Evidence.objects.exists()


def test_a_file_over_10_mb_is_refused_413():
    case = open_case()

    with pytest.raises(UploadTooLarge) as refused:
        case_add_evidence(case=case, actor=case.order.client, file=too_large())

    assert refused.value.status == 413
    assert not Evidence.objects.exists()


def test_evidence_is_for_parties_only_and_not_on_a_closed_case():
    case = open_case()

    with pytest.raises(NotFound):
        case_add_evidence(case=case, actor=UserFactory(), file=png())
    with pytest.raises(PermissionDenied):
        case_add_evidence(case=case, actor=agent(), file=png())
    _closed(case)
    with pytest.raises(Conflict):
        case_add_evidence(case=case, actor=case.order.client, file=png())

    assert not Evidence.objects.exists()


# --- Agents ---------------------------------------------------------------------------------


def test_staff_assign_and_a_party_cannot():
    case = open_case()
    staff = agent()

    with pytest.raises(PermissionDenied):
        case_assign(case=case, actor=case.order.client)
    case = case_assign(case=case, actor=staff)

    assert case.assignee == staff
    assert logs(case) == ["open", "assign"]


def test_asking_for_information_gives_the_party_the_policy_window_and_their_answer_reopens():
    # given
    case = open_case()
    staff, order = agent(), case.order

    # when
    case = case_ask_for_info(case=case, actor=staff, party="provider", question="Send the delivered files.")

    # then
    assert case.state == CaseState.AWAITING_INFO
    assert case.info_requested_from == order.provider
    assert timedelta(hours=71) < case.info_due_at - timezone.now() <= timedelta(hours=72)
    assert case.first_response_at is not None and case.assignee == staff
    assert "case_info_requested" in kinds_for(order.client) and "case_info_requested" in kinds_for(order.provider)

    # the other party's statement does not answer for them
    case_add_statement(case=case, actor=order.client, text="Meanwhile, more detail.")
    case.refresh_from_db()
    assert case.state == CaseState.AWAITING_INFO

    case_add_statement(case=case, actor=order.provider, text="Here they are.")
    case.refresh_from_db()
    assert (case.state, case.info_due_at) == (CaseState.OPEN, None)
    assert logs(case) == ["open", "ask_for_info", "info_received"]
    assert "case_info_received" in kinds_for(order.client) and "case_info_received" in kinds_for(order.provider)


def test_a_party_cannot_ask_for_information():
    case = open_case()

    with pytest.raises(PermissionDenied):
        case_ask_for_info(case=case, actor=case.order.client, party="provider", question="?")

    case.refresh_from_db()
    assert case.state == CaseState.OPEN


# --- Rulings ---------------------------------------------------------------------------------


def test_a_ruling_that_cancels_goes_through_the_cancellation_engine():
    # given
    case = open_case()
    staff, order = agent(), case.order

    # when
    case = case_rule(
        case=case,
        actor=staff,
        outcome="Cancelled with 60 % back to the client",
        fault="provider",
        ruling="The delivery did not match the listing.",
        cancel_order=True,
        refund_percent=Decimal("60"),
    )

    # then
    order.refresh_from_db()
    cancellation = Cancellation.objects.get(order=order)
    assert order.state == OrderState.CANCELLED
    assert (cancellation.path, cancellation.fault, cancellation.actor_role) == (
        "ruling_provider_responsible",
        "provider",
        "support",
    )
    assert (cancellation.refund_to_client, cancellation.compensation_to_provider) == (
        Decimal("72.00"),
        Decimal("48.00"),
    )
    assert cancellation.message == "The delivery did not match the listing."
    assert cancellation.reason == "not_as_described"
    assert (case.state, case.fault, case.refund_percent, case.ruled_by) == (
        CaseState.RULED,
        "provider",
        Decimal("60"),
        staff,
    )
    assert case.ruled_at == cancellation.created_at
    assert Refund.objects.get(order=order).amount == Decimal("72.00")
    assert_every_transaction_balances()
    assert "case_ruled" in kinds_for(order.client) and "case_ruled" in kinds_for(order.provider)


def test_a_ruling_that_keeps_the_order_going_moves_no_money_and_applies_credit_and_restrictions():
    # given
    case = open_case()
    staff, order = agent(), case.order
    transactions = LedgerTransaction.objects.count()

    # when
    case_rule(
        case=case,
        actor=staff,
        outcome="Finish the work; the client was abusive",
        fault="client",
        ruling="Messages show insults.",
        credit=[CreditEffect("client", -15)],
        restrictions=[RestrictionEffect("client", "posting")],
    )

    # then
    order.refresh_from_db()
    event = CreditEvent.objects.get(user=order.client)
    assert order.state == OrderState.IN_PROGRESS
    assert LedgerTransaction.objects.count() == transactions
    assert (event.delta, event.reason, event.order_id) == (-15, CreditReason.RULING, order.pk)
    assert credit_score(order.client) == credit_score_replay(order.client) == 85
    assert Restriction.objects.get(user=order.client, lifted_at__isnull=True).kind == "posting"


def test_a_ruling_cannot_cancel_a_closed_order():
    case = open_case(order_completed())

    with pytest.raises(Conflict):
        case_rule(case=case, actor=agent(), outcome="x", fault="none", ruling="y", cancel_order=True)

    case.refresh_from_db()
    assert case.state == CaseState.OPEN
    assert not Cancellation.objects.exists()


def test_only_staff_rule_and_a_ruling_needs_its_reasons():
    case = open_case()

    with pytest.raises(PermissionDenied):
        case_rule(case=case, actor=case.order.client, outcome="x", fault="none", ruling="y")
    with pytest.raises(ValidationFailed) as refused:
        case_rule(case=case, actor=agent(), outcome="x", fault="none", ruling="  ")

    assert "ruling" in refused.value.errors
    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_a_ruled_case_is_not_ruled_again():
    case = open_case()
    case_rule(case=case, actor=agent(), outcome="x", fault="none", ruling="y")

    with pytest.raises(Conflict):
        case_rule(case=case, actor=agent(), outcome="z", fault="client", ruling="w")


# --- Appeals --------------------------------------------------------------------------------


def _ruled_with_everything(fault: str = "provider"):
    case = open_case()
    case = case_rule(
        case=case,
        actor=agent(),
        outcome="Cancelled, provider at fault",
        fault=fault,
        ruling="No delivery.",
        cancel_order=True,
        credit=[CreditEffect("provider", -5)],
        restrictions=[RestrictionEffect("provider", "taking_orders")],
    )
    return case


def test_a_party_appeals_once():
    case = _ruled_with_everything()

    case = case_appeal(case=case, actor=case.order.provider, text="I was ill; here is proof.")

    assert (case.state, case.appealed_by) == (CaseState.APPEALED, case.order.provider)
    with pytest.raises(Conflict) as refused:
        case_appeal(case=case, actor=case.order.client, text="Me too")
    assert refused.value.code == "already_appealed"


def test_an_appeal_needs_a_ruling():
    case = open_case()

    with pytest.raises(Conflict):
        case_appeal(case=case, actor=case.order.client, text="Unfair")

    case.refresh_from_db()
    assert case.state == CaseState.OPEN


def test_an_upheld_appeal_reverses_the_fee_credit_and_restrictions_and_keeps_both_in_history():
    # given
    case = _ruled_with_everything()
    order = case.order
    events_before = set(CreditEvent.objects.filter(user=order.provider).values_list("pk", flat=True))
    assert credit_score(order.provider) < 100
    case = case_appeal(case=case, actor=order.provider, text="I was ill.")
    boss = supervisor()

    # when
    case = case_rule_appeal(case=case, actor=boss, upheld=True, ruling="The medical note is genuine.")

    # then
    cancellation = Cancellation.objects.get(order=order)
    assert (case.state, case.appeal_upheld, case.appeal_ruled_by) == (CaseState.CLOSED, True, boss)
    assert cancellation.reversed_at is not None and cancellation.counts_against_completion_rate is False
    reversals = CreditEvent.objects.filter(user=order.provider, reason=CreditReason.REVERSAL)
    assert {e.reverses_id for e in reversals} == events_before
    assert credit_score(order.provider) == credit_score_replay(order.provider) == 100
    assert not Restriction.objects.filter(user=order.provider, lifted_at__isnull=True).exists()
    assert Restriction.objects.filter(user=order.provider, lifted_at__isnull=False).exists()
    assert logs(case) == ["open", "rule", "file_appeal", "rule_appeal"]
    assert case.ruling == "No delivery."  # the original ruling stays
    assert_every_transaction_balances()


def test_a_shift_fee_is_refunded_when_the_appeal_is_upheld():
    # given: a provider-responsible ruling on a shift charges the provider the policy's fee
    order = shift_order()
    case = open_case(order, category="abuse")
    case = case_rule(case=case, actor=agent(), outcome="Cancelled", fault="provider", ruling="Late", cancel_order=True)
    cancellation = Cancellation.objects.get(order=order)
    case = case_appeal(case=case, actor=order.provider, text="Storm")

    # when
    case_rule_appeal(case=case, actor=supervisor(), upheld=True, ruling="Storm warning confirmed.")

    # then
    cancellation.refresh_from_db()
    assert cancellation.reversed_at is not None
    kinds = set(LedgerTransaction.objects.filter(order=order).values_list("kind", flat=True))
    if cancellation.fee_to_platform > 0:
        assert "fee_reversal" in kinds
    assert_every_transaction_balances()


def test_a_dismissed_appeal_leaves_the_ruling_standing():
    case = _ruled_with_everything()
    case = case_appeal(case=case, actor=case.order.provider, text="Unfair")

    case = case_rule_appeal(case=case, actor=supervisor(), upheld=False, ruling="The evidence is clear.")

    assert (case.state, case.appeal_upheld) == (CaseState.CLOSED, False)
    assert Cancellation.objects.get(order=case.order).reversed_at is None
    assert not CreditEvent.objects.filter(reason=CreditReason.REVERSAL).exists()
    assert Restriction.objects.filter(user=case.order.provider, lifted_at__isnull=True).exists()


def test_a_staff_member_who_is_not_a_supervisor_cannot_decide_an_appeal():
    case = _ruled_with_everything()
    case = case_appeal(case=case, actor=case.order.provider, text="Unfair")
    staff = agent()

    with pytest.raises(PermissionDenied):
        case_rule_appeal(case=case, actor=staff, upheld=True, ruling="Sure")

    case.refresh_from_db()
    assert not is_supervisor(staff)
    assert case.state == CaseState.APPEALED
    assert Cancellation.objects.get(order=case.order).reversed_at is None


def test_a_superuser_is_a_supervisor():
    assert is_supervisor(UserFactory(support=True, is_superuser=True))
    assert is_supervisor(supervisor())
    assert not is_supervisor(UserFactory())


def test_staff_close_a_ruled_case():
    case = open_case()
    case_rule(case=case, actor=agent(), outcome="x", fault="none", ruling="y")

    case = case_close(case=case, actor=agent())

    assert case.state == CaseState.CLOSED
    with pytest.raises(Conflict):
        case_add_statement(case=case, actor=case.order.client, text="late")
