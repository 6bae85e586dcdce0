"""The partner API's shapes for an order's message thread: written out, not derived from models."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.schema import codes_help
from marketplace.api.serializers import UserRefSerializer
from marketplace.services import NOTE_MAX
from orders.models import MessageReportReason
from orders.threads import MESSAGE_MAX


class MessageCreateInputSerializer(serializers.Serializer):
    """A message as JSON: its text (files come as multipart/form-data)."""

    body = serializers.CharField(
        max_length=MESSAGE_MAX,
        error_messages={"blank": _("Write a message.")},
        help_text="The text, up to 5,000 characters.",
    )


class MessageUploadInputSerializer(MessageCreateInputSerializer):
    """A message as multipart/form-data: its text and files."""

    # Empty files are let through so the upload check refuses them with the same message as
    # every other interface.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="multipart/form-data only: images or PDF (type read from the content), up to 10 MB each, at most 5.",
    )


class MessageAttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The name it was uploaded with.")
    content_type = serializers.CharField(help_text="Found from the file's content, not its name.")
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="Download with the same API token (parties and support only).")

    def get_url(self, attachment) -> str:
        url = reverse("api-message-attachment", kwargs={"id": attachment.message_id, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    author = UserRefSerializer()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = MessageAttachmentOutputSerializer(many=True)
    reported_by_me = serializers.SerializerMethodField(help_text="Whether the caller has reported this message.")

    def get_reported_by_me(self, message) -> bool:
        return bool(getattr(message, "my_reports", ()))


class MessageReportInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=MessageReportReason.choices, help_text=codes_help(MessageReportReason.choices)
    )
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=NOTE_MAX,
        help_text="For support; required when `reason` is `other`.",
    )


class MessageReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.IntegerField(source="message_id")
    # A plain string: the codes are listed on the input; another enum named "reason" would
    # collide with the other apps' reasons in the schema.
    reason = serializers.CharField(help_text="A code of the report reasons (see the report input).")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=(("open", "open"), ("resolved", "resolved"))))
    def get_status(self, report) -> str:
        return "resolved" if report.resolved_at else "open"
