"""The order's message thread: posts with attachments, reports to support, and their resolution.

The only code that writes messages. They are evidence: kept exactly as sent, never edited or
deleted, and only the order's two parties write in a thread (staff read it in the admin).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.i18n import Translatable
from core.support import is_support
from core.text import text_clean
from core.uploads import upload_check
from marketplace.models import User
from marketplace.notifications import notify
from marketplace.services import NOTE_MAX, require_not_blocked

from .models import Message, MessageAttachment, MessageReport, MessageReportReason

MESSAGE_MAX = 5000
MESSAGE_MAX_FILES = 5
MESSAGE_FILE_TYPES = ("image", "pdf")


def _require_party(order, user: User, action: str) -> str:
    role = order.role_of(user)
    if role is None:
        if is_support(user):
            raise PermissionDenied(
                _("Only the client and the provider of this order can %(action)s.") % {"action": action},
                code="not_a_party",
            )
        raise NotFound(_("No such order."))
    return role


@transaction.atomic
def message_post(*, order, author: User, body: str, files: Sequence[UploadedFile] = ()) -> Message:
    """Post a message (with optional images or PDFs) to an order's thread; the other party is told.

    Messages are kept exactly as sent: there is no way to edit or delete one.
    """
    role = _require_party(order, author, _("write in its thread"))
    other = order.provider if role == "client" else order.client
    require_not_blocked(actor=author, other=other)
    body = text_clean(body, field="body", limit=MESSAGE_MAX, required_message=_("Write a message."))
    if len(files) > MESSAGE_MAX_FILES:
        message = _("Attach at most %(n)d files to one message.") % {"n": MESSAGE_MAX_FILES}
        raise ValidationFailed(message, errors={"files": [message]})
    checked = [upload_check(f, allowed=MESSAGE_FILE_TYPES, field="files") for f in files]
    message = Message.objects.create(order=order, author=author, body=body)
    for upload, content_type in checked:
        MessageAttachment.objects.create(
            message=message, file=upload, name=upload.name[:255], content_type=content_type, size=upload.size
        )
    excerpt = body if len(body) <= 200 else body[:199] + "…"
    notify(
        users=[other],
        kind="message_posted",
        title=Translatable(
            gettext_noop("New message from %(name)s on order #%(id)s"), {"name": author.public_name, "id": order.pk}
        ),
        body=excerpt,
        order=order,
    )
    return message


@transaction.atomic
def message_report_create(*, message: Message, reporter: User, reason: str, note: str = "") -> MessageReport:
    """A party asks support to look at a message of the other party; it joins the back office queue."""
    _require_party(message.order, reporter, _("report its messages"))
    if message.author_id == reporter.pk:
        raise PermissionDenied(_("You cannot report your own message."), code="own_message")
    if reason not in MessageReportReason.values:
        text = _("Choose a reason from the list.")
        raise ValidationFailed(text, errors={"reason": [text]})
    required = _("Say what is wrong with this message.") if reason == MessageReportReason.OTHER else ""
    note = text_clean(note, field="note", limit=NOTE_MAX, required_message=required)
    if MessageReport.objects.filter(message=message, reporter=reporter).exists():
        raise Conflict(_("You have already reported this message."), code="already_reported")
    try:
        with transaction.atomic():
            return MessageReport.objects.create(message=message, reporter=reporter, reason=reason, note=note)
    except IntegrityError:  # the same report sent twice at once
        raise Conflict(_("You have already reported this message."), code="already_reported") from None


@transaction.atomic
def message_report_resolve(*, report: MessageReport, actor: User, note: str) -> MessageReport:
    """Support closes a report with a note; the reporter is told it was looked at."""
    if not is_support(actor, "orders.change_messagereport"):
        raise PermissionDenied(_("Only support staff resolve reports."))
    note = text_clean(note, field="note", limit=NOTE_MAX, required_message=_("Say what was found and done."))
    report = MessageReport.objects.select_for_update().select_related("message").get(pk=report.pk)
    if report.resolved_at is not None:
        return report
    report.resolved_at = timezone.now()
    report.resolved_by = actor
    report.resolution_note = note
    report.save(update_fields=("resolved_at", "resolved_by", "resolution_note"))
    notify(
        users=[report.reporter],
        kind="message_report_resolved",
        title=Translatable(
            gettext_noop("Support has reviewed the message you reported on order #%(id)s"),
            {"id": report.message.order_id},
        ),
        body=Translatable(
            gettext_noop("Thank you for telling us. Report more messages from the thread whenever something is wrong.")
        ),
        order=report.message.order,
    )
    return report
