"""Forms of the claim and appeal pages: they check the shape of input; the services check the rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import GigfairForm, MultipleFileField
from disputes.models import ClaimKind

PROOF_HELP = _("Images or PDF, up to 10 MB each, at most 5: a doctor's note, a weather warning, the changed brief.")


class ClaimForm(GigfairForm):
    kind = forms.ChoiceField(label=_("Why you must cancel"), widget=forms.RadioSelect)
    statement = forms.CharField(
        label=_("What happened"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say what happened and why it is not your fault.")},
    )
    files = MultipleFileField(label=_("Proof"), accept="image/*,application/pdf", required=False, help_text=PROOF_HELP)

    def __init__(self, *args, kinds=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [c for c in ClaimKind.choices if c[0] in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]


class PenaltyAppealForm(GigfairForm):
    statement = forms.CharField(
        label=_("Why this penalty is wrong"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Say why this penalty is wrong.")},
    )
    files = MultipleFileField(label=_("Proof"), accept="image/*,application/pdf", required=False, help_text=PROOF_HELP)
