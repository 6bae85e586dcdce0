"""The partner API for orders. Views are thin: validate, call a service, render the order."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.pagination import CursorPage, Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.representation import Representer, RowRepresenter
from core.api.schema import (
    CURSOR_PARAMETERS,
    FILE_CONTENT_TYPES,
    IDEMPOTENCY_KEY,
    PAGE_PARAMETERS,
    file_responses,
    problems,
)
from core.api.views import ActionApiView, ApiView
from core.downloads import stored_file_response
from credit.rates import CompletionRateEffect
from orders import services
from orders.cancellation import QuoteView, cancellation_quote, order_cancel
from orders.completion import completion_rate_effect_for
from orders.deposits import deposit_fee_preview
from orders.models import PERSON_REASONS, Order
from orders.selectors import delivery_file_get_for, order_detail_get, order_get_for_action, order_page_for_api

from .serializers import (
    CancellationQuoteOutputSerializer,
    CancellationReasonOutputSerializer,
    OrderCancelInputSerializer,
    OrderCreateInputSerializer,
    OrderDeliverInputSerializer,
    OrderDeliverUploadInputSerializer,
    OrderFilterSerializer,
    OrderListItemOutputSerializer,
    OrderOutputSerializer,
    OrderRequirementsInputSerializer,
    OrderRevisionRequestInputSerializer,
    cancellation_quote_data,
)

# Every action answers with the whole order, as GET /orders/{id}/ does.
ACTION_RESPONSES = {200: OrderOutputSerializer, **problems(400, 401, 403, 404, 409, 422)}


def _order_response(request, order_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The order as the caller now sees it, re-read with its history and money trail."""
    order = order_detail_get(pk=order_id, user=request.user)
    return Response(_order_data(order, request=request), status=status_code)


_order_data = Representer(OrderOutputSerializer)


def _your_role(row: dict, context: dict) -> str | None:
    if row["client_id"] == context["user_id"]:
        return "client"
    if row["provider_id"] == context["user_id"]:
        return "provider"
    return None


# The list is read as rows (a prepared keyset read) and represented without instances.
_list_item = RowRepresenter(OrderListItemOutputSerializer, methods={"your_role": _your_role})


# An action on one of the caller's orders, answered with the whole order.
class OrderActionApi(ActionApiView):
    def get_object(self, id: int) -> Order:
        return order_get_for_action(pk=id, user=self.request.user)

    def respond(self, id: int, result: object) -> Response:
        return _order_response(self.request, id)


class OrderListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = CursorPage  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="orders_list",
        tags=["orders"],
        summary="The caller's orders",
        description="Orders where the caller is client or provider, newest first. Read by cursor: "
        "follow `next` (and `previous`); a deep page costs what the first does.",
        parameters=[OrderFilterSerializer, *CURSOR_PARAMETERS],
        responses={200: OrderListItemOutputSerializer(many=True), **problems(400, 401)},
    )
    def get(self, request):
        filters = OrderFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        paginator = CursorPage()
        rows = paginator.paginate_rows(
            request,
            lambda position, limit: order_page_for_api(
                user=request.user, position=position, limit=limit, **filters.validated_data
            ),
        )
        return paginator.get_paginated_response([_list_item(row, user_id=request.user.pk) for row in rows])

    @extend_schema(
        operation_id="orders_create",
        tags=["orders"],
        summary="Order a service or book a shift",
        description="On a service listing the caller becomes the client; on a shift listing the caller "
        "becomes the provider. The client is charged and the money held in escrow. "
        "A shift has `positions`: each worker's booking is its own order. 409 `shift_full` when every "
        "place is booked; 409 `schedule_clash` when the caller holds a shift (booked or checked in) at an "
        "overlapping time (the problem's `order` names it); 409 `shift_started`; 403 `early_access` during "
        "an early-access shift's first hours for a credit score under the policy's; 409 `deposit_required` "
        "when the policy asks the caller (under its credit score) for a deposit before a shift above its "
        "value (the problem's `deposit`, `held`, `missing` and `currency` say what; see /me/deposits/).",
        request=OrderCreateInputSerializer,
        responses={201: OrderOutputSerializer, **problems(400, 401, 403, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = OrderCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = services.order_create(
            actor=request.user,
            listing_id=serializer.validated_data["listing"],
            requirements=serializer.validated_data["requirements"],
        )
        return _order_response(request, order.pk, status_code=status.HTTP_201_CREATED)


class OrderDetailApi(ApiView):
    @extend_schema(
        operation_id="orders_retrieve",
        tags=["orders"],
        summary="One order, with its history, deliveries and money trail",
        responses={200: OrderOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return _order_response(request, id)


class OrderFileApi(ApiView):
    @extend_schema(
        operation_id="orders_file_download",
        tags=["orders"],
        summary="Download a delivered file",
        description="The `url` of a file in the order's `deliveries`, with the same token. For the order's "
        "parties and support only: 404 for anyone else. Images and PDFs are sent `inline`, everything "
        "else as an attachment, always with the type found in the content on upload.",
        responses={
            **file_responses(
                "The file, with the type found in its content on upload.",
                (*FILE_CONTENT_TYPES, "application/zip", "text/plain", "application/octet-stream"),
            ),
            **problems(401, 404),
        },
    )
    def get(self, request, id: int, file_id: int):
        return stored_file_response(delivery_file_get_for(pk=file_id, order_id=id, user=request.user))


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_requirements_submit",
        tags=["orders"],
        summary="Client sends requirements: awaiting_requirements → in_progress",
        request=OrderRequirementsInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderRequirementsSubmitApi(OrderActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = OrderRequirementsInputSerializer

    def perform(self, order: Order, **data) -> None:
        services.order_submit_requirements(order=order, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_deliver",
        tags=["orders"],
        summary="Provider delivers: in_progress or late → delivered",
        description="JSON with `message`, or multipart/form-data with `message` and any number of `files`.",
        request={
            "application/json": OrderDeliverInputSerializer,
            "multipart/form-data": OrderDeliverUploadInputSerializer,
        },
        responses={
            200: OrderOutputSerializer,
            **problems(400, 401, 403, 404, 409, 413, 415, 422),
        },
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderDeliverApi(OrderActionApi):
    parser_classes = (DecimalJSONParser, MultiPartParser)
    input_serializer = OrderDeliverUploadInputSerializer

    def perform(self, order: Order, **data) -> None:
        services.order_deliver(order=order, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_delivery_accept",
        tags=["orders"],
        summary="Client accepts the delivery: delivered → completed",
        description="Escrow is released to the provider, minus the platform fee.",
        request=None,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderDeliveryAcceptApi(OrderActionApi):
    def perform(self, order: Order) -> None:
        services.order_accept_delivery(order=order, actor=self.request.user)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_revision_request",
        tags=["orders"],
        summary="Client asks for a revision: delivered → in_progress",
        description="409 `no_revisions_left` once the listing's revisions are used up.",
        request=OrderRevisionRequestInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderRevisionRequestApi(OrderActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = OrderRevisionRequestInputSerializer

    def perform(self, order: Order, **data) -> None:
        services.order_request_revision(order=order, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_check_in",
        tags=["orders"],
        summary="Provider checks in to a shift: booked → checked_in",
        description="409 `check_in_not_open` before the check-in window, `check_in_closed` after the shift.",
        request=None,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderCheckInApi(OrderActionApi):
    def perform(self, order: Order) -> None:
        services.order_check_in(order=order, actor=self.request.user)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_confirm_attendance",
        tags=["orders"],
        summary="Provider confirms they will come to a booked shift",
        description="Under a policy that asks for it, a place still unconfirmed at the release hours before the "
        "start goes to the waitlist and counts as the worker's cancellation at that moment.",
        request=None,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderConfirmAttendanceApi(OrderActionApi):
    def perform(self, order: Order) -> None:
        services.order_confirm_attendance(order=order, actor=self.request.user)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_check_out",
        tags=["orders"],
        summary="Provider checks out of a shift they checked in to",
        description="Records the hours worked (`checked_out_at`, `hours_worked`) beside the booked hours; the "
        "order stays checked_in until the client confirms it. 409 `already_checked_out`, 409 "
        "`shift_not_started`.",
        request=None,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderCheckOutApi(OrderActionApi):
    def perform(self, order: Order) -> None:
        services.order_check_out(order=order, actor=self.request.user)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_complete",
        tags=["orders"],
        summary="Client confirms a shift: checked_in → completed",
        description="Escrow is released to the provider, minus the platform fee.",
        request=None,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderCompleteApi(OrderActionApi):
    def perform(self, order: Order) -> None:
        services.order_complete(order=order, actor=self.request.user)


# --- Cancellation -------------------------------------------------------------------------


def _completion_rate_effect(view: QuoteView, user) -> CompletionRateEffect | None:
    """The provider's own rate now and after this cancellation; nobody else sees a provider's rate."""
    if view.quote is None or view.order.role_of(user) != "provider":
        return None
    return completion_rate_effect_for(user, counts=view.quote.counts_against_completion_rate)


class OrderCancellationQuoteApi(ApiView):
    @extend_schema(
        operation_id="orders_cancellation_quote",
        tags=["cancellation"],
        summary="What cancelling the order now would do for the caller",
        description="Money (refund, compensation, fee), credit change, completion-rate effect (for the "
        "provider, `completion_rate_effect` shows their own rate before and after), the tier "
        "that applies and until when the quote binds. The `quote_id` is a signed token carrying "
        "these terms (asking writes nothing): name it in POST cancel/ to execute exactly them while "
        "it is valid. "
        "`allowed: false` with `code` and `message` when the caller may not cancel unilaterally "
        "now; `available_from` says when such a refusal lifts by itself.",
        responses={200: CancellationQuoteOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        order = order_get_for_action(pk=id, user=request.user)
        view = cancellation_quote(order=order, actor=request.user)
        effect = _completion_rate_effect(view, request.user)
        from_deposit = (
            deposit_fee_preview(order=order, fee=view.quote.fee_to_platform)
            if view.quote is not None and order.role_of(request.user) == "provider"
            else None
        )
        return Response(
            _quote_data(cancellation_quote_data(view, completion_rate_effect=effect, fee_from_deposit=from_deposit))
        )


_quote_data = Representer(CancellationQuoteOutputSerializer)


@extend_schema_view(
    post=extend_schema(
        operation_id="orders_cancel",
        tags=["cancellation"],
        summary="Cancel unilaterally, where the rules allow (the force-cancel of a late order too)",
        description="The client or the provider cancels with a `reason` from the taxonomy. A `quote_id` "
        "still valid executes exactly the quoted terms (a quote ends at the latest when the next, "
        "harsher tier begins); without one, the terms of this moment apply. "
        "400 names `reason` or `quote_id` (malformed, unknown, or another user's quote). "
        "409 `quote_expired`, `already_cancelled`, or the refusal code of the quote endpoint "
        "(`use_resolution_center`, `delivered_use_resolution_center`, `late_grace_not_over`, "
        "`shift_under_way`, `order_closed`) with the reason for people in `detail`.",
        request=OrderCancelInputSerializer,
        responses={200: OrderOutputSerializer, **problems(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class OrderCancelApi(OrderActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = OrderCancelInputSerializer

    def perform(self, order: Order, **data) -> None:
        order_cancel(order=order, actor=self.request.user, **data)


class CancellationReasonListApi(ApiView):
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="cancellation_reasons_list",
        tags=["cancellation"],
        summary="The taxonomy of cancellation reasons",
        description="Codes to send as `reason` to POST cancel/, with labels in the caller's language "
        "(Accept-Language). Cancellations made by the system show `no_show` or `no_requirements`.",
        parameters=PAGE_PARAMETERS,
        responses={200: CancellationReasonOutputSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        reasons = [{"code": code, "label": label} for code, label in PERSON_REASONS]
        return paginated_response(
            queryset=reasons, serializer_class=CancellationReasonOutputSerializer, request=request, view=self
        )
