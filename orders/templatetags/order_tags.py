"""Order states shown as words and coloured badges."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.models import ActorRole
from orders.models import CancellationPath, OrderState

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


@register.filter
def role_label(role: str) -> str:
    """``client``, ``provider``, ``support`` or ``system`` in the reader's language."""
    try:
        return str(ActorRole(role).label)
    except ValueError:
        return role


@register.simple_tag
def cancellation_rule(path: str, tier: str) -> str:
    """The rule a cancellation follows, with its tier when the tier says more than the rule's name."""
    try:
        rule = str(CancellationPath(path).label)
    except ValueError:
        rule = path
    rule = rule[:1].upper() + rule[1:]
    if not tier or tier == path or tier.lower() in rule.lower():
        return format_html("{}", rule)
    return format_html("{} · <strong>{}</strong>", rule, tier)
