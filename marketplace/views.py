"""Web pages for accounts and listings: thin, every write goes through marketplace.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.exceptions import ApplicationError, NotFound
from orders.forms import OrderCreateForm
from orders.gateways import SimulatedCardGateway, gateway_get
from orders.services import policy_current

from . import notifications, services
from .forms import ListingForm, SignupForm
from .models import Listing, ListingKind
from .selectors import listing_get, listing_list, notification_list_for

LISTINGS_PER_PAGE = 12
NOTIFICATIONS_PER_PAGE = 20


def paginate(request: HttpRequest, queryset, *, per_page: int, param: str = "page") -> Page:
    """One page of ``queryset``; a page number out of range shows the last page."""
    return Paginator(queryset, per_page).get_page(request.GET.get(param))


def render_with_partial(
    request: HttpRequest, template: str, context: dict[str, Any], *, partial: str, target: str
) -> HttpResponse:
    """Render ``partial`` alone when htmx asks to swap ``#target``, the whole page otherwise."""
    htmx = getattr(request, "htmx", None)
    wants_partial = bool(htmx) and not htmx.history_restore_request and htmx.target == target
    response = render(request, partial if wants_partial else template, context)
    # The same URL answers with a fragment or a page: caches must keep them apart.
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


# --- Accounts -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
            )
        except ApplicationError as exc:
            form.add_service_error(exc, field_map={"password": "password1"})
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Gigfair, %(name)s.") % {"name": user.public_name})
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


# --- Listings -----------------------------------------------------------------------------


def home(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in ListingKind.values:
        kind = ""
    page = paginate(request, listing_list(kind=kind or None), per_page=LISTINGS_PER_PAGE)
    context = {"page": page, "kind": kind, "kinds": ListingKind.choices}
    return render_with_partial(
        request, "marketplace/home.html", context, partial="marketplace/_listing_results.html", target="results"
    )


def listing_detail_context(request: HttpRequest, listing: Listing, order_form: OrderCreateForm | None = None) -> dict:
    """What the listing page shows; also used to show a refused order on the same page."""
    is_owner = request.user.is_authenticated and listing.owner_id == request.user.pk
    return {
        "listing": listing,
        "is_owner": is_owner,
        "can_order": listing.is_active and not is_owner,
        "order_form": order_form or OrderCreateForm(),
        "policy": policy_current(),
        "simulated_gateway": isinstance(gateway_get(), SimulatedCardGateway),
    }


def listing_get_or_404(request: HttpRequest, pk: int) -> Listing:
    """A listing anyone may see: active ones, and the owner's own withdrawn ones."""
    listing = listing_get(pk=pk)
    if listing is None or (not listing.is_active and listing.owner_id != request.user.pk):
        raise Http404(_("No such listing."))
    return listing


def listing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    listing = listing_get_or_404(request, pk)
    return render(request, "marketplace/listing_detail.html", listing_detail_context(request, listing))


@login_required
@require_http_methods(["GET", "POST"])
def listing_create(request: HttpRequest) -> HttpResponse:
    initial = {"kind": request.GET.get("kind") or ListingKind.SERVICE}
    form = ListingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            listing = services.listing_create(owner=request.user, **form.service_input())
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Your listing “%(title)s” is live.") % {"title": listing.title})
            return redirect("listing_detail", pk=listing.pk)
    return render(request, "marketplace/listing_form.html", {"form": form, "kind": form.chosen_kind()})


@login_required
def my_listings(request: HttpRequest) -> HttpResponse:
    page = paginate(request, listing_list(owner=request.user, include_inactive=True), per_page=20)
    return render(request, "marketplace/my_listings.html", {"page": page})


@login_required
@require_POST
def listing_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    listing = listing_get(pk=pk)
    if listing is None:
        raise Http404(_("No such listing."))
    try:
        services.listing_deactivate(listing=listing, actor=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("“%(title)s” is withdrawn; orders already made go on.") % {"title": listing.title})
    return redirect("my_listings")


# --- Notifications ------------------------------------------------------------------------


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, notification_list_for(user=request.user), per_page=NOTIFICATIONS_PER_PAGE)
    return render(request, "marketplace/notifications.html", {"page": page})


@login_required
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to its order, marking it read on the way."""
    try:
        notification = notifications.notification_open(user=request.user, notification_id=pk)
    except NotFound:
        raise Http404(_("No such notification.")) from None
    if notification.order_id:
        return redirect("order_detail", pk=notification.order_id)
    return redirect("notifications")


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    count = notifications.notifications_mark_all_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked read."))
    return redirect("notifications")
