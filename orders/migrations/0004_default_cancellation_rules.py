"""The cancellation table of PRODUCT.md as the rules of policy version 1.

The table is written out here, as it stood when this migration was made, rather than taken
from ``orders.policy.DEFAULT_RULES``: a migration is history, and changing today's defaults
must not change what it did.
"""

from django.db import migrations

FIELDS = (
    "path",
    "label",
    "min_hours_before_start",
    "client_refund_percent",
    "provider_compensation_percent",
    "provider_fee_percent",
    "credit_delta",
    "credit_party",
    "counts_against_completion_rate",
    "counts_as_complaint",
    "fault",
)

# fmt: off
RULES = (
    # path, tier, applies from (hours before start; None = the last tier), refund to client %,
    # compensation to provider %, fee charged to provider %, credit change, credit change for,
    # counts against completion rate, counts as complaint, fault
    ("client_awaiting_requirements", "before requirements", None, 100, 0, 0, 0, "", False, False, "none"),
    ("provider_shift", "≥ 24 h before start", 24, 100, 0, 0, 0, "", False, False, "none"),
    ("provider_shift", "2–24 h before start", 2, 100, 0, 10, 0, "", True, False, "provider"),
    ("provider_shift", "< 2 h before start", None, 100, 0, 10, -10, "provider", True, True, "provider"),
    ("no_show", "no-show", None, 100, 0, 20, -20, "provider", True, True, "provider"),
    ("client_shift", "≥ 24 h before start", 24, 100, 0, 0, 0, "", False, False, "none"),
    ("client_shift", "2–24 h before start", 2, 90, 10, 0, 0, "", False, False, "none"),
    ("client_shift", "< 2 h before start", None, 70, 30, 0, 0, "", False, False, "none"),
    ("client_force_late", "≥ 24 h past due", None, 100, 0, 0, -5, "provider", True, False, "provider"),
    ("requirements_timeout", "no requirements for 14 days", None, 100, 0, 0, 0, "", False, False, "client"),
    ("mutual", "mutual agreement", None, 100, 0, 0, 0, "", True, False, "none"),
    ("ruling_client_responsible", "client responsible", None, 100, 0, 0, -10, "client", False, False, "client"),
    ("ruling_provider_responsible", "provider responsible", None, 100, 0, 0, -10, "provider", True, False, "provider"),
    ("ruling_force_majeure", "force majeure", None, 100, 0, 0, 0, "", False, False, "force_majeure"),
    ("ruling_none", "no fault", None, 100, 0, 0, 0, "", False, False, "none"),
)
# fmt: on


def create_default_rules(apps, schema_editor):
    Policy = apps.get_model("orders", "Policy")
    CancellationRule = apps.get_model("orders", "CancellationRule")
    policy = Policy.objects.filter(version=1).first()
    if policy is None or CancellationRule.objects.filter(policy=policy).exists():
        return
    CancellationRule.objects.bulk_create(
        CancellationRule(policy=policy, **dict(zip(FIELDS, rule, strict=True))) for rule in RULES
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_cancellation")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
