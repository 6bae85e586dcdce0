"""Clock-driven sweeps of resolution requests (being built: see the Resolution Center issue)."""

from core.jobs import SweepResult


def remind_requests() -> SweepResult:
    return SweepResult(processed=0)


def expire_requests() -> SweepResult:
    return SweepResult(processed=0)
