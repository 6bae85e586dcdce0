"""Evidence files are stored under random names; the ones stored before get one too.

Files given on tickets, claims and appeals kept their uploader's name until now (those on
cases were already random). Each is copied, through the storage API, to a random name with the
extension of its checked type; every row pointing at it (an escalated ticket's files are
shared with its case) points at the copy, and the old copy is deleted once that is committed.
``name``, shown and used for downloads, is unchanged. A row whose file is missing is left as it is.
"""

import posixpath
import re
import uuid

from django.db import migrations, models, transaction

import disputes.models

# A copy of core.uploads.EXTENSIONS when this was written: migrations keep their own.
EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "text/plain": ".txt",
}
RANDOM_NAME = re.compile(r"[0-9a-f]{32}(\.[a-z]+)?")


def evidence_random_names(apps, schema_editor):
    Evidence = apps.get_model("disputes", "Evidence")
    storage = Evidence._meta.get_field("file").storage
    renamed: dict[str, str] = {}
    rows = Evidence.objects.using(schema_editor.connection.alias).exclude(file="")
    for pk, old, content_type in list(rows.values_list("pk", "file", "content_type")):
        if RANDOM_NAME.fullmatch(posixpath.basename(old)):
            continue
        if old not in renamed:
            if not storage.exists(old):
                continue
            new = posixpath.join(posixpath.dirname(old), uuid.uuid4().hex + EXTENSIONS.get(content_type, ""))
            with storage.open(old, "rb") as content:
                renamed[old] = storage.save(new, content)
        rows.filter(pk=pk).update(file=renamed[old])
    for old in renamed:
        transaction.on_commit(
            lambda old=old: storage.delete(old), using=schema_editor.connection.alias, robust=True
        )


class Migration(migrations.Migration):
    dependencies = [
        ("disputes", "0010_ticket_windows_sla_escalation"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evidence",
            name="file",
            field=models.FileField(upload_to=disputes.models.evidence_path, verbose_name="file"),
        ),
        migrations.RunPython(evidence_random_names, migrations.RunPython.noop),
    ]
