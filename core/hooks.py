"""Where a lower app asks or tells a higher one: the callables named in ``settings.GIGFAIR_HOOKS``.

The apps form layers (core < credit < marketplace < orders < disputes < portal) and none imports
an app above it. When a lower app must still reach up (marketplace refuses a block while an
order between the two people is open, and time away re-counts the answer windows of requests
sent to the provider), the higher app's callable is named in the settings, so each such
dependency is written down in one place, the way ``GIGFAIR_SWEEPS`` names the sweeps.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


@cache
def _load(path: str) -> Callable:
    return import_string(path)


def hook(name: str) -> Callable:
    """The callable registered as ``name``; a missing name is a configuration error, raised loudly."""
    try:
        path = settings.GIGFAIR_HOOKS[name]
    except KeyError:
        raise LookupError(f"settings.GIGFAIR_HOOKS names no callable for {name!r}") from None
    return _load(path)
