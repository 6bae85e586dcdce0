"""Service orders: awaiting_requirements → in_progress → delivered → completed, with revisions."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.models import TransitionLog
from orders import services
from orders.ledger import escrow_balance_for
from orders.models import AccountKind, LedgerEntry, OrderState
from tests.factories import UserFactory, order_completed, order_delivered, order_in_progress, service_order

pytestmark = pytest.mark.django_db


def _states(order):
    return [(log.from_state, log.to_state, log.actor_role) for log in order.history.order_by("at", "id")]


def test_order_create_charges_client_into_escrow():
    order = service_order()

    assert order.state == OrderState.AWAITING_REQUIREMENTS
    assert order.payments.get().amount == Decimal("120.00")
    escrow = LedgerEntry.objects.get(transaction__order=order, account__kind=AccountKind.ESCROW)
    assert escrow.amount == Decimal("-120.00")
    assert _states(order) == [("", "awaiting_requirements", "client")]


def test_order_create_snapshots_policy_and_terms():
    order = service_order(price=Decimal("99.50"), delivery_days=5, revisions=2)

    assert order.policy.version == 1
    assert (order.price, order.delivery_days, order.revisions_allowed) == (Decimal("99.50"), 5, 2)


def test_order_create_with_requirements_starts_work_at_once():
    provider = UserFactory()
    from tests.factories import ServiceListingFactory

    listing = ServiceListingFactory(owner=provider)
    order = services.order_create(actor=UserFactory(), listing_id=listing.pk, requirements="A fox")

    assert order.state == OrderState.IN_PROGRESS
    assert order.requirements == "A fox"
    assert order.due_at is not None


def test_order_create_refuses_own_listing_and_writes_nothing():
    provider = UserFactory()
    from tests.factories import ServiceListingFactory

    listing = ServiceListingFactory(owner=provider)

    with pytest.raises(ValidationFailed) as exc:
        services.order_create(actor=provider, listing_id=listing.pk)

    assert exc.value.errors.keys() == {"listing"}
    assert not listing.orders.exists()
    assert not LedgerEntry.objects.exists()


@pytest.mark.parametrize("listing_id", [999_999, "abc", None])
def test_order_create_refuses_unknown_listing(listing_id):
    with pytest.raises(ValidationFailed) as exc:
        services.order_create(actor=UserFactory(), listing_id=listing_id)

    assert "listing" in exc.value.errors


def test_order_create_refuses_withdrawn_listing():
    from tests.factories import ServiceListingFactory

    listing = ServiceListingFactory(is_active=False)

    with pytest.raises(ValidationFailed):
        services.order_create(actor=UserFactory(), listing_id=listing.pk)


def test_submit_requirements_sets_due_date_from_delivery_days():
    order = service_order(delivery_days=4)
    now = timezone.now()

    with time_machine.travel(now, tick=False):
        order = services.order_submit_requirements(order=order, actor=order.client, requirements="Blue")

    assert order.state == OrderState.IN_PROGRESS
    assert order.due_at == now + timedelta(days=4)
    assert _states(order)[-1] == ("awaiting_requirements", "in_progress", "client")


def test_submit_requirements_refused_for_provider():
    order = service_order()

    with pytest.raises(PermissionDenied):
        services.order_submit_requirements(order=order, actor=order.provider, requirements="x")

    order.refresh_from_db()
    assert order.state == OrderState.AWAITING_REQUIREMENTS


def test_submit_requirements_refused_for_stranger_as_not_found():
    order = service_order()

    with pytest.raises(NotFound):
        services.order_submit_requirements(order=order, actor=UserFactory(), requirements="x")


def test_submit_requirements_refuses_empty_text():
    order = service_order()

    with pytest.raises(ValidationFailed) as exc:
        services.order_submit_requirements(order=order, actor=order.client, requirements="   ")

    assert "requirements" in exc.value.errors
    order.refresh_from_db()
    assert order.state == OrderState.AWAITING_REQUIREMENTS


def test_submit_requirements_twice_is_a_conflict():
    order = service_order()
    services.order_submit_requirements(order=order, actor=order.client, requirements="x")

    with pytest.raises(Conflict) as exc:
        services.order_submit_requirements(order=order, actor=order.client, requirements="y")

    assert exc.value.code == "invalid_transition"
    order.refresh_from_db()
    assert order.requirements == "x"


def test_deliver_moves_to_delivered_and_sets_auto_complete():
    order = order_in_progress()
    now = timezone.now()

    with time_machine.travel(now, tick=False):
        order = services.order_deliver(order=order, actor=order.provider, message="Here it is")

    assert order.state == OrderState.DELIVERED
    assert order.auto_complete_at == now + timedelta(hours=72)
    assert order.deliveries.get().message == "Here it is"


def test_deliver_refused_for_client():
    order = order_in_progress()

    with pytest.raises(PermissionDenied):
        services.order_deliver(order=order, actor=order.client, message="x")

    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS
    assert not order.deliveries.exists()


def test_deliver_refused_before_requirements():
    order = service_order()

    with pytest.raises(Conflict):
        services.order_deliver(order=order, actor=order.provider, message="x")


def test_deliver_requires_a_message():
    order = order_in_progress()

    with pytest.raises(ValidationFailed) as exc:
        services.order_deliver(order=order, actor=order.provider, message="")

    assert "message" in exc.value.errors


def test_request_revision_returns_to_in_progress_and_counts():
    order = order_delivered(revisions=1)

    order = services.order_request_revision(order=order, actor=order.client, message="Bigger")

    assert order.state == OrderState.IN_PROGRESS
    assert order.revisions_used == 1
    assert order.auto_complete_at is None
    assert order.deliveries.get().revision_request == "Bigger"


def test_request_revision_refused_when_none_left():
    order = order_delivered(revisions=0)

    with pytest.raises(Conflict) as exc:
        services.order_request_revision(order=order, actor=order.client, message="More")

    assert exc.value.code == "no_revisions_left"
    order.refresh_from_db()
    assert order.state == OrderState.DELIVERED


def test_request_revision_refused_for_provider():
    order = order_delivered()

    with pytest.raises(PermissionDenied):
        services.order_request_revision(order=order, actor=order.provider, message="x")


def test_accept_delivery_completes_and_releases_escrow_minus_fee():
    order = order_delivered(price=Decimal("120.00"))

    order = services.order_accept_delivery(order=order, actor=order.client)

    assert order.state == OrderState.COMPLETED
    assert order.completed_at is not None
    provider_entry = LedgerEntry.objects.get(account__kind=AccountKind.PROVIDER, account__user=order.provider)
    platform_entry = LedgerEntry.objects.get(account__kind=AccountKind.PLATFORM, transaction__order=order)
    assert provider_entry.amount == Decimal("-108.00")
    assert platform_entry.amount == Decimal("-12.00")
    assert escrow_balance_for(order) == Decimal("0.00")


def test_accept_delivery_refused_before_delivery():
    order = order_in_progress()

    with pytest.raises(Conflict):
        services.order_accept_delivery(order=order, actor=order.client)

    order.refresh_from_db()
    assert order.state == OrderState.IN_PROGRESS


def test_accept_delivery_refused_for_provider():
    order = order_delivered()

    with pytest.raises(PermissionDenied):
        services.order_accept_delivery(order=order, actor=order.provider)


def test_accept_delivery_twice_is_a_conflict_and_pays_once():
    order = order_completed()

    with pytest.raises(Conflict):
        services.order_accept_delivery(order=order, actor=order.client)

    assert order.ledger_transactions.filter(kind="release").count() == 1


def test_every_transition_is_logged_with_actor_time_and_reason():
    order = order_completed()

    logs = list(TransitionLog.objects.filter(object_id=order.pk).order_by("at", "id"))

    assert [log.transition for log in logs] == ["create", "submit_requirements", "deliver", "accept_delivery"]
    assert [log.actor for log in logs] == [order.client, order.client, order.provider, order.client]
    assert all(log.reason and log.at for log in logs)


def test_state_field_is_protected_from_direct_assignment():
    order = service_order()

    with pytest.raises(AttributeError):
        order.state = OrderState.COMPLETED
