"""Clock-driven sweeps of support cases (being built: see the Resolution Center issue)."""

from core.jobs import SweepResult


def flag_sla_breaches() -> SweepResult:
    return SweepResult(processed=0)


def expire_info_requests() -> SweepResult:
    return SweepResult(processed=0)
