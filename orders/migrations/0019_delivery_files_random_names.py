"""Delivered files are stored under random names; the ones stored before get one too.

Until now a delivered file kept the name its uploader gave it (``deliveries/2025/04/page.html``),
so a path could be guessed and its name chose how a web server would serve it. Each such file
is copied, through the storage API, to a random name with the extension of its checked type;
the row points at the copy, and the old copy is deleted once that is committed. The name shown
and used for downloads (``name``) is unchanged. A row whose file is already missing is left as
it is.
"""

import posixpath
import re
import uuid

from django.db import migrations, models, transaction

import orders.models

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


def delivery_files_random_names(apps, schema_editor):
    DeliveryFile = apps.get_model("orders", "DeliveryFile")
    storage = DeliveryFile._meta.get_field("file").storage
    renamed: dict[str, str] = {}
    rows = DeliveryFile.objects.using(schema_editor.connection.alias).exclude(file="")
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
        ("orders", "0018_policy_client_side_cancel_reasons"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deliveryfile",
            name="file",
            field=models.FileField(upload_to=orders.models.delivery_file_path, verbose_name="file"),
        ),
        migrations.RunPython(delivery_files_random_names, migrations.RunPython.noop),
    ]
