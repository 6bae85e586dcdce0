import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0015_claims_and_appeals_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="policy",
            name="ticket_confirm_hours",
            field=models.PositiveSmallIntegerField(
                default=48,
                help_text="Without an answer the cancellation is confirmed; in processing a support agent decides it.",
                validators=[django.core.validators.MinValueValidator(1)],
                verbose_name="after-sales: time to answer a ticket's cancellation (hours)",
            ),
        ),
        migrations.AddField(
            model_name="policy",
            name="ticket_escalation_days",
            field=models.PositiveSmallIntegerField(
                default=7, verbose_name="after-sales: a rejected ticket can go to support within (days)"
            ),
        ),
    ]
