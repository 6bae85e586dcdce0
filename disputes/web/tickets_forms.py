"""Forms of the after-sales ticket pages: they check the shape of input; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import GigfairForm, MultipleFileField
from disputes.models import TicketCancelReason, TicketType

EVIDENCE_HELP = _("Images or PDF, up to 10 MB each.")


class TicketForm(GigfairForm):
    type = forms.ChoiceField(label=_("What is the problem?"), choices=TicketType.choices)
    description = forms.CharField(
        label=_("Describe it"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What happened, and what you would like done. You can edit this until review starts."),
    )

    def __init__(self, *args, types: list[tuple[str, str]] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if types is not None:
            self.fields["type"].choices = types


class TicketCreateForm(TicketForm):
    files = MultipleFileField(label=_("Evidence (optional)"), required=False, help_text=EVIDENCE_HELP)


class EvidenceForm(GigfairForm):
    file = forms.FileField(label=_("Evidence file"), help_text=EVIDENCE_HELP, allow_empty_file=True)
    description = forms.CharField(label=_("What it shows (optional)"), max_length=500, required=False)


class TicketCancelForm(GigfairForm):
    reason = forms.ChoiceField(
        label=_("Why cancel the ticket?"),
        choices=[("", _("Choose a reason…")), *TicketCancelReason.choices],
        error_messages={"required": _("Choose a reason.")},
    )
    message = forms.CharField(
        label=_("A word to the others (optional)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class CancelAnswerForm(GigfairForm):
    message = forms.CharField(
        label=_("Message (optional)"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EscalateForm(GigfairForm):
    statement = forms.CharField(
        label=_("Why should support look again?"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Leave it empty to send the ticket's description."),
    )
    desired_outcome = forms.CharField(
        label=_("What do you ask support to do? (optional)"),
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
