"""The credit events' details the system wrote ("Order #4 completed"), in whatever language was
active then, are kept as their msgid and parameters from now on, read in each reader's language."""

import json
import re

from django.conf import settings
from django.db import migrations
from django.utils import translation

STORED = "\x1fi18n:"
COMPLETED = "Order #%(id)s completed"


def _patterns() -> list[re.Pattern]:
    found = []
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            text = translation.gettext(COMPLETED)
        head, _sep, tail = text.partition("%(id)s")
        found.append(re.compile(re.escape(head) + r"(\d+)" + re.escape(tail) + r"\Z"))
    return found


def to_msgids(apps, schema_editor):
    CreditEvent = apps.get_model("credit", "CreditEvent")
    patterns = _patterns()
    changed = []
    for event in CreditEvent.objects.filter(reason="order_completed").exclude(detail="").only("pk", "detail").iterator():
        for pattern in patterns:
            match = pattern.match(event.detail)
            if match:
                params = {"id": int(match.group(1))}
                event.detail = STORED + json.dumps({"t": COMPLETED, "p": params}, separators=(",", ":"))
                changed.append(event)
                break
        if len(changed) >= 1000:
            CreditEvent.objects.bulk_update(changed, ["detail"])
            changed = []
    CreditEvent.objects.bulk_update(changed, ["detail"])


class Migration(migrations.Migration):
    dependencies = [("credit", "0003_drop_index_covered_by_pair")]

    operations = [migrations.RunPython(to_msgids, migrations.RunPython.noop, elidable=True)]
