"""The checks on a policy's cancellation table: pure functions, no I/O.

They are the assumptions the engine (``orders.policy``) and its property tests make: every
path has a rule, each shift path has ordered tiers ending in one open-ended tier, a tier
closer to the start is never kinder to whoever cancels, and no rule moves more than the price.
The admin's forms show their messages beside the rows; ``policy_save`` refuses a table that
fails them. A rule is a mapping of ``RULE_FIELDS`` (a form's cleaned data, or a stored row's
values); a value may be missing when its own field was invalid.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from itertools import pairwise

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import CancellationPath
from .policy import HUNDRED, Path


def percent_text(value: Decimal) -> str:
    """A percentage or a number of hours as people write it: ``150``, ``12.5``."""
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
    return gettext("from %(hours)s h before start") % {"hours": percent_text(hours)}


def _farthest_first(rule: Mapping) -> Decimal:
    hours = rule.get("min_hours_before_start")
    return hours if hours is not None else Decimal("-Infinity")


def rule_problems(rule: Mapping) -> dict[str, str]:
    """What is wrong with one rule on its own, by the field the message belongs to."""
    problems: dict[str, str] = {}
    refund = rule.get("client_refund_percent")
    compensation = rule.get("provider_compensation_percent")
    if refund is not None and compensation is not None and refund + compensation > HUNDRED:
        problems["provider_compensation_percent"] = gettext(
            "Refund and compensation together may be at most 100 %% of the price; here %(total)s %%."
        ) % {"total": percent_text(refund + compensation)}
    path = rule.get("path")
    if path and path not in Path.TIERED and rule.get("min_hours_before_start") is not None:
        problems["min_hours_before_start"] = gettext(
            "Only the shift paths have tiers by time before start; leave this empty."
        )
    if rule.get("credit_delta") and not rule.get("credit_party"):
        problems["credit_party"] = gettext("Say whose credit changes.")
    return problems


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
                % {"path": label, "hours": ", ".join(percent_text(h) for h in repeated)}
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
                        "far_value": percent_text(far[field]) if field != "credit_delta" else f"{far[field]:+d}",
                        "near": _tier_label(near),
                        "near_value": percent_text(near[field]) if field != "credit_delta" else f"{near[field]:+d}",
                    }
                )
    return problems


def table_errors(rules: Sequence[Mapping]) -> dict[str, list[str]]:
    """Every problem of a table, keyed by where it is.

    A rule's own problems are under ``rules.<index>.<field>``; the table's as a whole are
    under ``rules``, checked once every rule is right on its own (as the admin's forms do).
    """
    errors = {
        f"rules.{index}.{field}": [message]
        for index, rule in enumerate(rules)
        for field, message in rule_problems(rule).items()
    }
    if not errors and (problems := rules_problems(rules)):
        errors["rules"] = problems
    return errors
