"""The partner API for claims with proof and appeals of penalties, and the support API deciding them.

Views are thin: validate, call a service, render. The support endpoints (``/support/…``) answer
only to support (``core.support.is_support``); anyone else gets a 404.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.query import QueryParametersSerializer
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, codes_help, problems
from core.api.views import ApiView, SupportActionApiView, SupportApiView
from disputes.models import AppealState, Claim, ClaimKind, ClaimState, PenaltyAppeal
from disputes.selectors.claims import appeal_get_for, appeals_waiting, claim_get_for, claim_of_order, claims_waiting
from disputes.services import appeals as appeal_services
from disputes.services import claims as claim_services
from disputes.services.support_queue import MAX_NOTE
from marketplace.api.serializers import UserRefSerializer
from orders.selectors import order_get_for_action

from .cases_serializers import EvidenceOutputSerializer

CLAIM_TAGS = ["claims"]
APPEAL_TAGS = ["appeals"]
SUPPORT_TAGS = ["support"]


# --- Shapes ------------------------------------------------------------------------------------


class _Files(serializers.ListField):
    def __init__(self, **kwargs) -> None:
        # Empty files are let through so the upload check refuses them with the same message as
        # every other interface.
        super().__init__(
            child=serializers.FileField(allow_empty_file=True),
            required=False,
            default=list,
            help_text="multipart/form-data only: images or PDF (type read from the content), up to 10 MB each, "
            "at most 5.",
            **kwargs,
        )


class ClaimCreateInputSerializer(serializers.Serializer):
    """A claim as JSON (its proof comes as multipart/form-data)."""

    kind = serializers.ChoiceField(choices=ClaimKind.choices, help_text=codes_help(ClaimKind.choices))
    statement = serializers.CharField(
        max_length=claim_services.MAX_TEXT,
        error_messages={"blank": gettext_lazy("Say what happened and why it is not your fault.")},
        help_text="What happened, and why it is not your fault.",
    )


class ClaimUploadInputSerializer(ClaimCreateInputSerializer):
    """A claim as multipart/form-data, with files of proof."""

    files = _Files()


class HeldOutputSerializer(serializers.Serializer):
    """What the normal rules would have cost the claimant when the claim was filed: applied only if rejected."""

    fee_to_platform = serializers.DecimalField(max_digits=12, decimal_places=2)
    credit_delta = serializers.IntegerField()
    counts_against_completion_rate = serializers.BooleanField()
    counts_as_complaint = serializers.BooleanField()
    tier = serializers.CharField(help_text="The rule (and tier) that would have applied.")


class ClaimOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ClaimKind.choices)
    state = serializers.ChoiceField(choices=ClaimState.choices)
    order = serializers.IntegerField(source="order_id")
    claimant = UserRefSerializer()
    claimant_role = serializers.CharField(help_text="client or provider.")
    statement = serializers.CharField()
    held = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    first_response_due = serializers.DateTimeField()
    decision_due = serializers.DateTimeField(help_text="Support decides by then (the case SLA).")
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField(help_text="Support's reasons, once decided.")
    evidence = EvidenceOutputSerializer(many=True)

    @extend_schema_field(HeldOutputSerializer)
    def get_held(self, claim: Claim) -> dict:
        return HeldOutputSerializer(
            {
                "fee_to_platform": claim.held_fee,
                "credit_delta": claim.held_credit_delta,
                "counts_against_completion_rate": claim.held_counts_against_completion_rate,
                "counts_as_complaint": claim.held_counts_as_complaint,
                "tier": claim.held_tier,
            }
        ).data


class ClaimPreviewOutputSerializer(serializers.Serializer):
    """Both outcomes before filing: accepted, nothing held applies; rejected, ``held`` applies."""

    allowed = serializers.BooleanField()
    code = serializers.CharField(help_text="Why not, when not allowed: order_closed, claim_already_open, not_a_party.")
    message = serializers.CharField()
    kinds = serializers.ListField(child=serializers.CharField(), help_text="The kinds the caller may file.")
    held = HeldOutputSerializer(allow_null=True)


def _decision_note(blank) -> serializers.CharField:
    return serializers.CharField(
        max_length=MAX_NOTE, error_messages={"blank": blank}, help_text="Support's reasons: the parties read them."
    )


class ClaimDecisionInputSerializer(serializers.Serializer):
    note = _decision_note(gettext_lazy("Say why; both parties will read it."))
    decision = serializers.ChoiceField(choices=(("accept", "accept"), ("reject", "reject")))


class AppealDecisionInputSerializer(serializers.Serializer):
    note = _decision_note(gettext_lazy("Say why; the appellant will read it."))
    decision = serializers.ChoiceField(choices=(("uphold", "uphold"), ("deny", "deny")))


class AppealCreateInputSerializer(serializers.Serializer):
    """An appeal as JSON (its files come as multipart/form-data)."""

    statement = serializers.CharField(
        max_length=appeal_services.MAX_TEXT,
        error_messages={"blank": gettext_lazy("Say why this penalty is wrong.")},
        help_text="Why this penalty is wrong.",
    )


class AppealUploadInputSerializer(AppealCreateInputSerializer):
    """An appeal as multipart/form-data, with files."""

    files = _Files()


class AppealEventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField(source="created_at")
    delta = serializers.IntegerField()
    reason = serializers.CharField()
    detail = serializers.CharField(source="detail_text")
    order = serializers.IntegerField(source="order_id", allow_null=True)


class PenaltyAppealOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=AppealState.choices)
    event = serializers.IntegerField(source="event_id")
    penalty = AppealEventOutputSerializer(source="event")
    order = serializers.IntegerField(source="order_id", allow_null=True)
    statement = serializers.CharField()
    created_at = serializers.DateTimeField()
    decision_due = serializers.DateTimeField(help_text="Support decides by then (the case SLA).")
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField(help_text="Support's reasons, once decided.")
    evidence = EvidenceOutputSerializer(many=True)


class ClaimQueueFilterSerializer(QueryParametersSerializer):
    state = serializers.ChoiceField(
        choices=ClaimState.choices, required=False, help_text="Only in this state (default: the ones waiting)."
    )


class AppealQueueFilterSerializer(QueryParametersSerializer):
    state = serializers.ChoiceField(
        choices=AppealState.choices, required=False, help_text="Only in this state (default: the open ones)."
    )


# --- Claims ------------------------------------------------------------------------------------


def _claim_response(request, claim_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    claim = claim_get_for(pk=claim_id, user=request.user)
    return Response(ClaimOutputSerializer(claim, context={"request": request}).data, status=status_code)


class OrderClaimListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser, MultiPartParser)

    @extend_schema(
        operation_id="orders_claims_list",
        tags=CLAIM_TAGS,
        summary="The claim filed on an order",
        description="At most one. 404 when the order is not the caller's.",
        responses={200: ClaimOutputSerializer(many=True), **problems(401, 404)},
    )
    def get(self, request, id: int):
        order = order_get_for_action(pk=id, user=request.user)
        claim = claim_of_order(order=order)
        claims = [claim_get_for(pk=claim.pk, user=request.user)] if claim is not None else []
        return Response(ClaimOutputSerializer(claims, many=True, context={"request": request}).data)

    @extend_schema(
        operation_id="orders_claims_create",
        tags=CLAIM_TAGS,
        summary="Cancel with a claim: force majeure, or the client is responsible",
        description="JSON, or multipart/form-data with up to 5 `files` of proof. The order is cancelled at once "
        "and the client refunded in full; what the normal rules would cost the claimant now (see the "
        "preview) is held until support decides, within the case SLA: accepted drops it (a "
        "`client_responsible` claim, the provider's only, puts the client-responsible ruling's "
        "consequences on the client), rejected applies it dated at the claim. 400 `kind_not_yours` for a "
        "client claiming the client is responsible; 409 `claim_already_open` for a second claim on the order, "
        "`order_closed` for a closed order; 404 when the order is not the caller's; 413/415 for a file.",
        request={
            "application/json": ClaimCreateInputSerializer,
            "multipart/form-data": ClaimUploadInputSerializer,
        },
        responses={201: ClaimOutputSerializer, **problems(400, 401, 404, 409, 413, 415, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = ClaimUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_get_for_action(pk=id, user=request.user)
        claim = claim_services.claim_file(order=order, actor=request.user, **serializer.validated_data)
        return _claim_response(request, claim.pk, status_code=status.HTTP_201_CREATED)


class OrderClaimPreviewApi(ApiView):
    @extend_schema(
        operation_id="orders_claims_preview",
        tags=CLAIM_TAGS,
        summary="What a claim would do now, both ways, before filing",
        description="`held`: what the normal rules would cost the caller for cancelling now, applied only if "
        "support rejects the claim. `allowed: false` with `code` when the caller cannot file one.",
        responses={200: ClaimPreviewOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        order = order_get_for_action(pk=id, user=request.user)
        preview = claim_services.claim_preview(order=order, user=request.user)
        held = preview.held
        data = {
            "allowed": preview.allowed,
            "code": preview.code,
            "message": preview.message,
            "kinds": list(preview.kinds),
            "held": None
            if held is None
            else {
                "fee_to_platform": held.fee_to_platform,
                "credit_delta": held.credit_delta,
                "counts_against_completion_rate": held.counts_against_completion_rate,
                "counts_as_complaint": held.counts_as_complaint,
                "tier": held.tier,
            },
        }
        return Response(ClaimPreviewOutputSerializer(data).data)


class ClaimDetailApi(ApiView):
    @extend_schema(
        operation_id="claims_retrieve",
        tags=CLAIM_TAGS,
        summary="A claim, for its order's parties and support",
        responses={200: ClaimOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return _claim_response(request, id)


# --- Appeals of penalties ----------------------------------------------------------------------


@extend_schema_view(
    post=extend_schema(
        operation_id="me_credit_events_appeal",
        tags=APPEAL_TAGS,
        summary="Appeal one of the caller's penalties",
        description="JSON, or multipart/form-data with up to 5 `files`. For an event of the caller's that took "
        "points without a support ruling, within the policy's days (14 by default). Support decides within "
        "the case SLA: upheld reverses the event and its cancellation's fee (the history keeps both); denied "
        "keeps them; either way the caller is told why. 409 `appeal_exists` for a second appeal, "
        "`appeal_window_closed` after the window, `appeal_the_ruling` for a ruling's event (appeal its case), "
        "`nothing_to_appeal` for an event that took no points, `already_reversed`, `not_appealable` for a "
        "staff adjustment; 404 for someone else's event.",
        request={
            "application/json": AppealCreateInputSerializer,
            "multipart/form-data": AppealUploadInputSerializer,
        },
        responses={201: PenaltyAppealOutputSerializer, **problems(400, 401, 404, 409, 413, 415, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class MeCreditEventAppealApi(ApiView):
    parser_classes = (DecimalJSONParser, MultiPartParser)

    def post(self, request, id: int):
        serializer = AppealUploadInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        appeal = appeal_services.appeal_file(event_id=id, actor=request.user, **serializer.validated_data)
        appeal = appeal_get_for(pk=appeal.pk, user=request.user)
        return Response(
            PenaltyAppealOutputSerializer(appeal, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


class AppealDetailApi(ApiView):
    @extend_schema(
        operation_id="appeals_retrieve",
        tags=APPEAL_TAGS,
        summary="An appeal of a penalty, for its appellant and support",
        responses={200: PenaltyAppealOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        appeal = appeal_get_for(pk=id, user=request.user)
        return Response(PenaltyAppealOutputSerializer(appeal, context={"request": request}).data)


# --- The support API ---------------------------------------------------------------------------


class SupportClaimListApi(SupportApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="support_claims_list",
        tags=SUPPORT_TAGS,
        summary="Support's queue of claims",
        description="Support only (the `support` group, or superusers); 404 for anyone else. Waiting claims by "
        "default, the most urgent decision first; `state` for others.",
        parameters=[ClaimQueueFilterSerializer, *PAGE_PARAMETERS],
        responses={200: ClaimOutputSerializer(many=True), **problems(400, 401, 404)},
    )
    def get(self, request):
        filters = ClaimQueueFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        state = filters.validated_data.get("state") or ClaimState.PENDING_REVIEW
        qs = claims_waiting(state=state).prefetch_related("evidence__uploaded_by")
        return paginated_response(queryset=qs, serializer_class=ClaimOutputSerializer, request=request, view=self)


@extend_schema_view(
    post=extend_schema(
        operation_id="support_claims_decide",
        tags=SUPPORT_TAGS,
        summary="Decide a claim: accept or reject, with the reasons",
        description="Support only; 404 for anyone else. `accept` drops the held consequences (a "
        "`client_responsible` claim puts the client-responsible ruling's on the client); `reject` applies them, "
        "dated at the claim. Both parties are told. 409 `claim_already_decided`.",
        request=ClaimDecisionInputSerializer,
        responses={200: ClaimOutputSerializer, **problems(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class SupportClaimDecideApi(SupportActionApiView):
    parser_classes = (DecimalJSONParser,)
    input_serializer = ClaimDecisionInputSerializer

    def get_object(self, id: int) -> Claim:
        return claim_get_for(pk=id, user=self.request.user)

    def perform(self, claim: Claim, **data) -> Claim:
        return claim_services.claim_decide(claim=claim, actor=self.request.user, **data)

    def respond(self, id: int, result) -> Response:
        return _claim_response(self.request, id)


class SupportAppealListApi(SupportApiView):
    pagination_class = Pagination

    @extend_schema(
        operation_id="support_appeals_list",
        tags=SUPPORT_TAGS,
        summary="Support's queue of appeals of penalties",
        description="Support only; 404 for anyone else. Open appeals by default, the most urgent first.",
        parameters=[AppealQueueFilterSerializer, *PAGE_PARAMETERS],
        responses={200: PenaltyAppealOutputSerializer(many=True), **problems(400, 401, 404)},
    )
    def get(self, request):
        filters = AppealQueueFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        state = filters.validated_data.get("state") or AppealState.OPEN
        qs = appeals_waiting(state=state).prefetch_related("evidence__uploaded_by")
        return paginated_response(
            queryset=qs, serializer_class=PenaltyAppealOutputSerializer, request=request, view=self
        )


@extend_schema_view(
    post=extend_schema(
        operation_id="support_appeals_decide",
        tags=SUPPORT_TAGS,
        summary="Decide an appeal: uphold or deny, with the reasons",
        description="Support only; 404 for anyone else. `uphold` reverses the event and its cancellation's fee; "
        "`deny` keeps them. The appellant is told why. 409 `appeal_already_decided`.",
        request=AppealDecisionInputSerializer,
        responses={200: PenaltyAppealOutputSerializer, **problems(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class SupportAppealDecideApi(SupportActionApiView):
    parser_classes = (DecimalJSONParser,)
    input_serializer = AppealDecisionInputSerializer

    def get_object(self, id: int) -> PenaltyAppeal:
        return appeal_get_for(pk=id, user=self.request.user)

    def perform(self, appeal: PenaltyAppeal, **data) -> PenaltyAppeal:
        return appeal_services.appeal_decide(appeal=appeal, actor=self.request.user, **data)

    def respond(self, id: int, result) -> Response:
        appeal = appeal_get_for(pk=id, user=self.request.user)
        return Response(PenaltyAppealOutputSerializer(appeal, context={"request": self.request}).data)
