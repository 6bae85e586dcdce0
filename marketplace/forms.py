"""Forms of the marketplace pages: they check the shape of input; services check the rules."""

from __future__ import annotations

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.forms import DATETIME_LOCAL, GigfairForm
from core.timezones import time_zone_choices
from marketplace.logins import lock_for, lock_message
from marketplace.models import CURRENCIES, BlockReason, ListingKind


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

    SERVICE_FIELDS = ("delivery_days", "revisions")
    SHIFT_FIELDS = ("starts_at", "ends_at", "location")

    def chosen_kind(self) -> str:
        kind = self.data.get("kind") if self.is_bound else self.initial.get("kind")
        return kind if kind in ListingKind.values else ListingKind.SERVICE

    def service_input(self) -> dict:
        """The cleaned data as keyword arguments of ``listing_create``."""
        data = dict(self.cleaned_data)
        data["description"] = data.get("description") or ""
        data["location"] = data.get("location") or ""
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
