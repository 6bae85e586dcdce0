"""Link the rulings made before cases kept their links, the way appeals used to find them.

Before 0002 an upheld appeal looked the ruling's cancellation and credit events up by the
ruling's timestamp; cases ruled then get those rows linked once here, so their appeals keep
working. New rulings link what they make as they make it.
"""

from django.db import migrations


def link_rulings(apps, schema_editor):
    SupportCase = apps.get_model("disputes", "SupportCase")
    Cancellation = apps.get_model("orders", "Cancellation")
    CreditEvent = apps.get_model("credit", "CreditEvent")
    ruled = SupportCase.objects.filter(ruled_at__isnull=False, ruling_cancellation__isnull=True)
    for case in ruled.iterator():
        if case.ruling_credit_events.exists():
            continue
        cancellation = Cancellation.objects.filter(
            order_id=case.order_id, actor_role="support", created_at=case.ruled_at, support_case__isnull=True
        ).first()
        if cancellation is not None:
            case.ruling_cancellation = cancellation
            case.save(update_fields=["ruling_cancellation"])
        events = CreditEvent.objects.filter(
            order_id=case.order_id, reason="ruling", created_at=case.ruled_at, reverses__isnull=True
        )
        case.ruling_credit_events.add(*events)


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0002_links_pauses_refunds"),
    ]

    operations = [migrations.RunPython(link_rulings, migrations.RunPython.noop)]
