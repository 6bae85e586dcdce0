"""The checks on a cancellation table, as pure functions (no database)."""

from __future__ import annotations

from decimal import Decimal

from orders import services
from orders.policy import DEFAULT_RULES
from orders.policy_rules import rule_problems, rules_problems, table_errors


def default_table() -> list[dict]:
    return [{name: getattr(rule, name) for name in services.RULE_FIELDS} for rule in DEFAULT_RULES]


def test_the_default_table_has_no_errors():
    assert table_errors(default_table()) == {}


def test_a_rule_moving_more_than_the_price_is_named_at_its_compensation():
    rule = {**default_table()[0], "client_refund_percent": Decimal("100"), "provider_compensation_percent": Decimal(50)}

    problems = rule_problems(rule)

    assert problems == {
        "provider_compensation_percent": (
            "Refund and compensation together may be at most 100 % of the price; here 150 %."
        )
    }


def test_a_rule_with_missing_values_is_left_to_its_own_fields():
    assert rule_problems({"path": "mutual", "credit_delta": None, "client_refund_percent": None}) == {}


def test_a_table_is_checked_as_a_whole_once_its_rules_are_right():
    # given: one broken rule, and a path left out
    table = [rule for rule in default_table() if rule["path"] != "no_show"]
    index = next(i for i, rule in enumerate(table) if rule["path"] == "mutual")
    table[index] = {**table[index], "min_hours_before_start": Decimal("3")}

    # when
    errors = table_errors(table)
    fixed = table_errors(
        [{**rule, "min_hours_before_start": None} if rule["path"] == "mutual" else rule for rule in table]
    )

    # then
    assert errors == {
        f"rules.{index}.min_hours_before_start": [
            "Only the shift paths have tiers by time before start; leave this empty."
        ]
    }
    assert fixed == {"rules": rules_problems(table)}
    assert fixed["rules"] == ["Every cancellation path needs a rule; missing: no-show (system)."]
