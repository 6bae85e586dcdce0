"""In-app notifications with an e-mail copy, sent after the transaction commits.

Titles and bodies are stored in the recipient's language, not in the language of whoever (or
whatever sweep) caused them: callers pass ``core.i18n`` messages, rendered here per language.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.db import insert_rows
from core.exceptions import NotFound
from core.i18n import Catalog, Text, is_lazy, text_store
from core.timezones import valid_time_zone

from .models import Notification, User
from .tasks import notification_email_task

EMAIL_BATCH = 200
TITLE_MAX = 200


def notification_build(
    *, user_id: int, kind: str, title: Text, body: Text = "", order_id: int | None = None, at: datetime | None = None
) -> dict:
    """A notification row not yet written, for services and sweeps that write many at once.

    ``title`` and ``body`` are ``core.i18n`` messages (translated into the recipient's language
    when sent) or plain strings, stored as they are (what a user wrote).
    """
    return {
        "user_id": user_id,
        "kind": kind,
        "title": title if is_lazy(title) else str(title)[:TITLE_MAX],
        "body": body if is_lazy(body) else str(body),
        "title_stored": text_store(title) if is_lazy(title) else "",
        "body_stored": text_store(body) if is_lazy(body) else "",
        "order_id": order_id,
        "created_at": at or timezone.now(),
        "read_at": None,
        "emailed_at": None,
    }


def _render_for_recipients(rows: list[dict]) -> None:
    """Translate the rows' texts, each into its recipient's language, in place.

    One query for the languages and time zones of the batch's recipients, and one
    ``translation.override`` (and ``timezone.override``: times are in the reader's zone) per
    language and zone, not per row: a sweep sends thousands. Within a language each msgid is
    looked up once, and a text shared by several rows (both parties of an order) is rendered
    once.
    """
    lazy = [row for row in rows if not (isinstance(row["title"], str) and isinstance(row["body"], str))]
    if not lazy:
        return
    readers = {
        pk: (language or settings.LANGUAGE_CODE, valid_time_zone(zone) or settings.TIME_ZONE)
        for pk, language, zone in User.objects.filter(pk__in={row["user_id"] for row in lazy}).values_list(
            "pk", "language", "time_zone"
        )
    }
    unknown = (settings.LANGUAGE_CODE, settings.TIME_ZONE)
    by_reader: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for row in lazy:
        by_reader[readers.get(row["user_id"], unknown)].append(row)
    for (language, zone), group in by_reader.items():
        with translation.override(language), timezone.override(zoneinfo.ZoneInfo(zone)):
            catalog = Catalog()
            for row in group:
                row["title"] = catalog.text(row["title"])[:TITLE_MAX]
                row["body"] = catalog.text(row["body"])


def notifications_send(rows: Iterable[dict]) -> list[int]:
    """Save notifications, each in its recipient's language, and e-mail them once the transaction has committed."""
    rows = list(rows)
    _render_for_recipients(rows)
    ids = insert_rows(Notification, rows, with_ids=True)
    for start in range(0, len(ids), EMAIL_BATCH):
        chunk = ids[start : start + EMAIL_BATCH]
        # argsrepr: the log names the batch instead of Celery repr-ing every id of it.
        transaction.on_commit(
            lambda chunk=chunk: notification_email_task.apply_async(
                (chunk,), argsrepr=f"({len(chunk)} notifications from #{chunk[0]})"
            )
        )
    return ids


def notify(*, users: Iterable, kind: str, title: Text, body: Text = "", order=None, skip=None) -> list[int]:
    """Tell each of ``users`` about something, in the app and by e-mail, each in their language.

    ``users`` are users or their ids; each is told once, and None (nobody assigned yet) and
    ``skip`` (usually whoever acted) are left out.
    """
    order_id = getattr(order, "pk", None)
    skip_id = getattr(skip, "pk", skip)
    user_ids = []
    for user in users:
        uid = getattr(user, "pk", user)
        if uid is not None and uid != skip_id and uid not in user_ids:
            user_ids.append(uid)
    return notifications_send(
        notification_build(user_id=uid, kind=kind, title=title, body=body, order_id=order_id) for uid in user_ids
    )


def notification_open(*, user, notification_id) -> Notification:
    """Mark one of ``user``'s notifications read because they opened it; NotFound if it is not theirs."""
    notification = Notification.objects.filter(pk=notification_id, user=user).first()
    if notification is None:
        raise NotFound(_("No such notification."))
    if notification.read_at is None:
        now = timezone.now()
        # Conditional, so a second tab opening it at the same time keeps the first read time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.read_at = now
    return notification


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; returns how many were unread."""
    return Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
