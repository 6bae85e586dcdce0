"""The payment-gateway interface, and the simulated card gateway Gigfair ships with.

A real deployment points ``settings.PAYMENT_GATEWAY`` at a class with the same two methods
that talks to a payment provider. The built-in one moves no real money.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class GatewayResult:
    ok: bool
    reference: str
    method: str = ""
    failure_reason: str = ""


class PaymentGateway(Protocol):
    name: str

    def charge(self, *, customer_id: int, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        """Take ``amount`` from the customer's payment method on file."""
        ...

    def refund(self, *, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        """Send ``amount`` back to the payment method of ``charge_reference``."""
        ...


class SimulatedCardGateway:
    """A stand-in for a card processor: every charge and refund succeeds, no money moves."""

    name = "simulated-card"
    method = "Simulated card •••• 4242"

    def charge(self, *, customer_id: int, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(ok=True, reference=f"sim_ch_{uuid.uuid4().hex}", method=self.method)

    def refund(self, *, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(ok=True, reference=f"sim_re_{uuid.uuid4().hex}", method=self.method)


@cache
def _gateway_class(path: str) -> type:
    return import_string(path)


def gateway_get() -> PaymentGateway:
    """The configured gateway (``settings.PAYMENT_GATEWAY``)."""
    return _gateway_class(settings.PAYMENT_GATEWAY)()
