"""Web pages for accounts, listings, notifications, profiles, blocks and availability: thin, every
write goes through marketplace.services."""

from __future__ import annotations

from contextlib import suppress

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.i18n import LANGUAGE_QUERY_PARAMETER, set_language

from core.exceptions import ApplicationError, NotFound, ValidationFailed
from core.timezones import TIME_ZONE_COOKIE, valid_time_zone
from core.web import paginate, render_with_partial

from . import notifications, services
from .forms import AvailabilityForm, BlockForm, BrowseForm, EmailChangeForm, ListingForm, SignupForm, TimeZoneForm
from .models import Listing, ListingKind, User
from .search import listing_search
from .selectors import (
    availability_of,
    block_active_between,
    block_get_for,
    block_list_for,
    listing_get,
    listing_list,
    listing_list_on_profile,
    notification_list_for,
    user_get_public,
)

LISTINGS_PER_PAGE = 12
NOTIFICATIONS_PER_PAGE = 20


# --- Accounts -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("dashboard")
    form = SignupForm(request.POST or None, initial={"time_zone": _browser_time_zone(request)})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                username=data["username"],
                email=data["email"],
                password=data["password1"],
                display_name=data["display_name"],
                language=request.LANGUAGE_CODE,  # the one they signed up in
                time_zone=data["time_zone"] or request.COOKIES.get(TIME_ZONE_COOKIE, ""),
            )
        except ApplicationError as exc:
            form.add_service_error(exc, field_map={"password": "password1"})
        else:
            login(request, user, backend="marketplace.auth_backends.PreparedModelBackend")
            messages.success(
                request,
                _(
                    "Welcome to Gigfair, %(name)s. We sent a link to %(email)s: follow it to confirm your address "
                    "and get your notifications by e-mail."
                )
                % {"name": user.public_name, "email": user.email},
            )
            return redirect("dashboard")
    return render(request, "registration/signup.html", {"form": form})


def _browser_time_zone(request: HttpRequest) -> str:
    """The zone the browser said it is in (gigfair.js keeps it in a cookie); the site's otherwise."""
    return valid_time_zone(request.COOKIES.get(TIME_ZONE_COOKIE)) or settings.TIME_ZONE


# --- Time zone ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account_time_zone(request: HttpRequest) -> HttpResponse:
    """Where the signed-in user is: every time they read is shown in that zone."""
    chosen = valid_time_zone(request.user.time_zone)
    form = TimeZoneForm(request.POST or None, initial={"time_zone": chosen or _browser_time_zone(request)})
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_time_zone_set(user=request.user, time_zone=form.cleaned_data["time_zone"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            messages.success(request, _("Times are now shown in %(zone)s.") % {"zone": user.time_zone})
            return redirect("account_time_zone")
    status = 400 if form.errors else 200
    context = {"form": form, "now": timezone.now(), "chosen": chosen, "showing": timezone.get_current_timezone_name()}
    return render(request, "marketplace/account_time_zone.html", context, status=status)


# --- E-mail address -------------------------------------------------------------------------


def _account_email_page(request: HttpRequest, form: EmailChangeForm | None = None) -> HttpResponse:
    return render(request, "marketplace/account_email.html", {"form": form or EmailChangeForm()})


@login_required
@require_http_methods(["GET", "POST"])
def account_email(request: HttpRequest) -> HttpResponse:
    """The signed-in user's address: whether it is verified, a new link, another address."""
    if request.method == "GET":
        return _account_email_page(request)
    form = EmailChangeForm(request.POST)
    if form.is_valid():
        try:
            user = services.user_email_change(user=request.user, email=form.cleaned_data["email"])
        except ApplicationError as exc:
            form.add_service_error(exc)
        else:
            if user.email_verified:
                messages.success(request, _("Your e-mail address is now written %(email)s.") % {"email": user.email})
            else:
                messages.success(
                    request,
                    _("Your address is now %(email)s. We sent a link to it: follow it to confirm the address.")
                    % {"email": user.email},
                )
            return redirect("account_email")
    return _account_email_page(request, form)


@login_required
@require_POST
def account_email_resend(request: HttpRequest) -> HttpResponse:
    try:
        user = services.user_email_verification_resend(user=request.user)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("We sent a new link to %(email)s.") % {"email": user.email})
    return redirect(_safe_next(request, reverse("account_email")))


@require_http_methods(["GET", "POST"])
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the verification e-mail. GET only shows a button (mail scanners that open links
    must not verify an address on their own); the POST of that button verifies it."""
    try:
        if request.method == "POST":
            user = services.user_email_verify(token=token)
        else:
            user = services.email_verification_user(token=token)
    except ApplicationError as exc:
        context = {"error": exc.message, "code": exc.code}
        return render(request, "registration/email_verify.html", context, status=400)
    if request.method == "POST":
        messages.success(request, _("Thank you: %(email)s is verified.") % {"email": user.email})
        # Signed in as that account: back to its address; otherwise to the login (which passes a
        # signed-in user of another account on to their dashboard).
        return redirect("account_email" if request.user.pk == user.pk else "login")
    return render(request, "registration/email_verify.html", {"account": user})


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
    """Browse: search and filters in the URL, results ranked (``marketplace.search``), counted."""
    params = request.GET.copy()
    params.pop("page", None)
    form = BrowseForm(params or None)
    query = form.query()
    page = paginate(request, listing_search(query), per_page=LISTINGS_PER_PAGE)
    tabs = []
    for value, label in (
        ("", _("All")),
        *((k, _("Services") if k == "service" else _("Shifts")) for k in ListingKind.values),
    ):
        tab = params.copy()
        tab.pop("kind", None)
        if value:
            tab["kind"] = value
        tabs.append({"kind": value, "label": label, "url": f"?{tab.urlencode()}" if tab else "?"})
    context = {
        "page": page,
        "kind": query.kind,
        "tabs": tabs,
        "form": form,
        "query": query,
        "filters_open": query.filtered,
        "page_query": params.urlencode(),
    }
    return render_with_partial(
        request, "marketplace/home.html", context, partial="marketplace/_listing_results.html", target="results"
    )


def listing_detail_context(request: HttpRequest, listing: Listing) -> dict:
    """What the listing page shows; orders' page for a refused order shows it too, with its form.

    The order box itself (the form, the escrow terms of the policy in force) is the orders
    app's ``{% order_box %}`` tag.
    """
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
    my_block = None
    if viewer.is_authenticated and not is_self:
        my_block = block_active_between(viewer, profile, by=viewer)
    context = {
        "profile": profile,
        "is_self": is_self,
        "availability": availability_of(user=profile),
        "page": paginate(request, listing_list_on_profile(owner=profile), per_page=PROFILE_LISTINGS_PER_PAGE),
        "my_block": my_block,
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
