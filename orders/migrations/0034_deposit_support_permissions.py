"""Support sees the deposits workers put down (what each holds is on the ledger accounts they
read already)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = (("orders", "view_depositpayment"),)


def _permissions(apps):
    for app_config in apps.get_app_configs():
        had = getattr(app_config, "models_module", None)
        app_config.models_module = had or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had
    Permission = apps.get_model("auth", "Permission")
    wanted = set(GRANTS)
    return [
        p for p in Permission.objects.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted
    ]


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
    dependencies = [("orders", "0033_deposits"), ("orders", "0032_money_out_support_permissions")]

    operations = [migrations.RunPython(grant, revoke)]
