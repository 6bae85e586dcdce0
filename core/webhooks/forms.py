"""The Webhooks page's form: its shape only; the service checks the URL and the events."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.exceptions import ApplicationError

from .events import ALL_EVENTS, subscribable


class WebhookEndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=500,
        widget=forms.URLInput(attrs={"placeholder": "https://partner.example/gigfair/hooks", "autocomplete": "off"}),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    all_events = forms.BooleanField(label=_("Send every event"), required=False, initial=True)
    events = forms.MultipleChoiceField(
        label=_("Or only these events"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Used when “Send every event” is off."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Whole subjects first ("order.*"), then each event type.
        self.fields["events"].choices = [(e, e) for e in subscribable() if e != ALL_EVENTS]

    def chosen_events(self) -> list[str]:
        data = self.cleaned_data
        return [ALL_EVENTS] if data["all_events"] else list(data["events"])

    def add_service_error(self, exc: ApplicationError) -> None:
        """Show a service's refusal: its field errors on their fields, the rest above the form."""
        placed = False
        for name, messages in exc.errors.items():
            for message in messages:
                self.add_error(name if name in self.fields else None, message)
                placed = True
        if not placed:
            self.add_error(None, exc.message)
