"""The API's order list: a prepared keyset read over (created_at, id), represented from rows."""

from __future__ import annotations

import base64

import pytest
import time_machine
from django.test import RequestFactory
from django.utils import timezone

from orders.api.serializers import OrderListItemOutputSerializer
from orders.api.views import _list_item
from orders.models import Order
from orders.selectors import order_page_for_api
from tests.factories import (
    UserFactory,
    order_cancelled,
    order_completed,
    service_order,
    shift_checked_in,
    shift_order,
)

pytestmark = pytest.mark.django_db


def _ids(page: dict) -> list[int]:
    return [item["id"] for item in page["results"]]


def test_each_row_says_what_the_serializer_says_of_the_order():
    # given: orders of every kind where the caller is client or provider
    me = UserFactory()
    orders = [
        service_order(client=me),
        order_completed(provider=me),
        order_cancelled(order=service_order(client=me)),
        shift_order(provider=me),
        shift_checked_in(client=me),
    ]
    request = RequestFactory().get("/")
    request.user = me

    # when
    rows = order_page_for_api(user=me, position=None, limit=10)

    # then
    newest_first = sorted(orders, key=lambda o: (o.created_at, o.pk), reverse=True)
    assert [row["id"] for row in rows] == [o.pk for o in newest_first]
    for row in rows:
        order = Order.objects.select_related("client", "provider", "policy").get(pk=row["id"])
        reference = OrderListItemOutputSerializer(order, context={"request": request}).data
        assert _list_item(row, user_id=me.pk) == reference


def test_orders_made_at_the_same_moment_are_each_listed_once_forwards_and_back(api_as):
    # given: seven orders, five of them at one instant (ties on created_at)
    me = UserFactory()
    made = [service_order(client=me)]
    with time_machine.travel(timezone.now(), tick=False):
        made += [service_order(client=me) for _ in range(5)]
    made.append(shift_order(provider=me))
    newest_first = [o.pk for o in sorted(made, key=lambda o: (o.created_at, o.pk), reverse=True)]
    client = api_as(me)

    # when: forwards, two at a time, then back from the last page
    pages = [client.get("/api/v1/orders/?page_size=2").json()]
    while pages[-1]["next"]:
        pages.append(client.get(pages[-1]["next"]).json())
    back = [pages[-1]]
    while back[-1]["previous"]:
        back.append(client.get(back[-1]["previous"]).json())

    # then
    assert [i for page in pages for i in _ids(page)] == newest_first
    assert [len(_ids(page)) for page in pages] == [2, 2, 2, 1]
    assert [_ids(page) for page in reversed(back)] == [_ids(page) for page in pages]
    assert pages[0]["previous"] is None and back[-1]["previous"] is None


@pytest.mark.parametrize("role", ["client", "provider"])
def test_a_role_and_a_state_keep_to_their_orders_on_every_page(api_as, role):
    # given
    me = UserFactory()
    mine = [service_order(**{role: me}) for _ in range(3)]
    other_role = "provider" if role == "client" else "client"
    service_order(**{other_role: me})
    order_cancelled(order=service_order(**{role: me}))
    client = api_as(me)

    # when
    first = client.get(f"/api/v1/orders/?page_size=2&role={role}&state=awaiting_requirements").json()
    second = client.get(first["next"]).json()

    # then
    assert _ids(first) + _ids(second) == [o.pk for o in reversed(mine)]
    assert second["next"] is None
    assert "role=" + role in first["next"] and "state=awaiting_requirements" in first["next"]
    assert {item["your_role"] for item in first["results"] + second["results"]} == {role}


@pytest.mark.parametrize(
    "text",
    ["a|2026-01-01T00:00:00|5", "a|2026-01-01T00:00:00+00:00|0", "x|2026-01-01T00:00:00+00:00|5", "a|soon|5"],
)
def test_a_cursor_that_decodes_but_makes_no_position_is_400(api_as, text):
    cursor = base64.urlsafe_b64encode(text.encode()).decode()
    response = api_as(UserFactory()).get("/api/v1/orders/", {"cursor": cursor})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]


def test_a_cursor_given_twice_is_400(api_as):
    response = api_as(UserFactory()).get("/api/v1/orders/?cursor=a&cursor=b")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["cursor"]
