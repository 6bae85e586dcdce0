"""Policy versions: staff edit them, and no edit ever changes the terms of an order.

A version no order was made under is edited in place. A version some order was made under
stays as it is, and the edit is stored as a new version numbered after the highest, which new
orders then use (``policy_current`` takes the newest). The back office (``PolicyAdmin``)
validates what staff typed and calls these services; the cancellation table is checked by
``orders.policy_rules`` in both places.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from core.exceptions import ValidationFailed
from marketplace.models import User

from .models import CancellationRule, Order, Policy
from .policy_rules import table_errors
from .services import RULE_FIELDS


class PolicySaveKind(StrEnum):
    """What saving an edit of a version did."""

    IN_PLACE = "in_place"  # no order was made under the version, so it was edited
    UNCHANGED = "unchanged"  # orders use the version and nothing was edited: nothing written
    NEW_VERSION = "new_version"  # orders use the version: the edit became a new version


@dataclass(frozen=True)
class PolicySaved:
    """The result of ``policy_save``."""

    kind: PolicySaveKind
    policy: Policy  # the version as saved: the edited one, or the new one
    old_version: int  # the number of the version that was edited
    rules_changed: bool


def _rules_create(policy: Policy, rules: Iterable[Mapping[str, Any]]) -> None:
    CancellationRule.objects.bulk_create(
        CancellationRule(policy=policy, **{name: rule[name] for name in RULE_FIELDS}) for rule in rules
    )


@transaction.atomic
def policy_create(*, policy: Policy, actor: User) -> Policy:
    """Save a version added from scratch, its cancellation table copied from the newest version."""
    source = Policy.objects.order_by("-version").first()
    policy.created_by = actor
    policy.save()
    if source is not None:
        _rules_create(policy, source.rules.values(*RULE_FIELDS))
    return policy


@transaction.atomic
def policy_save(
    *,
    policy: Policy,
    actor: User,
    values_changed: bool,
    rules: Sequence[Mapping[str, Any]] | None = None,
) -> PolicySaved:
    """Save an edit of a stored version: in place while no order uses it, else as a new version.

    ``policy`` is the stored version carrying the edited values, not yet saved, and
    ``values_changed`` says whether the editor changed any of them. ``rules`` is the whole
    cancellation table as edited (dicts of ``RULE_FIELDS``), or ``None`` when the table was
    not touched. For a new version ``policy`` itself becomes the new row, as the admin's
    "save as new" does, so the caller's instance is the one saved.
    """
    if rules is not None and (errors := table_errors(rules)):
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    old_version = policy.version
    rules_changed = rules is not None

    # The row lock makes the check final: on PostgreSQL a new order referencing this
    # version waits for it (its foreign key check takes a key-share lock) and vice versa.
    Policy.objects.select_for_update().filter(pk=policy.pk).first()
    if not Order.objects.filter(policy_id=policy.pk).exists():
        policy.save()
        if rules is not None:
            # The table is replaced as a whole: saving rows one by one could briefly
            # hold two tiers with one threshold (a swap) and break the unique constraint.
            policy.rules.all().delete()
            _rules_create(policy, rules)
        return PolicySaved(PolicySaveKind.IN_PLACE, policy, old_version, rules_changed)
    if not (values_changed or rules_changed):
        return PolicySaved(PolicySaveKind.UNCHANGED, policy, old_version, rules_changed=False)

    if rules is None:
        # The version is in use, so its stored table is final: the new version copies it.
        rules = list(CancellationRule.objects.filter(policy_id=policy.pk).values(*RULE_FIELDS))
    # Numbering waits for any other version being saved (the newest row's lock).
    Policy.objects.select_for_update().order_by("-version").first()
    policy.pk = None
    policy._state.adding = True
    policy.version = (Policy.objects.aggregate(v=Max("version"))["v"] or 0) + 1
    policy.created_by = actor
    policy.created_at = timezone.now()
    policy.save(force_insert=True)
    _rules_create(policy, rules)
    return PolicySaved(PolicySaveKind.NEW_VERSION, policy, old_version, rules_changed)
