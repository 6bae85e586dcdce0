"""Notifications and their e-mails are written in the recipient's language, whoever or whatever
caused them: a person browsing in another language, or a sweep."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_noop

from core.i18n import Translatable
from core.jobs import sweep_run
from marketplace.models import Notification
from marketplace.notifications import notify
from orders.threads import message_post
from tests.disputes.test_requests_services import open_cancel
from tests.factories import UserFactory, order_in_progress, shift_order

pytestmark = pytest.mark.django_db


def _notice(user, kind):
    return Notification.objects.get(user=user, kind=kind)


def _mail_to(user):
    [message] = [m for m in mail.outbox if m.to == [user.email]]
    return message


# --- A person triggers it ----------------------------------------------------------------------


def test_a_dutch_provider_reads_a_cancellation_by_a_client_browsing_in_chinese_in_dutch(
    client, django_capture_on_commit_callbacks
):
    # given: a Dutch provider, and a client who reads Gigfair in Simplified Chinese
    order = shift_order(
        price=Decimal("80.00"), client=UserFactory(language="zh-hans"), provider=UserFactory(language="nl")
    )
    client.force_login(order.client)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    mail.outbox.clear()

    # when: the client cancels on the web, in Chinese
    with time_machine.travel(order.starts_at - timedelta(hours=5), tick=False):
        quote = client.get(reverse("order_cancel", args=[order.pk])).context["quote"]
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("order_cancel", args=[order.pk]),
                {"reason": "client_changed_demand", "message": "", "quote_id": quote.token},
            )

    # then: the provider's notice and e-mail are in Dutch, the client's own in Chinese
    assert response.status_code == 302
    notice = _notice(order.provider, "order_cancelled")
    assert notice.title == f"Bestelling #{order.pk} “{order.title}” is geannuleerd"
    assert notice.body == "Reden: klant wijzigde de vraag. Terugbetaling aan de klant: 72.00 EUR."
    email = _mail_to(order.provider)
    assert email.subject == f"[Gigfair] {notice.title}"
    assert email.body == notice.body
    own = _notice(order.client, "order_cancelled")
    assert own.title == f"订单 #{order.pk}“{order.title}”已取消"
    assert own.body == "原因：客户需求变更。退给客户：72.00 EUR。"


def test_a_recipient_without_a_language_reads_the_sites_default_whatever_the_sender_reads():
    # given: a provider who never chose a language, and a client writing from a Portuguese page
    order = order_in_progress(provider=UserFactory(language=""))

    # when
    with translation.override("pt-br"):
        message_post(order=order, author=order.client, body="Olá!")

    # then: the title is in English, and what the client wrote is kept as written
    notice = _notice(order.provider, "message_posted")
    assert settings.LANGUAGE_CODE == "en"
    assert notice.title == f"New message from {order.client.public_name} on order #{order.pk}"
    assert notice.body == "Olá!"


# --- A sweep triggers it -----------------------------------------------------------------------


def test_a_sweep_tells_two_parties_each_in_their_own_language_in_one_batch(django_capture_on_commit_callbacks):
    # given: an unanswered cancel request between a Dutch client and a Portuguese provider
    order = order_in_progress(
        price=Decimal("120.00"), client=UserFactory(language="nl"), provider=UserFactory(language="pt-br")
    )
    r = open_cancel(order, percent="60")
    mail.outbox.clear()

    # when: the sweep runs, in whatever language the worker happens to have active
    with (
        time_machine.travel(r.respond_by + timedelta(seconds=1), tick=False),
        translation.override("zh-hans"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert sweep_run("disputes.expire_requests").processed == 1

    # then
    assert _notice(order.client, "request_auto_accepted").title == (
        f"Het verzoek bij bestelling #{order.pk} is automatisch geaccepteerd"
    )
    assert _notice(order.provider, "request_auto_accepted").title == (
        f"A solicitação do pedido #{order.pk} foi aceite automaticamente"
    )
    assert _notice(order.client, "order_cancelled").body == (
        "Reden: persoonlijke wijziging/planning. Terugbetaling aan de klant: 72.00 EUR."
    )
    assert _notice(order.provider, "order_cancelled").body == (
        "Motivo: alteração pessoal/de horário. Reembolso ao cliente: 72.00 EUR."
    )
    assert {m.subject for m in mail.outbox if m.to == [order.client.email]} == {
        f"[Gigfair] Het verzoek bij bestelling #{order.pk} is automatisch geaccepteerd",
        f"[Gigfair] Bestelling #{order.pk} “{order.title}” is geannuleerd",
    }
    assert {m.subject for m in mail.outbox if m.to == [order.provider.email]} == {
        f"[Gigfair] A solicitação do pedido #{order.pk} foi aceite automaticamente",
        f"[Gigfair] O pedido #{order.pk} “{order.title}” foi cancelado",
    }


def test_a_reminder_keeps_what_the_author_wrote_and_translates_the_rest():
    # given: a request from a client, to a provider who reads Dutch
    order = order_in_progress(provider=UserFactory(language="nl"))
    r = open_cancel(order, message="Sorry, the event was called off.")

    # when
    with time_machine.travel(r.respond_by - timedelta(hours=12), tick=False):
        assert sweep_run("disputes.remind_requests").processed == 1

    # then: the author's words as written, Gigfair's own in Dutch
    assert _notice(order.provider, "request_reminder").body == (
        "Sorry, the event was called off.\n\n"
        "Zonder antwoord wordt de bestelling geannuleerd op de voorgestelde voorwaarden."
    )


def _expiry_queries(languages: list[str]) -> tuple[int, int]:
    """Queries of one expiry sweep over one request per language (both parties reading it), and
    how many of them read the recipients' languages."""
    starts = []
    for language in languages:
        order = order_in_progress(client=UserFactory(language=language), provider=UserFactory(language=language))
        starts.append(open_cancel(order).respond_by)
    with time_machine.travel(max(starts) + timedelta(seconds=1), tick=False), CaptureQueriesContext(connection) as ctx:
        assert sweep_run("disputes.expire_requests").processed == len(languages)
    sqls = [q["sql"] for q in ctx.captured_queries]
    return len(sqls), sum('"language"' in sql for sql in sqls)


