"""Forms of the Resolution Center on the order page: they check the shape; the services check the rules."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DATETIME_LOCAL, GigfairForm
from orders.models import PERSON_REASONS


def _message(label, *, required: bool = True) -> forms.CharField:
    return forms.CharField(label=label, required=required, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class CancelRequestForm(GigfairForm):
    reason = forms.ChoiceField(
        label=_("Why cancel?"),
        choices=[("", _("Choose a reason…")), *PERSON_REASONS],
        error_messages={"required": _("Choose a reason.")},
    )
    refund_percent = forms.DecimalField(
        label=_("Refund to the client (%)"),
        min_value=Decimal(0),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        initial=Decimal(100),
        help_text=_("The provider keeps the rest as compensation. The other party sees every consequence first."),
    )
    message = _message(_("Message to the other party"))


class ExtendRequestForm(GigfairForm):
    new_due_at = forms.DateTimeField(
        label=_("New due date"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    message = _message(_("Why more time?"))


class ChangeTermsRequestForm(GigfairForm):
    new_starts_at = forms.DateTimeField(
        label=_("New start"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    new_ends_at = forms.DateTimeField(
        label=_("New end"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )
    new_price = forms.DecimalField(
        label=_("New pay"),
        required=False,
        min_value=Decimal("0.01"),
        max_digits=12,
        decimal_places=2,
        help_text=_("A raise is charged to you, a cut refunded to you, once the worker accepts."),
    )
    message = _message(_("Why the change?"))

    def clean(self):
        data = super().clean()
        if not self.errors and all(data.get(f) is None for f in ("new_starts_at", "new_ends_at", "new_price")):
            self.add_error("new_price", _("Propose new hours, new pay or both."))
        return data


class UpdateRequestForm(GigfairForm):
    message = _message(_("What would you like to know?"))


class AcceptForm(GigfairForm):
    message = _message(_("Message (optional)"), required=False)


class DeclineForm(GigfairForm):
    message = _message(_("Why do you decline?"))


class RespondForm(GigfairForm):
    message = _message(_("Your update"))


class WithdrawForm(GigfairForm):
    """A button with no fields; kept as a form to carry errors."""


OPEN_FORMS = {
    "cancel": CancelRequestForm,
    "extend_delivery": ExtendRequestForm,
    "request_update": UpdateRequestForm,
    "change_terms": ChangeTermsRequestForm,
}
ANSWER_FORMS = {
    "accept": AcceptForm,
    "decline": DeclineForm,
    "respond": RespondForm,
    "withdraw": WithdrawForm,
}
