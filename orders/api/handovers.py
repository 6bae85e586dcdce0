"""The partner API for shift handovers: a booked worker offers their shift to another worker
(named, or anyone eligible); the other takes it over before the start, or the offer ends."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ApiView
from orders import handovers
from orders.handovers import MESSAGE_MAX
from orders.models import HandoverState
from orders.selectors import order_get_for_action

TAGS = ["shifts"]


class HandoverInputSerializer(serializers.Serializer):
    to = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=150,
        help_text="The username of the worker to offer it to; left out, any eligible worker may take it (those on "
        "the shift's waitlist are told).",
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=MESSAGE_MAX)


class HandoverOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    title = serializers.CharField(source="order.title")
    starts_at = serializers.DateTimeField(source="order.starts_at")
    ends_at = serializers.DateTimeField(source="order.ends_at")
    location = serializers.CharField(source="order.location")
    price = serializers.DecimalField(source="order.price", max_digits=12, decimal_places=2)
    currency = serializers.CharField(source="order.currency")
    state = serializers.ChoiceField(choices=HandoverState.choices)
    from_worker = serializers.CharField(source="from_worker.username")
    to_worker = serializers.CharField(source="to_worker.username", allow_null=True, help_text="Null: anyone eligible.")
    taken_by = serializers.CharField(source="taken_by.username", allow_null=True)
    message = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(help_text="The shift's start: the offer ends then.")
    ended_at = serializers.DateTimeField(allow_null=True)
    actions = serializers.SerializerMethodField()

    def get_actions(self, obj) -> list[str]:
        return handovers.handover_actions_for(obj, self.context["request"].user)


def _response(request, handover_id: int, code: int = status.HTTP_200_OK) -> Response:
    found = handovers.handover_get(pk=handover_id, user=request.user)
    return Response(HandoverOutputSerializer(found, context={"request": request}).data, status=code)


class OrderHandoverApi(ApiView):
    @extend_schema(
        operation_id="orders_handover_create",
        tags=TAGS,
        summary="The booked worker offers their shift to another worker",
        description="Until another worker accepts (before the start) the caller is still booked; then the booking "
        "(escrow, pay, terms) passes to them and the caller leaves with no penalty. 400 `errors.to` for an "
        "unknown username, the caller or the employer; 403 `wrong_party` for the employer; 409 "
        "`handover_already_open`, `invalid_transition` (not a booked shift), `shift_started`.",
        request=HandoverInputSerializer,
        responses={201: HandoverOutputSerializer, **problems(400, 401, 403, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = HandoverInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_get_for_action(pk=id, user=request.user)
        handover = handovers.handover_offer(order=order, actor=request.user, **serializer.validated_data)
        return _response(request, handover.pk, status.HTTP_201_CREATED)


class HandoverListApi(ApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="handovers_list",
        tags=TAGS,
        summary="Handovers the caller made, was offered, took, or may take (open to anyone), newest first",
        parameters=PAGE_PARAMETERS,
        responses={200: HandoverOutputSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        return paginated_response(
            queryset=handovers.handovers_for(request.user),
            serializer_class=HandoverOutputSerializer,
            request=request,
            view=self,
        )


class HandoverDetailApi(ApiView):
    @extend_schema(
        operation_id="handovers_retrieve",
        tags=TAGS,
        summary="One handover, with what the caller may do (`accept`, `withdraw`)",
        responses={200: HandoverOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return _response(request, id)


class HandoverAcceptApi(ApiView):
    @extend_schema(
        operation_id="handovers_accept",
        tags=TAGS,
        summary="Take the shift over: the booking becomes the caller's",
        description="The caller must be able to book the shift: 403 `blocked`, `taking_orders_restricted`, "
        "`provider_credit_too_low`, `credit_score_too_low`, `early_access`; 409 `schedule_clash` (with `order`), "
        "`already_booked`, `handover_not_open`, `deposit_required` (the policy's deposit, as when booking), "
        "`shift_started`; 403 `wrong_party` for the worker who offered it or the employer; 404 for an offer made "
        "to someone else.",
        request=None,
        responses={200: HandoverOutputSerializer, **problems(401, 403, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        found = handovers.handover_get(pk=id, user=request.user)
        handovers.handover_accept(handover=found, actor=request.user)
        return _response(request, id)


class HandoverWithdrawApi(ApiView):
    @extend_schema(
        operation_id="handovers_withdraw",
        tags=TAGS,
        summary="The worker who offered the shift keeps it after all",
        request=None,
        responses={200: HandoverOutputSerializer, **problems(401, 403, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        found = handovers.handover_get(pk=id, user=request.user)
        handovers.handover_withdraw(handover=found, actor=request.user)
        return _response(request, id)
