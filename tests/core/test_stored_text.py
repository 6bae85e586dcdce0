"""Text the system writes is stored as its msgid and parameters and read in the reader's language
and time zone; what a person wrote stays as written."""

import zoneinfo
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy

from core.i18n import STORED, Joined, Moment, Translatable, text_render, text_store
from core.models import TransitionLog
from credit.models import CreditEvent
from tests.factories import UserFactory, order_completed, service_order

AT = datetime(2026, 12, 3, 15, 17, tzinfo=UTC)


def test_a_plain_string_is_kept_as_written():
    assert text_store("Please use British spelling") == "Please use British spelling"
    assert text_render("Please use British spelling") == "Please use British spelling"
    assert text_store(None) == "" and text_render("") == ""


def test_a_translatable_with_a_moment_a_label_and_a_context_renders_in_each_readers_language_and_zone():
    stored = text_store(
        Joined(
            " · ",
            [
                Translatable(gettext_noop("Extension agreed: due %(at)s"), {"at": Moment(AT)}),
                gettext_lazy("Order placed"),
                pgettext_lazy("date format", "j M Y"),
                Translatable(gettext_noop("Order #%(id)s completed"), {"id": 7}),
            ],
        )
    )
    assert stored.startswith(STORED) and "2026-12-03T15:17:00+00:00" in stored

    with translation.override("en"), timezone.override(zoneinfo.ZoneInfo("Asia/Shanghai")):
        english = text_render(stored)
    with translation.override("nl"), timezone.override(zoneinfo.ZoneInfo("Europe/Amsterdam")):
        dutch = text_render(stored)

    assert english == "Extension agreed: due 2026-12-03 23:17 CST · Order placed · j M Y · Order #7 completed"
    with translation.override("nl"):
        assert dutch.startswith(translation.gettext("Extension agreed: due %(at)s") % {"at": "2026-12-03 16:17 CET"})
        assert translation.gettext("Order placed") in dutch and translation.gettext("Order placed") != "Order placed"


def test_a_broken_stored_text_reads_as_nothing_not_an_error():
    assert text_render(STORED + "{not json") == ""


@pytest.mark.django_db
def test_the_order_timeline_and_api_history_read_in_the_readers_language(client, api_as):
    order = service_order()  # placed while the site's language (English) was active
    log = TransitionLog.objects.filter(object_id=order.pk, transition="create").get()
    assert log.reason.startswith(STORED)
    with translation.override("nl"):
        placed_nl = translation.gettext("Order placed")
    client.force_login(order.client)
    client.cookies["django_language"] = "nl"

    page = client.get(reverse("order_detail", args=[order.pk])).content.decode()
    api = api_as(order.client).get(f"/api/v1/orders/{order.pk}/", HTTP_ACCEPT_LANGUAGE="nl").json()

    assert placed_nl in page
    assert api["history"][0]["reason"] == placed_nl


@pytest.mark.django_db
def test_a_credit_events_detail_reads_in_the_readers_language(client):
    provider = UserFactory(language="zh-hans")
    order = order_completed(provider=provider)
    event = CreditEvent.objects.get(user=provider, order=order)
    client.force_login(provider)

    html = client.get(reverse("credit")).content.decode()

    with translation.override("zh-hans"):
        assert (translation.gettext("Order #%(id)s completed") % {"id": order.pk}) in html
    assert event.detail.startswith(STORED)
    with translation.override("en"):
        assert event.detail_text == f"Order #{order.pk} completed"
