"""Saving policy versions: an edit never changes the terms an order was made under."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.exceptions import ValidationFailed
from orders import services
from orders.models import CancellationRule, Order, Policy
from orders.policy_versions import PolicySaved, PolicySaveKind, policy_create, policy_save
from tests.factories import UserFactory, service_order

pytestmark = pytest.mark.django_db


def table_of(policy: Policy) -> list[dict]:
    return list(CancellationRule.objects.filter(policy_id=policy.pk).values(*services.RULE_FIELDS))


def edited(policy: Policy, **values) -> Policy:
    """The stored version as an editor holds it: read afresh, with new values not yet saved."""
    policy = Policy.objects.get(pk=policy.pk)
    for name, value in values.items():
        setattr(policy, name, value)
    return policy


def with_rule(table: list[dict], path: str, label: str, **values) -> list[dict]:
    """A copy of ``table`` with the rule ``path``/``label`` changed."""
    return [{**rule, **values} if (rule["path"], rule["label"]) == (path, label) else dict(rule) for rule in table]


def draft(actor) -> Policy:
    """A version no order was made under yet."""
    newest = services.policy_current()
    return policy_create(policy=Policy(version=newest.version + 1, name="Draft"), actor=actor)


def test_an_added_version_copies_the_newest_table_and_records_who_added_it():
    # given
    newest = services.policy_current()
    staff = UserFactory(support=True)

    # when
    added = policy_create(policy=Policy(version=newest.version + 1, name="Spring terms"), actor=staff)

    # then
    added.refresh_from_db()
    assert (added.name, added.created_by) == ("Spring terms", staff)
    assert table_of(added) == table_of(newest) != []


def test_a_version_no_order_uses_is_edited_in_place():
    # given
    staff = UserFactory(support=True)
    policy = draft(staff)
    versions = Policy.objects.count()
    table = with_rule(table_of(policy), "no_show", "no-show", provider_fee_percent=Decimal("25"))

    # when
    saved = policy_save(
        policy=edited(policy, platform_fee_percent=Decimal("11.00")), actor=staff, values_changed=True, rules=table
    )

    # then
    policy.refresh_from_db()
    assert saved == PolicySaved(PolicySaveKind.IN_PLACE, saved.policy, policy.version, rules_changed=True)
    assert saved.policy.pk == policy.pk
    assert Policy.objects.count() == versions
    assert policy.platform_fee_percent == Decimal("11.00")
    assert policy.rules.get(path="no_show").provider_fee_percent == Decimal("25")
    assert services.policy_current() == policy


def test_an_unused_version_keeps_its_table_when_only_its_values_change():
    # given
    staff = UserFactory(support=True)
    policy = draft(staff)
    rule_ids = set(policy.rules.values_list("pk", flat=True))

    # when
    saved = policy_save(policy=edited(policy, name="Renamed"), actor=staff, values_changed=True)

    # then
    policy.refresh_from_db()
    assert (saved.kind, saved.rules_changed) == (PolicySaveKind.IN_PLACE, False)
    assert policy.name == "Renamed"
    assert set(policy.rules.values_list("pk", flat=True)) == rule_ids


def test_a_used_version_saved_unchanged_writes_nothing():
    # given
    policy = service_order().policy
    staff = UserFactory(support=True)
    versions, table = Policy.objects.count(), table_of(policy)
    unchanged = edited(policy)

    # when
    with CaptureQueriesContext(connection) as queries:
        saved = policy_save(policy=unchanged, actor=staff, values_changed=False)

    # then
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert saved == PolicySaved(PolicySaveKind.UNCHANGED, unchanged, policy.version, rules_changed=False)
    assert writes == []
    assert (Policy.objects.count(), table_of(policy)) == (versions, table)


def test_editing_a_used_version_saves_the_next_version_and_leaves_the_old_one():
    # given
    order = service_order()
    old = order.policy
    staff = UserFactory(support=True)
    old_table = table_of(old)
    table = with_rule(
        old_table,
        "client_shift",
        "2–24 h before start",
        client_refund_percent=Decimal("85"),
        provider_compensation_percent=Decimal("15"),
    )

    # when
    saved = policy_save(
        policy=edited(old, platform_fee_percent=Decimal("12.50")), actor=staff, values_changed=True, rules=table
    )

    # then
    old.refresh_from_db()
    order.refresh_from_db()
    new = Policy.objects.get(pk=saved.policy.pk)
    assert (saved.kind, saved.old_version, saved.rules_changed) == (PolicySaveKind.NEW_VERSION, old.version, True)
    assert (new.version, new.created_by, new.platform_fee_percent) == (old.version + 1, staff, Decimal("12.50"))
    assert table_of(new) == table
    assert (old.platform_fee_percent, table_of(old)) == (Decimal("10.00"), old_table)
    assert order.policy_id == old.pk
    assert services.policy_current() == new


def test_a_new_version_is_numbered_after_the_highest_not_after_the_edited_one():
    # given: versions 1 and 2, both with orders
    first = service_order().policy
    staff = UserFactory(support=True)
    second = draft(staff)
    service_order()
    assert Order.objects.filter(policy=second).exists()

    # when
    saved = policy_save(policy=edited(first, name="Older terms, edited"), actor=staff, values_changed=True)

    # then
    assert saved.kind == PolicySaveKind.NEW_VERSION
    assert (saved.old_version, saved.policy.version) == (first.version, second.version + 1)


def test_a_new_version_made_from_its_values_alone_copies_the_table():
    # given
    old = service_order().policy
    staff = UserFactory(support=True)

    # when
    saved = policy_save(policy=edited(old, no_show_minutes=45), actor=staff, values_changed=True)

    # then
    assert (saved.kind, saved.rules_changed) == (PolicySaveKind.NEW_VERSION, False)
    assert saved.policy.no_show_minutes == 45
    assert table_of(saved.policy) == table_of(old)


@pytest.mark.parametrize("used", [True, False], ids=["used version", "unused version"])
def test_a_table_missing_a_path_is_refused_and_nothing_changes(used):
    # given
    staff = UserFactory(support=True)
    policy = service_order().policy if used else draft(staff)
    versions, name, table = Policy.objects.count(), policy.name, table_of(policy)
    broken = [rule for rule in table if rule["path"] != "no_show"]

    # when
    with pytest.raises(ValidationFailed) as refused:
        policy_save(policy=edited(policy, name="Broken"), actor=staff, values_changed=True, rules=broken)

    # then
    assert list(refused.value.errors) == ["rules"]
    assert refused.value.message.startswith("Every cancellation path needs a rule; missing: no-show (system)")
    policy.refresh_from_db()
    assert (Policy.objects.count(), policy.name, table_of(policy)) == (versions, name, table)


def test_a_broken_rule_is_refused_at_its_place_in_the_table():
    # given
    staff = UserFactory(support=True)
    policy = draft(staff)
    table = table_of(policy)
    index = next(i for i, rule in enumerate(table) if rule["path"] == "mutual")
    table[index] = {**table[index], "credit_delta": -5, "credit_party": ""}

    # when
    with pytest.raises(ValidationFailed) as refused:
        policy_save(policy=edited(policy), actor=staff, values_changed=False, rules=table)

    # then
    assert refused.value.errors == {f"rules.{index}.credit_party": ["Say whose credit changes."]}
    assert policy.rules.get(path="mutual").credit_delta == 0
