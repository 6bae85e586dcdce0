"""Disputes on the pages of other apps: the order page's Resolution Center, support cases and
after-sales tickets, with ``{% order_disputes order %}``."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from disputes.selectors.cases import cases_of_order
from disputes.selectors.claims import claim_of_order
from disputes.web.requests_views import requests_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def order_disputes(context, order) -> SafeString:
    """The disputes panel of ``order`` as the viewer may use it, rendered in the page's own context
    (its ``role``, ``user`` and CSRF token), with the Resolution Center's requests, the claim and the
    support cases added."""
    with context.push(
        resolution_requests=requests_panel(context["request"], order),
        order_claim=claim_of_order(order=order),
        order_cases=cases_of_order(order=order),
    ):
        return context.template.engine.get_template("disputes/_order_panel.html").render(context)
