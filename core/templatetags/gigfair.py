"""Used on every page: money with its currency, times with their time zone, avatars' initials."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django import template
from django.utils import dateformat, timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext as _

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


NEAR = timedelta(hours=48)


@register.filter
def when_near(value: datetime | None) -> str:
    """``when``, and within two days of now how far it is too: "… CST · in 3 hours"."""
    if not value:
        return ""
    shown = when(value)
    now = timezone.now()
    if not timezone.is_aware(value) or abs(value - now) > NEAR:
        return shown
    if value >= now:
        near = _("in %(time)s") % {"time": timeuntil(value, now, depth=1)}
    else:
        near = _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    return format_html('{} <span class="muted when-near">· {}</span>', shown, near)


@register.filter
def system_text(value: str | None) -> str:
    """A string the system stored as data (the default policy's name, a rule's tier, the simulated
    card) in the reader's language: each is a msgid; anything else (what staff typed) as it is. A
    trailing card mask ("•••• 4242") is kept as written."""
    if not value:
        return ""
    head, mask, tail = str(value).partition(" ••••")
    return gettext(head) + (mask + tail if mask else "")


@register.filter
def initials(user) -> str:
    """One or two letters for a person's avatar."""
    name = (getattr(user, "public_name", "") or "?").strip()
    parts = name.split()
    letters = (parts[0][0] + parts[-1][0]) if len(parts) > 1 else name[:1]
    return letters.upper()


@register.simple_tag
def stars(rating) -> str:
    """``★★★★☆`` for 4 of 5 (a rounded average, too); the label beside it says the number in words."""
    try:
        filled = max(0, min(5, round(float(rating))))
    except (TypeError, ValueError):
        filled = 0
    return "★" * filled + "☆" * (5 - filled)
