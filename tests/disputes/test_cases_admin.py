"""The agents' queue and the views that work a case in the back office."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from disputes.models import CaseState, SupportCase
from disputes.services.cases import (
    case_add_evidence,
    case_add_statement,
    case_appeal,
    case_ask_for_info,
    case_assign,
    case_rule,
)
from orders.models import Cancellation, OrderState
from tests.disputes.test_cases_helpers import agent, open_case, png
from tests.factories import order_in_progress
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db

QUEUE = reverse("admin:disputes_supportcase_changelist")


def url(case: SupportCase, name: str) -> str:
    return reverse(f"admin:disputes_supportcase_{name}", args=(case.pk,))


def staff_client(client, user):
    """A staff member with the case permissions, but not a supervisor."""
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=("view_supportcase", "change_supportcase", "view_order"))
    )
    client.force_login(user)
    return client


@pytest.mark.parametrize("rows", [3, 12])
def test_the_queue_loads_with_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries, rows):
    for _i in range(rows):
        case = open_case()
        case_add_statement(case=case, actor=case.order.provider, text="My side")

    with django_assert_max_num_queries(14):
        response = admin_client.get(QUEUE)

    assert response.status_code == 200
    assert response.context["cl"].result_count == rows


def test_the_queue_filters_mine_unassigned_breached_and_state(admin_client, admin_user):
    mine, theirs, free = open_case(), open_case(), open_case()
    case_assign(case=mine, actor=admin_user)
    case_assign(case=theirs, actor=agent())
    SupportCase.objects.filter(pk=free.pk).update(sla_breached_at=free.created_at)

    def ids(query: str) -> set[int]:
        return {c.pk for c in admin_client.get(f"{QUEUE}?{query}").context["cl"].result_list}

    assert ids("assignee=mine") == {mine.pk}
    assert ids("assignee=unassigned") == {free.pk}
    assert ids("sla=breached") == {free.pk}
    assert ids("state__exact=open&age=lt1") == {mine.pk, theirs.pk, free.pk}
    assert ids(f"q={mine.order.client.username}") == {mine.pk}


def test_the_case_page_shows_statements_evidence_messages_and_the_orders_history(
    admin_client, django_assert_max_num_queries
):
    case = open_case()
    case_add_statement(case=case, actor=case.order.provider, text="Provider's side of it")
    evidence = case_add_evidence(case=case, actor=case.order.client, file=png())

    with django_assert_max_num_queries(12):
        response = admin_client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,)))

    content = response.content.decode()
    assert response.status_code == 200
    assert "Provider&#x27;s side of it" in content
    assert reverse("evidence_download", args=(evidence.pk,)) in content
    assert "awaiting_requirements" in content and "in_progress" in content
    assert url(case, "rule") in content and url(case, "assign_to_me") in content
    assert url(case, "rule_appeal") not in content


def test_the_queue_filters_by_age(admin_client):
    with time_machine.travel(timezone.now() - timedelta(days=2)):
        two_days = open_case()
    with time_machine.travel(timezone.now() - timedelta(days=4)):
        four_days = open_case()
    new = open_case()

    def ids(band: str) -> set[int]:
        return {c.pk for c in admin_client.get(QUEUE, {"age": band}).context["cl"].result_list}

    assert ids("lt1") == {new.pk}
    assert ids("1to3") == {two_days.pk}
    assert ids("gt3") == {four_days.pk}


def test_assign_to_me_takes_the_case(admin_client, admin_user):
    case = open_case()

    response = admin_client.post(url(case, "assign_to_me"))

    case.refresh_from_db()
    assert response.status_code == 302 and case.assignee == admin_user
    assert admin_client.get(url(case, "assign_to_me")).status_code == 405


def test_asking_for_information_from_the_admin(admin_client):
    case = open_case()

    response = admin_client.post(url(case, "ask_for_info"), {"party": "provider", "question": "Send the files."})

    case.refresh_from_db()
    assert response.status_code == 302
    assert (case.state, case.info_requested_from) == (CaseState.AWAITING_INFO, case.order.provider)


def test_ruling_shows_the_consequences_before_confirming(admin_client):
    case = open_case()
    form = {"outcome": "Cancel, 60 % back", "fault": "client", "ruling": "The client withdrew the job.",
            "cancel_order": "on", "cancel_reason": "client_changed_demand", "refund_percent": "60",
            "provider_credit": "", "client_credit": "-5", "restrict_client": "", "restrict_provider": ""}  # fmt: skip

    first = admin_client.get(url(case, "rule"))
    preview = admin_client.post(url(case, "rule"), form)

    rows = dict(preview.context["preview"])
    assert first.status_code == 200 and first.context["choices"]
    assert rows["refund to the client"] == "72.00 EUR"
    assert rows["compensation to the provider"] == "48.00 EUR"
    assert "-5 for the client" in rows["further credit changes"]
    assert 'name="_confirm"' in preview.content.decode()
    case.refresh_from_db()
    assert case.state == CaseState.OPEN and not Cancellation.objects.exists()

    confirmed = admin_client.post(url(case, "rule"), {**form, "_confirm": "1"})

    case.refresh_from_db()
    cancellation = Cancellation.objects.get(order=case.order)
    assert confirmed.status_code == 302
    assert case.state == CaseState.RULED and case.order.state == OrderState.CANCELLED
    assert (cancellation.refund_to_client, cancellation.fault) == (Decimal("72.00"), "client")
    assert_every_transaction_balances()


def test_ruling_without_cancelling_keeps_the_order(admin_client):
    case = open_case()
    form = {"outcome": "Carry on", "fault": "none", "ruling": "No one at fault.", "cancel_reason": "other"}

    admin_client.post(url(case, "rule"), {**form, "_confirm": "1"})

    case.refresh_from_db()
    assert case.state == CaseState.RULED and case.order.state == OrderState.IN_PROGRESS


def _appealed() -> SupportCase:
    case = open_case(order_in_progress())
    case_rule(case=case, actor=agent(), outcome="Cancel", fault="provider", ruling="Late", cancel_order=True)
    return case_appeal(case=case, actor=case.order.provider, text="I was ill")


def test_a_supervisor_upholds_an_appeal_in_the_admin(admin_client):
    case = _appealed()

    page = admin_client.get(url(case, "rule_appeal"))
    response = admin_client.post(url(case, "rule_appeal"), {"upheld": "yes", "ruling": "Medical note checked."})

    case.refresh_from_db()
    assert page.status_code == 200 and page.context["effects"]
    assert response.status_code == 302
    assert (case.state, case.appeal_upheld) == (CaseState.CLOSED, True)
    assert Cancellation.objects.get(order=case.order).reversed_at is not None


def test_staff_who_are_not_supervisors_cannot_decide_an_appeal(client):
    case = _appealed()
    staff_client(client, agent())

    page = client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,)))
    response = client.post(url(case, "rule_appeal"), {"upheld": "yes", "ruling": "Sure"})

    case.refresh_from_db()
    assert page.status_code == 200 and url(case, "rule_appeal") not in page.content.decode()
    assert response.status_code == 403
    assert case.state == CaseState.APPEALED
    assert Cancellation.objects.get(order=case.order).reversed_at is None


# --- What every agent view shares: the log, refusals on the form or the case page, going back ---


def test_each_agent_action_is_logged_on_the_case(admin_client):
    case = open_case()

    admin_client.post(url(case, "assign_to_me"))
    admin_client.post(url(case, "ask_for_info"), {"party": "client", "question": "Which files?"})

    logs = LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(SupportCase), object_id=str(case.pk)
    ).order_by("id")
    assert [(log.user.username, log.change_message) for log in logs] == [
        ("admin", f"You took case #{case.pk}."),
        ("admin", "The client is asked; both parties are told."),
    ]


def test_a_refused_request_for_information_is_shown_on_the_form_and_changes_nothing(admin_client):
    case = case_ask_for_info(case=open_case(), actor=agent(), party="provider", question="Send the files.")

    response = admin_client.post(url(case, "ask_for_info"), {"party": "client", "question": "And you?"})

    case.refresh_from_db()
    assert response.status_code == 200
    assert "only while the case is open" in str(response.context["form"].non_field_errors())
    assert (case.state, case.info_requested_from) == (CaseState.AWAITING_INFO, case.order.provider)
    assert not LogEntry.objects.exists()


def test_going_back_from_the_confirmation_keeps_the_ruling_entered(admin_client):
    case = open_case()
    form = {"outcome": "Carry on", "fault": "none", "ruling": "No one at fault.", "cancel_reason": "other"}

    response = admin_client.post(url(case, "rule"), {**form, "_back": "1"})

    case.refresh_from_db()
    assert response.status_code == 200 and response.context["preview"] is None
    assert response.context["form"]["ruling"].value() == "No one at fault."
    assert case.state == CaseState.OPEN


def test_a_case_not_waiting_for_a_ruling_is_refused_on_its_page(admin_client):
    case = _appealed()

    response = admin_client.get(url(case, "rule"), follow=True)

    case.refresh_from_db()
    assert response.redirect_chain == [(reverse("admin:disputes_supportcase_change", args=(case.pk,)), 302)]
    assert "This case is not waiting for a ruling." in response.content.decode()
    assert case.state == CaseState.APPEALED
