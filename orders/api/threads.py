"""The partner API for an order's message thread: read and post, report a message, download a file.

Views are thin: validate, call ``orders.threads``, render.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, file_responses, problems
from core.api.views import ActionApiView, ApiView
from core.downloads import stored_file_response
from orders import threads
from orders.models import Message, MessageReport
from orders.selectors import attachment_get_for, message_get_for, order_get_for_action, order_thread_for

from .thread_serializers import (
    MessageCreateInputSerializer,
    MessageOutputSerializer,
    MessageReportInputSerializer,
    MessageReportOutputSerializer,
    MessageUploadInputSerializer,
)


class OrderMessageListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser, MultiPartParser)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="orders_messages_list",
        tags=["messages"],
        summary="An order's message thread",
        description="Newest first. Messages are kept exactly as sent: they are never edited or deleted.",
        parameters=PAGE_PARAMETERS,
        responses={200: MessageOutputSerializer(many=True), **problems(401, 404)},
    )
    def get(self, request, id: int):
        order = order_get_for_action(pk=id, user=request.user)
        messages = order_thread_for(order=order, user=request.user).order_by("-created_at", "-id")
        return paginated_response(
            queryset=messages, serializer_class=MessageOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="orders_messages_create",
        tags=["messages"],
        summary="Post a message to the order's thread",
        description="JSON with `body`, or multipart/form-data with `body` and up to 5 `files` (images or "
        "PDF, up to 10 MB each; the type is read from the content, not the name). The other party is "
        "notified. 403 `blocked` when either party has blocked the other; 413 a file is too large; "
        "415 a file is not an image or PDF.",
        request={
            "application/json": MessageCreateInputSerializer,
            "multipart/form-data": MessageUploadInputSerializer,
        },
        responses={201: MessageOutputSerializer, **problems(400, 401, 403, 404, 413, 415, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = MessageUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_get_for_action(pk=id, user=request.user)
        message = threads.message_post(order=order, author=request.user, **serializer.validated_data)
        return Response(
            MessageOutputSerializer(message, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="messages_report",
        tags=["messages"],
        summary="Report a message of the other party to support",
        description="`reason`: spam, abuse, off_platform_payment (asks to pay outside Gigfair) or other (then "
        "`note` is required). 403 `own_message`; 409 `already_reported`.",
        request=MessageReportInputSerializer,
        responses={201: MessageReportOutputSerializer, **problems(400, 401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class MessageReportCreateApi(ActionApiView):
    parser_classes = (DecimalJSONParser,)
    input_serializer = MessageReportInputSerializer
    output_serializer = MessageReportOutputSerializer
    status_code = status.HTTP_201_CREATED

    def get_object(self, id: int) -> Message:
        return message_get_for(pk=id, user=self.request.user)

    def perform(self, message: Message, **data) -> MessageReport:
        return threads.message_report_create(message=message, reporter=self.request.user, **data)


class MessageAttachmentApi(ApiView):
    @extend_schema(
        operation_id="messages_attachment_download",
        tags=["messages"],
        summary="Download a message's attachment",
        description="Only for the order's parties and support: 404 for anyone else. Images and PDFs are "
        "sent `inline`, with the type found in the content on upload.",
        responses={**file_responses("The file, with the type found in its content."), **problems(401, 404)},
    )
    def get(self, request, id: int, attachment_id: int):
        attachment = attachment_get_for(pk=attachment_id, message_id=id, user=request.user)
        return stored_file_response(attachment)
