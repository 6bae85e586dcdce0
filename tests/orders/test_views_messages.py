"""The thread on the order page: newest at the bottom, posting with or without htmx, attachments
served only to the parties and support, reporting, and a query count that does not grow."""

import pytest
from django.urls import resolve, reverse

from marketplace import services
from marketplace.models import Notification
from orders import threads
from orders.models import Message, MessageReport
from tests.factories import UserFactory, service_order, support_user
from tests.marketplace.helpers import PDF, PNG, TEXT, png, thread_snapshot, too_big, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return service_order()


def _page(client, order):
    return client.get(reverse("order_detail", args=[order.pk]))


def _post(order, author, body, files=()):
    return threads.message_post(order=order, author=author, body=body, files=files)


def test_the_thread_url_is_ours_not_an_order_action():
    assert resolve("/orders/1/messages/").url_name == "order_messages"


def test_the_order_page_shows_the_thread_oldest_first_newest_at_the_bottom(client, order):
    _post(order, order.client, "First question")
    _post(order, order.provider, "Second answer")
    client.force_login(order.client)

    html = _page(client, order).content.decode()

    assert 'id="messages"' in html
    assert html.index("First question") < html.index("Second answer")
    assert "cannot be edited or deleted" in html
    assert f'action="{reverse("order_messages", args=[order.pk])}"' in html


def test_a_post_without_javascript_redirects_to_the_thread(client, order):
    client.force_login(order.client)

    response = client.post(reverse("order_messages", args=[order.pk]), {"body": "Is Friday fine?"})

    assert response.status_code == 302
    assert response.url == reverse("order_detail", args=[order.pk]) + "#messages"
    assert Message.objects.get().body == "Is Friday fine?"
    assert Notification.objects.filter(user=order.provider, kind="message_posted").exists()


