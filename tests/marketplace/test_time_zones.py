"""Every person reads times in their own time zone: chosen at sign-up (guessed from the browser),
changed on the web and through the API, used on every page, notification and e-mail."""

import re
import zoneinfo
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.jobs import sweep_run
from core.timeutils import when_text
from marketplace.models import Notification, User
from tests.factories import UserFactory, order_in_progress, shift_order

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _in(zone: str, moment) -> str:
    with timezone.override(zoneinfo.ZoneInfo(zone)):
        return when_text(moment)


# --- The API ---------------------------------------------------------------------------------


def test_me_shows_and_changes_the_time_zone(api_as):
    user = UserFactory(time_zone="")
    client = api_as(user)
    assert client.get("/api/v1/me/").json()["time_zone"] == "UTC"

    response = client.patch("/api/v1/me/", {"time_zone": "Asia/Shanghai"}, format="json")

    assert response.status_code == 200 and response.json()["time_zone"] == "Asia/Shanghai"
    user.refresh_from_db()
    assert user.time_zone == "Asia/Shanghai"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "asia/shanghai", "+08:00", "EST5EDT "])
def test_an_unknown_time_zone_is_400_naming_it_and_nothing_changes(api_as, zone):
    user = UserFactory(time_zone="Europe/Amsterdam")
    before = user.email

    response = api_as(user).patch("/api/v1/me/", {"time_zone": zone, "email": "new@example.com"}, format="json")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    assert "time_zone" in response.json()["errors"]
    user.refresh_from_db()
    assert (user.time_zone, user.email) == ("Europe/Amsterdam", before)


# --- The web ---------------------------------------------------------------------------------


def test_sign_up_takes_the_zone_the_browser_is_in(client):
    client.cookies["gigfair_tz"] = "America/Sao_Paulo"
    page = client.get(reverse("signup"))
    assert 'value="America/Sao_Paulo" selected' in page.content.decode()

    client.post(
        reverse("signup"),
        {
            "username": "bia",
            "email": "bia@example.com",
            "password1": "Samba-Noite-2468",
            "password2": "Samba-Noite-2468",
            "time_zone": "America/Sao_Paulo",
        },
    )

    assert User.objects.get(username="bia").time_zone == "America/Sao_Paulo"


def test_sign_up_without_a_zone_leaves_it_unknown_until_a_log_in_from_a_browser_that_says(client, api_as):
    client.post(
        reverse("signup"),
        {"username": "bo", "email": "bo@example.com", "password1": "Samba-Noite-2468", "password2": "Samba-Noite-2468"},
    )
    bo = User.objects.get(username="bo")
    assert bo.time_zone == ""
    assert api_as(bo).get("/api/v1/me/").json()["time_zone"] == "UTC"  # the site's, until one is known

    client.logout()
    client.cookies["gigfair_tz"] = "Europe/Amsterdam"
    client.post(reverse("login"), {"username": "bo", "password": "Samba-Noite-2468"})

    bo.refresh_from_db()
    assert bo.time_zone == "Europe/Amsterdam"
    # a zone once known is theirs: another browser does not change it
    client.logout()
    client.cookies["gigfair_tz"] = "Asia/Tokyo"
    client.post(reverse("login"), {"username": "bo", "password": "Samba-Noite-2468"})
    bo.refresh_from_db()
    assert bo.time_zone == "Europe/Amsterdam"


def test_the_settings_page_changes_the_zone_and_refuses_an_unknown_one(client):
    user = UserFactory()
    client.force_login(user)

    refused = client.post(reverse("account_time_zone"), {"time_zone": "Mars/Olympus_Mons"})
    assert refused.status_code == 400
    assert "time_zone" in refused.context["form"].errors

    done = client.post(reverse("account_time_zone"), {"time_zone": "Asia/Shanghai"}, follow=True)
    user.refresh_from_db()
    assert user.time_zone == "Asia/Shanghai"
    assert "Asia/Shanghai" in done.content.decode()
    assert "CST" in done.content.decode()  # "it is now … CST there"


def test_a_user_in_shanghai_sees_a_shifts_start_in_shanghai_time_on_every_page(client):
    worker = UserFactory(time_zone="Asia/Shanghai")
    order = shift_order(provider=worker, starts_in=timedelta(hours=5))
    client.force_login(worker)
    shanghai = _in("Asia/Shanghai", order.starts_at)
    local = timezone.localtime(order.starts_at, SHANGHAI)

    for url in (
        reverse("order_detail", args=[order.pk]),
        reverse("dashboard"),
        reverse("dashboard") + "?tab=provider",
        reverse("listing_detail", args=[order.listing_id]),
    ):
        html = client.get(url).content.decode()
        assert f"{local:%H:%M} CST" in html, url
    assert shanghai.endswith("CST")


