"""Who may see and do what in the back office, group by group: agents (``support``), supervisors
(``supervisor`` as well: appeals of rulings and policy edits), staff in neither group, and people
who are not staff at all."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from core.support import SUPERVISOR_GROUP, SUPPORT_GROUP, is_support
from disputes.models import CaseState
from disputes.services.cases import is_supervisor
from marketplace.models import User
from orders.models import Policy
from orders.services import policy_current
from tests.disputes.test_cases_admin import _appealed, url
from tests.factories import UserFactory
from tests.orders.test_admin_policies import form_data

pytestmark = pytest.mark.django_db

INDEX = reverse("admin:index")
ANALYTICS = reverse("admin:analytics_cancellations")
CASES = reverse("admin:disputes_supportcase_changelist")
POLICIES = reverse("admin:orders_policy_changelist")
POLICY_ADD = reverse("admin:orders_policy_add")
SEARCH = reverse("admin:back_office_search")


def _policy_url(policy: Policy) -> str:
    return reverse("admin:orders_policy_change", args=(policy.pk,))


@pytest.fixture(params=["agent", "supervisor", "staff", "member"])
def who(request, client):
    user = {
        "agent": lambda: UserFactory(support=True),
        "supervisor": lambda: UserFactory(supervisor=True),
        "staff": lambda: UserFactory(is_staff=True),
        "member": lambda: UserFactory(),
    }[request.param]()
    client.force_login(user)
    return request.param, user


# What each group gets, page by page: the status code, or "dashboard" for the index with it.
EXPECTED = {
    #              index        analytics search cases policies policy-add policy-change-POST
    "agent": ("dashboard", 200, 200, 200, 200, 403, 403),
    "supervisor": ("dashboard", 200, 200, 200, 200, 200, 302),
    "staff": ("plain", 403, 403, 403, 403, 403, 403),
    "member": ("login", "login", "login", "login", "login", "login", "login"),
}


def _status(response) -> object:
    if response.status_code == 302 and "/admin/login/" in response["Location"]:
        return "login"
    return response.status_code


def test_each_group_sees_and_does_what_it_is_allowed(client, who):
    name, _user = who
    policy = policy_current()
    fee_before = policy.platform_fee_percent
    index, analytics, search, cases, policies, add, change = EXPECTED[name]

    front = client.get(INDEX)
    if index == "login":
        assert _status(front) == "login"
    else:
        assert front.status_code == 200
        assert ("dashboard" in front.context) == (index == "dashboard")
    assert _status(client.get(ANALYTICS)) == analytics
    assert _status(client.get(SEARCH, {"q": "x"})) == search
    assert _status(client.get(CASES)) == cases
    assert _status(client.get(POLICIES)) == policies
    assert _status(client.get(POLICY_ADD)) == add

    # an edit of the policy: a supervisor's is saved (as a new version when orders use it)
    data = {"platform_fee_percent": "11.00"}
    if name == "supervisor":
        data = {**form_data(client.get(_policy_url(policy))), **data}
    response = client.post(_policy_url(policy), data)
    assert _status(response) == change
    policy.refresh_from_db()
    newest = policy_current()
    if name == "supervisor":
        assert newest.platform_fee_percent == Decimal("11.00")
    else:
        assert (policy.platform_fee_percent, newest.pk) == (fee_before, policy.pk)


def test_an_agent_reads_the_policy_without_a_save_button(client):
    client.force_login(UserFactory(support=True))

    page = client.get(_policy_url(policy_current()))

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_only_a_supervisor_decides_an_appeal_of_a_ruling(client):
    case = _appealed()
    client.force_login(UserFactory(support=True))
    assert client.post(url(case, "rule_appeal"), {"upheld": "yes", "ruling": "Sure"}).status_code == 403
    page = client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,))).content.decode()
    assert url(case, "rule_appeal") not in page

    client.force_login(UserFactory(supervisor=True))
    page = client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,))).content.decode()
    assert url(case, "rule_appeal") in page
    response = client.post(url(case, "rule_appeal"), {"upheld": "no", "ruling": "The ruling stands."})
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.state, case.appeal_upheld) == (CaseState.CLOSED, False)


def test_the_groups_are_named_support_and_supervisor_and_a_supervisor_is_also_an_agent():
    supervisor = UserFactory(supervisor=True)

    assert set(supervisor.groups.values_list("name", flat=True)) == {SUPPORT_GROUP, SUPERVISOR_GROUP}
    assert is_support(supervisor) and is_supervisor(supervisor)
    assert not Group.objects.filter(name="supervisors").exists()
    policy_rights = set(Group.objects.get(name=SUPERVISOR_GROUP).permissions.values_list("codename", flat=True))
    assert {"change_policy", "add_policy", "change_cancellationrule"} <= policy_rights
    agent_rights = set(Group.objects.get(name=SUPPORT_GROUP).permissions.values_list("codename", flat=True))
    assert "view_policy" in agent_rights and "change_policy" not in agent_rights


def test_the_demo_has_an_agent_and_a_supervisor():
    call_command("seed_demo", stdout=StringIO())

    eva, sam = User.objects.get(username="eva"), User.objects.get(username="sam")
    assert is_support(eva) and not is_supervisor(eva)
    assert is_supervisor(sam)
