"""core.batches: due rows in locked batches, and a transition applied to many rows."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_fsm import transition

from core.batches import claimed_batches, locked_batches, transitions_apply
from core.models import TransitionLog
from orders import services
from orders.models import Order, OrderState
from tests.factories import UserFactory, service_order

pytestmark = pytest.mark.django_db


def _in_progress(n: int = 1) -> list[Order]:
    orders = []
    for _ in range(n):
        order = service_order()
        orders.append(services.order_submit_requirements(order=order, actor=order.client, requirements="x"))
    return list(Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk"))


def _updates(ctx) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("UPDATE")]


# --- transitions_apply ---------------------------------------------------------------------------


def test_the_transition_is_written_for_every_row_with_one_update_and_a_log_each():
    # given two orders in progress
    orders = _in_progress(2)
    at = timezone.now()

    # when they are marked late together
    with CaptureQueriesContext(connection) as ctx:
        written = transitions_apply(orders, "mark_late", at=at, actor_role="system", reason="Late")

    # then one UPDATE wrote the state and the time, and each order has its log row
    assert written == ["state", "updated_at"]
    assert len(_updates(ctx)) == 1
    for order in Order.objects.filter(pk__in=[o.pk for o in orders]):
        assert (order.state, order.updated_at) == (OrderState.LATE, at)
        log = order.history.get(transition="mark_late")
        assert (log.from_state, log.to_state, log.actor_role, log.reason, log.at) == (
            OrderState.IN_PROGRESS,
            OrderState.LATE,
            "system",
            "Late",
            at,
        )


def test_a_field_a_transition_sets_later_is_written_too(monkeypatch):
    # given: mark_late, changed after this sweep was written to also set a field of the order
    def mark_late(self) -> None:
        self.location = "noted late"

    state = Order._meta.get_field("state")
    monkeypatch.setattr(
        Order, "mark_late", transition(field=state, source=OrderState.IN_PROGRESS, target=OrderState.LATE)(mark_late)
    )
    orders = _in_progress(2)

    # when the rows are moved in bulk
    written = transitions_apply(orders, "mark_late", at=timezone.now(), actor_role="system")

    # then the new field is in the database, without the caller naming it
    assert "location" in written
    assert set(Order.objects.filter(pk__in=[o.pk for o in orders]).values_list("state", "location")) == {
        (OrderState.LATE, "noted late")
    }


def test_rows_with_values_of_their_own_are_each_written_theirs():
    # given two late orders, each extended to its own due date
    orders = _in_progress(2)
    for order in orders:
        Order.objects.filter(pk=order.pk).update(state=OrderState.LATE)
    orders = list(Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk"))
    due = {order.pk: timezone.now() + timedelta(days=i + 3) for i, order in enumerate(orders)}

    # when the extension is applied to both with a per-row argument and reason
    written = transitions_apply(
        orders,
        "extend_delivery",
        kwargs=lambda order: {"new_due_at": due[order.pk]},
        at=timezone.now(),
        actor_role="system",
        reason=lambda order: f"from {order.state}",  # seen before the transition
        log_as="extended",
    )

    # then each row got its own due date, and the log its reason
    assert written == ["state", "due_at", "updated_at"]
    for order in Order.objects.filter(pk__in=due):
        assert (order.state, order.due_at) == (OrderState.IN_PROGRESS, due[order.pk])
        log = order.history.get(transition="extended")
        assert (log.from_state, log.to_state, log.reason) == (OrderState.LATE, OrderState.IN_PROGRESS, "from late")


def test_log_rows_can_be_left_to_the_caller_to_write_with_its_own():
    orders = _in_progress(1)
    logs: list[dict] = []
    actor = UserFactory()

    transitions_apply(orders, "mark_late", at=timezone.now(), actor=actor, actor_role="support", logs=logs)

    assert [(row["transition"], row["actor_id"], row["actor_role"]) for row in logs] == [
        ("mark_late", actor.pk, "support")
    ]
    assert not TransitionLog.objects.filter(transition="mark_late").exists()
    assert Order.objects.get(pk=orders[0].pk).state == OrderState.LATE


def test_nothing_to_apply_writes_nothing():
    with CaptureQueriesContext(connection) as ctx:
        assert transitions_apply([], "mark_late", at=timezone.now(), actor_role="system") == []
    assert ctx.captured_queries == []


# --- locked_batches --------------------------------------------------------------------------------


def _due(now):
    return Order.objects.filter(state=OrderState.IN_PROGRESS, due_at__lte=now + timedelta(days=30))


def test_batches_come_until_no_due_row_is_left():
    orders = _in_progress(5)
    seen = []

    for batch in locked_batches(_due, size=2):
        seen.append([o.pk for o in batch])
        Order.objects.filter(pk__in=[o.pk for o in batch]).update(state=OrderState.LATE)

    assert seen == [[orders[0].pk, orders[1].pk], [orders[2].pk, orders[3].pk], [orders[4].pk]]


def test_the_loop_stops_when_a_batch_handled_nothing():
    # given due rows the caller cannot act on (they stay due)
    _in_progress(3)
    batches = 0

    # when each batch reports nothing handled
    for batch in locked_batches(_due, size=2):
        batches += 1
        batch.handled = 0

    # then the loop ends instead of taking the same rows again
    assert batches == 1


def test_an_error_in_the_body_rolls_its_batch_back_and_keeps_the_ones_before():
    orders = _in_progress(3)

    with pytest.raises(RuntimeError):
        for batch in locked_batches(_due, size=2):
            Order.objects.filter(pk__in=[o.pk for o in batch]).update(state=OrderState.LATE)
            if orders[2] in batch:
                raise RuntimeError("stop")

    assert list(Order.objects.filter(pk__in=[o.pk for o in orders]).order_by("pk").values_list("state", flat=True)) == [
        OrderState.LATE,
        OrderState.LATE,
        OrderState.IN_PROGRESS,
    ]
    assert not transaction.get_connection().needs_rollback


# --- claimed_batches -------------------------------------------------------------------------------


def _unclaimed(now):
    return Order.objects.filter(state=OrderState.IN_PROGRESS, location="")


def _claim(batch) -> None:
    Order.objects.filter(pk__in=[o.pk for o in batch]).update(location=f"claimed at {batch.now:%H:%M:%S.%f}")


@pytest.mark.django_db(transaction=True)
def test_a_claimed_batch_is_handed_over_after_its_claim_committed():
    # given three due rows
    orders = _in_progress(3)
    seen = []

    # when they are claimed two at a time
    for batch in claimed_batches(_unclaimed, size=2, claim=_claim):
        # then the caller holds no transaction, and the claim is already there for everyone to see
        assert not transaction.get_connection().in_atomic_block
        assert all(
            location.startswith("claimed")
            for location in Order.objects.filter(pk__in=[o.pk for o in batch]).values_list("location", flat=True)
        )
        seen.append([o.pk for o in batch])

    # and the loop ends once the claims took every row out of the due ones
    assert seen == [[orders[0].pk, orders[1].pk], [orders[2].pk]]
