"""The busiest pages' query counts, pinned exactly (any new query on them is a decision, made here).

Each page's reads are listed beside its number. Without Redis sessions are read from the
database; with it (``cached_db``, as in production) the session is a cache hit, one query fewer.
"""

import pytest
from django.conf import settings
from django.urls import reverse

from orders.cancellation import order_cancel
from tests.factories import UserFactory, order_completed, order_in_progress, shift_order

pytestmark = pytest.mark.django_db

SESSION = 0 if settings.SESSION_ENGINE.endswith("cached_db") else 1  # the session's query, if any


def test_the_order_page(client, django_assert_num_queries):
    order = order_in_progress()
    client.force_login(order.client)
    client.get(reverse("order_detail", args=[order.pk]))  # first use: content types, prepared reads

    # (session), user; the order with its people, policy, listing and cancellation; its history,
    # deliveries, money trail (transactions, entries) and payments; the policy's rules (the cancel
    # door); the unread count; the requests, the claim and the support cases (read once for the
    # panel and the timeline); the thread's latest messages and whether a block stands between
    # the parties
    with django_assert_num_queries(SESSION + 14):
        response = client.get(reverse("order_detail", args=[order.pk]))
    assert response.status_code == 200


def test_the_credit_page(client, django_assert_num_queries):
    provider = UserFactory()
    for _ in range(3):
        order_completed(provider=provider)
    order_cancel(order=shift_order(provider=provider), actor=provider, reason="schedule_change")
    client.force_login(provider)
    client.get(reverse("credit"))

    # (session), user; the policy in force, the account, the counting cancellations, the completed
    # orders (the rate), the restrictions, the unanswered update requests; the events' count and
    # page, the page's appeals (no penalty here: no policy of one to read); the chart's scores;
    # the unread count
    with django_assert_num_queries(SESSION + 12):
        response = client.get(reverse("credit"))
    assert response.status_code == 200


@pytest.mark.parametrize("tab", ["action", "client", "provider"])
def test_the_dashboard(client, django_assert_num_queries, tab):
    me = UserFactory()
    for _ in range(3):
        order_in_progress(client=me)
        order_in_progress(provider=me)
    client.force_login(me)
    client.get(reverse("dashboard"))

    # (session), user, the three tabs' counts, the open tab's rows, the unread count
    with django_assert_num_queries(SESSION + 4):
        response = client.get(reverse("dashboard"), {"tab": tab})
    assert len(response.context["page"].object_list) == 3
