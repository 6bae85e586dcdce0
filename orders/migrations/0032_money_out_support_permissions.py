"""Support works the money-out queues: the ``support`` group views and retries payouts, reads the
reconciliation runs, and sees shift handovers and waitlists."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = (
    ("orders", "view_payout"),
    ("orders", "change_payout"),
    ("orders", "view_reconciliationrun"),
    ("orders", "view_handover"),
    ("orders", "view_waitlistentry"),
)


def _permissions(apps):
    for app_config in apps.get_app_configs():
        had = getattr(app_config, "models_module", None)
        app_config.models_module = had or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had
    Permission = apps.get_model("auth", "Permission")
    wanted = set(GRANTS)
    return [p for p in Permission.objects.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted]


def grant(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    support, _ = Group.objects.get_or_create(name="support")
    support.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    support = Group.objects.filter(name="support").first()
    if support is not None:
        support.permissions.remove(*_permissions(apps))


class Migration(migrations.Migration):
    dependencies = [("orders", "0031_money_out"), ("orders", "0023_review_support_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
