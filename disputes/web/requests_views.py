"""Web pages of the Resolution Center: the order page's panel, a request's page, and its actions.

Thin like ``orders.views``: a form checks the shape, one service decides, and a refusal is
shown on the page with what was typed kept.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFound
from core.forms import GigfairForm
from core.models import TransitionLog
from core.timeutils import when_text
from disputes.models import RequestState, RequestType, ResolutionRequest
from disputes.selectors.requests import (
    request_actions_for,
    request_can_escalate,
    request_consequences,
    request_get,
    request_recipient_role,
    request_terms_preview,
    request_window_pause,
    requests_of_order,
    unanswered_update_requests_count,
)
from disputes.services import requests as services
from orders.models import Order, OrderState
from orders.selectors import order_extension_limit, order_get_for_action
from orders.views import cancellation_effects

from .requests_forms import ANSWER_FORMS, OPEN_FORMS


def terms_effects(terms, order: Order, role: str) -> dict:
    """The consequences of a change of terms as lines for the viewer: if the worker left after
    accepting, and if the employer cancelled after a refusal."""
    leave, cancel = terms.worker_leaves_after_accepting, terms.employer_cancels_after_declining
    accept = cancellation_effects(leave.outcome, order, role) if leave.allowed else []
    decline = cancellation_effects(cancel.outcome, order, role) if cancel.allowed else []
    return {"worker_leaves": accept, "employer_cancels": decline}


def _types_open_to(order: Order, role: str | None) -> list[str]:
    """The request types ``role`` may open on ``order`` now (the service has the last word)."""
    if role is None or not order.is_open:
        return []
    types = [RequestType.CANCEL.value]
    if order.is_service and order.state in (OrderState.IN_PROGRESS, OrderState.LATE):
        types.append(RequestType.EXTEND_DELIVERY.value)
    if role == "client":
        types.append(RequestType.REQUEST_UPDATE.value)
    if role == "client" and order.is_shift and order.state in (OrderState.BOOKED, OrderState.CHECKED_IN):
        types.append(RequestType.CHANGE_TERMS.value)
    return types


def _open_form(order: Order, type_: str, data=None) -> GigfairForm:
    """The form to open a request of ``type_``; an extension's says how far the due date may move."""
    initial = {}
    if type_ == RequestType.CHANGE_TERMS and order.is_shift:
        initial = {
            "new_starts_at": timezone.localtime(order.starts_at),
            "new_ends_at": timezone.localtime(order.ends_at),
            "new_price": order.price,
        }
    form = OPEN_FORMS[type_](data, prefix=f"open-{type_}", initial=initial)
    if type_ == RequestType.CHANGE_TERMS and order.is_shift:
        now_text = _("Now: %(value)s.")
        form.fields["new_starts_at"].help_text = now_text % {"value": when_text(order.starts_at)}
        form.fields["new_ends_at"].help_text = now_text % {"value": when_text(order.ends_at)}
        form.fields["new_price"].help_text = " ".join(
            (now_text % {"value": f"{order.price} {order.currency}"}, str(form.fields["new_price"].help_text))
        )
    if type_ == RequestType.EXTEND_DELIVERY and order.due_at is not None:
        form.fields["new_due_at"].help_text = _(
            "At most %(days)d days past the current due date (%(due)s): by %(latest)s."
        ) % {
            "days": order.policy.max_extension_days,
            "due": when_text(order.due_at),
            "latest": when_text(order_extension_limit(order)),
        }
    return form


def _open_request_context(request: HttpRequest, found: ResolutionRequest, bound: tuple[str, GigfairForm] | None):
    user = request.user
    role = found.order.role_of(user)
    actions = request_actions_for(found, user)
    forms = {
        name: bound[1] if bound and bound[0] == name else ANSWER_FORMS[name](prefix=f"request-{name}")
        for name in actions
    }
    consequences = request_consequences(resolution_request=found, user=user)
    effects = []
    if consequences is not None and consequences.allowed:
        effects = cancellation_effects(consequences.outcome, found.order, role)
    terms = request_terms_preview(resolution_request=found, user=user)
    return {
        "terms": terms,
        "terms_effects": terms_effects(terms, found.order, role) if terms is not None else None,
        "request": found,
        "role": role,
        "is_author": role == found.author_role,
        "recipient_role": request_recipient_role(found),
        "forms": forms,
        "consequences": consequences,
        "effects": effects,
        "pause": request_window_pause(found),
    }


