"""In-app notifications with an e-mail copy, sent after the transaction commits."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from .models import Notification

EMAIL_BATCH = 200


def notification_build(*, user_id: int, kind: str, title: str, body: str = "", order_id=None, at=None) -> Notification:
    """An unsaved notification, for services and sweeps that write many at once."""
    kwargs = {"user_id": user_id, "kind": kind, "title": title[:200], "body": body, "order_id": order_id}
    if at is not None:
        kwargs["created_at"] = at
    return Notification(**kwargs)


def notifications_send(notifications: Iterable[Notification]) -> list[Notification]:
    """Save notifications and e-mail them once the surrounding transaction has committed."""
    created = Notification.objects.bulk_create(list(notifications))
    ids = [n.pk for n in created if n.pk is not None]
    if not ids:
        # Backends that return no ids from bulk_create: fall back to saving one by one.
        for n in created:
            if n.pk is None:
                n.save()
        ids = [n.pk for n in created]
    from .tasks import notification_email_task

    for start in range(0, len(ids), EMAIL_BATCH):
        chunk = ids[start : start + EMAIL_BATCH]
        transaction.on_commit(lambda chunk=chunk: notification_email_task.delay(chunk))
    return created


def notify(*, users: Iterable, kind: str, title: str, body: str = "", order=None) -> list[Notification]:
    """Tell each of ``users`` about something, in the app and by e-mail."""
    return notifications_send(
        notification_build(user_id=u.pk, kind=kind, title=title, body=body, order_id=getattr(order, "pk", None))
        for u in users
    )
