"""The back office for the Resolution Center: one module per area, all registered here."""

from . import cases, claims, requests, tickets  # noqa: F401 - importing registers the admin classes
