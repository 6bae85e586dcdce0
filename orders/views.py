"""Web pages for orders: thin, every write goes through orders.services."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from core.downloads import stored_file_response
from core.exceptions import ApplicationError, NotFound
from core.forms import GigfairForm
from core.templatetags.gigfair import money
from core.timeutils import shifted
from core.web import paginate, render_with_partial
from marketplace.selectors import listing_get
from marketplace.views import listing_detail_context
from orders.completion import completion_rate_effect_for
from orders.deposits import deposit_fee_preview

from . import cancellation, handovers, reviews, services, waitlist
from .forms import (
    CancelForm,
    ConfirmForm,
    DeliverForm,
    HandoverForm,
    OrderCreateForm,
    RequirementsForm,
    ReviewForm,
    ReviewReplyForm,
    RevisionForm,
)
from .models import AccountKind, Cancellation, CancellationQuote, Order, OrderState
from .policy import Refusal
from .selectors import (
    DASHBOARD_TABS,
    dashboard_counts,
    dashboard_tab,
    delivery_file_get_for,
    order_get,
    order_get_for_action,
)

ORDERS_PER_PAGE = 15


def _order_or_404(request: HttpRequest, pk: int, *, lean: bool = False) -> Order:
    """The order, if the user may see it; ``lean`` skips its history and money trail."""
    try:
        return (order_get_for_action if lean else order_get)(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None


# --- Making an order ----------------------------------------------------------------------


@login_required
@require_POST
def order_create(request: HttpRequest, pk: int) -> HttpResponse:
    listing = listing_get(pk=pk)
    if listing is None:
        raise Http404(_("No such listing."))
    form = OrderCreateForm(request.POST)
    if form.is_valid():
        try:
            order = services.order_create(
                actor=request.user, listing_id=listing.pk, requirements=form.cleaned_data["requirements"]
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            if order.is_service:
                text = _("Order placed: %(price)s %(currency)s is held in escrow.")
            else:
                text = _("Shift booked: the client's %(price)s %(currency)s is held in escrow.")
            messages.success(request, text % {"price": order.price, "currency": order.currency})
            return redirect("order_detail", pk=order.pk)
    context = {**listing_detail_context(request, listing), "order_form": form}  # {% order_box %} shows it
    if not context["can_order"]:  # no order form on the page to carry the error
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return render(request, "marketplace/listing_detail.html", context)


# --- Dashboard ----------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Opens on what waits for the user across both roles; the other tabs list every order per role."""
    tab = request.GET.get("tab")
    if tab not in DASHBOARD_TABS:
        tab = "action"
    now = timezone.now()
    counts = dashboard_counts(user=request.user, now=now)
    orders = dashboard_tab(user=request.user, tab=tab, count=counts[tab], now=now)
    context = {
        "tab": tab,
        "page": paginate(request, orders, per_page=ORDERS_PER_PAGE),
        "action_count": counts["action"],
        "client_count": counts["client"],
        "provider_count": counts["provider"],
    }
    return render_with_partial(
        request, "orders/dashboard.html", context, partial="orders/_order_panel.html", target="orders-panel"
    )


# --- The order page and its actions -------------------------------------------------------


@dataclass(frozen=True)
class Action:
    """One thing a party can do on an order page: who, in which states, and the service it calls."""

    name: str
    role: str
    states: tuple[str, ...]
    form_class: type[GigfairForm]
    run: Callable[[Order, Any, dict], Order]
    done: Promise
    available: Callable[[Order], bool] = field(default=lambda order: True)

    def shown_for(self, order: Order, role: str | None) -> bool:
        return role == self.role and order.state in self.states and self.available(order)


