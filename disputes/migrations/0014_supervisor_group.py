"""The ``supervisor`` group: support agents who also decide appeals of rulings and edit the policy.

A supervisor is a member of both groups: ``support`` gives the rights of an agent (migration
0012), ``supervisor`` adds deciding appeals of rulings (``disputes.services.cases.is_supervisor``)
and editing the cancellation policy and its rules in the admin, which agents may only read.
The group was first created as ``supervisors``; it keeps its members under the new name.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

SUPERVISOR_GROUP = "supervisor"
OLD_NAME = "supervisors"

GRANTS = (
    ("orders", "view_policy"),
    ("orders", "add_policy"),
    ("orders", "change_policy"),
    ("orders", "view_cancellationrule"),
    ("orders", "add_cancellationrule"),
    ("orders", "change_cancellationrule"),
    ("orders", "delete_cancellationrule"),
)


def _permissions(apps):
    Permission = apps.get_model("auth", "Permission")
    wanted = set(GRANTS)
    found = [p for p in Permission.objects.select_related("content_type") if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in found}
    assert not missing, f"permissions not found: {sorted(missing)}"
    return found


def grant(apps, schema_editor):
    # Permissions are normally created after migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        had = getattr(app_config, "models_module", None)
        app_config.models_module = had or True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = had
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=SUPERVISOR_GROUP).first()
    old = Group.objects.filter(name=OLD_NAME).first()
    if group is None and old is not None:
        old.name = SUPERVISOR_GROUP
        old.save(update_fields=["name"])
        group = old
    elif group is None:
        group = Group.objects.create(name=SUPERVISOR_GROUP)
    elif old is not None:
        group.user_set.add(*old.user_set.all())
        old.delete()
    group.permissions.add(*_permissions(apps))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    group = Group.objects.filter(name=SUPERVISOR_GROUP).first()
    if group is None:
        return
    group.permissions.remove(*_permissions(apps))
    if not Group.objects.filter(name=OLD_NAME).exists():
        group.name = OLD_NAME
        group.save(update_fields=["name"])


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0013_opened_as"),
        ("orders", "0019_delivery_files_random_names"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
