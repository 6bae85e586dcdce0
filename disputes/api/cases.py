"""The partner API for support cases. Views are thin: validate, call a service, render the case."""

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
from disputes.models import CaseStatement, Evidence, SupportCase
from disputes.selectors.cases import (
    case_get_for,
    case_history,
    case_list_for,
    case_order_history,
    case_order_messages,
    case_ticket_history,
    evidence_get_for,
)
from disputes.services import cases as services
from orders.selectors import order_get_for_action

from .cases_serializers import (
    CaseAppealInputSerializer,
    CaseCreateInputSerializer,
    CaseEvidenceInputSerializer,
    CaseFilterSerializer,
    CaseListItemOutputSerializer,
    CaseOutputSerializer,
    CaseStatementInputSerializer,
    CaseStatementOutputSerializer,
    EvidenceOutputSerializer,
)

TAGS = ["support cases"]


def _case_response(request, case_id: int, *, status_code: int = status.HTTP_200_OK) -> Response:
    """The case as the caller now sees it, with its statements, evidence and the order's record."""
    case = case_get_for(pk=case_id, user=request.user)
    context = {
        "request": request,
        "order_messages": case_order_messages(case),
        "order_history": list(case_order_history(case)),
        "history": list(case_history(case)),
        "ticket_history": case_ticket_history(case),
    }
    return Response(CaseOutputSerializer(case, context=context).data, status=status_code)


# An action on a case of one of the caller's orders.
class CaseActionApi(ActionApiView):
    def get_object(self, id: int) -> SupportCase:
        return case_get_for(pk=id, user=self.request.user)


class CaseListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="cases_list",
        tags=TAGS,
        summary="Support cases on the caller's orders",
        description="Cases on orders where the caller is client or provider, newest first.",
        parameters=[CaseFilterSerializer, *PAGE_PARAMETERS],
        responses={200: CaseListItemOutputSerializer(many=True), **problems(400, 401)},
    )
    def get(self, request):
        filters = CaseFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cases = case_list_for(
            user=request.user, state=filters.validated_data.get("state"), order=filters.validated_data.get("order")
        )
        return paginated_response(
            queryset=cases, serializer_class=CaseListItemOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="cases_create",
        tags=TAGS,
        summary="Open a support case on an order",
        description="A party asks support to rule, with a statement and the outcome asked for; add files with "
        "POST evidence/. The order's messages and transition log are attached automatically. Support "
        "answers and rules within the order's policy times (`first_response_due`, `ruling_due`). "
        "404 when the order is not the caller's; 409 `case_already_open` while another case on the order "
        "is not closed, `already_escalated` for a request already escalated.",
        request=CaseCreateInputSerializer,
        responses={201: CaseOutputSerializer, **problems(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = CaseCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_get_for_action(pk=data["order"], user=request.user)
        case = services.case_open(
            order=order,
            actor=request.user,
            category=data["category"],
            statement=data["statement"],
            desired_outcome=data["desired_outcome"],
            escalated_from=data["escalated_from"],
        )
        return _case_response(request, case.pk, status_code=status.HTTP_201_CREATED)


class CaseDetailApi(ApiView):
    @extend_schema(
        operation_id="cases_retrieve",
        tags=TAGS,
        summary="One case: statements of both parties, evidence, state, ruling, and the order's record",
        description="`info_request` while support waits for a party's answer; `ruling` with its reasons once "
        "ruled; `appeal` once appealed. 404 for anyone but the order's parties (and staff).",
        responses={200: CaseOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return _case_response(request, id)


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_statements_create",
        tags=TAGS,
        summary="Add a statement to a case",
        description="Both parties read each other's statements. The party support asked for information "
        "answers here. 409 `case_closed` on a closed case.",
        request=CaseStatementInputSerializer,
        responses={201: CaseStatementOutputSerializer, **problems(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class CaseStatementCreateApi(CaseActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = CaseStatementInputSerializer
    output_serializer = CaseStatementOutputSerializer
    status_code = status.HTTP_201_CREATED

    def perform(self, case: SupportCase, *, text: str) -> CaseStatement:
        return services.case_add_statement(case=case, actor=self.request.user, text=text)


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_evidence_create",
        tags=TAGS,
        summary="Add an evidence file to a case",
        description="multipart/form-data with `file` and an optional `description`. Images or PDF only, "
        "their type read from the content (a text file named .pdf is refused): 415 otherwise; "
        "413 above 10 MB. Parties only, while the case is not closed (409 `case_closed`).",
        request={"multipart/form-data": CaseEvidenceInputSerializer},
        responses={201: EvidenceOutputSerializer, **problems(400, 401, 403, 404, 409, 413, 415, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class CaseEvidenceCreateApi(CaseActionApi):
    parser_classes = (MultiPartParser,)
    input_serializer = CaseEvidenceInputSerializer
    output_serializer = EvidenceOutputSerializer
    status_code = status.HTTP_201_CREATED

    def perform(self, case: SupportCase, **data) -> Evidence:
        return services.case_add_evidence(case=case, actor=self.request.user, **data)


@extend_schema_view(
    post=extend_schema(
        operation_id="cases_appeal",
        tags=TAGS,
        summary="Appeal the ruling (a party, once)",
        description="A supervisor decides; an upheld appeal reverses the ruling's fee, credit changes and "
        "restrictions, and the history keeps both. Open until the ruling's `appeal_until`; without an "
        "appeal by then the case closes itself. 409 `already_appealed`, `appeal_window_closed`, or "
        "`invalid_transition` before a ruling (or once the case is closed).",
        request=CaseAppealInputSerializer,
        responses={200: CaseOutputSerializer, **problems(400, 401, 404, 409, 422)},
        parameters=[IDEMPOTENCY_KEY],
    )
)
class CaseAppealApi(CaseActionApi):
    parser_classes = (DecimalJSONParser,)
    input_serializer = CaseAppealInputSerializer

    def perform(self, case: SupportCase, *, text: str) -> None:
        services.case_appeal(case=case, actor=self.request.user, text=text)

    def respond(self, id: int, result: object) -> Response:
        return _case_response(self.request, id)


class EvidenceFileApi(ApiView):
    @extend_schema(
        operation_id="evidence_file",
        tags=TAGS,
        summary="Download an evidence file",
        description="For the parties of the order the evidence's case, ticket or claim is about, the "
        "appellant of its appeal, and support: 404 for anyone else. Images and PDFs are sent `inline`.",
        responses={**file_responses("The file, with the type found in its content."), **problems(401, 404)},
    )
    def get(self, request, id: int):
        return stored_file_response(evidence_get_for(pk=id, user=request.user))
