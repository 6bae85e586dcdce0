"""The payment-gateway interface, and the simulated card gateway Gigfair ships with.

A real deployment points ``settings.PAYMENT_GATEWAY`` at a class with the same three methods
that talks to a payment provider. The built-in one moves no real money.

Every call carries an idempotency key, stable for the thing it pays (``order-placement-<id>``,
``refund-<id>``, ``payout-<id>``): Gigfair calls the gateway outside its database transactions and records
the answer afterwards, so a call whose answer was lost is made again, and the gateway must
answer a key it has seen with the first answer instead of moving money twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_noop

SIMULATED_CARD = gettext_noop("Simulated card")


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

    def payout(self, *, recipient_id: int, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        """Send ``amount`` to the bank account the recipient keeps with the processor."""
        ...


class SimulatedCardGateway:
    """A stand-in for a card processor: every charge and refund succeeds, no money moves.

    Idempotent like a real processor: the reference is derived from the idempotency key, so
    the same key always gets the same answer, in any process.
    """

    name = "simulated-card"
    method = f"{SIMULATED_CARD} •••• 4242"  # shown in the reader's language (gigfair's system_text)

    def charge(self, *, customer_id: int, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(ok=True, reference=f"sim_ch_{_key_digest('charge', idempotency_key)}", method=self.method)

    def refund(self, *, charge_reference: str, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(ok=True, reference=f"sim_re_{_key_digest('refund', idempotency_key)}", method=self.method)

    def payout(self, *, recipient_id: int, amount: Decimal, currency: str, idempotency_key: str) -> GatewayResult:
        return GatewayResult(ok=True, reference=f"sim_po_{_key_digest('payout', idempotency_key)}", method=self.method)


def _key_digest(operation: str, idempotency_key: str) -> str:
    return hashlib.sha256(f"{operation}:{idempotency_key}".encode()).hexdigest()[:32]


@cache
def _gateway_class(path: str) -> type:
    return import_string(path)


def gateway_get() -> PaymentGateway:
    """The configured gateway (``settings.PAYMENT_GATEWAY``)."""
    return _gateway_class(settings.PAYMENT_GATEWAY)()
