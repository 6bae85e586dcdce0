"""Web pages for accounts and listings: thin, every write goes through marketplace.services."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import LANGUAGE_QUERY_PARAMETER, set_language

from core.exceptions import ApplicationError, NotFound, ValidationFailed
from orders.forms import OrderCreateForm
from orders.gateways import SimulatedCardGateway, gateway_get
from orders.models import Order
from orders.selectors import order_get_for_action
from orders.services import policy_current

from . import notifications, services
from .downloads import attachment_response
from .forms import AvailabilityForm, BlockForm, ListingForm, MessageForm, MessageReportForm, SignupForm
from .models import Listing, ListingKind, MessageReportReason, User
from .selectors import (
    attachment_get_for,
    availability_of,
    block_active_between,
    block_get_for,
    block_list_for,
    listing_get,
    listing_list,
    listing_list_on_profile,
    message_get_for,
    notification_list_for,
    open_orders_between,
    order_thread_for,
    user_get_public,
)

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
                language=request.LANGUAGE_CODE,  # the one they signed up in
            )
        except ApplicationError as exc:
            form.add_service_error(exc, field_map={"password": "password1"})
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to Gigfair, %(name)s.") % {"name": user.public_name})
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (the cookie and the redirect, no JavaScript needed); a signed-in user's
    choice is stored too, for their other devices and their notifications."""
    response = set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        # A language the site does not have is ignored here, as set_language ignored it.
        with suppress(ValidationFailed):
            services.user_language_set(user=request.user, language=request.POST.get(LANGUAGE_QUERY_PARAMETER, ""))
    return response


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
    availability = availability_of(user=listing.owner)
    owner_away = availability is not None and availability.is_away
    block = None
    if request.user.is_authenticated and not is_owner:
        block = block_active_between(request.user, listing.owner)
    return {
        "listing": listing,
        "is_owner": is_owner,
        # The announced time away (now or to come) is shown to everyone; while it lasts nobody orders.
        "owner_availability": availability,
        "owner_away": owner_away,
        # Not "block": inside {% block %} tags that name is the template's own block.
        "standing_block": block,
        "can_order": listing.is_active and not is_owner and not owner_away and block is None,
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


# --- Public profiles and blocking ---------------------------------------------------------

PROFILE_LISTINGS_PER_PAGE = 12
BLOCKS_PER_PAGE = 20


def _profile_page(request: HttpRequest, profile: User, block_form: BlockForm | None = None) -> HttpResponse:
    viewer = request.user
    is_self = viewer.is_authenticated and viewer.pk == profile.pk
    my_block = open_orders = None
    if viewer.is_authenticated and not is_self:
        my_block = block_active_between(viewer, profile, by=viewer)
        if my_block is None:
            open_orders = list(open_orders_between(viewer, profile).only("pk", "title"))
    context = {
        "profile": profile,
        "is_self": is_self,
        "availability": availability_of(user=profile),
        "page": paginate(request, listing_list_on_profile(owner=profile), per_page=PROFILE_LISTINGS_PER_PAGE),
        "my_block": my_block,
        "open_orders": open_orders,
        "block_form": block_form or BlockForm(),
    }
    return render(request, "marketplace/profile.html", context)


def _profile_or_404(username: str) -> User:
    profile = user_get_public(username=username)
    if profile is None:
        raise Http404(_("No such user."))
    return profile


def user_profile(request: HttpRequest, username: str) -> HttpResponse:
    return _profile_page(request, _profile_or_404(username))


@login_required
@require_POST
def user_block(request: HttpRequest, username: str) -> HttpResponse:
    profile = _profile_or_404(username)
    form = BlockForm(request.POST)
    if form.is_valid():
        try:
            services.block_create(blocker=request.user, blocked=profile, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(
                request,
                _("You blocked %(name)s: neither of you can order from, book with or message the other.")
                % {"name": profile.public_name},
            )
            return redirect("user_profile", username=profile.username)
    return _profile_page(request, profile, block_form=form)


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def block_lift(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        block = block_get_for(pk=pk, user=request.user)
        services.block_lift(block=block, actor=request.user)
    except NotFound:
        raise Http404(_("No such block.")) from None
    messages.success(request, _("You unblocked %(name)s.") % {"name": block.blocked.public_name})
    return redirect(_safe_next(request, reverse("block_list")))


@login_required
def block_list(request: HttpRequest) -> HttpResponse:
    page = paginate(request, block_list_for(user=request.user), per_page=BLOCKS_PER_PAGE)
    return render(request, "marketplace/blocks.html", {"page": page})


# --- Availability -------------------------------------------------------------------------


def _availability_page(request: HttpRequest, form: AvailabilityForm | None = None) -> HttpResponse:
    availability = availability_of(user=request.user)
    if form is None:
        initial = {}
        if availability is not None:
            initial = {
                "away_from": availability.away_from,
                "away_until": availability.away_until,
                "message": availability.message,
            }
        form = AvailabilityForm(initial=initial)
    return render(request, "marketplace/availability.html", {"availability": availability, "form": form})


@login_required
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _availability_page(request)
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            announced = services.availability_set(user=request.user, **form.cleaned_data)
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            if announced.is_away:
                messages.success(
                    request, _("You are now unavailable: your listings are hidden and take no new orders.")
                )
            else:
                messages.success(request, _("Your time away is announced; your listings stay open until it begins."))
            return redirect("availability")
    return _availability_page(request, form)


@login_required
@require_POST
def availability_clear(request: HttpRequest) -> HttpResponse:
    services.availability_clear(user=request.user)
    messages.success(request, _("You are available: your listings are back and take orders."))
    return redirect("availability")


# --- Message threads ----------------------------------------------------------------------

THREAD_ON_ORDER_PAGE = 50
THREAD_PER_PAGE = 50


def thread_context(request: HttpRequest, order: Order, *, form: MessageForm | None = None, page=None) -> dict:
    """What the thread shows: its messages (the latest ones, or one ``page``), the form and who may write."""
    user = request.user
    role = order.role_of(user)
    if page is None:
        latest = list(
            order_thread_for(order=order, user=user).order_by("-created_at", "-id")[: THREAD_ON_ORDER_PAGE + 1]
        )
        has_earlier = len(latest) > THREAD_ON_ORDER_PAGE
        thread = latest[:THREAD_ON_ORDER_PAGE][::-1]
    else:
        has_earlier = False
        thread = list(page.object_list)
    block = other = None
    if role is not None:
        other = order.provider if role == "client" else order.client
        block = block_active_between(user, other)
    return {
        "order": order,
        "role": role,
        "other": other,
        "thread": thread,
        "has_earlier": has_earlier,
        "page": page,
        "standing_block": block,  # not "block": inside {% block %} tags that is the template's block
        "can_post": role is not None and block is None,
        "form": form or MessageForm(),
        "report_reasons": MessageReportReason.choices,
    }


def _thread_order_or_404(request: HttpRequest, pk: int) -> Order:
    try:
        return order_get_for_action(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such order.")) from None


def _thread_page(request: HttpRequest, order: Order, form: MessageForm | None = None) -> HttpResponse:
    thread = order_thread_for(order=order, user=request.user)
    paginator = Paginator(thread, THREAD_PER_PAGE)
    # The newest messages are on the last page: open there unless a page is asked for.
    page = paginator.get_page(request.GET.get("page") or paginator.num_pages)
    context = {**thread_context(request, order, form=form, page=page), "standalone": True}
    return render(request, "marketplace/order_thread.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def order_messages(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the whole thread, page by page. POST: send a message (htmx swaps the thread in place)."""
    order = _thread_order_or_404(request, pk)
    if request.method == "GET":
        return _thread_page(request, order)
    form = MessageForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.message_post(order=order, author=request.user, **form.cleaned_data)
        except NotFound:
            raise Http404(_("No such order.")) from None
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            if request.htmx:
                return render(request, "orders/_messages.html", thread_context(request, order))
            return redirect(reverse("order_detail", args=[order.pk]) + "#messages")
    if request.htmx:
        return render(request, "orders/_messages.html", thread_context(request, order, form=form))
    return _thread_page(request, order, form)


@login_required
@require_http_methods(["GET", "POST"])
def message_report(request: HttpRequest, pk: int) -> HttpResponse:
    """Report a message of the other party to support, with a reason from the list."""
    try:
        message = message_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such message.")) from None
    form = MessageReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.message_report_create(message=message, reporter=request.user, **form.cleaned_data)
        except NotFound:
            raise Http404(_("No such message.")) from None
        except ApplicationError as exc:
            if exc.code == "already_reported":
                messages.info(request, exc.message)
                return redirect(reverse("order_detail", args=[message.order_id]) + f"#message-{message.pk}")
            form.add_service_error(exc)
        else:
            messages.success(request, _("Thank you: the message is reported and support will look at it."))
            return redirect(reverse("order_detail", args=[message.order_id]) + f"#message-{message.pk}")
    return render(request, "marketplace/message_report.html", {"message": message, "form": form})


@login_required
@require_GET
def message_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """An attachment, for the order's parties and staff only: it is evidence, never public."""
    try:
        attachment = attachment_get_for(pk=pk, user=request.user)
    except NotFound:
        raise Http404(_("No such file.")) from None
    return attachment_response(attachment)
