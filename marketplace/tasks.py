from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage
from django.utils import timezone

from .models import Notification


@shared_task(name="marketplace.notification_email")
def notification_email_task(notification_ids: list[int]) -> int:
    """E-mail the given notifications that have not been e-mailed yet; returns how many."""
    pending = list(
        Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
        .exclude(user__email="")
        .select_related("user")
    )
    if not pending:
        return 0
    messages = [
        EmailMessage(
            subject=f"[Gigfair] {n.title}",
            body=n.body or n.title,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[n.user.email],
        )
        for n in pending
    ]
    with get_connection() as connection:
        connection.send_messages(messages)
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return len(pending)
