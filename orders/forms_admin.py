"""Forms of the back office: a policy's cancellation table, support rulings and appeals.

The checks on a cancellation table are the assumptions the engine (``orders.policy``) and
its property tests make: every path has a rule, each shift path has ordered tiers ending in
one open-ended tier, and a tier closer to the start is never kinder to whoever cancels.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import pairwise

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import PERSON_REASONS, CancellationPath, CancellationRule, Fault
from .policy import Path
from .services import RULE_FIELDS

HUNDRED = Decimal("100")


def _pct(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _path_label(path: str) -> str:
    return str(CancellationPath(path).label)


def _tier_label(rule: Mapping) -> str:
    if rule.get("label"):
        return rule["label"]
    hours = rule.get("min_hours_before_start")
    if hours is None:
        return gettext("last tier")
    return gettext("from %(hours)s h before start") % {"hours": _pct(hours)}


def _farthest_first(rule: Mapping) -> Decimal:
    hours = rule.get("min_hours_before_start")
    return hours if hours is not None else Decimal("-Infinity")


# (field, "up" if a closer tier may only raise it, "down" if it may only lower it, label)
_MONOTONIC = (
    ("client_refund_percent", "down", _("the refund to the client")),
    ("provider_fee_percent", "up", _("the fee charged to the provider")),
    ("credit_delta", "down", _("the credit change")),
)


def rules_problems(rules: Sequence[Mapping]) -> list[str]:
    """What is wrong with a whole cancellation table (rules as dicts of ``RULE_FIELDS``)."""
    problems: list[str] = []
    by_path: dict[str, list[Mapping]] = {}
    for rule in rules:
        by_path.setdefault(rule["path"], []).append(rule)

    missing = [_path_label(path) for path in Path.ALL if path not in by_path]
    if missing:
        problems.append(
            gettext("Every cancellation path needs a rule; missing: %(paths)s.") % {"paths": "; ".join(missing)}
        )

    for path, path_rules in by_path.items():
        label = _path_label(path)
        if path not in Path.TIERED:
            if len(path_rules) > 1:
                problems.append(
                    gettext("%(path)s: give this path one rule, not %(n)d (it has no tiers).")
                    % {"path": label, "n": len(path_rules)}
                )
            continue
        last = [r for r in path_rules if r.get("min_hours_before_start") is None]
        if len(last) != 1:
            problems.append(
                gettext(
                    "%(path)s: exactly one tier must have an empty “applies from” (the last tier, closest "
                    "to the start); there are %(n)d."
                )
                % {"path": label, "n": len(last)}
            )
        thresholds = [r["min_hours_before_start"] for r in path_rules if r.get("min_hours_before_start") is not None]
        repeated = sorted({h for h in thresholds if thresholds.count(h) > 1})
        if repeated:
            problems.append(
                gettext("%(path)s: two tiers start at the same time before start (%(hours)s h).")
                % {"path": label, "hours": ", ".join(_pct(h) for h in repeated)}
            )
        ordered = sorted(path_rules, key=_farthest_first, reverse=True)
        for far, near in pairwise(ordered):
            for field, direction, what in _MONOTONIC:
                worse = near[field] < far[field] if direction == "up" else near[field] > far[field]
                if not worse:
                    continue
                verb = gettext("may not fall") if direction == "up" else gettext("may not rise")
                problems.append(
                    gettext(
                        "%(path)s: closer to the start %(what)s %(verb)s: “%(far)s” has %(far_value)s, "
                        "“%(near)s” has %(near_value)s."
                    )
                    % {
                        "path": label,
                        "what": what,
                        "verb": verb,
                        "far": _tier_label(far),
                        "far_value": _pct(far[field]) if field != "credit_delta" else f"{far[field]:+d}",
                        "near": _tier_label(near),
                        "near_value": _pct(near[field]) if field != "credit_delta" else f"{near[field]:+d}",
                    }
                )
    return problems


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
        refund = data.get("client_refund_percent")
        compensation = data.get("provider_compensation_percent")
        if refund is not None and compensation is not None and refund + compensation > HUNDRED:
            self.add_error(
                "provider_compensation_percent",
                gettext("Refund and compensation together may be at most 100 %% of the price; here %(total)s %%.")
                % {"total": _pct(refund + compensation)},
            )
        path = data.get("path")
        if path and path not in Path.TIERED and data.get("min_hours_before_start") is not None:
            self.add_error(
                "min_hours_before_start",
                gettext("Only the shift paths have tiers by time before start; leave this empty."),
            )
        if data.get("credit_delta") and not data.get("credit_party"):
            self.add_error("credit_party", gettext("Say whose credit changes."))
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
