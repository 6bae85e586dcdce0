"""The default rules from PRODUCT.md as policy version 1."""

from django.db import migrations


def create_default_policy(apps, schema_editor):
    Policy = apps.get_model("orders", "Policy")
    if not Policy.objects.exists():
        Policy.objects.create(version=1, name="Gigfair standard terms")


class Migration(migrations.Migration):
    dependencies = [("orders", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
