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
