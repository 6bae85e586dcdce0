"""The ``support`` group: its staff members act for support in the API (core.support)."""

from django.db import migrations

SUPPORT_GROUP = "support"


def create_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.get_or_create(name=SUPPORT_GROUP)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_drop_index_covered_by_pair"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_group, migrations.RunPython.noop)]
