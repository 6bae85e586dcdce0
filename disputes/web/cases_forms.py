"""Forms of the support case pages: they check the shape of input; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import GigfairForm
from disputes.models import CaseCategory


class CaseOpenForm(GigfairForm):
    category = forms.ChoiceField(label=_("What is it about?"), choices=CaseCategory.choices)
    statement = forms.CharField(
        label=_("What happened"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("The other party and support read it. Add files on the case page."),
    )
    desired_outcome = forms.CharField(
        label=_("What you ask support to do"),
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: cancel with a full refund, or pay the agreed amount."),
    )
    escalated_from = forms.TypedChoiceField(
        label=_("Declined request to escalate"), required=False, coerce=int, empty_value=None, choices=()
    )

    def __init__(self, *args, declined_requests=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if declined_requests:
            self.fields["escalated_from"].choices = [("", _("none"))] + [
                (r.pk, f"{r.get_type_display()} — {r.created_at:%Y-%m-%d}") for r in declined_requests
            ]
        else:
            del self.fields["escalated_from"]


class StatementForm(GigfairForm):
    text = forms.CharField(label=_("Your statement"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))


class EvidenceForm(GigfairForm):
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the upload check refuses it with the same words everywhere
        help_text=_("Images or PDF, up to 10 MB. The type is checked from the content, not the name."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf"}),
    )
    description = forms.CharField(label=_("What it shows"), max_length=500, required=False)


class AppealForm(GigfairForm):
    text = forms.CharField(
        label=_("Why the ruling is wrong"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("A case is appealed once; a supervisor decides."),
    )
