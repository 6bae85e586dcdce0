"""The partner API for after-sales tickets. Views are thin: validate, call a service, render the ticket."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.query import QueryParametersSerializer
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ActionApiView, ApiView
from core.exceptions import NotFound, ValidationFailed
from core.models import ActorRole
from disputes.models import AfterSalesTicket, Evidence, SupportCase, TicketCancelReason, TicketState, TicketType
from disputes.selectors.tickets import ticket_get, ticket_get_for_action, ticket_list_for
from disputes.services import tickets as services
from disputes.services.tickets.rules import MAX_TEXT
from marketplace.api.serializers import UserRefSerializer
from orders.selectors import order_get_for_action

from .cases import _case_response
from .cases_serializers import CaseOutputSerializer

ROLE_CHOICES = ((ActorRole.CLIENT.value, "client"), (ActorRole.PROVIDER.value, "provider"))
CONFIRMER_CHOICES = (*ROLE_CHOICES, (ActorRole.SUPPORT.value, "support agent"))


DESCRIBE = gettext_lazy("Describe the problem.")

_CHOICE_FIELDS: dict[str, type[serializers.ChoiceField]] = {}


def choice(choices, *, component: str, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField whose enum is its own named schema component.

    Other resources have fields named ``state``, ``type``, ``reason`` or ``role`` with other
    values; left to the generator, their enums would collide on those names.
    """
    field_class = _CHOICE_FIELDS.get(component)
    if field_class is None:
        schema = {"type": "string", "enum": [value for value, _label in choices]}
        field_class = extend_schema_field(schema, component_name=component)(
            type(f"{component}Field", (serializers.ChoiceField,), {})
        )
        _CHOICE_FIELDS[component] = field_class
    return field_class(choices=choices, **kwargs)


# --- Input ------------------------------------------------------------------------------------


class TicketFilterSerializer(QueryParametersSerializer):
    state = choice(choices=TicketState.choices, component="TicketState", required=False)
    order = serializers.IntegerField(required=False, help_text="Only the tickets of this order.")


class TicketCreateInputSerializer(serializers.Serializer):
    """A ticket as JSON (evidence files come as multipart/form-data)."""

    order = serializers.IntegerField(help_text="A completed order of the caller, within the after-sales days.")
    type = choice(
        choices=TicketType.choices,
        component="TicketType",
        help_text="`unpaid_wages` is filed by the provider; `quality_problem`, `rework` and `partial_refund` "
        "by the client.",
    )
    description = serializers.CharField(max_length=MAX_TEXT, error_messages={"blank": DESCRIBE})


