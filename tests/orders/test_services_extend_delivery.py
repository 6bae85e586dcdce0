"""orders.services.order_extend_delivery: the one way an order's due date moves by agreement."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.exceptions import Conflict
from core.models import ActorRole
from orders import services
from orders.models import Order, OrderState
from tests.factories import service_order

pytestmark = pytest.mark.django_db


def _in_progress() -> Order:
    order = service_order()
    return services.order_submit_requirements(order=order, actor=order.client, requirements="x")


def test_many_orders_each_get_their_own_due_date_and_log():
    # given two orders in progress, one of them late
    on_time, late = _in_progress(), _in_progress()
    Order.objects.filter(pk=late.pk).update(state=OrderState.LATE)
    orders = list(Order.objects.filter(pk__in=(on_time.pk, late.pk)).order_by("pk"))
    now = timezone.now()
    extensions = [(order, now + timedelta(days=5 + i)) for i, order in enumerate(orders)]
    logs: list[dict] = []

    # when a sweep extends both at once
    services.order_extend_delivery(
        extensions=extensions,
        actor=None,
        actor_role=ActorRole.SYSTEM,
        reason=lambda order, new_due_at: f"until {new_due_at:%d %b}",
        at=now,
        logs=logs,
    )

    # then each order is due at its date, on time again, and its log row is handed back to write
    for order, new_due_at in extensions:
        order.refresh_from_db()
        assert (order.state, order.due_at, order.updated_at) == (OrderState.IN_PROGRESS, new_due_at, now)
    assert [(row["object_id"], row["from_state"], row["to_state"], row["reason"]) for row in logs] == [
        (order.pk, state, OrderState.IN_PROGRESS, f"until {new_due_at:%d %b}")
        for (order, new_due_at), state in zip(extensions, (OrderState.IN_PROGRESS, OrderState.LATE), strict=True)
    ]


def test_an_order_that_moved_on_is_refused_and_nothing_changes():
    order = _in_progress()
    order = services.order_deliver(order=order, actor=order.provider, message="Done")
    due = order.due_at

    with pytest.raises(Conflict) as refused:
        services.order_extend_delivery(
            extensions=[(order, due + timedelta(days=3))],
            actor=order.client,
            actor_role=ActorRole.CLIENT,
            reason="Agreed",
            at=timezone.now(),
        )

    assert (refused.value.code, refused.value.extra) == ("invalid_transition", {"state": OrderState.DELIVERED})
    order.refresh_from_db()
    assert (order.state, order.due_at) == (OrderState.DELIVERED, due)
    assert not order.history.filter(transition="extend_delivery").exists()
