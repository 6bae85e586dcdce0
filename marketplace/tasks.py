from __future__ import annotations

import zoneinfo

from celery import shared_task
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.message import EmailMessage
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.timezones import valid_time_zone

from .models import Notification, User
from .verification import verification_email_send


def _reader(user: User):
    """The recipient's language and time zone, for what is rendered for them here."""
    zone = valid_time_zone(user.time_zone) or settings.TIME_ZONE
    return translation.override(user.language or settings.LANGUAGE_CODE), timezone.override(zoneinfo.ZoneInfo(zone))


def _email(notification: Notification, base_url: str) -> tuple[str, str]:
    """The subject and text of a notification's e-mail, in its recipient's language and zone, with
    a link to follow it."""
    language, zone = _reader(notification.user)
    with language, zone:
        title = notification.title_text
        body = notification.body_text or title
        if base_url:
            url = base_url + reverse("notification_open", args=[notification.pk])
            body = f"{body}\n\n" + _("Open it on Gigfair: %(url)s") % {"url": url}
    return f"[Gigfair] {title}", body


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
        EmailMessage(subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[n.user.email])
        for n in pending
        for subject, body in [_email(n, base_url)]
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
