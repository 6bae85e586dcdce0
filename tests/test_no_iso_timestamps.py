"""No raw ISO timestamp in anything a person reads: notifications, e-mails and pages, after the
journeys that write them (orders, lateness, cancellations, requests and their answers, tickets)."""

import re
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from core.jobs import sweep_names, sweep_run
from disputes.services import requests as request_services
from marketplace.models import Notification
from tests.disputes.test_requests_services import open_cancel, open_extension, open_update
from tests.disputes.test_tickets_services import open_ticket
from tests.factories import UserFactory, order_completed, order_in_progress, order_late, shift_cancelled_late

pytestmark = pytest.mark.django_db

ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _readable(html: str) -> str:
    """What a person reads on a page: the text, not the tags and their attributes (a <time>
    element carries its ISO moment for machines, in an attribute)."""
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S)
    return unescape(re.sub(r"<[^>]+>", " ", text))


def test_notifications_emails_and_pages_show_no_iso_timestamp(client, settings, django_capture_on_commit_callbacks):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    ana = UserFactory(time_zone="Asia/Shanghai", language="zh-hans")
    bo = UserFactory(time_zone="America/Sao_Paulo", language="pt-br")
    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave as each step commits
        orders = [
            order_completed(client=ana, provider=bo),
            order_late(client=ana, provider=bo),
            shift_cancelled_late(client=ana, provider=bo),
        ]
        extended = order_in_progress(client=ana, provider=bo)
        request_services.request_accept(resolution_request=open_extension(extended), actor=ana)
        asked = order_in_progress(client=ana, provider=bo)
        open_update(asked)
        cancelling = order_in_progress(client=ana, provider=bo)
        left = open_cancel(cancelling)
        open_ticket(order_completed(client=ana, provider=bo))
        with time_machine.travel(left.respond_by + timedelta(days=30), tick=False):
            for name in sweep_names():  # every clock-driven effect, with its notifications
                sweep_run(name)

    texts = [t for n in Notification.objects.all() for t in (n.title, n.body)]
    emails = [t for m in mail.outbox for t in (m.subject, m.body)]
    assert len(texts) > 20 and len(emails) > 10  # the journeys did write what the scan reads
    texts += emails
    for person in (ana, bo):
        client.force_login(person)
        for url in (
            reverse("dashboard"),
            reverse("credit"),
            reverse("notifications"),
            *(reverse("order_detail", args=[o.pk]) for o in [*orders, extended, asked, cancelling]),
        ):
            texts.append(_readable(client.get(url).content.decode()))

    leaks = [match.group(0) for text in texts for match in [ISO_MOMENT.search(text)] if match]
    assert leaks == []
