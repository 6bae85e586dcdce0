"""The simulated card gateway answers like a real processor: one outcome per idempotency key."""

from decimal import Decimal

from orders.gateways import SimulatedCardGateway


def test_the_same_key_gets_the_same_charge_and_another_key_another():
    gateway = SimulatedCardGateway()
    charge = {"customer_id": 1, "amount": Decimal("10.00"), "currency": "EUR"}

    first = gateway.charge(idempotency_key="order-placement-1", **charge)
    again = SimulatedCardGateway().charge(idempotency_key="order-placement-1", **charge)
    other = gateway.charge(idempotency_key="order-placement-2", **charge)

    assert first.ok and first == again
    assert other.reference != first.reference


def test_a_refund_is_answered_by_its_own_key_like_a_charge():
    gateway = SimulatedCardGateway()
    refund = {"charge_reference": "sim_ch_x", "amount": Decimal("10.00"), "currency": "EUR"}

    first = gateway.refund(idempotency_key="refund-1", **refund)

    assert first.ok and first == gateway.refund(idempotency_key="refund-1", **refund)
    assert first.reference.startswith("sim_re_")
    assert (
        first.reference
        != gateway.charge(customer_id=1, amount=Decimal(1), currency="EUR", idempotency_key="refund-1").reference
    )
