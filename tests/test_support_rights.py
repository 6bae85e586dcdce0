"""Support's powers belong to the ``support`` group (and superusers), checked as the admin checks them.

A staff account outside the group — an accountant, a developer with admin access — is an
ordinary user in the API and on the pages: it reads no one else's order, case or request,
cancels no one's ticket and speaks for support nowhere.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from core.support import SUPPORT_GROUP, is_support
from disputes.services.cases import is_supervisor
from disputes.services.requests import request_open
from disputes.services.tickets import ticket_open
from tests.disputes.test_cases_helpers import open_case
from tests.factories import UserFactory, order_completed, order_in_progress, support_with

pytestmark = pytest.mark.django_db

WHO = ("plain_staff", "support", "superuser")


def _user(who: str):
    if who == "plain_staff":
        return UserFactory(is_staff=True)
    if who == "support":
        return UserFactory(support=True)
    return UserFactory(is_staff=True, is_superuser=True)


def _allowed(who: str) -> bool:
    return who != "plain_staff"


@pytest.mark.parametrize("who", WHO)
def test_only_support_reads_other_peoples_orders_cases_and_requests(api_as, who):
    order = order_in_progress()
    case = open_case(order)
    request = request_open(order=order, actor=order.client, type="request_update", message="How is it going?")
    api = api_as(_user(who))

    answers = {
        "order": api.get(reverse("api-order-detail", args=[order.pk])).status_code,
        "case": api.get(reverse("api-case-detail", args=[case.pk])).status_code,
        "request": api.get(reverse("api-request-detail", args=[request.pk])).status_code,
        "messages": api.get(reverse("api-order-messages", args=[order.pk])).status_code,
    }

    expected = 200 if _allowed(who) else 404
    assert answers == dict.fromkeys(answers, expected)


def test_a_plain_staff_account_lists_no_one_elses_orders_cases_or_tickets(api_as):
    open_case(order_in_progress())
    done = order_completed()
    ticket_open(order=done, actor=done.client, type="rework", description="The wall is still wet")
    api = api_as(_user("plain_staff"))

    listed = [
        api.get(reverse(name)).json()["results"] for name in ("api-order-list", "api-case-list", "api-ticket-list")
    ]

    assert listed == [[], [], []]


@pytest.mark.parametrize("who", WHO)
def test_only_support_posts_statements_as_support(api_as, who):
    case = open_case(order_in_progress())

    response = api_as(_user(who)).post(
        reverse("api-case-statements", args=[case.pk]), {"text": "Support looked at the photos."}, format="json"
    )

    assert response.status_code == (201 if _allowed(who) else 404)
    assert case.statements.filter(author_role="support").exists() is _allowed(who)


@pytest.mark.parametrize("who", WHO)
def test_only_support_cancels_other_peoples_tickets(api_as, who):
    done = order_completed()
    ticket = ticket_open(order=done, actor=done.client, type="rework", description="The wall is still wet")

    response = api_as(_user(who)).post(
        reverse("api-ticket-cancel", args=[ticket.pk]), {"reason": "other", "message": "Closing"}, format="json"
    )
    ticket.refresh_from_db()

    if _allowed(who):
        assert response.status_code == 200, response.content
        assert ticket.state == "cancelled"
    else:
        assert response.status_code == 404
        assert ticket.state == "pending_review"


def test_a_plain_staff_account_sees_only_its_own_orders_on_the_pages(client):
    order = order_in_progress()
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("order_detail", args=[order.pk])).status_code == 404


def test_support_on_the_pages_sees_the_order(client):
    order = order_in_progress()
    client.force_login(UserFactory(support=True))

    assert client.get(reverse("order_detail", args=[order.pk])).status_code == 200


def test_the_support_group_holds_the_admins_permissions_for_support_work():
    granted = set(Group.objects.get(name=SUPPORT_GROUP).permissions.values_list("content_type__app_label", "codename"))

    for needed in (
        ("orders", "view_order"),
        ("orders", "change_order"),
        ("orders", "change_cancellation"),
        ("orders", "change_refund"),
        ("orders", "change_messagereport"),
        ("disputes", "change_supportcase"),
        ("disputes", "change_aftersalesticket"),
        ("disputes", "change_claim"),
        ("disputes", "change_penaltyappeal"),
        ("disputes", "view_evidence"),
        ("credit", "change_creditaccount"),
        ("credit", "add_restriction"),
        ("marketplace", "view_user"),
    ):
        assert needed in granted
    # the policy is not support's to edit
    assert ("orders", "change_policy") not in granted


def test_a_member_without_the_permission_is_refused_the_action_it_needs():
    agent = support_with("view_order")

    assert is_support(agent)
    assert not is_support(agent, "orders.change_cancellation")


def test_an_inactive_or_non_staff_member_of_the_group_is_not_support():
    gone = UserFactory(support=True, is_active=False)
    not_staff = UserFactory()
    not_staff.groups.add(Group.objects.get(name=SUPPORT_GROUP))

    assert not is_support(gone)
    assert not is_support(not_staff)


def test_a_supervisor_must_also_be_support():
    outside = UserFactory(is_staff=True)
    outside.groups.add(Group.objects.get_or_create(name="supervisor")[0])

    assert not is_supervisor(outside)
    assert is_supervisor(UserFactory(supervisor=True))