def test_a_post_with_htmx_answers_with_the_thread_alone(client, order):
    client.force_login(order.provider)

    response = client.post(
        reverse("order_messages", args=[order.pk]),
        {"body": "Friday works", "files": [png("draft.png")]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="messages",
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="messages"')
    assert "<html" not in html
    assert "Friday works" in html
    attachment = Message.objects.get().attachments.get()
    assert reverse("message_attachment", args=[attachment.pk]) in html


def test_a_pdf_named_file_with_text_content_is_a_form_error_and_nothing_is_kept(client, order):
    client.force_login(order.client)
    before = thread_snapshot()

    response = client.post(
        reverse("order_messages", args=[order.pk]),
        {"body": "See attached", "files": [upload("contract.pdf", TEXT, "application/pdf")]},
    )

    assert response.status_code == 200
    assert "contract.pdf is not an accepted file type" in response.content.decode()
    assert response.context["form"].errors["files"]
    assert "See attached" in response.content.decode()  # what they wrote is kept in the form
    assert thread_snapshot() == before


def test_a_file_over_10_mb_is_a_form_error(client, order):
    client.force_login(order.client)
    before = thread_snapshot()

    response = client.post(
        reverse("order_messages", args=[order.pk]),
        {"body": "Big scan", "files": [too_big()]},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="messages",
    )

    assert response.status_code == 200
    assert "larger than 10 MB" in response.content.decode()
    assert thread_snapshot() == before


def test_an_empty_message_is_a_form_error(client, order):
    client.force_login(order.client)

    response = client.post(reverse("order_messages", args=[order.pk]), {"body": ""})

    assert response.context["form"].errors["body"] == ["Write a message."]
    assert not Message.objects.exists()


def test_a_stranger_can_neither_read_nor_post(client, order):
    client.force_login(UserFactory())

    assert client.get(reverse("order_messages", args=[order.pk])).status_code == 404
    assert client.post(reverse("order_messages", args=[order.pk]), {"body": "Hi"}).status_code == 404
    assert not Message.objects.exists()


def test_staff_read_the_thread_without_a_form(client, order):
    _post(order, order.client, "Evidence")
    client.force_login(UserFactory(support=True))

    html = _page(client, order).content.decode()

    assert "Evidence" in html
    assert 'name="body"' not in html
    assert "Only the client and the provider write in this thread." in html


def test_the_thread_page_shows_every_message_page_by_page(client, order):
    for i in range(55):
        Message.objects.create(order=order, author=order.client, body=f"Message number {i:02d}")
    client.force_login(order.provider)

    order_page = _page(client, order).content.decode()
    last_page = client.get(reverse("order_messages", args=[order.pk])).content.decode()
    first_page = client.get(reverse("order_messages", args=[order.pk]), {"page": 1}).content.decode()

    assert "Message number 04" not in order_page and "Message number 05" in order_page
    assert "Show earlier messages" in order_page
    assert "Message number 54" in last_page and "Message number 04" not in last_page
    assert "Message number 00" in first_page


def test_a_blocked_party_sees_why_they_cannot_write(client, order):
    from orders.cancellation import order_cancel

    order_cancel(order=order, actor=order.client, reason="schedule_change")
    services.block_create(blocker=order.provider, blocked=order.client, reason="abusive")
    client.force_login(order.client)

    html = _page(client, order).content.decode()
    refused = client.post(reverse("order_messages", args=[order.pk]), {"body": "Why?"})

    assert "has blocked you: you cannot write here" in html
    assert 'name="body"' not in html
    assert "has blocked you" in refused.content.decode()
    assert not Message.objects.exists()


def test_there_is_no_way_to_edit_or_delete_a_message_on_the_page(client, order):
    message = _post(order, order.client, "Kept")
    client.force_login(order.client)

    html = _page(client, order).content.decode()

    assert "Edit" not in html.split('id="messages"')[1].split("</section>")[0]
    assert client.post(f"/orders/{order.pk}/messages/{message.pk}/delete/").status_code == 404
    assert Message.objects.get().body == "Kept"


# --- Attachments ----------------------------------------------------------------------------


@pytest.fixture
def attachment(order):
    message = _post(order, order.client, "Here is the brief", files=[upload("brief.png", PDF, "image/png")])
    return message.attachments.get()


@pytest.mark.parametrize("who", ["client", "provider", "support"])
def test_parties_and_support_download_an_attachment(client, order, attachment, who):
    client.force_login(support_user() if who == "support" else getattr(order, who))

    response = client.get(reverse("message_attachment", args=[attachment.pk]))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"  # the content decides, not the name
    assert "private" in response["Cache-Control"]
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_stranger_cannot_download_an_attachment(client, attachment):
    client.force_login(UserFactory())

    assert client.get(reverse("message_attachment", args=[attachment.pk])).status_code == 404


def test_staff_outside_support_cannot_download_an_attachment(client, attachment):
    client.force_login(UserFactory(is_staff=True))

    assert client.get(reverse("message_attachment", args=[attachment.pk])).status_code == 404


def test_downloading_signed_out_is_404(client, attachment):
    response = client.get(reverse("message_attachment", args=[attachment.pk]))

    assert response.status_code == 404


def test_the_page_never_links_the_public_media_url(client, order, attachment):
    client.force_login(order.provider)

    html = _page(client, order).content.decode()

    assert attachment.file.url not in html
    assert reverse("message_attachment", args=[attachment.pk]) in html


def test_an_image_is_shown_as_a_thumbnail(client, order):
    message = _post(order, order.provider, "Draft", files=[upload("draft.png", PNG, "image/png")])
    client.force_login(order.client)

    html = _page(client, order).content.decode()

    assert f'<img src="{reverse("message_attachment", args=[message.attachments.get().pk])}"' in html


# --- Reporting ------------------------------------------------------------------------------


@pytest.fixture
def message(order):
    return _post(order, order.provider, "Pay me by bank transfer instead")


def test_the_other_partys_messages_offer_a_report_form_mine_do_not(client, order, message):
    mine = _post(order, order.client, "Let us keep it on Gigfair")
    client.force_login(order.client)

    html = _page(client, order).content.decode()

    assert reverse("message_report", args=[message.pk]) in html
    assert reverse("message_report", args=[mine.pk]) not in html


def test_a_party_reports_a_message_from_the_order_page(client, order, message):
    client.force_login(order.client)

    response = client.post(
        reverse("message_report", args=[message.pk]), {"reason": "off_platform_payment", "note": "Bank transfer"}
    )

    assert response.status_code == 302
    assert response.url.endswith(f"#message-{message.pk}")
    report = MessageReport.objects.get()
    assert (report.reporter, report.reason, report.note) == (order.client, "off_platform_payment", "Bank transfer")
    html = client.get(response.url).content.decode()
    assert "You reported this message to support." in html


def test_a_report_without_a_note_for_other_shows_the_form_again(client, order, message):
    client.force_login(order.client)

    response = client.post(reverse("message_report", args=[message.pk]), {"reason": "other", "note": ""})

    assert response.status_code == 200
    assert response.context["form"].errors["note"]
    assert not MessageReport.objects.exists()


def test_a_reason_outside_the_list_is_a_form_error(client, order, message):
    client.force_login(order.client)

    response = client.post(reverse("message_report", args=[message.pk]), {"reason": "boring"})

    assert response.context["form"].errors["reason"]
    assert not MessageReport.objects.exists()


def test_a_stranger_cannot_report(client, message):
    client.force_login(UserFactory())

    assert client.post(reverse("message_report", args=[message.pk]), {"reason": "spam"}).status_code == 404
    assert not MessageReport.objects.exists()


# --- Query counts ---------------------------------------------------------------------------


def _fill(order, rows: int) -> None:
    """``rows`` messages from both sides, each with two files; the client reports the provider's."""
    for i in range(rows):
        author = order.client if i % 2 else order.provider
        message = _post(order, author, f"Message {i}", files=[png(), upload("doc.pdf", PDF)])
        if author == order.provider:
            threads.message_report_create(message=message, reporter=order.client, reason="spam")


def test_the_order_page_query_count_does_not_grow_with_the_thread(client, django_assert_max_num_queries):
    # The order page has panels of other features: its own count is measured with one message,
    # then pinned for ten times as many.
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order = service_order()
    _fill(order, 1)
    client.force_login(order.client)
    with CaptureQueriesContext(connection) as one:
        _page(client, order)
    _fill(order, 9)

    with django_assert_max_num_queries(len(one)):
        response = _page(client, order)

    assert response.content.decode().count('<li id="message-') == 10


@pytest.mark.parametrize("rows", [3, 10])
def test_the_thread_query_count_does_not_grow_with_rows(client, django_assert_max_num_queries, rows):
    order = service_order()
    _fill(order, rows)
    client.force_login(order.client)

    # session, user, order, count, messages, their files, my reports, block, unread notifications
    with django_assert_max_num_queries(9):
        response = client.get(reverse("order_messages", args=[order.pk]))

    assert len(response.context["thread"]) == rows
