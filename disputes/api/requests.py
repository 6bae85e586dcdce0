"""The partner API for resolution requests. Views are thin: validate, call a service, render the request."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ActionApiView, ApiView
from disputes.models import ResolutionRequest
from disputes.selectors.requests import (
    request_actions_for,
    request_consequences,
    request_get,
    request_list_for_order,
    request_terms_preview,
    request_window_pause,
)
from disputes.services import requests as services
from orders.selectors import order_get_for_action

from .requests_serializers import (
    RequestAcceptInputSerializer,
    RequestAnswerInputSerializer,
    RequestCreateInputSerializer,
    RequestListItemOutputSerializer,
    RequestOutputSerializer,
    consequences_data,
    terms_consequences_data,
)

ACTION_RESPONSES = {200: RequestOutputSerializer, **problems(400, 401, 403, 404, 409, 422)}
LATE = (
    "After `respond_by` (unless the window is on hold while the provider is away with no return date) the "
    "answer is refused with 409 `request_expired`: the outcome silence brings is applied at that moment (a "
    "cancel or extension request is accepted automatically, an update request expires and counts against "
    "the provider's responsiveness), the problem's `state` and `resolution` say which, and the request "
    "shows it from then on."
)
TAGS = ["resolution requests"]


def _request_response(request, request_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The request as the caller now sees it: what they may do, and the preview of a cancel request."""
    found = request_get(pk=request_id, user=request.user)
    found._actions = request_actions_for(found, request.user)
    found._consequences = consequences_data(request_consequences(resolution_request=found, user=request.user))
    found._terms = terms_consequences_data(request_terms_preview(resolution_request=found, user=request.user))
    found._pause = request_window_pause(found)
    return Response(RequestOutputSerializer(found, context={"request": request}).data, status=status_code)


# An action on a resolution request of one of the caller's orders, answered with the whole request.
class RequestActionApi(ActionApiView):
    def get_object(self, id: int) -> ResolutionRequest:
        return request_get(pk=id, user=self.request.user)

    def respond(self, id: int, result: object) -> Response:
        return _request_response(self.request, id)


class OrderRequestListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="order_requests_list",
        tags=TAGS,
        summary="The order's resolution requests",
        description="Every request on the order, open and past, newest first.",
        parameters=PAGE_PARAMETERS,
        responses={200: RequestListItemOutputSerializer(many=True), **problems(401, 404)},
    )
    def get(self, request, id: int):
        order = order_get_for_action(pk=id, user=request.user)
        return paginated_response(
            queryset=request_list_for_order(order=order),
            serializer_class=RequestListItemOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="order_requests_create",
        tags=TAGS,
        summary="Ask the other party to cancel, extend the delivery, or send an update",
        description="`cancel` needs `reason` and `refund_percent` (the client's refund; the provider gets the "
        "rest); `extend_delivery` needs `new_due_at` after the current due date and at most the policy's "
        "`max_extension_days` (30 by default) past it, else 400 naming `new_due_at` (service orders in progress "
        "or late); `request_update` is asked by the client of the provider; `change_terms` (the employer of a "
        "booked or checked-in shift) proposes `new_starts_at`, `new_ends_at` and/or `new_price`, answered by the "
        "shift's start at the latest (409 `too_late_to_change` with less than an hour left); silence changes "
        "nothing, a refusal lets the worker leave free, acceptance moves the times and charges or refunds the "
        "difference. The other party answers by "
        "`respond_by` (the policy's window, in business days if it says so, paused while the provider is "
        "away); on silence cancel and extension requests are accepted automatically. "
        "409 `request_already_open` (one open request per order), `order_closed` (completed or cancelled), "
        "`invalid_transition` (nothing to extend); 403 `wrong_party` for an update asked by the provider.",
        request=RequestCreateInputSerializer,
        responses={201: RequestOutputSerializer, **problems(400, 401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = RequestCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_get_for_action(pk=id, user=request.user)
        created = services.request_open(order=order, actor=request.user, **serializer.validated_data)
        return _request_response(request, created.pk, status_code=status.HTTP_201_CREATED)


class RequestDetailApi(ApiView):
    @extend_schema(
        operation_id="requests_retrieve",
        tags=TAGS,
        summary="One resolution request",
        description="With `actions` (what the caller may do now) and, for an open cancel request, "
        "`consequences`: what accepting would do, as the cancellation engine decides it now.",
        responses={200: RequestOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return _request_response(request, id)


@extend_schema_view(
    post=extend_schema(
        operation_id="requests_accept",
        tags=TAGS,
        summary="The other party accepts: the order is cancelled with the split, or its due date moves",
        description="403 `wrong_party` for the author; 409 `request_not_open`, `answer_with_respond` (update "
        "requests), `extension_too_far` (an extension asked before extensions were bounded, past the policy's "
        "maximum), or the order's refusal code when it can no longer change this way. " + LATE,
        request=RequestAcceptInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class RequestAcceptApi(RequestActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = RequestAcceptInputSerializer

    def perform(self, found: ResolutionRequest, **data) -> None:
        services.request_accept(resolution_request=found, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="requests_decline",
        tags=TAGS,
        summary="The other party declines, saying why",
        description="A declined request can be taken to support as a case. 403 `wrong_party` for the author; "
        "409 `request_not_open` or `answer_with_respond` (update requests). " + LATE,
        request=RequestAnswerInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class RequestDeclineApi(RequestActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = RequestAnswerInputSerializer

    def perform(self, found: ResolutionRequest, **data) -> None:
        services.request_decline(resolution_request=found, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="requests_withdraw",
        tags=TAGS,
        summary="The author withdraws the request while it is open",
        description="403 `wrong_party` for anyone but the author; 409 `request_not_open`.",
        request=None,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class RequestWithdrawApi(RequestActionApi):
    def perform(self, found: ResolutionRequest) -> None:
        services.request_withdraw(resolution_request=found, actor=self.request.user)


@extend_schema_view(
    post=extend_schema(
        operation_id="requests_respond",
        tags=TAGS,
        summary="The provider answers an update request with a message",
        description="403 `wrong_party` for the client; 409 `request_not_open`, or `use_accept` for other types. "
        + LATE,
        request=RequestAnswerInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class RequestRespondApi(RequestActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = RequestAnswerInputSerializer

    def perform(self, found: ResolutionRequest, **data) -> None:
        services.request_respond(resolution_request=found, actor=self.request.user, **data)
