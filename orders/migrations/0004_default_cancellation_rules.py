"""The cancellation table of PRODUCT.md as the rules of policy version 1."""

from django.db import migrations

from orders.policy import DEFAULT_RULES


def create_default_rules(apps, schema_editor):
    Policy = apps.get_model("orders", "Policy")
    CancellationRule = apps.get_model("orders", "CancellationRule")
    policy = Policy.objects.filter(version=1).first()
    if policy is None or CancellationRule.objects.filter(policy=policy).exists():
        return
    CancellationRule.objects.bulk_create(
        CancellationRule(
            policy=policy,
            path=rule.path,
            label=rule.label,
            min_hours_before_start=rule.min_hours_before_start,
            client_refund_percent=rule.client_refund_percent,
            provider_compensation_percent=rule.provider_compensation_percent,
            provider_fee_percent=rule.provider_fee_percent,
            credit_delta=rule.credit_delta,
            credit_party=rule.credit_party,
            counts_against_completion_rate=rule.counts_against_completion_rate,
            counts_as_complaint=rule.counts_as_complaint,
            fault=rule.fault,
        )
        for rule in DEFAULT_RULES
    )


class Migration(migrations.Migration):
    dependencies = [("orders", "0003_cancellation")]

    operations = [migrations.RunPython(create_default_rules, migrations.RunPython.noop)]