class TicketUploadInputSerializer(TicketCreateInputSerializer):
    """A ticket as multipart/form-data, with its evidence files."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="multipart/form-data only: evidence images or PDF, up to 10 MB each.",
    )


class TicketUpdateInputSerializer(serializers.Serializer):
    type = choice(choices=TicketType.choices, component="TicketType", required=False)
    description = serializers.CharField(max_length=MAX_TEXT, required=False, error_messages={"blank": DESCRIBE})


class TicketCancelInputSerializer(serializers.Serializer):
    reason = choice(
        choices=TicketCancelReason.choices,
        component="TicketCancelReason",
        help_text="GET /ticket-cancel-reasons/ lists them with labels.",
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class TicketCancelAnswerInputSerializer(serializers.Serializer):
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="Optional; kept in the log."
    )


class TicketCancelDecideInputSerializer(serializers.Serializer):
    decision = choice(
        choices=(("confirm", "confirm: the ticket is cancelled"), ("refuse", "refuse: the ticket goes on")),
        component="TicketCancelDecision",
    )
    note = serializers.CharField(
        max_length=MAX_TEXT,
        error_messages={"blank": gettext_lazy("Tell the parties why.")},
        help_text="Why; kept in the log and sent to everyone involved.",
    )


class TicketEscalateInputSerializer(serializers.Serializer):
    statement = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=10_000,
        help_text="Why support should look again; the ticket's description when empty.",
    )
    desired_outcome = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5_000,
        help_text="What you ask support to do; a review of the rejection when empty.",
    )


class TicketEvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True, help_text="An image or a PDF, up to 10 MB.")
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


# --- Output -----------------------------------------------------------------------------------


class TicketVersionOutputSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    type = choice(choices=TicketType.choices, component="TicketType")
    description = serializers.CharField()
    edited_by = serializers.CharField(source="edited_by.username")
    created_at = serializers.DateTimeField()


class TicketEvidenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    description = serializers.CharField()
    uploaded_by = serializers.CharField(source="uploaded_by.username")
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Download with the same API token (parties and support only).")

    def get_url(self, evidence) -> str:
        url = reverse("api-evidence-file", args=(evidence.pk,))
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class TicketLogOutputSerializer(serializers.Serializer):
    transition = serializers.CharField(
        help_text="open, start_review, approve, reject, pay_compensation, start_processing, resolve, "
        "cancel_request, cancel_refuse, cancel_withdraw, cancel, cancel_auto_confirm (no answer in time), "
        "cancel_hand_over (no answer in time, in processing: support decides), escalate (to a support case), "
        "flag_sla_breach."
    )
    to = serializers.CharField(source="to_state")
    at = serializers.DateTimeField()
    by = serializers.SerializerMethodField(help_text="Username; null when the system acted.")
    role = choice(source="actor_role", choices=ActorRole.choices, component="TicketActorRole")
    reason = serializers.CharField(source="reason_text")

    def get_fields(self) -> dict:
        fields = super().get_fields()
        from_field = serializers.SerializerMethodField(method_name="get_from_state", help_text="null for the filing.")
        return {"from": from_field, **fields}

    def get_from_state(self, log) -> str | None:
        return log.from_state or None

    def get_by(self, log) -> str | None:
        return log.actor.username if log.actor_id else None


class TicketListItemOutputSerializer(serializers.Serializer):
    """A ticket as lists show it: no versions, evidence or log."""

    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    type = choice(choices=TicketType.choices, component="TicketType")
    state = choice(
        choices=TicketState.choices,
        component="TicketState",
        help_text="Always the stored state: `cancelled` at once once cancelled.",
    )
    description = serializers.CharField()
    version = serializers.IntegerField(help_text="1, plus one for each edit while pending review.")
    opened_by = UserRefSerializer()
    opened_by_role = choice(choices=ROLE_CHOICES, component="TicketPartyRole")
    compensation = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Set when approved; in the order's currency."
    )
    currency = serializers.CharField(source="order.currency")
    cancel_pending = serializers.BooleanField(
        help_text="A cancellation was asked for and waits for the confirmation the state requires."
    )
    respond_by = serializers.SerializerMethodField(
        help_text="While a cancellation waits: by when it must be answered (the policy's hours, 48 by default). "
        "Without an answer it is confirmed, or in `processing` a support agent decides it. Null otherwise."
    )
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_respond_by(self, ticket) -> str | None:
        if not ticket.cancel_pending or ticket.cancel_respond_by is None:
            return None
        return serializers.DateTimeField().to_representation(ticket.cancel_respond_by)


class TicketCancellationOutputSerializer(serializers.Serializer):
    """The asked-for or done cancellation of a ticket."""

    reason = choice(choices=TicketCancelReason.choices, component="TicketCancelReason")
    message = serializers.CharField()
    requested_by = serializers.CharField(allow_null=True, help_text="Username of who asked.")
    requested_at = serializers.DateTimeField(allow_null=True)
    waiting_for = serializers.ListField(
        child=choice(choices=CONFIRMER_CHOICES, component="TicketRole"),
        help_text="While pending: who may confirm or refuse (any one of them). Empty once cancelled.",
    )
    you_can_answer = serializers.BooleanField(help_text="The caller may confirm or refuse it now.")
    respond_by = serializers.DateTimeField(
        allow_null=True,
        help_text="By when whoever it waits for must answer; after it, a party's confirm/ and refuse/ answer 409 "
        "`confirmation_expired`.",
    )
    handed_to_support_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When nobody answered in time on a ticket in processing, so a support agent decides it.",
    )
    you_can_withdraw = serializers.BooleanField(
        help_text="The caller asked for it (or is an agent) and may withdraw it."
    )
    you_can_decide = serializers.BooleanField(
        help_text="The caller is a support agent and may decide it for whoever it waits on (cancel/decide/)."
    )
    cancelled_at = serializers.DateTimeField(allow_null=True)


class TicketOutputSerializer(TicketListItemOutputSerializer):
    """One ticket in full: decision, money, cancellation, versions, evidence and log."""

    your_role = serializers.SerializerMethodField()
    compensation_to = choice(
        choices=ROLE_CHOICES,
        component="TicketPartyRole",
        help_text="Who receives a compensation: the provider for unpaid wages (charged to the client), the "
        "client otherwise (from the provider's balance).",
    )
    compensation_paid_at = serializers.DateTimeField(
        allow_null=True, help_text="Reversed (and the ticket cancelled) if a cancellation is confirmed after it."
    )
    decision_note = serializers.CharField(help_text="The agent's reasons for approving or rejecting.")
    assigned = serializers.BooleanField(help_text="An agent is working on it.")
    resolved_at = serializers.DateTimeField(allow_null=True)
    first_response_due = serializers.DateTimeField(
        help_text="Support's first response is due by then (the policy's case hours, 24 by default)."
    )
    first_response_at = serializers.DateTimeField(allow_null=True)
    resolution_due = serializers.DateTimeField(
        help_text="Support decides (approves or rejects) by then (the policy's case hours, 72 by default); for a "
        "cancellation handed to support, its decision is due by then."
    )
    sla_breached_at = serializers.DateTimeField(
        allow_null=True, help_text="When support missed one of these times; the ticket was escalated to supervisors."
    )
    rejected_at = serializers.DateTimeField(allow_null=True)
    escalate_until = serializers.DateTimeField(
        allow_null=True,
        help_text="A rejected ticket: until when who filed it may take it to a support case (POST escalate/).",
    )
    escalated_case = serializers.IntegerField(
        allow_null=True, help_text="The support case this ticket was taken to, if any."
    )
    you_can_escalate = serializers.BooleanField()
    cancellation = serializers.SerializerMethodField(help_text="Null unless a cancellation is pending or done.")
    editable = serializers.BooleanField(help_text="PATCH works now: pending review and the caller filed it.")
    you_can_cancel = serializers.BooleanField()
    versions = TicketVersionOutputSerializer(many=True, source="versions.all")
    evidence = TicketEvidenceOutputSerializer(many=True, source="evidence.all")
    history = TicketLogOutputSerializer(many=True, source="log")

    @extend_schema_field(choice(choices=CONFIRMER_CHOICES, component="TicketRole", allow_null=True))
    def get_your_role(self, ticket) -> str | None:
        return services.ticket_role(ticket, self.context["request"].user)

    @extend_schema_field(TicketCancellationOutputSerializer(allow_null=True))
    def get_cancellation(self, ticket) -> dict | None:
        if not ticket.cancel_pending and ticket.state != TicketState.CANCELLED:
            return None
        user = self.context["request"].user
        data = {
            "reason": ticket.cancel_reason,
            "message": ticket.cancel_message,
            "requested_by": ticket.cancel_requested_by.username if ticket.cancel_requested_by_id else None,
            "requested_at": ticket.cancel_requested_at,
            "waiting_for": list(services.cancel_confirmers(ticket)),
            "you_can_answer": services.can_confirm_cancel(ticket, user),
            "respond_by": ticket.cancel_respond_by,
            "handed_to_support_at": ticket.cancel_handed_over_at,
            "you_can_withdraw": services.can_withdraw_cancel(ticket, user),
            "you_can_decide": services.can_decide_cancel(ticket, user),
            "cancelled_at": ticket.cancelled_at,
        }
        return TicketCancellationOutputSerializer(data).data


def _ticket_data(ticket, request) -> dict:
    user = request.user
    ticket.compensation_to = services.compensation_recipient(ticket)
    ticket.assigned = ticket.assignee_id is not None
    ticket.editable = ticket.state == TicketState.PENDING_REVIEW and ticket.opened_by_id == user.pk
    ticket.you_can_cancel = services.can_cancel(ticket, user)
    ticket.escalate_until = services.escalate_until(ticket)
    case = services.escalated_case(ticket)
    ticket.escalated_case = case.pk if case is not None else None
    ticket.you_can_escalate = services.can_escalate(ticket, user)
    return TicketOutputSerializer(ticket, context={"request": request}).data


def _ticket_response(request, ticket_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The ticket as the caller now sees it, re-read with its versions, evidence and log."""
    return Response(_ticket_data(ticket_get(pk=ticket_id, user=request.user), request), status=status_code)


