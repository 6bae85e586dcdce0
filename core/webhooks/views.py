"""The Webhooks page: a user's endpoints, their secrets shown once, and recent deliveries."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFound
from core.models import WebhookEndpoint

from . import services
from .forms import WebhookEndpointForm
from .selectors import webhook_delivery_list_for, webhook_endpoint_get_for, webhook_endpoint_list_for

SECRET_SESSION_KEY = "webhook_secret_once"  # noqa: S105 - a session key name
DELIVERIES_PER_PAGE = 25


def _endpoint_or_404(request: HttpRequest, pk: int) -> WebhookEndpoint:
    try:
        return webhook_endpoint_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such webhook endpoint.")) from None


def _show_secret_once(request: HttpRequest, endpoint: WebhookEndpoint) -> None:
    # Kept in the session only until the next page shows it (post, redirect, get).
    request.session[SECRET_SESSION_KEY] = {"endpoint": endpoint.pk, "secret": endpoint.secret}


def _list_page(request: HttpRequest, form: WebhookEndpointForm | None = None) -> HttpResponse:
    revealed = request.session.pop(SECRET_SESSION_KEY, None) if request.method == "GET" else None
    endpoints = list(webhook_endpoint_list_for(user=request.user))
    context = {
        "endpoints": endpoints,
        "form": form or WebhookEndpointForm(),
        "revealed": revealed,
        "revealed_endpoint": next((e for e in endpoints if revealed and e.pk == revealed["endpoint"]), None),
    }
    return render(request, "core/webhooks.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def webhook_list(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _list_page(request)
    form = WebhookEndpointForm(request.POST)
    if form.is_valid():
        try:
            endpoint = services.webhook_endpoint_create(
                owner=request.user,
                url=form.cleaned_data["url"],
                events=form.chosen_events(),
                description=form.cleaned_data["description"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            _show_secret_once(request, endpoint)
            messages.success(request, _("Endpoint added. Copy its signing secret now: it is not shown again."))
            return redirect("webhooks")
    return _list_page(request, form)


@login_required
def webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    deliveries = webhook_delivery_list_for(endpoint=endpoint)
    page = Paginator(deliveries, DELIVERIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "core/webhook_detail.html", {"endpoint": endpoint, "page": page})


@login_required
@require_POST
def webhook_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    endpoint = services.webhook_endpoint_update(endpoint=endpoint, active=not endpoint.active)
    if endpoint.active:
        messages.success(request, _("Endpoint resumed: events held back while it was off are sent now."))
    else:
        messages.success(request, _("Endpoint paused: nothing is sent to it until you resume it."))
    return redirect("webhooks")


@login_required
@require_POST
def webhook_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = services.webhook_endpoint_rotate_secret(endpoint=_endpoint_or_404(request, pk))
    _show_secret_once(request, endpoint)
    messages.success(request, _("New signing secret made; the old one no longer signs anything."))
    return redirect("webhooks")


@login_required
@require_POST
def webhook_ping(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    try:
        services.webhook_endpoint_ping(endpoint=endpoint)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Ping sent; its result is in the deliveries below."))
    return redirect("webhook_detail", pk=endpoint.pk)


@login_required
@require_POST
def webhook_delete(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, pk)
    services.webhook_endpoint_delete(endpoint=endpoint)
    messages.success(request, _("Endpoint %(url)s removed.") % {"url": endpoint.url})
    return redirect("webhooks")