ACTIONS: dict[str, Action] = {
    action.name: action
    for action in (
        Action(
            "requirements",
            "client",
            (OrderState.AWAITING_REQUIREMENTS,),
            RequirementsForm,
            lambda order, user, data: services.order_submit_requirements(
                order=order, actor=user, requirements=data["requirements"]
            ),
            gettext_lazy("Requirements sent: work has started."),
        ),
        Action(
            "accept",
            "client",
            (OrderState.DELIVERED,),
            ConfirmForm,
            lambda order, user, data: services.order_accept_delivery(order=order, actor=user),
            gettext_lazy("Delivery accepted: the order is complete and the provider is paid."),
        ),
        Action(
            "revision",
            "client",
            (OrderState.DELIVERED,),
            RevisionForm,
            lambda order, user, data: services.order_request_revision(order=order, actor=user, message=data["message"]),
            gettext_lazy("Revision requested: the order is back in progress."),
            available=lambda order: order.revisions_left > 0,
        ),
        Action(
            "deliver",
            "provider",
            (OrderState.IN_PROGRESS, OrderState.LATE),
            DeliverForm,
            lambda order, user, data: services.order_deliver(
                order=order, actor=user, message=data["message"], files=data["files"]
            ),
            gettext_lazy("Delivered: the client has been told."),
        ),
        Action(
            "check_in",
            "provider",
            (OrderState.BOOKED,),
            ConfirmForm,
            lambda order, user, data: services.order_check_in(order=order, actor=user),
            gettext_lazy("Checked in. Have a good shift."),
            available=lambda order: order.check_in_is_open(),
        ),
        Action(
            "confirm_attendance",
            "provider",
            (OrderState.BOOKED,),
            ConfirmForm,
            lambda order, user, data: services.order_confirm_attendance(order=order, actor=user),
            gettext_lazy("Thank you: your place is confirmed."),
            available=lambda order: order.confirmation_asked_at is not None and order.confirmed_at is None,
        ),
        Action(
            "check_out",
            "provider",
            (OrderState.CHECKED_IN,),
            ConfirmForm,
            lambda order, user, data: services.order_check_out(order=order, actor=user),
            gettext_lazy("Checked out: your hours are recorded and the client is told."),
            available=lambda order: order.checked_out_at is None and timezone.now() >= order.starts_at,
        ),
        Action(
            "handover",
            "provider",
            (OrderState.BOOKED,),
            HandoverForm,
            lambda order, user, data: handovers.handover_offer(order=order, actor=user, **data),
            gettext_lazy("Your shift is offered: you stay booked until another worker accepts it, and you are told."),
            available=lambda order: getattr(order, "open_handover", None) is None and order.starts_at > timezone.now(),
        ),
        Action(
            "confirm",
            "client",
            (OrderState.CHECKED_IN,),
            ConfirmForm,
            lambda order, user, data: services.order_complete(order=order, actor=user),
            gettext_lazy("Shift confirmed: the worker is paid."),
        ),
    )
}


# Always there while a shift is booked: they do not make the page stop saying what it waits for.
SECONDARY_ACTIONS = {"handover"}


def _account_label(account, order: Order) -> str:
    if account.kind == AccountKind.PROVIDER:
        if account.user_id == order.provider_id:
            return _("provider %(name)s") % {"name": order.provider.public_name}
        return _("provider")
    labels = {
        AccountKind.GATEWAY: _("client's card (payment gateway)"),
        AccountKind.ESCROW: _("escrow"),
        AccountKind.PLATFORM: _("Gigfair platform fee"),
        AccountKind.REFUNDS: _("refund owed to the client"),
    }
    return labels.get(account.kind, account.kind)


def _money_trail(order: Order) -> list[dict]:
    """Each ledger transaction as where the money came from and where it went."""
    trail = []
    for txn in order.ledger_transactions.all():
        entries = list(txn.entries.all())
        trail.append(
            {
                "at": txn.created_at,
                "kind": txn.kind,
                "label": txn.get_kind_display(),
                "sources": [(_account_label(e.account, order), e.amount) for e in entries if e.amount > 0],
                "targets": [(_account_label(e.account, order), -e.amount) for e in entries if e.amount < 0],
            }
        )
    return trail


