"""Cancelling through the services: quotes bind, every effect is written, appeals reverse."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from credit.models import CreditEvent
from marketplace.models import Notification
from orders.cancellation import cancellation_quote, cancellation_reverse, order_cancel, order_cancel_by_support
from orders.models import AccountKind, LedgerEntry, OrderState, Refund
from tests.factories import UserFactory, order_in_progress, service_order, shift_order
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


def _entry(order, kind):
    return sum(e.amount for e in LedgerEntry.objects.filter(transaction__order=order, account__kind=kind))


def test_client_cancel_before_requirements_refunds_everything():
    order = service_order(price=Decimal("120.00"))

    order_cancel(order=order, actor=order.client, reason="schedule_change", message="No longer needed")

    order.refresh_from_db()
    c = order.cancellation
    assert order.state == OrderState.CANCELLED
    assert (c.refund_to_client, c.counts_against_completion_rate, c.policy.version) == (Decimal("120.00"), False, 1)
    assert order.refunds.get().status == "pending"
    assert _entry(order, AccountKind.REFUNDS) == Decimal("-120.00")
    assert order.history.last().to_state == "cancelled"
    assert Notification.objects.filter(order=order).count() == 2
    assert_every_transaction_balances()


def test_provider_cancels_shift_within_two_hours_pays_fee_and_loses_credit():
    order = shift_order(price=Decimal("80.00"))

    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=order.provider, reason="schedule_change")

    c = order.cancellation
    assert (c.fee_to_platform, c.credit_delta, c.counts_as_complaint) == (Decimal("8.00"), -10, True)
    assert _entry(order, AccountKind.PROVIDER) == Decimal("8.00")
    assert CreditEvent.objects.get(user=order.provider).delta == -10
    assert_every_transaction_balances()


def test_client_cancels_shift_2_to_24h_compensates_provider():
    order = shift_order(price=Decimal("80.00"))

    with time_machine.travel(order.starts_at - timedelta(hours=5), tick=False):
        order_cancel(order=order, actor=order.client, reason="client_changed_demand")

    assert (order.cancellation.refund_to_client, order.cancellation.compensation_to_provider) == (
        Decimal("72.00"),
        Decimal("8.00"),
    )
    assert _entry(order, AccountKind.PROVIDER) == Decimal("-8.00")


def test_valid_quote_binds_its_terms_even_if_the_tier_would_change():
    order = shift_order(price=Decimal("80.00"))
    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        quote = cancellation_quote(order=order, actor=order.provider).quote
    assert quote.fee_to_platform == 0
    assert quote.valid_until == order.starts_at - timedelta(hours=24)

    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=1), tick=False):
        order_cancel(order=order, actor=order.provider, reason="schedule_change", quote_id=quote.token)

    assert order.cancellation.quote == quote
    assert order.cancellation.fee_to_platform == 0


def test_expired_quote_is_a_conflict_and_changes_nothing():
    order = shift_order()
    with time_machine.travel(order.starts_at - timedelta(hours=24, minutes=5), tick=False):
        quote = cancellation_quote(order=order, actor=order.provider).quote

    with (
        time_machine.travel(order.starts_at - timedelta(hours=23), tick=False),
        pytest.raises(Conflict) as exc,
    ):
        order_cancel(order=order, actor=order.provider, reason="schedule_change", quote_id=quote.token)

    assert exc.value.code == "quote_expired"
    order.refresh_from_db()
    assert order.state == OrderState.BOOKED
    assert not Refund.objects.exists()


def test_someone_elses_quote_is_refused():
    order = shift_order()
    quote = cancellation_quote(order=order, actor=order.client).quote

    with pytest.raises(ValidationFailed):
        order_cancel(order=order, actor=order.provider, reason="other", quote_id=quote.token)


def test_in_progress_service_cancel_is_refused_with_reason():
    order = order_in_progress()

    with pytest.raises(Conflict) as exc:
        order_cancel(order=order, actor=order.client, reason="other")

    assert exc.value.code == "use_resolution_center"
    assert "Resolution Center" in exc.value.message


def test_quote_for_refused_cancel_says_why():
    order = service_order()
    view = cancellation_quote(order=order, actor=order.provider)

    assert not view.allowed
    assert view.decision.code == "use_resolution_center"
    assert view.quote is None


def test_stranger_cannot_quote_or_cancel():
    order = service_order()

    with pytest.raises(NotFound):
        cancellation_quote(order=order, actor=UserFactory())
    with pytest.raises(NotFound):
        order_cancel(order=order, actor=UserFactory(), reason="other")


def test_reason_outside_the_taxonomy_is_refused():
    order = service_order()

    with pytest.raises(ValidationFailed) as exc:
        order_cancel(order=order, actor=order.client, reason="no_show")

    assert "reason" in exc.value.errors


def test_cancelling_twice_is_a_conflict():
    order = service_order()
    order_cancel(order=order, actor=order.client, reason="other")

    with pytest.raises(Conflict) as exc:
        order_cancel(order=order, actor=order.client, reason="other")

    assert exc.value.code == "already_cancelled"


def test_support_ruling_needs_staff_and_records_fault():
    order = shift_order()
    staff = UserFactory(support=True)

    with pytest.raises(PermissionDenied):
        order_cancel_by_support(order=order, actor=order.client, fault="client", reason="other", message="x")
    order_cancel_by_support(order=order, actor=staff, fault="client", reason="client_changed_demand", message="Moved")

    c = order.cancellation
    assert (c.fault, c.actor_role, c.credit_party, c.credit_delta) == ("client", "support", "client", -10)
    assert CreditEvent.objects.get(user=order.client).delta == -10


def test_appeal_refunds_the_fee_and_reverses_credit_keeping_both_in_history():
    order = shift_order(price=Decimal("80.00"))
    with time_machine.travel(order.starts_at - timedelta(hours=1), tick=False):
        order_cancel(order=order, actor=order.provider, reason="force_majeure")

    cancellation_reverse(cancellation=order.cancellation, actor=UserFactory(support=True), reason="Hospital note")

    order.cancellation.refresh_from_db()
    assert order.cancellation.reversed_at is not None
    assert _entry(order, AccountKind.PROVIDER) == 0
    assert sorted(CreditEvent.objects.filter(user=order.provider).values_list("delta", flat=True)) == [-10, 10]
    assert_every_transaction_balances()
