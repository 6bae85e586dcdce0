"""A support case carries its order's message thread, unchanged, wherever the case is read."""

import pytest
from django.urls import reverse

from disputes.selectors.cases import case_order_messages
from orders.threads import message_post, message_report_create
from tests.disputes.test_cases_helpers import open_case
from tests.marketplace.helpers import pdf

pytestmark = pytest.mark.django_db


def _case_with_a_thread():
    case = open_case()
    order = case.order
    first = message_post(order=order, author=order.client, body="Where is the draft?")
    second = message_post(order=order, author=order.provider, body="Pay me outside Gigfair instead.", files=[pdf()])
    message_report_create(message=second, reporter=order.client, reason="off_platform_payment")
    return case, first, second


def test_the_case_holds_the_orders_messages_oldest_first():
    # given
    case, first, second = _case_with_a_thread()

    # when
    messages = case_order_messages(case)

    # then
    assert [m.pk for m in messages] == [first.pk, second.pk]
    assert [a.name for a in messages[1].attachments.all()] == ["invoice.pdf"]


def test_the_agent_reads_the_thread_on_the_case_page(admin_client):
    # given
    case, _first, _second = _case_with_a_thread()

    # when
    response = admin_client.get(reverse("admin:disputes_supportcase_change", args=(case.pk,)))

    # then
    content = response.content.decode()
    assert "Where is the draft?" in content
    assert "Pay me outside Gigfair instead." in content


def test_the_parties_read_the_thread_on_the_case_page(client):
    # given
    case, _first, _second = _case_with_a_thread()
    client.force_login(case.order.client)

    # when
    response = client.get(reverse("case_detail", args=(case.pk,)))

    # then
    assert "Pay me outside Gigfair instead." in response.content.decode()


def test_the_api_case_lists_the_thread(api_as):
    # given
    case, first, second = _case_with_a_thread()

    # when
    body = api_as(case.order.client).get(f"/api/v1/cases/{case.pk}/").json()

    # then
    assert [m["id"] for m in body["order_messages"]] == [first.pk, second.pk]
