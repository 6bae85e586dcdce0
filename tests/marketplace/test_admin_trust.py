"""The back office for threads, reports, blocks and availability: read-only evidence, a report
queue that opens on unresolved reports, and resolving with a note."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from marketplace import services
from marketplace.models import Block, Notification
from orders import threads
from orders.models import Message, MessageReport
from tests.factories import UserFactory, service_order
from tests.marketplace.helpers import png

pytestmark = pytest.mark.django_db

CHANGELIST_MAX_QUERIES = 12


@pytest.fixture
def order():
    return service_order()


def _message(order, author=None, body="Pay me outside", files=()):
    return threads.message_post(order=order, author=author or order.provider, body=body, files=files)


def _report(message, reason="spam"):
    return threads.message_report_create(message=message, reporter=message.order.client, reason=reason)


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:orders_message_changelist",
        "admin:orders_messagereport_changelist",
        "admin:marketplace_block_changelist",
        "admin:marketplace_user_changelist",
    ],
)
def test_changelists_load_with_a_bounded_number_of_queries(admin_client, django_assert_max_num_queries, url_name):
    for _ in range(6):
        order = service_order()
        message = _message(order, files=[png()])
        _report(message)
        services.availability_set(user=order.provider)
        services.block_create(blocker=UserFactory(), blocked=order.client, reason="spam")

    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES):
        response = admin_client.get(reverse(url_name))

    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 6


def test_messages_are_read_only(admin_client, order):
    message = _message(order, files=[png("shot.png")])

    add = admin_client.get(reverse("admin:orders_message_add"))
    change = admin_client.get(reverse("admin:orders_message_change", args=[message.pk]))
    delete = admin_client.post(reverse("admin:orders_message_delete", args=[message.pk]), {"post": "yes"})

    assert add.status_code == 403
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert "Pay me outside" in change.content.decode()
    assert reverse("message_attachment", args=[message.attachments.get().pk]) in change.content.decode()
    assert delete.status_code == 403
    assert Message.objects.filter(pk=message.pk).exists()


def test_messages_are_found_by_order_and_author(admin_client):
    # Usernames without digits, so searching for an order number cannot match an author.
    first = service_order(client=UserFactory(username="alma"), provider=UserFactory(username="bert"))
    second = service_order(client=UserFactory(username="cora"), provider=UserFactory(username="dirk"))
    a = _message(first, body="first order")
    b = _message(second, author=second.client, body="second order")
    url = reverse("admin:orders_message_changelist")

    by_order = list(admin_client.get(url, {"q": str(second.pk)}).context["cl"].result_list)
    by_author = list(admin_client.get(url, {"q": first.provider.username}).context["cl"].result_list)

    assert by_order == [b]
    assert by_author == [a]


def test_messages_filter_by_reported(admin_client, order):
    reported = _message(order, body="reported")
    _message(order, body="quiet")
    _report(reported)
    url = reverse("admin:orders_message_changelist")

    assert list(admin_client.get(url, {"reported": "yes"}).context["cl"].result_list) == [reported]
    assert [m.body for m in admin_client.get(url, {"reported": "no"}).context["cl"].result_list] == ["quiet"]
    assert list(admin_client.get(url, {"reported": "open"}).context["cl"].result_list) == [reported]


def test_the_report_queue_opens_on_unresolved_reports(admin_client, order):
    open_report = _report(_message(order, body="one"))
    done = _report(_message(order, body="two"))
    threads.message_report_resolve(report=done, actor=UserFactory(support=True), note="ok")
    url = reverse("admin:orders_messagereport_changelist")

    assert list(admin_client.get(url).context["cl"].result_list) == [open_report]
    assert list(admin_client.get(url, {"status": "resolved"}).context["cl"].result_list) == [done]
    assert len(admin_client.get(url, {"status": "all"}).context["cl"].result_list) == 2


def test_staff_resolve_a_report_with_a_note(admin_client, order):
    report = _report(_message(order))
    url = reverse("admin:orders_messagereport_resolve", args=[report.pk])

    page = admin_client.get(url)
    missing = admin_client.post(url, {"note": ""})
    done = admin_client.post(url, {"note": "Warned the provider"})

    assert page.status_code == 200 and "Pay me outside" in page.content.decode()
    assert missing.status_code == 200 and missing.context["form"].errors["note"]
    assert done.status_code == 302
    report.refresh_from_db()
    assert report.resolution_note == "Warned the provider"
    assert report.resolved_by.username == "admin"
    assert Notification.objects.filter(user=order.client, kind="message_report_resolved").exists()


def test_resolving_is_logged_and_goes_back_to_the_queue(admin_client, order):
    report = _report(_message(order))
    url = reverse("admin:orders_messagereport_resolve", args=[report.pk])

    response = admin_client.post(url, {"note": "Warned the provider"})

    log = LogEntry.objects.get()
    assert response.url == reverse("admin:orders_messagereport_changelist")
    assert (log.object_id, log.change_message, log.user.username) == (
        str(report.pk),
        "Resolved: Warned the provider",
        "admin",
    )


def test_the_report_page_offers_resolve_only_while_unresolved(admin_client, order):
    report = _report(_message(order))
    change_url = reverse("admin:orders_messagereport_change", args=[report.pk])
    resolve_url = reverse("admin:orders_messagereport_resolve", args=[report.pk])

    assert resolve_url in admin_client.get(change_url).content.decode()
    threads.message_report_resolve(report=report, actor=UserFactory(support=True), note="done")
    assert resolve_url not in admin_client.get(change_url).content.decode()
    assert admin_client.post(resolve_url, {"note": "again"}).status_code == 302
    report.refresh_from_db()
    assert report.resolution_note == "done"


def test_reports_cannot_be_added_changed_or_deleted_in_the_admin(admin_client, order):
    report = _report(_message(order))

    assert admin_client.get(reverse("admin:orders_messagereport_add")).status_code == 403
    admin_client.post(reverse("admin:orders_messagereport_delete", args=[report.pk]), {"post": "yes"})
    assert MessageReport.objects.filter(pk=report.pk).exists()


def test_staff_see_who_blocked_whom_and_why(admin_client):
    ana = UserFactory(username="ana")
    bram = UserFactory(username="bram")
    lifted = services.block_create(blocker=ana, blocked=bram, reason="no_show", note="Never came")
    services.block_lift(block=lifted, actor=ana)
    current = services.block_create(blocker=bram, blocked=ana, reason="off_platform_payment")
    url = reverse("admin:marketplace_block_changelist")

    html = admin_client.get(url).content.decode()
    in_force = list(admin_client.get(url, {"active": "yes"}).context["cl"].result_list)
    by_name = list(admin_client.get(url, {"q": "ana"}).context["cl"].result_list)

    assert "Never came" in html and "did not show up" in html
    assert in_force == [current]
    assert set(by_name) == {lifted, current}
    assert admin_client.get(reverse("admin:marketplace_block_add")).status_code == 403
    assert Block.objects.count() == 2


def test_availability_shows_on_the_user(admin_client):
    away = UserFactory(username="away")
    services.availability_set(user=away, away_until=timezone.now() + timedelta(days=3), message="Exams until Friday")
    UserFactory(username="here")
    url = reverse("admin:marketplace_user_changelist")

    change = admin_client.get(reverse("admin:marketplace_user_change", args=[away.pk])).content.decode()
    listed = admin_client.get(url, {"away": "now"}).context["cl"].result_list

    assert "Exams until Friday" in change
    assert [u.username for u in listed] == ["away"]
    assert "away until" in admin_client.get(url).content.decode()
