"""Forms of the back office: a policy's cancellation table, support rulings and appeals.

The checks on a cancellation table live beside the engine (``orders.policy_rules``), where
``policy_save`` calls them too; the forms here show their messages at the rows they concern.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import PERSON_REASONS, CancellationRule, Fault
from .policy_rules import rule_problems, rules_problems
from .services import RULE_FIELDS


def client_side_reasons_field(db_field) -> forms.MultipleChoiceField:
    """A policy's client-side cancellation reasons as boxes to tick, from the reasons a person chooses."""
    return forms.MultipleChoiceField(
        label=capfirst(db_field.verbose_name),
        help_text=db_field.help_text,
        choices=PERSON_REASONS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class CancellationRuleForm(forms.ModelForm):
    """One row of the table, checked on its own; the formset checks the table as a whole."""

    class Meta:
        model = CancellationRule
        fields = RULE_FIELDS

    def _get_validation_exclusions(self) -> set[str]:
        # Tiers must be distinct within the table being saved, which the formset checks.
        # Checking each row against the stored rows would refuse valid tables (two tiers
        # swapping thresholds, a tier deleted and re-added) and, when the edit becomes a new
        # version, would compare with the old version's rows.
        return {*super()._get_validation_exclusions(), "min_hours_before_start"}

    def clean(self) -> dict:
        data = super().clean()
        for field, message in rule_problems(data).items():
            self.add_error(field, message)
        return data


class CancellationRuleFormSet(BaseInlineFormSet):
    """A policy's cancellation table: valid only as a whole (see ``rules_problems``)."""

    def rule_values(self) -> list[dict]:
        """The rows the table keeps, as dicts of ``RULE_FIELDS`` (call after validation)."""
        rows = []
        for form in self.forms:
            if not form.has_changed() and form.instance.pk is None:
                continue  # an empty extra row
            if self.can_delete and self._should_delete_form(form):
                continue
            rows.append({name: form.cleaned_data.get(name) for name in RULE_FIELDS})
        return rows

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return  # the rows' own errors first; the table is checked once they are right
        problems = rules_problems(self.rule_values())
        if problems:
            raise ValidationError(problems)


# --- Support ------------------------------------------------------------------------------


class SupportCancellationForm(forms.Form):
    """A support ruling that cancels an order: who was at fault, why, and what both are told."""

    fault = forms.ChoiceField(label=_("Fault"), choices=Fault.choices, widget=forms.RadioSelect)
    reason = forms.ChoiceField(label=_("Reason"), choices=PERSON_REASONS)
    message = forms.CharField(
        label=_("Message to both parties"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=_("The reasons for the ruling; the client and the provider both read it."),
    )
    refund_percent = forms.DecimalField(
        label=_("Refund to the client (%)"),
        required=False,
        min_value=0,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text=_(
            "Optional. Empty applies the policy's rule for the fault; a percentage overrides the refund "
            "and the rest of the price goes to the provider."
        ),
    )

    def clean_message(self) -> str:
        message = self.cleaned_data["message"].strip()
        if not message:
            raise ValidationError(gettext("Explain the ruling; both parties will see it."))
        return message


class AppealForm(forms.Form):
    """Upholding an appeal against a cancellation: the ruling is required and kept."""

    reason = forms.CharField(
        label=_("Ruling"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5, "cols": 60}),
        help_text=_("Why the appeal is upheld; both parties are told and it stays on the cancellation."),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(gettext("Explain why the appeal is upheld."))
        return reason