def test_a_sweep_batch_costs_the_same_queries_whatever_the_number_of_languages():
    # given: a first run, so the ledger accounts both runs below use already exist
    _expiry_queries(["en"])

    # when: a batch whose recipients all read Dutch, and one spread over every language
    one_language = _expiry_queries(["nl"] * 6)
    every_language = _expiry_queries(["", "en", "zh-hans", "zh-hant", "nl", "pt-br"])

    # then: the same count, with a single query for the recipients' languages
    assert every_language == one_language
    assert one_language[1] == 1


# --- The e-mail's link ---------------------------------------------------------------------------


def test_the_email_links_to_the_notification_in_the_recipients_language(settings, django_capture_on_commit_callbacks):
    # given: where Gigfair is reached, and a Portuguese reader
    settings.GIGFAIR_PUBLIC_URL = "https://gigfair.example/"
    reader = UserFactory(language="pt-br")

    # when
    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[reader], kind="test", title=Translatable(gettext_noop("Your credit")))

    # then: the link opens the notification (marking it read) on the public site
    notice = Notification.objects.get(user=reader)
    body = _mail_to(reader).body
    assert body.endswith(f"https://gigfair.example/notifications/{notice.pk}/open/")
    with translation.override("pt-br"):
        assert translation.gettext("Open it on Gigfair: %(url)s") != "Open it on Gigfair: %(url)s"
        assert translation.gettext("Open it on Gigfair: %(url)s").split("%")[0] in body


def test_without_a_public_address_the_email_has_no_link(settings, django_capture_on_commit_callbacks):
    settings.GIGFAIR_PUBLIC_URL = ""
    reader = UserFactory()

    with django_capture_on_commit_callbacks(execute=True):
        notify(users=[reader], kind="test", title="Hello", body="Plain")

    assert _mail_to(reader).body == "Plain"
