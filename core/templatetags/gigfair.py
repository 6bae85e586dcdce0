"""Used on every page: money with its currency, times with their time zone, avatars' initials."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import pgettext

register = template.Library()


def when_format() -> str:
    """The date-and-time format for the reader's language (Chinese puts the year first)."""
    # Translators: a Django date format (https://docs.djangoproject.com/en/stable/ref/templates/builtins/#date);
    # keep the letters, reorder them and add the language's own words or characters.
    return pgettext("date and time format", "j M Y, H:i T")


@register.filter
def money(amount: Decimal | None, currency: str = "") -> str:
    """``120.00 EUR``: two decimals from the Decimal itself (never a float), localised separators."""
    if amount is None or amount == "":
        return ""
    text = number_format(Decimal(amount).quantize(Decimal("0.01")), 2, use_l10n=True, force_grouping=True)
    return f"{text}\u00a0{currency}".strip()


@register.filter
def when(value: datetime | None) -> str:
    """A ``<time>`` element in the current time zone, with the zone's name shown."""
    if not value:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return format_html('<time datetime="{}">{}</time>', value.isoformat(), dateformat.format(local, when_format()))


@register.filter
def initials(user) -> str:
    """One or two letters for a person's avatar."""
    name = (getattr(user, "public_name", "") or "?").strip()
    parts = name.split()
    letters = (parts[0][0] + parts[-1][0]) if len(parts) > 1 else name[:1]
    return letters.upper()
