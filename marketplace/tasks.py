from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification


def _email_body(notification: Notification, base_url: str) -> str:
    """The notification's text (already in its recipient's language) and a link to follow it."""
    body = notification.body or notification.title
    if not base_url:
        return body
    url = base_url + reverse("notification_open", args=[notification.pk])
    with translation.override(notification.user.language or settings.LANGUAGE_CODE):
        return f"{body}\n\n" + _("Open it on Gigfair: %(url)s") % {"url": url}


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
    base_url = settings.GIGFAIR_PUBLIC_URL.rstrip("/")
    messages = [
        EmailMessage(
            subject=f"[Gigfair] {n.title}",
            body=_email_body(n, base_url),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[n.user.email],
        )
        for n in pending
    ]
    with get_connection() as connection:
        connection.send_messages(messages)
    Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return len(pending)
