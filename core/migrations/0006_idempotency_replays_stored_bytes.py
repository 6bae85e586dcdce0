"""Idempotent replays send the stored bytes and content type; anonymous keys are scoped by body."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db import migrations, models


def render_stored_bodies(apps, schema_editor):
    # Answers stored before this were kept as parsed JSON: render them as the API's renderer did
    # (compact, UTF-8), errors being problem+json.
    IdempotencyKey = apps.get_model("core", "IdempotencyKey")
    for record in IdempotencyKey.objects.filter(response_status__isnull=False).iterator():
        record.response_content = json.dumps(
            record.response_body, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False
        ).encode()
        record.response_content_type = (
            "application/problem+json" if record.response_status >= 400 else "application/json"
        )
        record.save(update_fields=("response_content", "response_content_type"))
    # Anonymous keys were not unique before (a NULL user never collides): keep one of each.
    seen = set()
    for record in IdempotencyKey.objects.filter(user__isnull=True).order_by("created_at", "pk").iterator():
        if (record.key, record.request_hash) in seen:
            record.delete()
        seen.add((record.key, record.request_hash))


class Migration(migrations.Migration):
    dependencies = [("core", "0005_support_group")]

    operations = [
        migrations.AddField(
            model_name="idempotencykey",
            name="response_content",
            field=models.BinaryField(null=True),
        ),
        migrations.AddField(
            model_name="idempotencykey",
            name="response_content_type",
            field=models.CharField(blank=True, max_length=100),
        ),
        migrations.RunPython(render_stored_bodies, migrations.RunPython.noop),
        migrations.RemoveField(model_name="idempotencykey", name="response_body"),
        migrations.AddConstraint(
            model_name="idempotencykey",
            constraint=models.UniqueConstraint(
                condition=models.Q(("user__isnull", True)),
                fields=("key", "request_hash"),
                name="idempotency_key_unique_anonymous",
            ),
        ),
    ]
