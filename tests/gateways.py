"""Payment gateways for tests: they keep the interface and fail on purpose."""

from __future__ import annotations

from orders.gateways import GatewayResult, SimulatedCardGateway


class DecliningGateway(SimulatedCardGateway):
    name = "test-declining"

    def charge(self, **kwargs) -> GatewayResult:
        return GatewayResult(ok=False, reference="", failure_reason="card declined")


class FlakyRefundGateway(SimulatedCardGateway):
    """Refunds fail while ``failures_left`` > 0 (class-wide, reset by the test)."""

    name = "test-flaky-refunds"
    failures_left = 0

    def refund(self, **kwargs) -> GatewayResult:
        if FlakyRefundGateway.failures_left > 0:
            FlakyRefundGateway.failures_left -= 1
            return GatewayResult(ok=False, reference="", failure_reason="issuer unavailable")
        return super().refund(**kwargs)


class FailingPayoutGateway(SimulatedCardGateway):
    name = "test-failing-payouts"

    def payout(self, **kwargs) -> GatewayResult:
        return GatewayResult(ok=False, reference="", failure_reason="bank account closed")


class RecordingGateway(SimulatedCardGateway):
    """Keeps every call, and the money moved: like a real processor, a key it has seen moves none.

    ``calls`` and ``moved`` are class-wide, reset by the test (the ``recording_gateway`` fixture).
    """

    name = "test-recording"
    calls: list[tuple[str, str, bool]] = []  # (operation, idempotency key, inside a transaction)
    moved: dict[tuple[str, str], object] = {}
    on_charge = None  # a callable run during a charge, as something happening meanwhile

    def charge(self, **kwargs) -> GatewayResult:
        self._record("charge", kwargs)
        if RecordingGateway.on_charge is not None:
            RecordingGateway.on_charge()
        return super().charge(**kwargs)

    def refund(self, **kwargs) -> GatewayResult:
        self._record("refund", kwargs)
        return super().refund(**kwargs)

    def payout(self, **kwargs) -> GatewayResult:
        self._record("payout", kwargs)
        return super().payout(**kwargs)

    @staticmethod
    def _record(operation: str, kwargs: dict) -> None:
        from django.db import connection

        key = kwargs["idempotency_key"]
        RecordingGateway.calls.append((operation, key, connection.in_atomic_block))
        RecordingGateway.moved.setdefault((operation, key), kwargs["amount"])


def use_gateway(settings, path: str) -> None:
    """Point the services at the gateway class ``path`` for this test."""
    from orders.gateways import _gateway_class

    settings.PAYMENT_GATEWAY = path
    _gateway_class.cache_clear()
    RecordingGateway.calls = []
    RecordingGateway.moved = {}
    RecordingGateway.on_charge = None
