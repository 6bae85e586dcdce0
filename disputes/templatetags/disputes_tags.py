"""Disputes on the pages of other apps: the order page's Resolution Center, support cases and
after-sales tickets, with ``{% order_disputes order %}``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from core.models import ActorRole
from disputes.models import RequestState, RequestType
from disputes.selectors.cases import cases_of_order
from disputes.selectors.claims import claim_of_order
from disputes.selectors.requests import requests_of_order
from disputes.web.requests_views import requests_panel

register = template.Library()


def _disputes_of(order) -> tuple[list, object, list]:
    """The order's requests, claim and support cases, read once per page (the panel and the timeline)."""
    cached = getattr(order, "_disputes_read", None)
    if cached is None:
        cached = order._disputes_read = (
            requests_of_order(order=order),
            claim_of_order(order=order),
            cases_of_order(order=order),
        )
    return cached


@dataclass(frozen=True)
class DisputeEntry:
    """A moment of a request, claim or case on the order's timeline."""

    at: datetime
    text: str
    url: str
    state: str = ""
    state_label: str = ""


def _dispute_entries(order) -> list[DisputeEntry]:
    requests, claim, cases = _disputes_of(order)
    entries = []
    for r in requests:
        url = reverse("request_detail", args=[r.pk])
        label = RequestType(r.type).label
        entries.append(
            DisputeEntry(
                r.created_at,
                _("The %(role)s asked: %(what)s") % {"role": ActorRole(r.author_role).label, "what": label},
                url,
            )
        )
        if r.resolved_at is not None:
            entries.append(
                DisputeEntry(
                    r.resolved_at, _("Request: %(what)s") % {"what": label}, url, r.state, r.get_state_display()
                )
            )
    if claim is not None:
        url = reverse("claim_detail", args=[claim.pk])
        entries.append(
            DisputeEntry(
                claim.created_at, _("Claim with proof filed: %(kind)s") % {"kind": claim.get_kind_display()}, url
            )
        )
        if claim.decided_at is not None:
            entries.append(
                DisputeEntry(
                    claim.decided_at, _("Support decided the claim"), url, claim.state, claim.get_state_display()
                )
            )
    for case in cases:
        url = reverse("case_detail", args=[case.pk])
        entries.append(DisputeEntry(case.created_at, _("Support case #%(id)s opened") % {"id": case.pk}, url))
        if case.ruled_at is not None:
            entries.append(DisputeEntry(case.ruled_at, _("Support ruled on case #%(id)s") % {"id": case.pk}, url))
    return entries


@register.simple_tag
def open_request_of(order):
    """The order's open Resolution Center request, if any (read once with the page's panel)."""
    requests, _claim, _cases = _disputes_of(order)
    return next((r for r in requests if r.state == RequestState.OPEN), None)


@register.simple_tag
def order_timeline(order, history) -> list:
    """The order's own history with its requests, claim and support cases woven in, oldest first:
    each item is a ``TransitionLog`` or a ``DisputeEntry`` (``{% order_timeline order history as t %}``)."""
    return sorted([*history, *_dispute_entries(order)], key=lambda item: item.at)


@register.simple_tag(takes_context=True)
def order_disputes(context, order) -> SafeString:
    """The disputes panel of ``order`` as the viewer may use it, rendered in the page's own context
    (its ``role``, ``user`` and CSRF token), with the Resolution Center's requests, the claim and the
    support cases added."""
    requests, claim, cases = _disputes_of(order)
    with context.push(
        resolution_requests=requests_panel(context["request"], order, requests),
        order_claim=claim,
        order_cases=cases,
    ):
        return context.template.engine.get_template("disputes/_order_panel.html").render(context)
