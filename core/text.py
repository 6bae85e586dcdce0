"""Checks of free text that services share: trimmed, required when asked, never longer than a limit."""

from __future__ import annotations

from django.utils.translation import gettext as _

from core.exceptions import ValidationFailed


def invalid(field: str, message: str, code: str = "invalid") -> ValidationFailed:
    """A refusal of one field, shown on that field in forms and under ``errors`` in the API."""
    return ValidationFailed(message, code=code, errors={field: [message]})


def text_clean(value: str | None, *, field: str, limit: int, required_message: str = "") -> str:
    """``value`` trimmed; refused when empty and ``required_message`` is given, or longer than ``limit``."""
    value = (value or "").strip()
    if required_message and not value:
        raise invalid(field, required_message)
    if len(value) > limit:
        raise invalid(field, _("At most %(n)d characters.") % {"n": limit})
    return value