def _order_page(
    request: HttpRequest,
    order: Order,
    bound: tuple[str, GigfairForm] | None = None,
    review_form: ReviewForm | None = None,
) -> HttpResponse:
    role = order.role_of(request.user)
    _note_open_handover(order)
    actions = []
    for action in ACTIONS.values():
        if action.shown_for(order, role):
            form = bound[1] if bound and bound[0] == action.name else action.form_class(prefix=action.name)
            actions.append((action.name, form))
    check_in_opens_at = None
    if role == "provider" and order.state == OrderState.BOOKED and not order.check_in_is_open():
        opens = shifted(order.starts_at, -timedelta(minutes=order.policy.check_in_opens_minutes))
        check_in_opens_at = opens if opens > timezone.now() else None
    cancelled = None
    refunds = []
    if order.state == OrderState.CANCELLED:
        cancelled = getattr(order, "cancellation", None)  # loaded with the order, its actor and policy too
        refunds = list(order.refunds.all())  # read with the order, each with its payment
    context = {
        "order": order,
        "role": role,
        "counterpart": order.provider if role == "client" else order.client,
        "actions": dict(actions),
        # Waiting is said unless the party has something to do now beyond the standing offers.
        "primary_actions": [name for name, _form in actions if name not in SECONDARY_ACTIONS],
        "history": list(order.history.all()),
        "deliveries": list(order.deliveries.all()),
        "payments": list(order.payments.all()),
        "money_trail": _money_trail(order),
        "provider_receives": order.price - order.platform_fee,
        "check_in_opens_at": check_in_opens_at,
        "cancellation": cancelled,
        "refunds": refunds,
        "can_cancel": role is not None and order.is_open,
        "cancel_door": _cancel_door(order, role),
        "steps": order_steps(order),
        "review_form": review_form,
        "open_handover": order.open_handover,
    }
    return render(request, "orders/order_detail.html", context)


def _note_open_handover(order: Order) -> None:
    """The shift's open handover on the order, read once (none looked for on other orders)."""
    booked = order.is_shift and order.state == OrderState.BOOKED
    order.open_handover = handovers.handover_open_for_order(order) if booked else None


