"""The reasons the system wrote on the transition log, in whatever language was active then, are
kept as their msgids from now on (core.i18n.text_store), so each reader reads them in their own."""

import json

from django.conf import settings
from django.db import migrations
from django.utils import translation

STORED = "\x1fi18n:"
# The reasons services wrote without parameters before they were stored as msgids.
SYSTEM_REASONS = (
    "Order placed",
    "Shift booked",
    "Requirements sent",
    "Requirements sent with the order",
    "Work delivered",
    "Delivery accepted",
    "Checked in",
    "Shift confirmed",
    "The due time passed without a delivery",
    "Review started",
    "No appeal within the appeal window: the ruling is final.",
)


def _written_as() -> dict[str, str]:
    """Each reason as any language wrote it -> its msgid."""
    written = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            for msgid in SYSTEM_REASONS:
                written.setdefault(translation.gettext(msgid), msgid)
    return written


def to_msgids(apps, schema_editor):
    TransitionLog = apps.get_model("core", "TransitionLog")
    for text, msgid in _written_as().items():
        stored = STORED + json.dumps({"t": msgid}, ensure_ascii=False, separators=(",", ":"))
        TransitionLog.objects.filter(reason=text).update(reason=stored)


def to_english(apps, schema_editor):
    TransitionLog = apps.get_model("core", "TransitionLog")
    for msgid in SYSTEM_REASONS:
        stored = STORED + json.dumps({"t": msgid}, ensure_ascii=False, separators=(",", ":"))
        TransitionLog.objects.filter(reason=stored).update(reason=msgid)


class Migration(migrations.Migration):
    dependencies = [("core", "0006_idempotency_replays_stored_bytes")]

    operations = [migrations.RunPython(to_msgids, to_english, elidable=True)]
