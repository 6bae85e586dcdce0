from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .models import Notification, User
from .verification import verification_email_send


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
    # Only to a verified address: an unverified one may be a typo or someone else's inbox. The
    # notification stays in the app either way.
    pending = list(
        Notification.objects.filter(
            pk__in=notification_ids, emailed_at__isnull=True, user__email_verified_at__isnull=False
        )
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


@shared_task(name="marketplace.email_verification_email")
def email_verification_email_task(user_id: int, email: str) -> bool:
    """E-mail the link that verifies ``email``, unless the account's address changed or was verified since."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email or user.email != email or user.email_verified_at is not None:
        return False
    verification_email_send(user)
    return True
