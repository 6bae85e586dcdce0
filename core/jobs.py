"""The registry of periodic sweeps (settings.GIGFAIR_SWEEPS), shared by beat and the command."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class SweepResult:
    """What one run of a sweep did, for the operator."""

    processed: int
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.processed} processed" + (f" ({self.detail})" if self.detail else "")


def sweep_names() -> list[str]:
    return list(settings.GIGFAIR_SWEEPS)


def sweep_get(name: str) -> Callable[[], SweepResult]:
    return import_string(settings.GIGFAIR_SWEEPS[name]["path"])


def sweep_run(name: str) -> SweepResult:
    """Run one sweep to the end (every due row, batch after batch)."""
    return sweep_get(name)()
