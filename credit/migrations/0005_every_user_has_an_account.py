"""Every user has a credit account (the starting score) from sign-up on: the ones made before get
theirs now, so the back office lists everyone and their levels are computed like anyone's."""

from django.conf import settings
from django.db import migrations

BATCH = 1000


def open_missing(apps, schema_editor):
    User = apps.get_model(*settings.AUTH_USER_MODEL.split("."))
    CreditAccount = apps.get_model("credit", "CreditAccount")
    missing = User.objects.filter(credit_account__isnull=True).values_list("pk", flat=True).order_by("pk")
    ids = list(missing)
    for start in range(0, len(ids), BATCH):
        CreditAccount.objects.bulk_create(
            [CreditAccount(user_id=pk) for pk in ids[start : start + BATCH]], ignore_conflicts=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0004_details_as_msgids"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(open_missing, migrations.RunPython.noop, elidable=True)]
