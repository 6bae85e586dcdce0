"""Two parties acting on one order at the same moment cannot corrupt it (PostgreSQL, threads)."""

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from core.exceptions import ApplicationError
from orders import handovers, services
from orders.models import HandoverState, Order, OrderState, Policy
from orders.policy_versions import PolicySaveKind, policy_create, policy_save
from tests.factories import ShiftListingFactory, UserFactory, order_delivered, service_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions in threads released together; return each result or exception."""
    barrier = threading.Barrier(len(actions))
    results: list[object] = [None] * len(actions)

    def run(i: int, action: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_accept_and_revision_at_once_leave_one_outcome():
    order = order_delivered(revisions=2)
    stale_a = Order.objects.get(pk=order.pk)
    stale_b = Order.objects.get(pk=order.pk)

    results = race(
        lambda: services.order_accept_delivery(order=stale_a, actor=order.client),
        lambda: services.order_request_revision(order=stale_b, actor=order.client, message="again"),
    )

    order.refresh_from_db()
    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1 and errors[0].code == "invalid_transition"
    assert order.state in (OrderState.COMPLETED, OrderState.IN_PROGRESS)
    assert order.history.count() == 4
    releases = order.ledger_transactions.filter(kind="release").count()
    assert releases == (1 if order.state == OrderState.COMPLETED else 0)


def test_client_accept_and_auto_complete_sweep_at_once_release_escrow_once():
    order = order_delivered(revisions=2)

    with time_machine.travel(order.auto_complete_at + timedelta(seconds=1), tick=True):
        race(
            lambda: services.order_accept_delivery(order=Order.objects.get(pk=order.pk), actor=order.client),
            lambda: services.order_auto_complete(order_id=order.pk),
        )

    order.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    assert order.ledger_transactions.filter(kind="release").count() == 1
    assert order.history.filter(to_state=OrderState.COMPLETED).count() == 1


def test_two_workers_booking_one_shift_leave_one_booking():
    listing = ShiftListingFactory()
    workers = [UserFactory(), UserFactory(), UserFactory()]

    results = race(*[lambda w=w: services.order_create(actor=w, listing_id=listing.pk) for w in workers])

    assert sum(isinstance(r, Order) for r in results) == 1, results
    assert all(r.code == "shift_full" for r in results if isinstance(r, ApplicationError)), results
    assert Order.objects.filter(listing=listing).count() == 1
    assert listing.orders.get().payments.count() == 1
    listing.refresh_from_db()
    assert listing.positions_taken == 1


def test_the_last_place_of_a_shift_with_three_has_one_winner():
    listing = ShiftListingFactory(positions=3)
    for _n in range(2):
        services.order_create(actor=UserFactory(), listing_id=listing.pk)
    workers = [UserFactory() for _ in range(4)]

    results = race(*[lambda w=w: services.order_create(actor=w, listing_id=listing.pk) for w in workers])

    assert sum(isinstance(r, Order) for r in results) == 1, results
    assert all(r.code == "shift_full" for r in results if isinstance(r, ApplicationError)), results
    listing.refresh_from_db()
    assert (Order.objects.filter(listing=listing).count(), listing.positions_taken) == (3, 3)


def test_one_worker_booking_two_overlapping_shifts_at_once_holds_one():
    starts = timezone.now() + timedelta(days=2)
    first = ShiftListingFactory(starts_at=starts, ends_at=starts + timedelta(hours=6))
    second = ShiftListingFactory(starts_at=starts + timedelta(hours=2), ends_at=starts + timedelta(hours=8))
    worker = UserFactory()

    results = race(
        lambda: services.order_create(actor=worker, listing_id=first.pk),
        lambda: services.order_create(actor=worker, listing_id=second.pk),
    )

    assert sum(isinstance(r, Order) for r in results) == 1
    assert [r.code for r in results if isinstance(r, ApplicationError)] == ["schedule_clash"]
    assert Order.objects.filter(provider=worker).count() == 1


def test_client_and_provider_cancelling_at_once_leave_one_cancellation_and_a_balanced_ledger():
    from orders.cancellation import order_cancel
    from orders.models import Cancellation, Refund
    from tests.factories import shift_order
    from tests.orders.test_ledger import assert_every_transaction_balances

    order = shift_order()

    results = race(
        lambda: order_cancel(order=Order.objects.get(pk=order.pk), actor=order.client, reason="schedule_change"),
        lambda: order_cancel(order=Order.objects.get(pk=order.pk), actor=order.provider, reason="schedule_change"),
    )

    errors = [r for r in results if isinstance(r, ApplicationError)]
    assert len(errors) == 1 and errors[0].code == "already_cancelled"
    assert Cancellation.objects.filter(order=order).count() == 1
    assert Refund.objects.filter(order=order).count() == 1
    assert order.history.filter(to_state=OrderState.CANCELLED).count() == 1
    assert_every_transaction_balances()


def test_two_sweeps_at_once_cancel_each_no_show_once():
    from core.jobs import sweep_run
    from orders.models import Cancellation
    from tests.factories import shift_order

    orders = [shift_order() for _ in range(30)]

    with time_machine.travel(orders[-1].starts_at + timedelta(hours=2), tick=True):
        results = race(lambda: sweep_run("orders.cancel_no_shows"), lambda: sweep_run("orders.cancel_no_shows"))

    assert sum(r.processed for r in results) == 30
    assert Cancellation.objects.count() == 30


def _edit(policy_id: int, actor, **values):
    """Save an edit of a stored version the way the back office does, from a fresh read."""
    policy = Policy.objects.get(pk=policy_id)
    for name, value in values.items():
        setattr(policy, name, value)
    return policy_save(policy=policy, actor=actor, values_changed=True)


def test_one_used_version_edited_twice_at_once_makes_two_numbered_versions():
    policy = service_order().policy
    staff = UserFactory(support=True)

    results = race(
        lambda: _edit(policy.pk, staff, name="Edit A"),
        lambda: _edit(policy.pk, staff, name="Edit B"),
    )

    assert [r.kind for r in results] == [PolicySaveKind.NEW_VERSION] * 2
    assert sorted(r.policy.version for r in results) == [policy.version + 1, policy.version + 2]
    assert Policy.objects.get(pk=policy.pk).name == policy.name


def test_two_used_versions_edited_at_once_take_the_next_two_numbers():
    first = service_order().policy
    staff = UserFactory(support=True)
    second = policy_create(policy=Policy(version=first.version + 1), actor=staff)
    assert service_order().policy == second

    results = race(
        lambda: _edit(first.pk, staff, platform_fee_percent=11),
        lambda: _edit(second.pk, staff, platform_fee_percent=12),
    )

    assert all(not isinstance(r, Exception) for r in results), results
    assert sorted(r.policy.version for r in results) == [second.version + 1, second.version + 2]
    assert Policy.objects.count() == 4


def test_two_workers_taking_over_one_handover_at_once_leave_one_taker():
    order = services.order_create(actor=UserFactory(), listing_id=ShiftListingFactory().pk)
    handover = handovers.handover_offer(order=order, actor=order.provider)
    takers = [UserFactory(), UserFactory(), UserFactory()]

    results = race(*[lambda t=t: handovers.handover_accept(handover=handover, actor=t) for t in takers])

    handover.refresh_from_db()
    order.refresh_from_db()
    assert sum(not isinstance(r, Exception) for r in results) == 1, results
    assert all(r.code == "handover_not_open" for r in results if isinstance(r, ApplicationError)), results
    assert handover.state == HandoverState.ACCEPTED and order.provider_id == handover.taken_by_id


@pytest.mark.parametrize("with_return", [True, False], ids=["and-its-return", "alone"])
def test_fees_taken_from_a_deposit_at_once_never_take_more_than_it_holds(with_return):
    from decimal import Decimal

    from core.jobs import sweep_run
    from credit.services import credit_adjust
    from orders import deposits
    from orders.cancellation import order_cancel
    from orders.models import Cancellation, LedgerEntry
    from orders.reconciliation import reconcile
    from tests.factories import shift_order, support_user

    services.policy_current()  # the tables are emptied between these tests: the default version again
    Policy.objects.update(deposit_below_score=80, deposit_above_price=Decimal("100.00"), deposit_amount=Decimal("30"))
    worker = UserFactory()
    agent = support_user()
    credit_adjust(user=worker, delta=-30, actor=agent, reason="Late three times")
    deposits.deposit_pay(user=worker, currency="EUR", source="card")  # 30.00
    first, second = (
        shift_order(provider=worker, price=Decimal("200.00"), starts_in=timedelta(hours=hours)) for hours in (5, 12)
    )  # a late cancellation of each costs 20.00
    credit_adjust(user=worker, delta=30, actor=agent, reason="Reviewed")  # recovered: the sweep returns it

    results = race(
        lambda: order_cancel(order=Order.objects.get(pk=first.pk), actor=worker, reason="schedule_change"),
        lambda: order_cancel(order=Order.objects.get(pk=second.pk), actor=worker, reason="schedule_change"),
        *([lambda: sweep_run("orders.return_deposits")] if with_return else []),
    )
    print("results:", results)

    assert not [r for r in results if isinstance(r, Exception)]
    kept = sum(Cancellation.objects.filter(order__provider=worker).values_list("deposit_kept", flat=True))
    returned = sum(
        LedgerEntry.objects.filter(
            account__kind="deposit", account__user=worker, transaction__kind="deposit_return"
        ).values_list("amount", flat=True)
    )
    held = deposits.deposit_held(worker.pk, "EUR")
    assert held == 0 and kept + returned == Decimal("30.00")
    if not with_return:
        assert sorted(Cancellation.objects.filter(order__provider=worker).values_list("deposit_kept", flat=True)) == [
            Decimal("10.00"),
            Decimal("20.00"),
        ]
    assert reconcile().balanced
