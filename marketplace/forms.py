"""Forms of the marketplace pages: they check the shape of input; services check the rules."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError
from marketplace.models import CURRENCIES, BlockReason, ListingKind, MessageReportReason

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class GigfairForm(forms.Form):
    """A form that marks invalid fields for assistive technology and takes service errors."""

    def full_clean(self) -> None:
        super().full_clean()
        self._mark_invalid()

    def add_error(self, field, error) -> None:
        super().add_error(field, error)
        if self._errors is not None:
            self._mark_invalid()

    def _mark_invalid(self) -> None:
        for name in self._errors or {}:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                attrs["aria-invalid"] = "true"
                attrs["aria-describedby"] = f"{self[name].auto_id}_errors"

    def add_service_error(self, exc: ApplicationError, *, field_map: Mapping[str, str] | None = None) -> None:
        """Show a service's refusal: its field errors on their fields, the rest above the form."""
        field_map = field_map or {}
        placed = False
        for key, messages in exc.errors.items():
            name = field_map.get(key, key)
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)


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


# --- Around the order -----------------------------------------------------------------------


class _MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class _MultipleFileField(forms.FileField):
    """Several files in one input; the service checks each one's size and type (the one upload check)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", _MultipleFileInput(attrs={"accept": "image/*,application/pdf"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None) -> list:
        single_clean = super().clean
        if not data:
            return single_clean(None, initial) or []
        files = data if isinstance(data, list | tuple) else [data]
        return [single_clean(f, initial) for f in files]


class MessageForm(GigfairForm):
    body = forms.CharField(
        label=_("Message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": _("Write to the other party…")}),
        error_messages={"required": _("Write a message.")},
    )
    files = _MultipleFileField(
        label=_("Attach files (optional)"),
        required=False,
        help_text=_("Images or PDF, up to 10 MB each, at most 5."),
    )


class MessageReportForm(GigfairForm):
    reason = forms.ChoiceField(
        label=_("What is wrong with it?"),
        choices=[("", _("Choose a reason…")), *MessageReportReason.choices],
        error_messages={"required": _("Choose a reason.")},
    )
    note = forms.CharField(
        label=_("Note for support"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the reason is “something else”."),
    )


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


class MessageReportResolveForm(forms.Form):
    """The back office closes a report (the admin renders it)."""

    note = forms.CharField(
        label=_("What was found and done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text=_("Kept with the report for the back office. The reporter is told the report was reviewed."),
    )
