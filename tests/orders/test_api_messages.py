"""The thread over the API: JSON or multipart, 413/415 by the one upload check, reports, and no
way to change a message."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace import services
from marketplace.models import Notification
from orders import threads
from orders.models import Message, MessageReport
from tests.factories import UserFactory, service_order
from tests.marketplace.helpers import PDF, TEXT, png, thread_snapshot, too_big

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _assert_problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == code


@pytest.fixture
def order():
    return service_order()


def _url(order) -> str:
    return f"/api/v1/orders/{order.pk}/messages/"


def test_a_party_posts_json_and_the_other_is_notified(api_as, order):
    response = api_as(order.client).post(_url(order), {"body": "When can you start?"}, format="json")

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["body"] == "When can you start?"
    assert body["order"] == order.pk
    assert body["author"] == {
        "id": order.client.pk,
        "username": order.client.username,
        "display_name": order.client.display_name,
    }
    assert body["attachments"] == []
    assert body["reported_by_me"] is False
    assert Notification.objects.filter(user=order.provider, kind="message_posted").count() == 1


def test_multipart_with_files_is_checked_by_content(api_as, order):
    files = [SimpleUploadedFile("scan.png", PDF, content_type="image/png"), png("photo.png")]

    response = api_as(order.provider).post(_url(order), {"body": "Both attached", "files": files}, format="multipart")

    assert response.status_code == 201, response.content
    attachments = response.json()["attachments"]
    assert [(a["name"], a["content_type"]) for a in attachments] == [
        ("scan.png", "application/pdf"),
        ("photo.png", "image/png"),
    ]
    assert attachments[0]["url"].endswith(
        f"/api/v1/messages/{response.json()['id']}/attachments/{attachments[0]['id']}/"
    )


def test_a_pdf_name_with_text_content_is_415_and_nothing_is_kept(api_as, order):
    before = thread_snapshot()
    file = SimpleUploadedFile("contract.pdf", TEXT, content_type="application/pdf")

    response = api_as(order.client).post(_url(order), {"body": "Contract", "files": [file]}, format="multipart")

    _assert_problem(response, 415, "unsupported_media_type")
    assert "files" in response.json()["errors"]
    assert thread_snapshot() == before


def test_a_file_over_10_mb_is_413_and_nothing_is_kept(api_as, order):
    before = thread_snapshot()

    response = api_as(order.client).post(_url(order), {"body": "Scan", "files": [too_big()]}, format="multipart")

    _assert_problem(response, 413, "upload_too_large")
    assert thread_snapshot() == before


def test_an_empty_body_is_400(api_as, order):
    response = api_as(order.client).post(_url(order), {"body": "  "}, format="json")

    _assert_problem(response, 400, "invalid")
    assert "body" in response.json()["errors"]
    assert not Message.objects.exists()


def test_a_stranger_gets_404_for_reading_and_posting(api_as, order):
    stranger = api_as(UserFactory())

    _assert_problem(stranger.get(_url(order)), 404, "not_found")
    _assert_problem(stranger.post(_url(order), {"body": "Hi"}, format="json"), 404, "not_found")
    assert not Message.objects.exists()


def test_a_blocked_party_gets_403_blocked(api_as, order):
    from orders.cancellation import order_cancel

    order_cancel(order=order, actor=order.client, reason="schedule_change")
    services.block_create(blocker=order.client, blocked=order.provider, reason="spam")
    before = thread_snapshot()

    response = api_as(order.provider).post(_url(order), {"body": "Hello?"}, format="json")

    _assert_problem(response, 403, "blocked")
    assert thread_snapshot() == before


def test_the_list_is_newest_first_and_paginated(api_as, order):
    for i in range(3):
        threads.message_post(order=order, author=order.client, body=f"m{i}")

    response = api_as(order.provider).get(_url(order), {"page_size": 2})

    body = response.json()
    assert [m["body"] for m in body["results"]] == ["m2", "m1"]
    assert body["next"] is not None


def test_the_same_idempotency_key_does_not_post_twice(api_as, order):
    api = api_as(order.client)

    first = api.post(_url(order), {"body": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = api.post(_url(order), {"body": "Once"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert Message.objects.count() == 1


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_messages_cannot_be_changed_or_deleted(api_as, order, method):
    message = threads.message_post(order=order, author=order.client, body="Kept")
    api = api_as(order.client)

    on_thread = getattr(api, method)(_url(order), {"body": "Changed"}, format="json")
    on_message = getattr(api, method)(f"/api/v1/messages/{message.pk}/", {"body": "Changed"}, format="json")

    assert on_thread.status_code == 405
    assert on_message.status_code == 404
    assert Message.objects.get().body == "Kept"


# --- Attachments ----------------------------------------------------------------------------


@pytest.fixture
def attachment(order):
    message = threads.message_post(
        order=order, author=order.client, body="File", files=[SimpleUploadedFile("a.pdf", PDF)]
    )
    return message.attachments.get()


def test_a_party_downloads_an_attachment_with_the_token(api_as, order, attachment):
    response = api_as(order.provider).get(f"/api/v1/messages/{attachment.message_id}/attachments/{attachment.pk}/")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"


def test_a_stranger_cannot_download_an_attachment(api_as, attachment):
    response = api_as(UserFactory()).get(f"/api/v1/messages/{attachment.message_id}/attachments/{attachment.pk}/")

    _assert_problem(response, 404, "not_found")


def test_an_attachment_is_found_only_under_its_own_message(api_as, order, attachment):
    other = threads.message_post(order=order, author=order.client, body="Another")

    response = api_as(order.client).get(f"/api/v1/messages/{other.pk}/attachments/{attachment.pk}/")

    assert response.status_code == 404


# --- Reports --------------------------------------------------------------------------------


@pytest.fixture
def message(order):
    return threads.message_post(order=order, author=order.provider, body="Pay me in cash")


def _report(api, message, payload):
    return api.post(f"/api/v1/messages/{message.pk}/report/", payload, format="json")


def test_a_party_reports_a_message(api_as, order, message):
    response = _report(api_as(order.client), message, {"reason": "off_platform_payment", "note": "Cash"})

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["message"] == message.pk
    assert (body["reason"], body["note"], body["status"], body["resolved_at"]) == (
        "off_platform_payment",
        "Cash",
        "open",
        None,
    )
    listed = api_as(order.client).get(_url(order)).json()["results"][0]
    assert listed["reported_by_me"] is True


def test_a_reason_outside_the_list_is_400(api_as, order, message):
    response = _report(api_as(order.client), message, {"reason": "boring"})

    _assert_problem(response, 400, "invalid")
    assert "reason" in response.json()["errors"]
    assert not MessageReport.objects.exists()


def test_other_without_a_note_is_400(api_as, order, message):
    response = _report(api_as(order.client), message, {"reason": "other"})

    _assert_problem(response, 400, "invalid")
    assert "note" in response.json()["errors"]


def test_reporting_my_own_message_is_403(api_as, order, message):
    _assert_problem(_report(api_as(order.provider), message, {"reason": "spam"}), 403, "own_message")


def test_reporting_twice_is_409(api_as, order, message):
    api = api_as(order.client)
    _report(api, message, {"reason": "spam"})

    _assert_problem(_report(api, message, {"reason": "abuse"}), 409, "already_reported")
    assert MessageReport.objects.count() == 1


def test_a_stranger_cannot_report_404(api_as, message):
    _assert_problem(_report(api_as(UserFactory()), message, {"reason": "spam"}), 404, "not_found")


# --- Query count ----------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [3, 10])
def test_the_thread_query_count_does_not_grow_with_rows(api_as, django_assert_max_num_queries, rows):
    order = service_order()
    for i in range(rows):
        author = order.client if i % 2 else order.provider
        message = threads.message_post(order=order, author=author, body=f"m{i}", files=[png(), png("b.png")])
        if author == order.provider:
            threads.message_report_create(message=message, reporter=order.client, reason="spam")
    api = api_as(order.client)

    # token and user, order, count, messages, their files, my reports
    with django_assert_max_num_queries(6):
        response = api.get(_url(order))

    assert len(response.json()["results"]) == rows
