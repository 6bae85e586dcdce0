"""Cases link the restrictions their ruling imposed, as they link its cancellation and credit events.

Rulings made before kept only the case number in the restriction's reason ("… (#12): …"),
which is how upheld appeals found them; those are linked once here.
"""

from django.db import migrations, models


def link_restrictions(apps, schema_editor):
    SupportCase = apps.get_model("disputes", "SupportCase")
    Restriction = apps.get_model("credit", "Restriction")
    for case in SupportCase.objects.filter(ruled_at__isnull=False).select_related("order").iterator():
        found = Restriction.objects.filter(
            user_id__in=(case.order.client_id, case.order.provider_id),
            reason__contains=f"(#{case.pk})",
            created_at__gte=case.ruled_at,
        )
        case.ruling_restrictions.add(*found)


class Migration(migrations.Migration):
    dependencies = [
        ("credit", "0003_drop_index_covered_by_pair"),
        ("disputes", "0005_drop_index_covered_by_pair"),
    ]

    operations = [
        migrations.AddField(
            model_name="supportcase",
            name="ruling_restrictions",
            field=models.ManyToManyField(
                blank=True, related_name="support_cases", to="credit.restriction", verbose_name="restrictions ruled"
            ),
        ),
        migrations.RunPython(link_restrictions, migrations.RunPython.noop),
    ]
