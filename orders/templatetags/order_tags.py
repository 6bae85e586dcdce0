"""Order states shown as words and coloured badges."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from orders.models import OrderState

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    if not state:
        return _("new")
    try:
        return str(OrderState(state).label)
    except ValueError:
        return state


@register.simple_tag
def state_badge(state: str) -> str:
    return format_html('<span class="badge state-{}">{}</span>', state, state_label(state))
