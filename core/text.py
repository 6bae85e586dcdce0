"""Checks of typed input that services share: free text (trimmed, required when asked, never longer
than a limit) and amounts of money (a positive number of cents, below a limit)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

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


CENT = Decimal("0.01")
MONEY_LIMIT = Decimal("1000000")


def money_clean(
    value, *, field: str, not_a_number: str, not_positive: str, too_much: str = "", limit: Decimal = MONEY_LIMIT
) -> Decimal:
    """``value`` as an amount of money: a finite number above zero, in cents, below ``limit``.

    The messages name what the field is ("the pay", "the amount"); ``too_much`` is formatted
    with ``%(max)s``, the limit."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise invalid(field, not_a_number) from None
    if not amount.is_finite() or amount <= 0:
        raise invalid(field, not_positive)
    # The limit first: quantizing a huge number (1e400) is itself an error.
    if amount >= limit:
        raise invalid(field, (too_much or _("At most %(max)s.")) % {"max": limit})
    if amount != amount.quantize(CENT):
        raise invalid(field, _("At most two decimals."))
    return amount
