"""Orders on the pages of other apps: states as words and badges, the order box of a listing, the
order's message thread, and the open orders between two people (the profile's blocking box)."""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.models import ActorRole
from core.templatetags.gigfair import system_text
from credit.services import credit_score
from orders import handovers, reviews, waitlist
from orders.cancellation import policy_rules
from orders.deposits import deposit_missing
from orders.forms import OrderCreateForm, ReviewForm, ReviewReplyForm
from orders.gateways import SimulatedCardGateway, gateway_get
from orders.models import CancellationPath, Order, OrderState
from orders.policy import Path, Rule, outcome_for
from orders.selectors import open_orders_between as _open_orders_between
from orders.services import early_access_until, policy_current, shift_clash_for
from orders.thread_views import thread_context
from orders.views import cancellation_effects

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
    return format_html("{} · <strong>{}</strong>", rule, system_text(tier))


@register.inclusion_tag("orders/_order_box.html", takes_context=True)
def order_box(context, listing, form=None) -> dict:
    """How to order ``listing`` (or book the shift) under the policy in force: ``{% order_box listing %}``.

    ``form`` is a bound ``OrderCreateForm`` when the order page shows a refused order again.
    """
    request = context["request"]
    policy = policy_current()
    clash, deposit = None, None
    if listing.is_shift and request.user.is_authenticated and listing.owner_id != request.user.pk:
        clash = shift_clash_for(worker=request.user, starts_at=listing.starts_at, ends_at=listing.ends_at)
        missing = deposit_missing(worker=request.user, price=listing.price, currency=listing.currency, policy=policy)
        # Only where the deposit is what stands in the way: not below the listing's own minimum score.
        if missing and (listing.min_credit_score is None or credit_score(request.user) >= listing.min_credit_score):
            deposit = {"missing": missing, "amount": policy.deposit_amount, "score": policy.deposit_below_score}
    return {
        "clash": clash,
        "deposit": deposit,
        "listing": listing,
        "order_form": form or OrderCreateForm(),
        "policy": policy,
        "terms": cancellation_terms(listing, policy),
        "simulated_gateway": isinstance(gateway_get(), SimulatedCardGateway),
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
    }


def _when(tier: Rule, before: Rule | None) -> str:
    """A shift tier's time, in words: it holds from its hours before the start up to the tier before it."""
    low, high = tier.min_hours_before_start, before.min_hours_before_start if before else None
    if low is None and high is None:
        return _("Any time before the start")
    if low is None:
        return _("Less than %(h)s h before the start") % {"h": _hours(high)}
    if high is None:
        return _("%(h)s h or more before the start") % {"h": _hours(low)}
    return _("Between %(low)s h and %(high)s h before the start") % {"low": _hours(low), "high": _hours(high)}


def _hours(value) -> str:
    return f"{value:f}".rstrip("0").rstrip(".")


def _tiers(rules: list[Rule], path: str) -> list[Rule]:
    """The rules of ``path``, the earliest tier (the most hours before the start) first."""
    return sorted(
        (r for r in rules if r.path == path),
        key=lambda r: r.min_hours_before_start if r.min_hours_before_start is not None else Decimal("-Infinity"),
        reverse=True,
    )


def _shown(effects: list) -> list:
    """The effects worth a line before anyone commits: what lands on the reader, and money that moves."""
    return [e for e in effects if e.tone != "neutral" or any(ch.isdigit() for ch in e.text)]