ACTION_RESPONSES = {200: TicketOutputSerializer, **problems(400, 401, 403, 404, 409, 422)}


# An action on one of the caller's tickets, answered with the whole ticket.
class TicketActionApi(ActionApiView):
    def get_object(self, id: int) -> AfterSalesTicket:
        return ticket_get_for_action(pk=id, user=self.request.user)

    def respond(self, id: int, result: object) -> Response:
        return _ticket_response(self.request, id)


class TicketListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser, MultiPartParser)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="tickets_list",
        tags=["after-sales tickets"],
        summary="The caller's after-sales tickets",
        description="Tickets on orders where the caller is client or provider (filed by either), newest first.",
        parameters=[TicketFilterSerializer, *PAGE_PARAMETERS],
        responses={200: TicketListItemOutputSerializer(many=True), **problems(400, 401)},
    )
    def get(self, request):
        filters = TicketFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        tickets = ticket_list_for(
            user=request.user, state=filters.validated_data.get("state"), order_id=filters.validated_data.get("order")
        )
        return paginated_response(
            queryset=tickets, serializer_class=TicketListItemOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="tickets_create",
        tags=["after-sales tickets"],
        summary="File an after-sales ticket on a completed order",
        description="Within the order's policy days of completion (14 by default). JSON, or multipart/form-data "
        "with evidence `files`. 400 names `order` when it is not the caller's. 409 `order_not_completed`, "
        "`after_sales_window_closed`, or `ticket_already_open` (one live ticket per order and party). "
        "413/415 for an evidence file too large or not an image or PDF.",
        request={
            "application/json": TicketCreateInputSerializer,
            "multipart/form-data": TicketUploadInputSerializer,
        },
        responses={201: TicketOutputSerializer, **problems(400, 401, 409, 413, 415, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = TicketUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            order = order_get_for_action(pk=data["order"], user=request.user)
        except NotFound as exc:
            raise ValidationFailed(exc.message, errors={"order": [exc.message]}) from None
        ticket = services.ticket_open(
            order=order,
            actor=request.user,
            type=data["type"],
            description=data["description"],
            files=data["files"],
        )
        return _ticket_response(request, ticket.pk, status_code=status.HTTP_201_CREATED)


class TicketDetailApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="tickets_retrieve",
        tags=["after-sales tickets"],
        summary="One ticket, with its versions, evidence, cancellation and log",
        responses={200: TicketOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return _ticket_response(request, id)

    @extend_schema(
        operation_id="tickets_partial_update",
        tags=["after-sales tickets"],
        summary="Edit a ticket while it is pending review (every version is kept)",
        description="Only who filed it. 409 `ticket_not_editable` once review has started (the ticket's "
        "`state` is in the body); 403 `wrong_party` for the other party.",
        request=TicketUpdateInputSerializer,
        responses={200: TicketOutputSerializer, **problems(400, 401, 403, 404, 409)},
    )
    def patch(self, request, id: int):
        serializer = TicketUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = ticket_get_for_action(pk=id, user=request.user)
        services.ticket_edit(ticket=ticket, actor=request.user, **serializer.validated_data)
        return _ticket_response(request, id)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_cancel",
        tags=["after-sales tickets"],
        summary="Cancel a ticket: at once, or ask for the confirmation its state requires",
        description="By who filed it, or an agent. `pending_review` and `under_review`: cancelled at once (the "
        "agent is told). `approved`: the other party or an agent must confirm, and a paid compensation is "
        "reversed. `processing`: the provider must accept (the client or an agent when the provider asks). "
        "A cancellation that waits must be answered by its `respond_by` (the policy's hours): without an "
        "answer it is confirmed, or in `processing` a support agent decides it; who asked may withdraw it "
        "(cancel/withdraw/). "
        "The answer is the ticket: its `state`, `cancel_pending` and `cancellation.waiting_for`. "
        "409 `invalid_transition` for a closed ticket, `cancel_pending` when one already waits.",
        request=TicketCancelInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketCancelApi(TicketActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = TicketCancelInputSerializer

    def perform(self, ticket: AfterSalesTicket, **data) -> None:
        services.ticket_cancel(ticket=ticket, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_cancel_confirm",
        tags=["after-sales tickets"],
        summary="Confirm a pending cancellation: the ticket is cancelled",
        description="By one of `cancellation.waiting_for`. A paid compensation is reversed. "
        "403 `wrong_party` for anyone else; 409 `no_cancel_pending`. A party's answer after "
        "`cancellation.respond_by` is 409 `confirmation_expired`: what silence decides is applied then "
        "(the ticket is cancelled, or in `processing` handed to a support agent) and stays applied.",
        request=TicketCancelAnswerInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketCancelConfirmApi(TicketActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = TicketCancelAnswerInputSerializer

    def perform(self, ticket: AfterSalesTicket, **data) -> None:
        services.ticket_cancel_confirm(ticket=ticket, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_cancel_refuse",
        tags=["after-sales tickets"],
        summary="Refuse a pending cancellation: the ticket goes on in its state",
        description="By one of `cancellation.waiting_for`. 403 `wrong_party` for anyone else; 409 `no_cancel_pending`. "
        "A party's answer after `cancellation.respond_by` is 409 `confirmation_expired`: what silence decides is "
        "applied then (the ticket is cancelled, or in `processing` handed to a support agent) and stays applied.",
        request=TicketCancelAnswerInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketCancelRefuseApi(TicketActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = TicketCancelAnswerInputSerializer

    def perform(self, ticket: AfterSalesTicket, **data) -> None:
        services.ticket_cancel_refuse(ticket=ticket, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_cancel_withdraw",
        tags=["after-sales tickets"],
        summary="Withdraw a pending cancellation: the ticket goes on in its state",
        description="By who asked for it (an agent may for them), with an optional `message`. 403 `wrong_party` "
        "for anyone else; 409 `no_cancel_pending`. On an approved ticket past `cancellation.respond_by`, "
        "silence has confirmed it: 409 `confirmation_expired`, and the ticket is cancelled then.",
        request=TicketCancelAnswerInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketCancelWithdrawApi(TicketActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = TicketCancelAnswerInputSerializer

    def perform(self, ticket: AfterSalesTicket, **data) -> None:
        services.ticket_cancel_withdraw(ticket=ticket, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_cancel_decide",
        tags=["after-sales tickets"],
        summary="A support agent decides a pending cancellation for whoever it waits on",
        description="Support agents only (403 `not_an_agent`), any time, also after `cancellation.respond_by` and "
        "once the cancellation was handed to support: `confirm` cancels the ticket (a paid compensation is "
        "reversed), `refuse` lets it go on. The `note` is required. 409 `no_cancel_pending`.",
        request=TicketCancelDecideInputSerializer,
        responses=ACTION_RESPONSES,
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketCancelDecideApi(TicketActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = TicketCancelDecideInputSerializer

    def perform(self, ticket: AfterSalesTicket, **data) -> None:
        services.ticket_cancel_decide(ticket=ticket, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_escalate",
        tags=["after-sales tickets"],
        summary="Take a rejected ticket to a support case",
        description="By who filed it, within the policy's days of the rejection (7 by default: the ticket's "
        "`escalate_until`). 201 with the support case, linked to the ticket (`escalated_from_ticket`), with "
        "the ticket's evidence among its files and its log in `ticket_history`. 403 `wrong_party` for anyone "
        "else; 409 `ticket_not_rejected`, `escalation_window_closed`, `ticket_already_escalated`, or "
        "`case_already_open` while another case on the order is not closed.",
        request=TicketEscalateInputSerializer,
        responses={201: CaseOutputSerializer, **problems(400, 401, 403, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketEscalateApi(TicketActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = TicketEscalateInputSerializer

    def perform(self, ticket: AfterSalesTicket, **data) -> SupportCase:
        return services.ticket_escalate(ticket=ticket, actor=self.request.user, **data)

    def respond(self, id: int, result: SupportCase) -> Response:
        return _case_response(self.request, result.pk, status_code=status.HTTP_201_CREATED)


@extend_schema_view(
    post=extend_schema(
        operation_id="tickets_evidence_create",
        tags=["after-sales tickets"],
        summary="Add an evidence file to a live ticket",
        description="multipart/form-data with `file` (an image or a PDF, up to 10 MB, type checked by content) "
        "and an optional `description`. By either party or an agent. 413 too large, 415 another type, "
        "409 `ticket_closed` once the ticket is resolved, rejected or cancelled.",
        request={"multipart/form-data": TicketEvidenceInputSerializer},
        responses={201: TicketEvidenceOutputSerializer, **problems(400, 401, 404, 409, 413, 415, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class TicketEvidenceCreateApi(ActionApiView):
    parser_classes = (MultiPartParser,)
    input_serializer = TicketEvidenceInputSerializer
    output_serializer = TicketEvidenceOutputSerializer
    status_code = status.HTTP_201_CREATED

    def get_object(self, id: int) -> AfterSalesTicket:
        return ticket_get_for_action(pk=id, user=self.request.user)

    def perform(self, ticket: AfterSalesTicket, **data) -> Evidence:
        return services.ticket_add_evidence(ticket=ticket, actor=self.request.user, **data)


class TicketCancelReasonOutputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Send it as `reason` to POST tickets/{id}/cancel/.")
    label = serializers.CharField(help_text="In the caller's language.")


class TicketCancelReasonListApi(ApiView):
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="ticket_cancel_reasons_list",
        tags=["after-sales tickets"],
        summary="The reasons for cancelling an after-sales ticket",
        parameters=PAGE_PARAMETERS,
        responses={200: TicketCancelReasonOutputSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        reasons = [{"code": code, "label": label} for code, label in TicketCancelReason.choices]
        return paginated_response(
            queryset=reasons, serializer_class=TicketCancelReasonOutputSerializer, request=request, view=self
        )
