"""Restrictions are enforced where orders and listings are made, and each refusal says why."""

from datetime import timedelta

import pytest
import time_machine

from core.exceptions import PermissionDenied
from credit.models import Restriction
from credit.services import credit_event_record, restriction_impose, restriction_lift
from marketplace.services import listing_create
from orders import services
from orders.cancellation import order_cancel, order_cancel_by_support
from orders.models import Order
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory, service_order, shift_order

pytestmark = pytest.mark.django_db


def test_provider_below_60_gets_no_new_service_orders():
    listing = ServiceListingFactory()
    credit_event_record(user=listing.owner, delta=-41, reason="manual")

    with pytest.raises(PermissionDenied) as exc:
        services.order_create(actor=UserFactory(), listing_id=listing.pk)

    assert exc.value.code == "provider_credit_too_low"
    assert not Order.objects.exists()


def test_provider_below_60_cannot_book_a_shift_and_is_told_how_to_recover():
    worker = UserFactory()
    credit_event_record(user=worker, delta=-41, reason="manual")

    with pytest.raises(PermissionDenied) as exc:
        services.order_create(actor=worker, listing_id=ShiftListingFactory().pk)

    assert "59" in exc.value.message and "60" in exc.value.message
    assert "Completing" in exc.value.message


def test_provider_at_60_may_take_orders():
    listing = ServiceListingFactory()
    credit_event_record(user=listing.owner, delta=-40, reason="manual")

    assert services.order_create(actor=UserFactory(), listing_id=listing.pk).pk


def test_listing_minimum_score_is_enforced_for_whoever_takes_it():
    listing = ShiftListingFactory(min_credit_score=95)
    worker = UserFactory()
    credit_event_record(user=worker, delta=-10, reason="manual")

    with pytest.raises(PermissionDenied) as exc:
        services.order_create(actor=worker, listing_id=listing.pk)

    assert exc.value.code == "credit_score_too_low"
    assert "95" in exc.value.message and "90" in exc.value.message


def test_restricted_client_cannot_post_and_lifting_restores_it():
    client, staff = UserFactory(), UserFactory(support=True)
    restriction = restriction_impose(
        user_id=client.pk, kind="posting", reason="Repeated fake jobs.", restores="Talk to support.", actor=staff
    )

    with pytest.raises(PermissionDenied) as exc:
        listing_create(owner=client, kind="service", title="x", price="10", delivery_days=1)
    assert exc.value.code == "posting_restricted"
    assert "Repeated fake jobs." in exc.value.message

    restriction_lift(restriction=restriction, actor=staff, reason="Reviewed")
    assert listing_create(owner=client, kind="service", title="x", price="10", delivery_days=1).pk


def test_three_late_cancellations_suspend_order_taking():
    worker = UserFactory()
    for _ in range(3):
        order = shift_order(provider=worker)
        with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
            order_cancel(order=order, actor=worker, reason="schedule_change")

    restriction = Restriction.objects.get(user=worker, lifted_at__isnull=True)
    assert (restriction.kind, restriction.automatic) == ("taking_orders", True)
    with pytest.raises(PermissionDenied) as exc:
        services.order_create(actor=worker, listing_id=ShiftListingFactory().pk)
    assert exc.value.code == "taking_orders_restricted"


def test_two_client_responsible_rulings_remove_the_right_to_post():
    client, staff = UserFactory(), UserFactory(support=True)
    for _ in range(2):
        order = service_order(client=client)
        order_cancel_by_support(order=order, actor=staff, fault="client", reason="client_changed_demand", message="m")

    with pytest.raises(PermissionDenied):
        listing_create(owner=client, kind="service", title="x", price="10", delivery_days=1)


def test_only_staff_restrict_by_hand():
    with pytest.raises(PermissionDenied):
        restriction_impose(user_id=UserFactory().pk, kind="posting", reason="x", restores="y", actor=UserFactory())