def cancellation_terms(listing, policy) -> list[dict]:
    """The cancellation rules that will bind an order of ``listing``, from the side of whoever orders
    it (the client of a service, the worker who books a shift), worked out on its price: sections of
    tiers, each with when it holds and what it does."""
    rules = policy_rules(policy)
    price = listing.price

    def section(title: str, path: str, role: str, note: str = "") -> dict | None:
        tiers = _tiers(rules, path)
        if not tiers:
            return None
        rows = []
        for i, tier in enumerate(tiers):
            when = _when(tier, tiers[i - 1] if i else None) if path in (Path.CLIENT_SHIFT, Path.PROVIDER_SHIFT) else ""
            rows.append(
                {"when": when, "effects": _shown(cancellation_effects(outcome_for(tier, price), listing, role))}
            )
        return {"title": title, "note": note, "tiers": rows}

    if listing.is_shift:
        sections = [
            section(_("If you cancel"), Path.PROVIDER_SHIFT, "provider"),
            section(_("If you do not show up"), Path.NO_SHOW, "provider"),
            section(_("If the employer cancels"), Path.CLIENT_SHIFT, "provider"),
        ]
    else:
        sections = [
            section(_("If you cancel before sending your requirements"), Path.CLIENT_AWAITING_REQUIREMENTS, "client"),
            section(
                _("If the work is late"),
                Path.CLIENT_FORCE_LATE,
                "client",
                _("From %(hours)s hours past the due date you may cancel on your own.")
                % {"hours": policy.late_grace_hours},
            ),
        ]
    return [s for s in sections if s is not None]


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


@register.inclusion_tag("orders/_reviews.html", takes_context=True)
def order_reviews(context, order: Order) -> dict:
    """The reviews box of a completed order: the form while the viewer may still review, what
    happens to a review written (blind until both reviewed or the window closes), the published
    reviews with their answers. Nothing (and no query) for an order not completed."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    role = order.role_of(viewer) if viewer is not None and viewer.is_authenticated else None
    if order.state != OrderState.COMPLETED or role not in ("client", "provider"):
        return {"show": False}
    closes = reviews.review_window_closes(order)
    shown = list(reviews.reviews_for_order(order=order, viewer=viewer))
    mine = next((r for r in shown if r.author_id == viewer.pk), None)
    other = order.provider if role == "client" else order.client
    open_now = closes is not None and timezone.now() < closes
    return {
        "show": True,
        "order": order,
        "closes": closes,
        "mine": mine,
        "theirs": next((r for r in shown if r.author_id != viewer.pk), None),
        "other": other,
        "can_review": mine is None and open_now,
        "form": context.get("review_form") or ReviewForm(prefix="review"),
        "reply_form": ReviewReplyForm(prefix="reply"),
        "viewer": viewer,
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def early_access_of(listing) -> dict | None:
    """``{"until", "score"}`` while a shift posted with early access is open only to high scores."""
    if not (listing.is_shift and listing.early_access):
        return None
    policy = policy_current()
    until = early_access_until(listing, policy)
    if until is None or until <= timezone.now():
        return None
    return {"until": until, "score": policy.early_access_min_score}


@register.inclusion_tag("orders/_waitlist_box.html", takes_context=True)
def waitlist_box(context, listing) -> dict:
    """A full shift's waitlist on its page: for a worker, join it, their place in line or the
    place offered to them; for the employer, who waits. Nothing (no query) for other listings."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if not listing.is_shift or viewer is None or not viewer.is_authenticated:
        return {"show": False}
    if listing.owner_id == viewer.pk:
        entries = list(waitlist.waitlist_of(listing))
        return {"show": bool(entries), "owner": True, "entries": entries, "listing": listing}
    entry = waitlist.waitlist_entry_for(listing=listing, worker=viewer)
    full = listing.positions_left == 0
    if entry is None and not full:
        return {"show": False}
    return {
        "show": True,
        "owner": False,
        "listing": listing,
        "entry": entry,
        "position": waitlist.waitlist_position(entry) if entry else 0,
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("orders/_handover_box.html", takes_context=True)
def handover_box(context, listing) -> dict:
    """Booked workers of a shift handing their place over, for a worker who might take it (one
    query, on shift pages only; none for the employer or a visitor)."""
    request = context.get("request")
    viewer = getattr(request, "user", None)
    if not listing.is_shift or viewer is None or not viewer.is_authenticated or listing.owner_id == viewer.pk:
        return {"offers": []}
    return {"offers": handovers.handovers_open_on_listing(listing=listing, viewer=viewer)}
