"""Placing an order charges the client outside any transaction, and a cut-off request is finished once."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from core.exceptions import ApplicationError, PaymentFailed
from core.jobs import sweep_run
from marketplace import services as marketplace_services
from orders import services
from orders.models import LedgerTransaction, Order, OrderPlacement, OrderState, Payment, PlacementStatus
from tests.factories import ServiceListingFactory, ShiftListingFactory, UserFactory
from tests.gateways import RecordingGateway, use_gateway
from tests.orders.test_ledger import assert_every_transaction_balances

pytestmark = pytest.mark.django_db


@pytest.fixture
def gateway(settings):
    use_gateway(settings, "tests.gateways.RecordingGateway")
    yield RecordingGateway
    use_gateway(settings, "orders.gateways.SimulatedCardGateway")


def _interrupt_once(monkeypatch, name: str) -> None:
    """Make ``orders.services.<name>`` fail once, as a worker killed at that point would."""
    real = getattr(services, name)
    calls = []

    def once(**kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("worker stopped")
        return real(**kwargs)

    monkeypatch.setattr(services, name, once)


def test_an_order_is_charged_with_the_key_of_its_placement(gateway):
    listing = ServiceListingFactory()
    client = UserFactory()

    order = services.order_create(actor=client, listing_id=listing.pk, requirements="A fox")

    placement = OrderPlacement.objects.get()
    assert (placement.status, placement.order, placement.charge_reference) == (
        PlacementStatus.PLACED,
        order,
        order.payments.get().reference,
    )
    assert gateway.calls == [("charge", f"order-placement-{placement.pk}", True)]  # the test's own transaction
    assert (order.state, order.requirements, order.created_at) == (
        OrderState.IN_PROGRESS,
        "A fox",
        placement.created_at,
    )
    assert list(order.history.values_list("transition", flat=True)) == ["create", "submit_requirements"]


@pytest.mark.django_db(transaction=True)
def test_the_card_is_charged_outside_any_transaction(gateway):
    listing = ServiceListingFactory()

    services.order_create(actor=UserFactory(), listing_id=listing.pk)

    assert [(operation, inside) for operation, _key, inside in gateway.calls] == [("charge", False)]


def test_a_declined_card_leaves_no_order_and_the_shift_free(settings):
    # given a shift, and a client whose card is declined
    listing = ShiftListingFactory()
    use_gateway(settings, "tests.gateways.DecliningGateway")

    # when a worker books it
    with pytest.raises(PaymentFailed) as refused:
        services.order_create(actor=UserFactory(), listing_id=listing.pk)

    # then the same refusal as before, and nothing to show for it but the declined placement
    assert (refused.value.code, refused.value.status) == ("payment_declined", 400)
    assert refused.value.message == "The client's payment was declined: card declined"
    assert not Order.objects.exists() and not Payment.objects.exists() and not LedgerTransaction.objects.exists()
    assert OrderPlacement.objects.get().status == PlacementStatus.DECLINED
    use_gateway(settings, "orders.gateways.SimulatedCardGateway")
    assert services.order_create(actor=UserFactory(), listing_id=listing.pk).state == OrderState.BOOKED


def test_a_request_stopped_between_the_charge_and_its_record_is_finished_once(gateway, monkeypatch):
    # given a request whose worker stops right after the gateway charged the card
    listing = ServiceListingFactory()
    client = UserFactory()
    _interrupt_once(monkeypatch, "_placement_record_charge")
    with pytest.raises(RuntimeError):
        services.order_create(actor=client, listing_id=listing.pk, requirements="A fox")
    placement = OrderPlacement.objects.get()
    assert placement.status == PlacementStatus.CHARGING and not Order.objects.exists()

    # when the sweep runs: before the request's time is up it leaves it alone, then finishes it
    assert sweep_run("orders.resume_order_placements").processed == 0
    with time_machine.travel(placement.claimed_until + timedelta(seconds=1), tick=False):
        assert sweep_run("orders.resume_order_placements").processed == 1
        assert sweep_run("orders.resume_order_placements").processed == 0

    # then the card was charged once (the same key twice), and the order is as the request would have made it
    key = f"order-placement-{placement.pk}"
    assert [call[:2] for call in gateway.calls] == [("charge", key), ("charge", key)]
    assert list(gateway.moved) == [("charge", key)]
    order = Order.objects.get()
    assert (order.client, order.state, order.requirements, order.created_at) == (
        client,
        OrderState.IN_PROGRESS,
        "A fox",
        placement.created_at,
    )
    assert order.payments.count() == 1
    assert list(order.ledger_transactions.values_list("kind", flat=True)) == ["charge"]
    assert list(order.history.values_list("transition", flat=True)) == ["create", "submit_requirements"]
    assert_every_transaction_balances()


def test_a_request_stopped_before_the_charge_is_charged_by_the_sweep(gateway, monkeypatch):
    listing = ShiftListingFactory()
    _interrupt_once(monkeypatch, "order_placement_finish")
    with pytest.raises(RuntimeError):
        services.order_create(actor=UserFactory(), listing_id=listing.pk)
    placement = OrderPlacement.objects.get()

    with time_machine.travel(placement.claimed_until, tick=False):
        assert sweep_run("orders.resume_order_placements").processed == 1

    assert [call[0] for call in gateway.calls] == ["charge"]
    assert Order.objects.get().payments.count() == 1


def test_a_shift_being_paid_for_cannot_be_booked_by_someone_else(gateway):
    # given a worker booking a shift
    listing = ShiftListingFactory()
    first, second = UserFactory(), UserFactory()
    refusals = []

    def book_meanwhile():
        gateway.on_charge = None
        with pytest.raises(ApplicationError) as refused:
            services.order_create(actor=second, listing_id=listing.pk)
        refusals.append(refused.value.code)

    # when another worker books it while the first one's charge is under way
    gateway.on_charge = book_meanwhile
    order = services.order_create(actor=first, listing_id=listing.pk)

    # then they are told it is booked, and the first booking goes through
    assert refusals == ["shift_full"]
    assert (order.provider, Order.objects.count(), len(gateway.calls)) == (first, 1, 1)


def test_a_block_made_while_the_card_is_charged_wins_and_the_charge_goes_back(gateway):
    # given a client ordering from a provider, who blocks them while the card is being charged
    listing = ServiceListingFactory()
    client = UserFactory()
    gateway.on_charge = lambda: marketplace_services.block_create(blocker=listing.owner, blocked=client, reason="spam")

    # when the order is placed
    with pytest.raises(ApplicationError) as refused:
        services.order_create(actor=client, listing_id=listing.pk)

    # then the block stands as if it came first, no order was made, and the charge was refunded
    assert refused.value.code == "blocked"
    placement = OrderPlacement.objects.get()
    assert placement.status == PlacementStatus.REFUNDED and placement.refund_reference
    key = f"order-placement-{placement.pk}"
    assert [call[:2] for call in gateway.calls] == [("charge", key), ("refund", f"{key}-refund")]
    assert not Order.objects.exists() and not LedgerTransaction.objects.exists()


def test_a_refund_of_a_refused_charge_stopped_on_the_way_is_finished_by_the_sweep(gateway, monkeypatch):
    listing = ServiceListingFactory()
    client = UserFactory()
    gateway.on_charge = lambda: marketplace_services.block_create(blocker=listing.owner, blocked=client, reason="spam")
    _interrupt_once(monkeypatch, "_placement_record_refund")
    with pytest.raises(RuntimeError):
        services.order_create(actor=client, listing_id=listing.pk)
    placement = OrderPlacement.objects.get()
    assert placement.status == PlacementStatus.REFUNDING

    with time_machine.travel(timezone.now() + timedelta(hours=1), tick=False):
        assert sweep_run("orders.resume_order_placements").processed == 1

    placement.refresh_from_db()
    assert placement.status == PlacementStatus.REFUNDED
    assert list(gateway.moved) == [
        ("charge", placement.idempotency_key),
        ("refund", f"{placement.idempotency_key}-refund"),
    ]
