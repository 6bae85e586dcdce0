"""Shift orders: booked → checked_in → completed, booked once, check-in in its window."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from marketplace.models import Listing
from orders import services
from orders.models import AccountKind, LedgerEntry, Order, OrderState, Payment
from tests.factories import ShiftListingFactory, UserFactory, shift_checked_in, shift_order

pytestmark = pytest.mark.django_db


def test_booking_makes_caller_provider_and_charges_poster():
    poster, worker = UserFactory(), UserFactory()
    listing = ShiftListingFactory(owner=poster, price=Decimal("80.00"))

    order = services.order_create(actor=worker, listing_id=listing.pk)

    assert (order.client, order.provider, order.state) == (poster, worker, OrderState.BOOKED)
    assert (order.starts_at, order.ends_at, order.location) == (listing.starts_at, listing.ends_at, listing.location)
    assert order.payments.get().amount == Decimal("80.00")


def test_second_booking_of_a_shift_is_refused_and_writes_nothing():
    order = shift_order()
    counts = (Order.objects.count(), Payment.objects.count(), LedgerEntry.objects.count())

    with pytest.raises(Conflict) as exc:
        services.order_create(actor=UserFactory(), listing_id=order.listing_id)

    assert exc.value.code == "shift_full"
    assert (Order.objects.count(), Payment.objects.count(), LedgerEntry.objects.count()) == counts


def test_booking_a_started_shift_is_refused():
    listing = ShiftListingFactory()
    Listing.objects.filter(pk=listing.pk).update(starts_at=timezone.now() - timedelta(minutes=5))

    with pytest.raises(Conflict) as exc:
        services.order_create(actor=UserFactory(), listing_id=listing.pk)

    assert exc.value.code == "shift_started"


def test_booking_own_shift_is_refused():
    listing = ShiftListingFactory()

    with pytest.raises(ValidationFailed):
        services.order_create(actor=listing.owner, listing_id=listing.pk)


def test_check_in_within_window_moves_to_checked_in():
    order = shift_order()

    with time_machine.travel(order.starts_at - timedelta(minutes=30), tick=False):
        order = services.order_check_in(order=order, actor=order.provider)

    assert order.state == OrderState.CHECKED_IN
    assert order.auto_complete_at == order.ends_at + timedelta(hours=24)


def test_check_in_too_early_is_refused_with_opening_time():
    order = shift_order()

    with time_machine.travel(order.starts_at - timedelta(hours=3), tick=False), pytest.raises(Conflict) as exc:
        services.order_check_in(order=order, actor=order.provider)

    assert exc.value.code == "check_in_not_open"
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED


def test_check_in_after_shift_end_is_refused():
    order = shift_order()

    with time_machine.travel(order.ends_at + timedelta(minutes=1), tick=False), pytest.raises(Conflict) as exc:
        services.order_check_in(order=order, actor=order.provider)

    assert exc.value.code == "check_in_closed"


def test_check_in_refused_for_client():
    order = shift_order()

    with time_machine.travel(order.starts_at, tick=False), pytest.raises(PermissionDenied):
        services.order_check_in(order=order, actor=order.client)


def test_check_in_refused_for_stranger():
    order = shift_order()

    with pytest.raises(NotFound):
        services.order_check_in(order=order, actor=UserFactory())


def test_client_confirms_checked_in_shift_and_escrow_is_released():
    order = shift_checked_in(price=Decimal("80.00"))

    with time_machine.travel(order.ends_at, tick=False):
        order = services.order_complete(order=order, actor=order.client)

    assert order.state == OrderState.COMPLETED
    payout = LedgerEntry.objects.get(account__kind=AccountKind.PROVIDER, account__user=order.provider)
    assert payout.amount == Decimal("-72.00")


def test_confirm_before_check_in_is_refused():
    order = shift_order()

    with pytest.raises(Conflict) as exc:
        services.order_complete(order=order, actor=order.client)

    assert "check in" in exc.value.message
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED


def test_confirm_refused_for_provider():
    order = shift_checked_in()

    with pytest.raises(PermissionDenied):
        services.order_complete(order=order, actor=order.provider)


def test_service_transitions_are_refused_on_a_shift():
    order = shift_order()

    with pytest.raises(Conflict):
        services.order_deliver(order=order, actor=order.provider, message="x")
    with pytest.raises(Conflict):
        services.order_submit_requirements(order=order, actor=order.client, requirements="x")
