"""Forms of the marketplace pages: they check the shape of input; services check the rules."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.forms import DATETIME_LOCAL, GigfairForm
from core.timezones import time_zone_choices
from marketplace.logins import lock_for, lock_message
from marketplace.models import CURRENCIES, BlockReason, ListingKind
from marketplace.search import ListingQuery


class LockAwareLoginMixin:
    """A login form that says so when a lock refused the login (not "wrong password": it may be right).

    django-axes flags the request when it refuses a locked login or locks it with this failure;
    ``marketplace.logins.lockout_response`` then sends the page out as 429.
    """

    def get_invalid_login_error(self) -> ValidationError:
        if getattr(self.request, "axes_locked_out", False):
            until = lock_for(self.request, self.cleaned_data.get("username"))
            return ValidationError(lock_message(until), code="locked_out")
        return super().get_invalid_login_error()


class LoginForm(LockAwareLoginMixin, AuthenticationForm):
    pass


class AdminLoginForm(LockAwareLoginMixin, AdminAuthenticationForm):
    pass


class EmailChangeForm(GigfairForm):
    email = forms.CharField(
        label=_("New e-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


def _time_zone_field(**kwargs) -> forms.ChoiceField:
    # The browser's zone is filled in by gigfair.js (data-guess-time-zone) where none was chosen.
    return forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("Every time on your pages, notifications and e-mails is shown in it."),
        widget=forms.Select(attrs={"data-guess-time-zone": ""}),
        **kwargs,
    )


class TimeZoneForm(GigfairForm):
    time_zone = _time_zone_field()


class SignupForm(GigfairForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        help_text=_("Letters, digits and @ . + - _ only."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    email = forms.CharField(
        label=_("E-mail address"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    display_name = forms.CharField(
        label=_("Display name"),
        max_length=80,
        required=False,
        help_text=_("Shown to the people you work with. Optional."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not too common, not only digits."),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    time_zone = _time_zone_field(required=False)

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password2") and cleaned["password1"] != cleaned["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


class ListingForm(GigfairForm):
    kind = forms.ChoiceField(
        label=_("What are you posting?"),
        choices=ListingKind.choices,
        initial=ListingKind.SERVICE,
        widget=forms.RadioSelect(attrs={"data-kind-switch": ""}),
    )
    title = forms.CharField(label=_("Title"), max_length=140)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    # Rules on amounts (positive, two decimals) belong to the service; the form only parses.
    price = forms.DecimalField(label=_("Price"), widget=forms.NumberInput(attrs={"step": "0.01"}))
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="EUR")
    delivery_days = forms.IntegerField(label=_("Delivery time (days)"), required=False)
    revisions = forms.IntegerField(
        label=_("Revisions included"), required=False, initial=1, help_text=_("Between 0 and 20.")
    )
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends at"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    min_credit_score = forms.IntegerField(
        label=_("Minimum credit score"),
        required=False,
        help_text=_("Optional: only people with at least this score (0–100) can take it."),
    )
    positions = forms.IntegerField(
        label=_("Workers needed"),
        required=False,
        min_value=1,
        max_value=500,
        initial=1,
        help_text=_("Each worker books one place; the shift is full when every place is booked."),
    )
    early_access = forms.BooleanField(
        label=_("Early access for workers with a high credit score"),
        required=False,
        help_text=_(
            "For its first hours only workers with a high credit score can book it; then everyone can "
            "(the hours and the score are in the terms)."
        ),
    )

    SERVICE_FIELDS = ("delivery_days", "revisions")
    SHIFT_FIELDS = ("starts_at", "ends_at", "location", "positions", "early_access")

    def chosen_kind(self) -> str:
        kind = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return kind if kind in ListingKind.values else ListingKind.SERVICE

    def service_input(self) -> dict:
        """The cleaned data as keyword arguments of ``listing_create``."""
        data = dict(self.cleaned_data)
        data["description"] = data.get("description") or ""
        data["location"] = data.get("location") or ""
        data["positions"] = data.get("positions") or 1
        return data


# --- Between people ---------------------------------------------------------------------------


class BlockForm(GigfairForm):
    reason = forms.ChoiceField(
        label=_("Why are you blocking them?"),
        choices=[("", _("Choose a reason…")), *BlockReason.choices],
        error_messages={"required": _("Choose a reason.")},
        help_text=_("Only you and Gigfair staff see it."),
    )
    note = forms.CharField(
        label=_("Note (optional)"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class AvailabilityForm(GigfairForm):
    away_from = forms.DateTimeField(
        label=_("Unavailable from"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("Leave empty to be unavailable from now."),
    )
    away_until = forms.DateTimeField(
        label=_("Back on"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        help_text=_("You are available again automatically at this time. Leave empty to switch back yourself."),
    )
    message = forms.CharField(
        label=_("Message to clients"),
        required=False,
        max_length=280,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. On holiday, back in September")}),
        help_text=_("Shown on your profile and listings. At most 280 characters."),
    )


# --- Browsing -------------------------------------------------------------------------------------


RATING_CHOICES = [
    ("", _("Any rating")),
    ("3", _("3 stars and up")),
    ("4", _("4 stars and up")),
    ("4.5", _("4.5 stars and up")),
]
ORDERING_CHOICES = [
    ("rank", _("Best match")),
    ("newest", _("Newest")),
    ("price", _("Price: low to high")),
    ("-price", _("Price: high to low")),
    ("starts_at", _("Starting soonest")),
    ("rating", _("Highest rated")),
]


class BrowseForm(GigfairForm):
    """The browse page's search and filters, read from the URL (so a search can be shared)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("All")), *ListingKind.choices])
    min_price = forms.DecimalField(
        label=_("Lowest price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    max_price = forms.DecimalField(
        label=_("Highest price"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    starts_after = forms.DateField(
        label=_("Shifts from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    starts_before = forms.DateField(
        label=_("Shifts until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    min_rating = forms.ChoiceField(label=_("Rating"), required=False, choices=RATING_CHOICES)
    ordering = forms.ChoiceField(label=_("Sort by"), required=False, choices=ORDERING_CHOICES)

    def clean(self) -> dict:
        cleaned = super().clean()
        low, high = cleaned.get("min_price"), cleaned.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", _("The highest price is below the lowest."))
        start, end = cleaned.get("starts_after"), cleaned.get("starts_before")
        if start and end and start > end:
            self.add_error("starts_before", _("This comes before the other date."))
        return cleaned

    def query(self) -> ListingQuery:
        """What to search for: the valid fields (an invalid one is left out and shown with its error)."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        if self.is_bound and not self.is_valid():
            data = {name: value for name, value in self.cleaned_data.items() if name not in self.errors}
        zone = timezone.get_current_timezone()

        def day_start(day):
            return datetime.combine(day, time.min, tzinfo=zone) if day else None

        end = data.get("starts_before")
        return ListingQuery(
            q=data.get("q") or "",
            kind=data.get("kind") or "",
            min_price=data.get("min_price"),
            max_price=data.get("max_price"),
            location=data.get("location") or "",
            starts_after=day_start(data.get("starts_after")),
            starts_before=day_start(end + timedelta(days=1)) if end else None,
            min_rating=Decimal(data["min_rating"]) if data.get("min_rating") else None,
            ordering=data.get("ordering") or "rank",
        )
