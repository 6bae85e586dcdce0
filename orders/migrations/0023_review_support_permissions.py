"""Support agents read reviews and remove those that break the rules: the ``support`` group gets
the permissions to view and change reviews, and to view reputations."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = (("orders", "view_review"), ("orders", "change_review"), ("marketplace", "view_reputation"))


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
    dependencies = [
        ("orders", "0022_reviews"),
        ("marketplace", "0011_reputation_early_access"),
        ("disputes", "0014_supervisor_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
