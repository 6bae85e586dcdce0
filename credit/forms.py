"""Forms of the credit back office: each one feeds one service, which checks the rules again."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .models import RestrictionKind

# An event's detail holds 255 characters: a longer reason would be cut short on the user's page.
DETAIL_MAX = 255


def _required_text(value: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value


class CreditAdjustForm(forms.Form):
    """A manual adjustment: a change and the reason the user will read."""

    delta = forms.IntegerField(
        # A noun here; the bare "Change" is the admin's verb (its "Change" links).
        label=pgettext_lazy("score", "Change"),
        min_value=-100,
        max_value=100,
        help_text=_("Points to add (positive) or take off (negative); the score stays between 0 and 100."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=DETAIL_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("The user sees it on their credit page, beside the change."),
    )

    def clean_delta(self) -> int:
        delta = self.cleaned_data["delta"]
        if delta == 0:
            raise ValidationError(gettext("Give a change other than 0."))
        return delta

    def clean_reason(self) -> str:
        return _required_text(self.cleaned_data["reason"], gettext("Say why; the user sees it on their credit page."))


class RestrictForm(forms.Form):
    """Take a right away: which one, why, and what gives it back (the user reads both)."""

    kind = forms.ChoiceField(label=_("Restriction"), widget=forms.RadioSelect)
    reason = forms.CharField(
        label=_("Why"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Shown to the user on their credit page and in every refusal."),
    )
    restores = forms.CharField(
        label=_("What restores access"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("What the user can do to get the right back, e.g. “Support lifts it after a review.”"),
    )

    def __init__(self, *args, kinds: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, label) for k, label in RestrictionKind.choices if k in kinds]

    def clean_reason(self) -> str:
        return _required_text(self.cleaned_data["reason"], gettext("Say why."))

    def clean_restores(self) -> str:
        return _required_text(self.cleaned_data["restores"], gettext("Say what restores access."))


class RestrictionLiftForm(forms.Form):
    reason = forms.CharField(
        label=_("Why lift it"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Kept in the restriction's history."),
    )

    def clean_reason(self) -> str:
        return _required_text(self.cleaned_data["reason"], gettext("Say why."))


class CreditEventReverseForm(forms.Form):
    reason = forms.CharField(
        label=_("Ruling"),
        max_length=DETAIL_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text=_("Why the appeal is upheld; the user sees it beside the reversal on their credit page."),
    )

    def clean_reason(self) -> str:
        return _required_text(self.cleaned_data["reason"], gettext("Explain why the appeal is upheld."))