def test_a_visitor_reads_pages_in_the_browsers_zone(client):
    order = shift_order(starts_in=timedelta(hours=5))
    client.cookies["gigfair_tz"] = "Asia/Shanghai"

    html = client.get(reverse("listing_detail", args=[order.listing_id])).content.decode()

    assert f"{timezone.localtime(order.listing.starts_at, SHANGHAI):%H:%M} CST" in html


def test_a_bad_cookie_is_ignored(client):
    order = shift_order(starts_in=timedelta(hours=5))
    client.cookies["gigfair_tz"] = "Nowhere/At_All"

    response = client.get(reverse("listing_detail", args=[order.listing_id]))

    assert response.status_code == 200
    assert f"{order.listing.starts_at:%H:%M} UTC" in response.content.decode()


# --- Notifications and e-mails ----------------------------------------------------------------


def test_each_party_reads_a_notification_in_their_own_zone_and_never_an_iso_timestamp(
    settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    client_user = UserFactory(time_zone="Asia/Shanghai")
    provider = UserFactory(time_zone="America/Sao_Paulo")
    order = order_in_progress(client=client_user, provider=provider)
    Notification.objects.all().delete()
    mail.outbox.clear()

    with (
        time_machine.travel(order.due_at + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sweep_run("orders.mark_late_orders")

    mine = Notification.objects.get(user=client_user, kind="order_late")
    assert len(mail.outbox) == 2  # both e-mailed, each in their own zone
    theirs = Notification.objects.get(user=provider, kind="order_late")
    assert _in("Asia/Shanghai", order.due_at) in mine.body
    assert _in("America/Sao_Paulo", order.due_at) in theirs.body
    for text in [mine.title, mine.body, theirs.title, theirs.body] + [m.body for m in mail.outbox]:
        assert not ISO_MOMENT.search(text), text


def test_the_settings_page_of_someone_without_a_zone_says_pages_follow_the_browser(client):
    user = UserFactory(time_zone="")
    client.force_login(user)
    client.cookies["gigfair_tz"] = "Asia/Taipei"

    html = client.get(reverse("account_time_zone")).content.decode()

    assert "You have not chosen a zone yet" in html and "Asia/Taipei" in html
    assert 'value="Asia/Taipei" selected' in html


def test_a_notification_reads_in_the_language_and_zone_its_reader_has_now(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from django.utils import translation

    reader = UserFactory(language="en", time_zone="UTC")
    order = order_in_progress(client=reader)
    with time_machine.travel(order.due_at + timedelta(minutes=1), tick=False):
        sweep_run("orders.mark_late_orders")
    late = Notification.objects.get(user=reader, kind="order_late")
    assert late.body_stored and _in("UTC", order.due_at) in late.body  # as sent

    # the reader moves to Shanghai and reads Dutch now
    User.objects.filter(pk=reader.pk).update(language="nl", time_zone="Asia/Shanghai")
    client.force_login(reader)
    client.cookies["django_language"] = "nl"
    html = client.get(reverse("notifications")).content.decode()

    with translation.override("nl"), timezone.override(SHANGHAI):
        assert late.title_text in html and late.title_text != late.title
        assert _in("Asia/Shanghai", order.due_at) in late.body_text
    assert _in("Asia/Shanghai", order.due_at) in html
    assert Notification.objects.get(pk=late.pk).body == late.body  # what was sent stays on record


def test_what_a_person_wrote_is_shown_as_written(settings):
    from marketplace.notifications import notification_build, notifications_send

    user = UserFactory(language="nl")
    notifications_send([notification_build(user_id=user.pk, kind="x", title="Hallo from Ana", body="See you at 9")])

    sent = Notification.objects.get(user=user)
    assert (sent.title_stored, sent.body_stored) == ("", "")
    assert (sent.title_text, sent.body_text) == ("Hallo from Ana", "See you at 9")


def test_a_worker_in_shanghai_reads_the_shifts_start_in_shanghai_time_in_the_booking_email(
    settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    worker = UserFactory(time_zone="Asia/Shanghai")
    employer = UserFactory(time_zone="Europe/Amsterdam")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):  # the e-mails leave once the booking commits
        order = shift_order(client=employer, provider=worker, starts_in=timedelta(hours=30))

    to_worker = next(m for m in mail.outbox if m.to == [worker.email])
    to_employer = next(m for m in mail.outbox if m.to == [employer.email])
    assert _in("Asia/Shanghai", order.starts_at) in to_worker.body and "CST" in to_worker.body
    assert _in("Europe/Amsterdam", order.starts_at) in to_employer.body
    assert order.location in to_worker.body
    for message in (to_worker, to_employer):
        assert not ISO_MOMENT.search(message.subject + message.body)
    assert Notification.objects.filter(order=order, kind="shift_booked").count() == 2