@login_required
@require_POST
def order_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Review the other party of a completed order (blind until both did or the window closes)."""
    order = _order_or_404(request, pk)
    form = ReviewForm(request.POST, prefix="review")
    if form.is_valid():
        try:
            reviews.review_post(order=order, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Thank you: your review is saved."))
            return redirect(reverse("order_detail", args=[order.pk]) + "#reviews")
    return _order_page(request, _order_or_404(request, pk), review_form=form)


@login_required
@require_POST
def review_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The reviewed party asks support to look at a review that breaks the rules."""
    try:
        review = reviews.review_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such review.")) from None
    try:
        reviews.review_report(review=review, actor=request.user, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        messages.error(request, exc.first_message)
    else:
        messages.success(request, _("Support will look at the review and tell you what they decide."))
    return redirect(reverse("order_detail", args=[review.order_id]) + "#reviews")


@login_required
@require_POST
def review_reply(request: HttpRequest, pk: int) -> HttpResponse:
    """The reviewed party answers a published review, once."""
    try:
        review = reviews.review_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such review.")) from None
    form = ReviewReplyForm(request.POST, prefix="reply")
    if form.is_valid():
        try:
            reviews.review_reply(review=review, actor=request.user, text=form.cleaned_data["text"])
        except ApplicationError as exc:
            messages.error(request, exc.first_message)
        else:
            messages.success(request, _("Your answer is published under the review."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(reverse("order_detail", args=[review.order_id]) + "#reviews")


@dataclass(frozen=True)
class CancelDoor:
    """The one way a party cancels this order now: ``quote`` (on the policy's terms, quoted first),
    ``request`` (ask the other party in the Resolution Center) or ``claim`` (with proof; support
    decides). ``why`` says why it is not a plain cancellation."""

    kind: str
    why: str = ""


def _cancel_door(order: Order, role: str | None) -> CancelDoor | None:
    if role is None or not order.is_open:
        return None
    decision = cancellation.cancellation_decide(order=order, actor_role=role)
    if decision.allowed:
        return CancelDoor("quote")
    why = cancellation.refusal_message(decision.code)
    if decision.code == Refusal.SHIFT_UNDER_WAY:
        return CancelDoor("claim", why)
    return CancelDoor("request", why)


# The steps of each kind of order, and the step each state stands at (the states before it done).
_SERVICE_STEPS = (
    ("ordered", gettext_lazy("Ordered")),
    ("requirements", gettext_lazy("Requirements")),
    ("work", gettext_lazy("Work")),
    ("delivered", gettext_lazy("Delivered")),
    ("completed", gettext_lazy("Completed")),
)
_SHIFT_STEPS = (
    ("booked", gettext_lazy("Booked")),
    ("checked_in", gettext_lazy("Checked in")),
    ("completed", gettext_lazy("Confirmed")),
)
_STEP_OF_STATE = {
    OrderState.AWAITING_REQUIREMENTS: "requirements",
    OrderState.IN_PROGRESS: "work",
    OrderState.LATE: "work",
    OrderState.DELIVERED: "delivered",
    OrderState.BOOKED: "checked_in",
    OrderState.CHECKED_IN: "completed",
}


def order_steps(order: Order) -> list[dict]:
    """The order's progress as steps, each ``done``, ``current`` (waiting there), ``todo``,
    ``late`` or ``cancelled`` (where a cancellation stopped it)."""
    steps = _SERVICE_STEPS if order.is_service else _SHIFT_STEPS
    if order.state == OrderState.COMPLETED:
        return [{"code": code, "label": label, "status": "done"} for code, label in steps]
    codes = [code for code, _label in steps]
    if order.state == OrderState.CANCELLED:
        # Where it stopped: the step its last state before the cancellation stood at.
        before = next((log.from_state for log in reversed(order.history.all()) if log.to_state == "cancelled"), "")
        at = codes.index(_STEP_OF_STATE.get(before, codes[1]))
        return [
            *({"code": code, "label": label, "status": "done"} for code, label in steps[:at]),
            {"code": "cancelled", "label": gettext_lazy("Cancelled"), "status": "cancelled"},
        ]
    at = codes.index(_STEP_OF_STATE[order.state])
    current = "late" if order.state == OrderState.LATE else "current"
    return [
        {"code": code, "label": label, "status": "done" if i < at else current if i == at else "todo"}
        for i, (code, label) in enumerate(steps)
    ]


@login_required
def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _order_page(request, _order_or_404(request, pk))


@login_required
@require_POST
def order_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    spec = ACTIONS.get(action)
    if spec is None:
        raise Http404(_("No such action."))
    order = _order_or_404(request, pk)
    form = spec.form_class(request.POST, request.FILES, prefix=spec.name)
    if form.is_valid():
        try:
            spec.run(order, request.user, form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, str(spec.done))
            return redirect("order_detail", pk=order.pk)
    # Show the page as it is now, with this form's errors; a form that is not on the
    # page (the order moved on, or the viewer may not do this) reports at the top instead.
    order = _order_or_404(request, pk)
    _note_open_handover(order)
    if not spec.shown_for(order, order.role_of(request.user)):
        for error in form.errors.values():
            for message in error:
                messages.error(request, message)
    return _order_page(request, order, bound=(spec.name, form))


@require_safe
def delivery_file(request: HttpRequest, pk: int) -> FileResponse:
    """A delivered file, for the order's parties and support only (it is evidence, never public)."""
    try:
        item = delivery_file_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such file.")) from None
    return stored_file_response(item)


# --- Cancelling -----------------------------------------------------------------------------


# Refusals whose way forward is a request to the other party (the Resolution Center).
RESOLUTION_CENTER_REFUSALS = (
    Refusal.USE_RESOLUTION_CENTER,
    Refusal.DELIVERED_USE_RESOLUTION_CENTER,
    Refusal.LATE_GRACE_NOT_OVER,
)


@dataclass(frozen=True)
class Effect:
    """One consequence of a cancellation, worded for the person looking at it."""

    text: str
    tone: str  # "good", "bad" or "neutral": how it lands on the viewer


def cancellation_effects(terms: CancellationQuote | Cancellation, order: Order, role: str | None) -> list[Effect]:
    """What a quote (or a cancellation made on it) does, from the viewer's side: "You get back 72.00 EUR"."""
    cur = order.currency
    is_client, is_provider = role == "client", role == "provider"
    effects: list[Effect] = []

    def add(text: str, tone: str = "neutral", amount=None) -> None:
        effects.append(Effect(text % {"amount": money(amount, cur)} if amount is not None else text, tone))

    refund, comp = terms.refund_to_client, terms.compensation_to_provider
    fee, kept = terms.fee_to_platform, terms.retained_by_platform
    if is_client:
        if refund:
            add(_("You get back %(amount)s"), "good", refund)
        else:
            add(_("You get nothing back"), "bad")
    elif refund:
        add(_("The client gets back %(amount)s"), amount=refund)
    else:
        add(_("The client gets nothing back"))

    if is_provider:
        if comp:
            add(_("You get %(amount)s as compensation"), "good", comp)
        else:
            add(_("You get no compensation"))
    elif comp:
        add(_("The provider gets %(amount)s as compensation"), amount=comp)
    else:
        add(_("The provider gets no compensation"))

    if is_provider:
        if fee:
            add(_("You pay a cancellation fee of %(amount)s"), "bad", fee)
            # What the deposit gives: as kept by a cancellation, or as it would be now for a quote.
            from_deposit = None
            if isinstance(terms, Cancellation):
                from_deposit = terms.deposit_kept
            elif isinstance(terms, CancellationQuote):
                from_deposit = deposit_fee_preview(order=order, fee=fee)
            if from_deposit:
                add(_("%(amount)s of it is kept from your deposit"), "bad", from_deposit)
        else:
            add(_("You pay no cancellation fee"), "good")
    elif fee:
        add(_("The provider pays a cancellation fee of %(amount)s"), amount=fee)
    else:
        add(_("The provider pays no cancellation fee"))

    if kept:
        add(_("Gigfair keeps %(amount)s of the payment"), amount=kept)
    else:
        add(_("Gigfair keeps nothing of the payment"))

    effects.append(_credit_effect(terms.credit_delta, terms.credit_party, role))

    if is_provider:
        if terms.counts_against_completion_rate:
            add(_("It counts against your completion rate"), "bad")
        else:
            add(_("It does not count against your completion rate"), "good")
    elif terms.counts_against_completion_rate:
        add(_("It counts against the provider's completion rate"))
    else:
        add(_("It does not count against the provider's completion rate"))

    if terms.counts_as_complaint:
        if is_provider:
            add(_("It counts as a complaint against you"), "bad")
        else:
            add(_("It counts as a complaint against the provider"))
    return effects


def _credit_effect(delta: int, party: str, role: str | None) -> Effect:
    if not delta or not party:
        return Effect(_("No one's credit score changes"), "neutral")
    n = {"n": abs(delta)}
    if party == role:
        if delta < 0:
            return Effect(_("Your credit score drops by %(n)s") % n, "bad")
        return Effect(_("Your credit score rises by %(n)s") % n, "good")
    if party == "client":
        if delta < 0:
            return Effect(_("The client's credit score drops by %(n)s") % n, "neutral")
        return Effect(_("The client's credit score rises by %(n)s") % n, "neutral")
    if delta < 0:
        return Effect(_("The provider's credit score drops by %(n)s") % n, "neutral")
    return Effect(_("The provider's credit score rises by %(n)s") % n, "neutral")


def _wants_dialog(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def _cancel_page(request: HttpRequest, order: Order, form: CancelForm, *, error: str = "") -> HttpResponse:
    """A fresh quote for cancelling now, with the confirm form when the rules allow it.

    Asking writes nothing: the confirm form carries the quote's signed token, which binds its
    terms when confirmed; a quote nobody confirms simply expires.
    """
    try:
        view = cancellation.cancellation_quote(order=order, actor=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None
    if not view.allowed and error == view.message:
        error = ""  # the refusal below says it already
    role = order.role_of(request.user)
    quote = view.quote
    shortened = False
    if quote is not None:
        full = quote.created_at + timedelta(minutes=order.policy.quote_valid_minutes)
        shortened = quote.valid_until < full
    in_dialog = _wants_dialog(request)
    context = {
        "order": order,
        "role": role,
        "view": view,
        "quote": quote,
        "effects": cancellation_effects(quote, order, role) if quote else [],
        # The provider's own rate before and after, from the same selector as the API's quote;
        # the client is told only whether it counts (a rate is its provider's to see).
        "completion_effect": (
            completion_rate_effect_for(request.user, counts=quote.counts_against_completion_rate)
            if quote is not None and role == "provider"
            else None
        ),
        "tier_ends_with_quote": shortened,
        "form": form,
        "error": error,
        "in_dialog": in_dialog,
        "resolution_center": view.decision.code in RESOLUTION_CENTER_REFUSALS,
    }
    template = "orders/_cancel_dialog.html" if in_dialog else "orders/order_cancel.html"
    response = render(request, template, context)
    # The same URL answers with a dialog fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _to_order_page(request: HttpRequest, order: Order) -> HttpResponse:
    url = reverse("order_detail", args=[order.pk])
    # From the dialog, leave it for the whole order page rather than swap the page into it.
    return HttpResponseClientRedirect(url) if _wants_dialog(request) else redirect(url)


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the quote (and the confirm form if allowed). POST: cancel on the quoted terms."""
    order = _order_or_404(request, pk, lean=True)
    if order.role_of(request.user) is None:  # staff may read any order; only its parties cancel here
        raise Http404(_("No such order."))
    if request.method == "GET":
        return _cancel_page(request, order, CancelForm())

    form = CancelForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            cancellation.order_cancel(
                order=order,
                actor=request.user,
                reason=data["reason"],
                message=data["message"],
                quote_id=data["quote_id"],
            )
        except ApplicationError as exc:
            if exc.code == "already_cancelled":
                messages.info(request, exc.message)
                return _to_order_page(request, order)
            if exc.code == "quote_expired":
                error = _(
                    "The quote you confirmed has expired, so nothing was cancelled. Here is a fresh quote: "
                    "check the terms and confirm again."
                )
            elif exc.code == "unknown_quote":
                error = _("That quote does not belong to this order, so nothing was cancelled. Here is a fresh one.")
            elif set(exc.errors) & {"reason", "message"}:
                form.add_service_error(exc)
            else:
                # The order moved on since the quote (e.g. work started): the fresh quote says where it stands.
                error = exc.message
        else:
            messages.success(request, _("Order #%(id)s is cancelled on the quoted terms.") % {"id": order.pk})
            return _to_order_page(request, order)
    elif "quote_id" in form.errors:
        error = _("The confirmation named no quote, so nothing was cancelled. Here is a fresh quote.")
    # Show the terms as they are now, with what went wrong; the reason and message are kept.
    order = _order_or_404(request, pk, lean=True)
    return _cancel_page(request, order, form, error=error)


# --- Waitlists ------------------------------------------------------------------------------------


@login_required
@require_POST
def waitlist_join(request: HttpRequest, pk: int) -> HttpResponse:
    listing = listing_get(pk=pk)
    if listing is None:
        raise Http404(_("No such listing."))
    try:
        entry = waitlist.waitlist_join(listing=listing, worker=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("You are number %(n)d on the waitlist: if a place opens you are offered it and told at once.")
            % {"n": waitlist.waitlist_position(entry)},
        )
    return redirect(reverse("listing_detail", args=[pk]) + "#waitlist")


@login_required
@require_POST
def waitlist_leave(request: HttpRequest, pk: int) -> HttpResponse:
    listing = listing_get(pk=pk)
    if listing is None:
        raise Http404(_("No such listing."))
    try:
        waitlist.waitlist_leave(listing=listing, worker=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("You left the waitlist."))
    return redirect(reverse("listing_detail", args=[pk]))
