"""Orders on the pages of other apps: states as words and badges, the order box of a listing, the
order's message thread, and the open orders between two people (the profile's blocking box)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import ActorRole
from orders.forms import OrderCreateForm
from orders.gateways import SimulatedCardGateway, gateway_get
from orders.models import CancellationPath, Order, OrderState
from orders.selectors import open_orders_between as _open_orders_between
from orders.services import policy_current
from orders.thread_views import thread_context

register = template.Library()


@register.filter
def state_label(state: str) -> str:
    if not state:
        return _("new")
    try:
        return str(OrderState(state).label)
    except ValueError:
        return state


# What the order page asks of each party, by state (the dashboard's "waiting for you").
_NEXT_STEPS = {
    ("client", OrderState.AWAITING_REQUIREMENTS): gettext_lazy("Send your requirements"),
    ("client", OrderState.DELIVERED): gettext_lazy("Review the delivery"),
    ("client", OrderState.CHECKED_IN): gettext_lazy("Confirm the shift"),
    ("provider", OrderState.IN_PROGRESS): gettext_lazy("Deliver the work"),
    ("provider", OrderState.LATE): gettext_lazy("Deliver: it is overdue"),
    ("provider", OrderState.BOOKED): gettext_lazy("Check in when the shift starts"),
}


@register.simple_tag
def next_step(order: Order, user) -> str:
    """What ``user`` is to do next on ``order``, in words; empty when nothing waits for them."""
    role = "client" if order.client_id == user.pk else "provider" if order.provider_id == user.pk else None
    return str(_NEXT_STEPS.get((role, order.state), ""))


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


@register.inclusion_tag("orders/_order_box.html", takes_context=True)
def order_box(context, listing, form=None) -> dict:
    """How to order ``listing`` (or book the shift) under the policy in force: ``{% order_box listing %}``.

    ``form`` is a bound ``OrderCreateForm`` when the order page shows a refused order again.
    """
    request = context["request"]
    return {
        "listing": listing,
        "order_form": form or OrderCreateForm(),
        "policy": policy_current(),
        "simulated_gateway": isinstance(gateway_get(), SimulatedCardGateway),
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("orders/_messages.html", takes_context=True)
def order_thread(context, order: Order) -> dict:
    """The order's message thread with its form, for the order page (``{% order_thread order %}``)."""
    request = context["request"]
    return {
        **thread_context(request, order),
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def open_orders_between(a, b) -> list[Order]:
    """The orders between ``a`` and ``b`` still open (number and title), oldest first: nobody blocks
    someone they still have an open order with."""
    return list(_open_orders_between(a, b).only("pk", "title"))
