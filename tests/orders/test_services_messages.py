"""Order threads: who may write, attachments checked by content, messages kept unchanged, reports."""

import pytest
from django.db import IntegrityError

from core.exceptions import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from core.uploads import UploadTooLarge, UploadTypeRefused
from marketplace.models import Notification
from orders import threads
from orders.models import Message, MessageAttachment, MessageReport, MessageReportReason
from orders.selectors import order_messages
from orders.services import order_submit_requirements
from tests.factories import UserFactory, service_order
from tests.marketplace.helpers import PDF, TEXT, pdf, png, thread_snapshot, too_big, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return service_order()


def _post(order, author=None, body="Hello", files=()):
    return threads.message_post(order=order, author=author or order.client, body=body, files=files)


# --- Posting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("party", ["client", "provider"])
def test_either_party_posts_and_the_other_is_notified(order, party):
    author = getattr(order, party)
    other = order.provider if party == "client" else order.client

    message = _post(order, author, "Can you use teal?")

    assert list(order_messages(order)) == [message]
    assert message.body == "Can you use teal?"
    notice = Notification.objects.get(user=other)
    assert notice.kind == "message_posted"
    assert notice.order_id == order.pk
    assert author.public_name in notice.title
    assert notice.body == "Can you use teal?"
    assert not Notification.objects.filter(user=author).exists()


def test_the_thread_is_oldest_first(order):
    first = _post(order, order.client, "one")
    second = _post(order, order.provider, "two")

    assert list(order_messages(order)) == [first, second]


def test_a_message_may_be_posted_on_a_closed_order(order):
    from orders.cancellation import order_cancel

    order_cancel(order=order, actor=order.client, reason="schedule_change")

    assert _post(order, order.provider, "Sorry to see you go").pk


def test_a_stranger_cannot_post(order):
    before = thread_snapshot()

    with pytest.raises(NotFound):
        _post(order, UserFactory())

    assert thread_snapshot() == before


def test_staff_who_are_not_parties_cannot_post(order):
    before = thread_snapshot()

    with pytest.raises(PermissionDenied) as exc:
        _post(order, UserFactory(support=True))

    assert exc.value.code == "not_a_party"
    assert thread_snapshot() == before


@pytest.mark.parametrize("body", ["", "   \n "])
def test_a_message_needs_text(order, body):
    before = thread_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        _post(order, body=body)

    assert "body" in exc.value.errors
    assert thread_snapshot() == before


def test_a_message_has_at_most_5000_characters(order):
    with pytest.raises(ValidationFailed):
        _post(order, body="x" * 5001)

    assert _post(order, body="x" * 5000).pk


def test_the_database_refuses_an_empty_message(order):
    with pytest.raises(IntegrityError):
        Message.objects.create(order=order, author=order.client, body="")


# --- Attachments: one upload check, type by content -------------------------------------------


def test_images_and_pdfs_are_attached_with_the_type_found_in_their_content(order):
    message = _post(order, files=[png("sketch.png"), pdf("quote.pdf")])

    files = list(message.attachments.order_by("pk"))
    assert [(f.name, f.content_type) for f in files] == [("sketch.png", "image/png"), ("quote.pdf", "application/pdf")]
    assert files[1].file.read() == PDF
    assert files[1].size == len(PDF)


def test_a_png_name_with_pdf_content_is_kept_as_a_pdf(order):
    message = _post(order, files=[upload("holiday.png", PDF, "image/png")])

    attachment = message.attachments.get()
    assert attachment.content_type == "application/pdf"
    assert attachment.name == "holiday.png"
    assert attachment.file.name.endswith(".pdf")


def test_stored_names_are_random_not_the_uploaders(order):
    message = _post(order, files=[pdf("../../etc/passwd.pdf")])

    stored = message.attachments.get().file.name
    assert stored.startswith("messages/")
    assert "passwd" not in stored


def test_a_pdf_name_with_text_content_is_refused_415_and_nothing_is_kept(order):
    before = thread_snapshot()

    with pytest.raises(UploadTypeRefused) as exc:
        _post(order, files=[pdf("fine.pdf"), upload("contract.pdf", TEXT, "application/pdf")])

    assert exc.value.status == 415
    assert "contract.pdf" in exc.value.errors["files"][0]
    assert thread_snapshot() == before


@pytest.mark.parametrize(
    ("name", "content"),
    [("archive.zip", b"PK\x03\x04rest"), ("notes.txt", TEXT), ("binary.bin", b"\x00\x01\x02\xff")],
)
def test_only_images_and_pdfs_are_accepted(order, name, content):
    with pytest.raises(UploadTypeRefused):
        _post(order, files=[upload(name, content)])

    assert not MessageAttachment.objects.exists()


def test_a_file_over_10_mb_is_refused_413_and_nothing_is_kept(order):
    before = thread_snapshot()

    with pytest.raises(UploadTooLarge) as exc:
        _post(order, files=[too_big()])

    assert exc.value.status == 413
    assert thread_snapshot() == before


def test_an_empty_file_is_refused(order):
    with pytest.raises(ApplicationError) as exc:
        _post(order, files=[upload("empty.pdf", b"")])

    assert exc.value.code == "empty_file"
    assert not Message.objects.exists()


