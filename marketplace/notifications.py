"""In-app notifications with an e-mail copy, sent after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.db import insert_rows
from core.exceptions import NotFound

from .models import Notification

EMAIL_BATCH = 200


def notification_build(
    *, user_id: int, kind: str, title: str, body: str = "", order_id: int | None = None, at: datetime | None = None
) -> dict:
    """A notification row not yet written, for services and sweeps that write many at once."""
    return {
        "user_id": user_id,
        "kind": kind,
        "title": str(title)[:200],
        "body": str(body),
        "order_id": order_id,
        "created_at": at or timezone.now(),
        "read_at": None,
        "emailed_at": None,
    }


def notifications_send(rows: Iterable[dict]) -> list[int]:
    """Save notifications and e-mail them once the surrounding transaction has committed."""
    ids = insert_rows(Notification, list(rows), with_ids=True)
    from .tasks import notification_email_task

    for start in range(0, len(ids), EMAIL_BATCH):
        chunk = ids[start : start + EMAIL_BATCH]
        # argsrepr: the log names the batch instead of Celery repr-ing every id of it.
        transaction.on_commit(
            lambda chunk=chunk: notification_email_task.apply_async(
                (chunk,), argsrepr=f"({len(chunk)} notifications from #{chunk[0]})"
            )
        )
    return ids


def notify(*, users: Iterable, kind: str, title: str, body: str = "", order=None) -> list[int]:
    """Tell each of ``users`` about something, in the app and by e-mail."""
    order_id = getattr(order, "pk", None)
    return notifications_send(
        notification_build(user_id=u.pk, kind=kind, title=title, body=body, order_id=order_id) for u in users
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