def requests_panel(request: HttpRequest, order: Order, found: list[ResolutionRequest] | None = None) -> dict:
    """What the order page's Resolution Center shows ``request.user``: one query for the requests
    (none when the page read them already: ``found``)."""
    role = order.role_of(request.user)
    if found is None:
        found = requests_of_order(order=order)  # each with the page's order, already loaded
    open_request = next((r for r in found if r.state == RequestState.OPEN), None)
    types = [] if open_request is not None else _types_open_to(order, role)
    return {
        "role": role,
        "open": _open_request_context(request, open_request, None) if open_request is not None else None,
        "past": [r for r in found if r is not open_request],
        "types": [(t, RequestType(t).label) for t in types],  # each form is loaded when opened
    }


def _order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        order = order_get_for_action(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None
    if order.role_of(request.user) is None:  # staff may read any order; only its parties ask here
        raise Http404(_("No such order."))
    return order


def _request_or_404(request: HttpRequest, pk: int) -> ResolutionRequest:
    try:
        return request_get(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such request.")) from None


@login_required
@require_http_methods(["GET", "POST"])
def request_open(request: HttpRequest, pk: int, type: str) -> HttpResponse:
    """GET: the form for one request type. POST: open the request, or show the form with what went wrong."""
    if type not in OPEN_FORMS:
        raise Http404(_("No such kind of request."))
    order = _order_or_404(request, pk)
    form = _open_form(order, type, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_open(order=order, actor=request.user, type=type, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your request is sent. The other party has been told."))
            return redirect("order_detail", pk=order.pk)
    context = {"order": order, "type": type, "type_label": RequestType(type).label, "form": form}
    if request.method == "GET" and request.htmx:  # into the order page's Resolution Center
        return render(request, "disputes/requests/_request_open_form.html", context)
    return render(request, "disputes/requests/request_open.html", context, status=400 if form.errors else 200)


def _detail_page(request: HttpRequest, found: ResolutionRequest, bound=None, *, status: int = 200) -> HttpResponse:
    context = {
        "order": found.order,
        "req": found,
        "view": _open_request_context(request, found, bound),
        "history": list(_history(found)),
        "can_escalate": request_can_escalate(found, request.user),
    }
    if found.type == RequestType.REQUEST_UPDATE:
        # The provider's responsiveness record: update requests they let expire in the policy's window.
        days = found.order.policy.completion_window_days
        context["unanswered_updates"] = unanswered_update_requests_count(
            provider=found.order.provider, since=timezone.now() - timedelta(days=days)
        )
        context["unanswered_days"] = days
    return render(request, "disputes/requests/request_detail.html", context, status=status)


def _history(found: ResolutionRequest):
    return (
        TransitionLog.objects.filter(content_type=ContentType.objects.get_for_model(found), object_id=found.pk)
        .select_related("actor")
        .order_by("at", "id")
    )


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail_page(request, _request_or_404(request, pk))


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept, decline, respond to or withdraw a request through its service."""
    form_class = ANSWER_FORMS.get(action)
    if form_class is None:
        raise Http404(_("No such action."))
    found = _request_or_404(request, pk)
    form = form_class(request.POST, prefix=f"request-{action}")
    if form.is_valid():
        service = {
            "accept": services.request_accept,
            "decline": services.request_decline,
            "respond": services.request_respond,
            "withdraw": services.request_withdraw,
        }[action]
        try:
            service(resolution_request=found, actor=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            done = {
                "accept": _("You accepted the request."),
                "decline": _("You declined the request."),
                "respond": _("Your update is sent."),
                "withdraw": _("You withdrew your request."),
            }[action]
            messages.success(request, done)
            return redirect("order_detail", pk=found.order_id)
    # The request as it is now, with this form's errors; an action no longer offered reports at the top.
    found = _request_or_404(request, pk)
    if action not in request_actions_for(found, request.user):
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return _detail_page(request, found, bound=(action, form), status=400)