def test_at_most_five_files_per_message(order):
    before = thread_snapshot()

    with pytest.raises(ValidationFailed) as exc:
        _post(order, files=[png(f"p{i}.png") for i in range(6)])

    assert "files" in exc.value.errors
    assert thread_snapshot() == before


# --- Kept as evidence ------------------------------------------------------------------------


def test_a_message_cannot_be_changed_or_deleted(order):
    message = _post(order, body="Original", files=[pdf()])
    attachment = message.attachments.get()

    message.body = "Rewritten"
    with pytest.raises(TypeError):
        message.save()
    with pytest.raises(TypeError):
        message.delete()
    with pytest.raises(TypeError):
        Message.objects.filter(pk=message.pk).update(body="Rewritten")
    with pytest.raises(TypeError):
        Message.objects.filter(pk=message.pk).delete()
    with pytest.raises(TypeError):
        attachment.delete()
    with pytest.raises(TypeError):
        MessageAttachment.objects.all().delete()

    assert Message.objects.get(pk=message.pk).body == "Original"
    assert MessageAttachment.objects.filter(pk=attachment.pk).exists()


def test_the_services_offer_no_way_to_edit_or_delete_a_message():
    names = [name for name in dir(threads) if name.startswith("message_")]

    assert sorted(names) == ["message_post", "message_report_create", "message_report_resolve"]


# --- Reports ---------------------------------------------------------------------------------


@pytest.fixture
def message(order):
    return _post(order, order.provider, "Pay me on another site, it is cheaper")


@pytest.mark.parametrize("reason", MessageReportReason.values)
def test_a_party_reports_the_other_partys_message_with_a_reason_from_the_list(message, reason):
    note = "Details" if reason == "other" else ""

    report = threads.message_report_create(message=message, reporter=message.order.client, reason=reason, note=note)

    assert report.reason == reason
    assert report.resolved_at is None


def test_a_reason_outside_the_list_is_refused(message):
    with pytest.raises(ValidationFailed) as exc:
        threads.message_report_create(message=message, reporter=message.order.client, reason="boring")

    assert "reason" in exc.value.errors
    assert not MessageReport.objects.exists()


def test_other_needs_a_note(message):
    with pytest.raises(ValidationFailed) as exc:
        threads.message_report_create(message=message, reporter=message.order.client, reason="other", note=" ")

    assert "note" in exc.value.errors
    assert not MessageReport.objects.exists()


def test_nobody_reports_their_own_message(message):
    with pytest.raises(PermissionDenied) as exc:
        threads.message_report_create(message=message, reporter=message.order.provider, reason="spam")

    assert exc.value.code == "own_message"
    assert not MessageReport.objects.exists()


def test_a_stranger_cannot_report(message):
    with pytest.raises(NotFound):
        threads.message_report_create(message=message, reporter=UserFactory(), reason="spam")

    assert not MessageReport.objects.exists()


def test_a_message_is_reported_once_per_person(message):
    threads.message_report_create(message=message, reporter=message.order.client, reason="spam")

    with pytest.raises(Conflict) as exc:
        threads.message_report_create(message=message, reporter=message.order.client, reason="abuse")

    assert exc.value.code == "already_reported"
    assert MessageReport.objects.get().reason == "spam"


def test_reporting_changes_nothing_in_the_thread(message):
    threads.message_report_create(
        message=message, reporter=message.order.client, reason="off_platform_payment", note="Asked for PayPal"
    )

    assert Message.objects.get(pk=message.pk).body == "Pay me on another site, it is cheaper"


def test_support_resolves_a_report_with_a_note_and_the_reporter_is_told(message):
    report = threads.message_report_create(message=message, reporter=message.order.client, reason="spam")
    agent = UserFactory(support=True)

    threads.message_report_resolve(report=report, actor=agent, note="Warned the provider")

    report.refresh_from_db()
    assert report.resolved_at is not None
    assert report.resolved_by == agent
    assert report.resolution_note == "Warned the provider"
    notice = Notification.objects.get(user=message.order.client, kind="message_report_resolved")
    assert notice.order_id == message.order_id
    assert "Warned" not in notice.body  # the note is for the back office


def test_resolving_twice_keeps_the_first_resolution(message):
    report = threads.message_report_create(message=message, reporter=message.order.client, reason="spam")
    agent = UserFactory(support=True)
    threads.message_report_resolve(report=report, actor=agent, note="First")

    threads.message_report_resolve(report=report, actor=UserFactory(support=True), note="Second")

    report.refresh_from_db()
    assert (report.resolved_by, report.resolution_note) == (agent, "First")
    assert Notification.objects.filter(kind="message_report_resolved").count() == 1


def test_only_staff_resolve_and_a_note_is_required(message):
    report = threads.message_report_create(message=message, reporter=message.order.client, reason="spam")

    with pytest.raises(PermissionDenied):
        threads.message_report_resolve(report=report, actor=message.order.client, note="Fine")
    with pytest.raises(ValidationFailed):
        threads.message_report_resolve(report=report, actor=UserFactory(support=True), note="")

    report.refresh_from_db()
    assert report.resolved_at is None


def test_requirements_sent_later_do_not_touch_the_thread(order):
    message = _post(order)

    order_submit_requirements(order=order, actor=order.client, requirements="A fox")

    assert list(order_messages(order)) == [message]
