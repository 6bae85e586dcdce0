"""The order's message thread now belongs to the orders app (its 0011 takes the tables over)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("marketplace", "0005_user_language"),
        ("orders", "0011_message_thread_from_marketplace"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(model_name="messagereport", name="message"),
                migrations.RemoveField(model_name="messageattachment", name="message"),
                migrations.RemoveField(model_name="messagereport", name="reporter"),
                migrations.RemoveField(model_name="messagereport", name="resolved_by"),
                migrations.DeleteModel(name="Message"),
                migrations.DeleteModel(name="MessageAttachment"),
                migrations.DeleteModel(name="MessageReport"),
            ],
            database_operations=[],
        )
    ]
