"""The partner API for webhook endpoints: thin views over core.webhooks.services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ActionApiView, ApiView
from core.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

from . import services
from .addresses import MAX_URL_LENGTH
from .events import PING, event_types, subscribable
from .selectors import webhook_delivery_list_for, webhook_endpoint_get_for, webhook_endpoint_list_for

# --- Shapes ---------------------------------------------------------------------------------


@extend_schema_field({"type": "string", "enum": list(subscribable())})
class EventTypeField(serializers.CharField):
    """An event type of the catalogue, or ``*``; checked by the service so every error names ``events``."""


EVENTS_HELP = (
    "Event types `<subject>.<state>` (subjects `order`, `request`, `case`, `ticket`; the full list is "
    '`GET /api/v1/webhooks/events/`), a whole subject (`order.*`), or `["*"]` for every event. An event is '
    "sent for every logged change, also one that keeps the state: its `data.transition` says which (e.g. "
    "`extend_delivery`)."
)


# What the service accepts, as far as a pattern can say it: http(s), a host (a name or an IP
# address in brackets), no credentials, an optional port, no spaces. (In production the host
# must also be a public address, which only resolving it can tell.)
_URL_PATTERN = r"^\s*[Hh][Tt][Tt][Pp][Ss]?://(\[[0-9A-Fa-f]{0,4}:[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:.]*\]|[^\s/?#@:\[\]]+)(:[0-9]{1,5})?([/?#]\S*)?\s*$"


@extend_schema_field({"type": "string", "minLength": 1, "maxLength": MAX_URL_LENGTH, "pattern": _URL_PATTERN})
class EndpointUrlField(serializers.CharField):
    """An endpoint's URL; checked by the service so every error names ``url``."""


URL_HELP = "http:// or https://, no credentials in it; in production a public host."


class WebhookCreateInputSerializer(serializers.Serializer):
    url = EndpointUrlField(max_length=MAX_URL_LENGTH, help_text=URL_HELP)
    events = serializers.ListField(child=EventTypeField(), min_length=1, help_text=EVENTS_HELP)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class WebhookUpdateInputSerializer(serializers.Serializer):
    url = EndpointUrlField(required=False, max_length=MAX_URL_LENGTH, help_text=URL_HELP)
    events = serializers.ListField(child=EventTypeField(), required=False, min_length=1, help_text=EVENTS_HELP)
    description = serializers.CharField(required=False, allow_blank=True, max_length=200)
    active = serializers.BooleanField(
        required=False, help_text="false pauses the endpoint; true resumes it and sends what was held back."
    )


class WebhookOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    events = serializers.ListField(child=EventTypeField())
    description = serializers.CharField()
    active = serializers.BooleanField()
    failure_count = serializers.IntegerField(help_text="Failed attempts in a row; reset by a success.")
    disabled_at = serializers.DateTimeField(
        allow_null=True, help_text="When Gigfair switched the endpoint off after too many failures."
    )
    last_success_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class WebhookWithSecretOutputSerializer(WebhookOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret. Returned only here (on create and on rotate): store it now."
    )


class WebhookDeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="Sent as the Gigfair-Delivery header.")
    event_id = serializers.UUIDField(help_text="The event's id (`id` in the body); the same for every endpoint.")
    event_type = serializers.CharField()
    status = serializers.ChoiceField(choices=WebhookDeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_status_code = serializers.IntegerField(allow_null=True)
    last_error = serializers.CharField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    payload = serializers.JSONField(help_text="The JSON body sent.")


class WebhookEventsOutputSerializer(serializers.Serializer):
    events = serializers.ListField(child=serializers.CharField())


def _with_secret(endpoint, status_code: int = status.HTTP_200_OK) -> Response:
    return Response(WebhookWithSecretOutputSerializer(endpoint).data, status=status_code)


# --- Views ----------------------------------------------------------------------------------


# An action on one of the caller's endpoints.
class WebhookActionApi(ActionApiView):
    def get_object(self, id: int) -> WebhookEndpoint:
        return webhook_endpoint_get_for(pk=id, user=self.request.user)


class WebhookListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="webhooks_list",
        tags=["webhooks"],
        summary="The caller's webhook endpoints",
        description="Newest first. The signing secret is never listed.",
        parameters=PAGE_PARAMETERS,
        responses={200: WebhookOutputSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        return paginated_response(
            queryset=webhook_endpoint_list_for(user=request.user),
            serializer_class=WebhookOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="webhooks_create",
        tags=["webhooks"],
        summary="Add a webhook endpoint",
        description="Gigfair POSTs every change to the caller's orders, requests, cases and tickets that the "
        "endpoint subscribes to, signed in the `Gigfair-Signature` header (`t=<unix time>,v1=<hex HMAC-SHA256 "
        'of "<t>.<body>" with the secret>`). The answer carries the `secret`: the only time it is shown. '
        "400 `invalid_url` or `unknown_event`; 409 `too_many_endpoints`.",
        request=WebhookCreateInputSerializer,
        responses={201: WebhookWithSecretOutputSerializer, **problems(400, 401, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = WebhookCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_create(owner=request.user, **serializer.validated_data)
        return _with_secret(endpoint, status.HTTP_201_CREATED)


class WebhookEventListApi(ApiView):
    @extend_schema(
        operation_id="webhooks_events_list",
        tags=["webhooks"],
        summary="The event catalogue",
        description=f"Every event type an endpoint can subscribe to. `{PING}` is sent on request (test) "
        "whatever the endpoint subscribes to.",
        responses={200: WebhookEventsOutputSerializer, **problems(401)},
    )
    def get(self, request):
        return Response({"events": list(event_types())})


class WebhookDetailApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="webhooks_retrieve",
        tags=["webhooks"],
        summary="One of the caller's webhook endpoints",
        responses={200: WebhookOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        endpoint = webhook_endpoint_get_for(pk=id, user=request.user)
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_partial_update",
        tags=["webhooks"],
        summary="Change, pause or resume an endpoint",
        request=WebhookUpdateInputSerializer,
        responses={200: WebhookOutputSerializer, **problems(400, 401, 404)},
    )
    def patch(self, request, id: int):
        endpoint = webhook_endpoint_get_for(pk=id, user=request.user)
        serializer = WebhookUpdateInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        endpoint = services.webhook_endpoint_update(endpoint=endpoint, **serializer.validated_data)
        return Response(WebhookOutputSerializer(endpoint).data)

    @extend_schema(
        operation_id="webhooks_destroy",
        tags=["webhooks"],
        summary="Remove an endpoint",
        description="Nothing more is sent to it; its delivery history goes with it.",
        responses={204: None, **problems(401, 404)},
    )
    def delete(self, request, id: int):
        endpoint = webhook_endpoint_get_for(pk=id, user=request.user)
        services.webhook_endpoint_delete(endpoint=endpoint)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    post=extend_schema(
        operation_id="webhooks_rotate_secret",
        tags=["webhooks"],
        summary="Replace the signing secret",
        description="The answer carries the new `secret`, shown this once; deliveries from now on are signed "
        "with it and the old one stops working.",
        request=None,
        responses={200: WebhookWithSecretOutputSerializer, **problems(401, 404, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class WebhookRotateSecretApi(WebhookActionApi):
    output_serializer = WebhookWithSecretOutputSerializer

    def perform(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        return services.webhook_endpoint_rotate_secret(endpoint=endpoint)


class WebhookDeliveryListApi(ApiView):
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="webhooks_deliveries_list",
        tags=["webhooks"],
        summary="Recent deliveries to an endpoint",
        description="Newest first, with each one's status, attempts and last answer.",
        parameters=PAGE_PARAMETERS,
        responses={200: WebhookDeliveryOutputSerializer(many=True), **problems(401, 404)},
    )
    def get(self, request, id: int):
        endpoint = webhook_endpoint_get_for(pk=id, user=request.user)
        return paginated_response(
            queryset=webhook_delivery_list_for(endpoint=endpoint),
            serializer_class=WebhookDeliveryOutputSerializer,
            request=request,
            view=self,
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="webhooks_test",
        tags=["webhooks"],
        summary="Send a ping",
        description=f"Queues a `{PING}` event to the endpoint; follow it in the deliveries. "
        "409 `endpoint_paused` while the endpoint is paused.",
        request=None,
        responses={202: WebhookDeliveryOutputSerializer, **problems(401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class WebhookTestApi(WebhookActionApi):
    output_serializer = WebhookDeliveryOutputSerializer
    status_code = status.HTTP_202_ACCEPTED

    def perform(self, endpoint: WebhookEndpoint) -> WebhookDelivery:
        return services.webhook_endpoint_ping(endpoint=endpoint)
