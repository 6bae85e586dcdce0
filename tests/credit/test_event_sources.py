"""Every source of credit events writes the policy's outcome as one event, linked to its order, with its actor."""

from datetime import timedelta

import pytest
import time_machine

from credit.models import CreditEvent
from credit.services import credit_score, credit_score_replay
from orders import services
from orders.cancellation import cancellation_reverse, order_cancel, order_cancel_by_support
from orders.models import Cancellation
from tests.factories import UserFactory, order_delivered, service_order, shift_order

pytestmark = pytest.mark.django_db


def _events(order) -> list[tuple]:
    return list(
        CreditEvent.objects.filter(order=order).order_by("id").values_list("user_id", "delta", "reason", "actor_id")
    )


def _matches_its_cancellation(order) -> None:
    """The events of a cancelled order are exactly what its cancellation record says, no more."""
    c = Cancellation.objects.select_related("order").get(order=order)
    expected = []
    if c.credit_delta and c.credit_party:
        user_id = order.client_id if c.credit_party == "client" else order.provider_id
        expected = [(user_id, c.credit_delta)]
    assert [(user_id, delta) for user_id, delta, _reason, _actor in _events(order)] == expected


@pytest.mark.parametrize(("hours", "delta"), [(30, None), (5, None), (1, -10)])
def test_a_provider_cancelling_a_shift_gets_the_tiers_credit_change(hours, delta):
    # given
    order = shift_order()

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=hours), tick=False):
        order_cancel(order=order, actor=order.provider, reason="schedule_change")

    # then
    _matches_its_cancellation(order)
    expected = [] if delta is None else [(order.provider_id, delta, "cancellation", order.provider_id)]
    assert _events(order) == expected


@pytest.mark.parametrize("hours", [30, 5, 1])
def test_a_client_cancelling_a_shift_moves_nobodys_credit(hours):
    # given
    order = shift_order()

    # when
    with time_machine.travel(order.starts_at - timedelta(hours=hours), tick=False):
        order_cancel(order=order, actor=order.client, reason="schedule_change")

    # then
    _matches_its_cancellation(order)
    assert _events(order) == []


@pytest.mark.parametrize(
    ("fault", "party", "delta"),
    [("client", "client", -10), ("provider", "provider", None), ("force_majeure", None, None), ("none", None, None)],
)
def test_a_support_ruling_writes_its_faults_credit_change_as_a_ruling_event(fault, party, delta):
    # given
    order = service_order()
    staff = UserFactory(support=True)

    # when
    order_cancel_by_support(order=order, actor=staff, fault=fault, reason="client_changed_demand", message="m")

    # then: whatever the policy says for the fault, recorded as a ruling by the agent
    _matches_its_cancellation(order)
    for _user_id, _delta, reason, actor_id in _events(order):
        assert (reason, actor_id) == ("ruling", staff.pk)
    if fault == "client":
        assert _events(order) == [(order.client_id, delta, "ruling", staff.pk)]
    if fault in ("force_majeure", "none"):
        assert _events(order) == []  # credit protected


def test_an_appeal_upheld_reverses_the_cancellations_event_with_a_new_one_pointing_back():
    # given
    order = shift_order()
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=order.provider, reason="schedule_change")
    staff = UserFactory(support=True)
    taken = CreditEvent.objects.get(order=order)

    # when
    cancellation_reverse(cancellation=Cancellation.objects.get(order=order), actor=staff, reason="Proof of illness")

    # then
    reversal = CreditEvent.objects.get(reverses=taken)
    assert (reversal.delta, reversal.reason, reversal.actor, reversal.order_id) == (10, "reversal", staff, order.pk)
    taken.refresh_from_db()
    assert (taken.delta, taken.applied) == (-10, -10)  # the original is kept as it was
    assert credit_score(order.provider) == credit_score_replay(order.provider) == 100


def test_a_completed_order_adds_credit_to_both_parties_once():
    # given
    order = service_order()
    credit_before = credit_score(order.provider)
    order = services.order_submit_requirements(order=order, actor=order.client, requirements="x")
    order = services.order_deliver(order=order, actor=order.provider, message="done")

    # when
    services.order_accept_delivery(order=order, actor=order.client)

    # then: +1 asked for each, held at 100
    events = _events(order)
    assert sorted((u, d, r) for u, d, r, _a in events) == sorted(
        [(order.provider_id, 1, "order_completed"), (order.client_id, 1, "order_completed")]
    )
    assert credit_score(order.provider) == min(100, credit_before + 1)


def test_an_order_that_completes_by_itself_adds_credit_too():
    # given: a delivered order the client ignores
    order = order_delivered()

    # when
    with time_machine.travel(order.auto_complete_at + timedelta(minutes=1), tick=False):
        services.order_auto_complete(order_id=order.pk)

    # then
    assert {(u, r) for u, _d, r, _a in _events(order)} == {
        (order.provider_id, "order_completed"),
        (order.client_id, "order_completed"),
    }
