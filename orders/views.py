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
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.exceptions import ApplicationError, NotFound
from marketplace.forms import GigfairForm
from marketplace.selectors import listing_get
from marketplace.views import listing_detail_context, paginate, render_with_partial

from . import services
from .forms import ConfirmForm, DeliverForm, OrderCreateForm, RequirementsForm, RevisionForm
from .models import AccountKind, Order, OrderState
from .selectors import order_get, order_list_for

ORDERS_PER_PAGE = 15


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return order_get(pk=pk, user=request.user)
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
    context = listing_detail_context(request, listing, form)
    if not context["can_order"]:  # no order form on the page to carry the error
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return render(request, "marketplace/listing_detail.html", context)


# --- Dashboard ----------------------------------------------------------------------------


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    tab = request.GET.get("tab")
    if tab not in ("client", "provider"):
        tab = "client"
    page = paginate(request, order_list_for(user=request.user, role=tab), per_page=ORDERS_PER_PAGE)
    context = {
        "tab": tab,
        "page": page,
        "client_count": order_list_for(user=request.user, role="client").count(),
        "provider_count": order_list_for(user=request.user, role="provider").count(),
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
            "confirm",
            "client",
            (OrderState.CHECKED_IN,),
            ConfirmForm,
            lambda order, user, data: services.order_complete(order=order, actor=user),
            gettext_lazy("Shift confirmed: the worker is paid."),
        ),
    )
}


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


def _order_page(request: HttpRequest, order: Order, bound: tuple[str, GigfairForm] | None = None) -> HttpResponse:
    role = order.role_of(request.user)
    actions = []
    for action in ACTIONS.values():
        if action.shown_for(order, role):
            form = bound[1] if bound and bound[0] == action.name else action.form_class(prefix=action.name)
            actions.append((action.name, form))
    check_in_opens_at = None
    if role == "provider" and order.state == OrderState.BOOKED and not order.check_in_is_open():
        opens = order.starts_at - timedelta(minutes=order.policy.check_in_opens_minutes)
        check_in_opens_at = opens if opens > timezone.now() else None
    cancellation = None
    refunds = []
    if order.state == OrderState.CANCELLED:
        cancellation = getattr(order, "cancellation", None)
        refunds = list(order.refunds.all())
    context = {
        "order": order,
        "role": role,
        "counterpart": order.provider if role == "client" else order.client,
        "actions": dict(actions),
        "history": list(order.history.all()),
        "deliveries": list(order.deliveries.all()),
        "payments": list(order.payments.all()),
        "money_trail": _money_trail(order),
        "provider_receives": order.price - order.platform_fee,
        "check_in_opens_at": check_in_opens_at,
        "cancellation": cancellation,
        "refunds": refunds,
    }
    return render(request, "orders/order_detail.html", context)


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
    if not spec.shown_for(order, order.role_of(request.user)):
        for error in form.errors.values():
            for message in error:
                messages.error(request, message)
    return _order_page(request, order, bound=(spec.name, form))


@login_required
def order_file(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """A delivered file, for the order's parties only (it is evidence, never public)."""
    order = _order_or_404(request, pk)
    for delivery in order.deliveries.all():
        for item in delivery.files.all():
            if item.pk == file_id:
                inline = item.content_type.startswith("image/") or item.content_type == "application/pdf"
                return FileResponse(
                    item.file.open("rb"), as_attachment=not inline, filename=item.name, content_type=item.content_type
                )
    raise Http404(_("No such file."))
