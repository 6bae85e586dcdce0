"""The order's message thread moves from the marketplace app to orders, rows and all.

The tables are taken over as they are (state only), then renamed to this app's names; the
content types follow, so staff permissions and logs that point at them keep working.
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import orders.models

MODELS = ("message", "messageattachment", "messagereport")


def move_content_types(apps, schema_editor, source="marketplace", target="orders"):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MODELS:
        if not ContentType.objects.filter(app_label=target, model=model).exists():
            ContentType.objects.filter(app_label=source, model=model).update(app_label=target)


def move_content_types_back(apps, schema_editor):
    move_content_types(apps, schema_editor, source="orders", target="marketplace")


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0010_refund_cancelled"),
        ("marketplace", "0005_user_language"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Message',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('body', models.TextField(verbose_name='text')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='sent at')),
                        ('author', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='author')),
                        ('order', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='messages', to='orders.order', verbose_name='order')),
                    ],
                    options={
                        'db_table': 'marketplace_message',
                        'verbose_name': 'message',
                        'verbose_name_plural': 'messages',
                        'ordering': ('created_at', 'id'),
                    },
                ),
                migrations.CreateModel(
                    name='MessageAttachment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('file', models.FileField(max_length=255, upload_to=orders.models.message_attachment_path, verbose_name='file')),
                        ('name', models.CharField(max_length=255, verbose_name='name')),
                        ('content_type', models.CharField(max_length=100, verbose_name='content type')),
                        ('size', models.PositiveIntegerField(verbose_name='size')),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='attachments', to='orders.message')),
                    ],
                    options={
                        'db_table': 'marketplace_messageattachment',
                        'verbose_name': 'attachment',
                        'verbose_name_plural': 'attachments',
                        'ordering': ('id',),
                    },
                ),
                migrations.CreateModel(
                    name='MessageReport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('spam', 'spam'), ('abuse', 'abuse or harassment'), ('off_platform_payment', 'asks to pay outside Gigfair'), ('other', 'something else')], max_length=32, verbose_name='reason')),
                        ('note', models.TextField(blank=True, verbose_name='note')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='reported at')),
                        ('resolved_at', models.DateTimeField(blank=True, null=True, verbose_name='resolved at')),
                        ('resolution_note', models.TextField(blank=True, verbose_name='resolution')),
                        ('message', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='reports', to='orders.message', verbose_name='message')),
                        ('reporter', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='reported by')),
                        ('resolved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='resolved by')),
                    ],
                    options={
                        'db_table': 'marketplace_messagereport',
                        'verbose_name': 'message report',
                        'verbose_name_plural': 'message reports',
                        'ordering': ('-created_at', '-id'),
                    },
                ),
                migrations.AddIndex(
                    model_name='message',
                    index=models.Index(fields=['order', 'created_at'], name='message_order_created_idx'),
                ),
                migrations.AddConstraint(
                    model_name='message',
                    constraint=models.CheckConstraint(condition=models.Q(('body', ''), _negated=True), name='message_has_text'),
                ),
                migrations.AddIndex(
                    model_name='messagereport',
                    index=models.Index(fields=['resolved_at', '-created_at'], name='report_queue_idx'),
                ),
                migrations.AddConstraint(
                    model_name='messagereport',
                    constraint=models.UniqueConstraint(fields=('message', 'reporter'), name='report_one_per_reporter'),
                ),
                migrations.AddConstraint(
                    model_name='messagereport',
                    constraint=models.CheckConstraint(condition=models.Q(('reason__in', ['spam', 'abuse', 'off_platform_payment', 'other'])), name='report_reason_known'),
                ),
                migrations.AddConstraint(
                    model_name='messagereport',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('reason', 'other'), _negated=True), models.Q(('note', ''), _negated=True), _connector='OR'), name='report_other_has_note'),
                ),
                migrations.AddConstraint(
                    model_name='messagereport',
                    constraint=models.CheckConstraint(condition=models.Q(models.Q(('resolution_note', ''), ('resolved_at__isnull', True), ('resolved_by__isnull', True)), models.Q(('resolved_at__isnull', False), ('resolved_by__isnull', False)), _connector='OR'), name='report_resolution_complete'),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="message", table=None),
        migrations.AlterModelTable(name="messageattachment", table=None),
        migrations.AlterModelTable(name="messagereport", table=None),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
