"""The partner API's shapes for support cases: written out, not derived from models."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.query import QueryParametersSerializer
from core.models import ActorRole
from disputes.models import CaseCategory, CaseState
from marketplace.api.serializers import UserRefSerializer
from orders.api.serializers import TransitionOutputSerializer
from orders.models import Fault

ROLE_CHOICES = (("client", "client"), ("provider", "provider"), ("support", "support"))


# --- Input --------------------------------------------------------------------------------


class CaseFilterSerializer(QueryParametersSerializer):
    state = serializers.ChoiceField(choices=CaseState.choices, required=False)
    order = serializers.IntegerField(required=False, help_text="Only cases on this order.")


class CaseCreateInputSerializer(serializers.Serializer):
    order = serializers.IntegerField(help_text="An order where the caller is the client or the provider.")
    category = serializers.ChoiceField(choices=CaseCategory.choices)
    statement = serializers.CharField(max_length=10_000, help_text="What happened; the other party reads it too.")
    desired_outcome = serializers.CharField(max_length=5_000, help_text="What the caller asks support to do.")
    escalated_from = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="A declined resolution request of the order to escalate. With category `declined_request` "
        "and no id, the order's latest declined request is escalated.",
    )


class CaseStatementInputSerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=10_000,
        help_text="Both parties and support read it. While support waits for the caller's information, "
        "this is the answer and the case goes back to `open`.",
    )


class CaseEvidenceInputSerializer(serializers.Serializer):
    # Empty files are let through so the upload check refuses them with the same words everywhere.
    file = serializers.FileField(
        allow_empty_file=True,
        help_text="An image (PNG, JPEG, GIF, WebP) or a PDF, up to 10 MB; type read from content.",
    )
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CaseAppealInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000, help_text="Why the ruling is wrong. A case is appealed once.")


# --- Output -------------------------------------------------------------------------------


def _absolute(request, url: str) -> str:
    return request.build_absolute_uri(url) if request is not None else url


class CaseStatementOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = UserRefSerializer(help_text="null for a support agent's statement (agents speak as support).")
    role = serializers.ChoiceField(source="author_role", choices=ROLE_CHOICES)
    text = serializers.CharField()
    created_at = serializers.DateTimeField()

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if instance.author_role == ActorRole.SUPPORT:
            data["author"] = None
        return data


class EvidenceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The file's name as uploaded.")
    content_type = serializers.CharField(help_text="The type found in the file's content.")
    size = serializers.IntegerField()
    description = serializers.CharField()
    uploaded_by = UserRefSerializer()
    created_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Download (token auth): parties of the order and support only.")

    def get_url(self, evidence) -> str:
        return _absolute(self.context.get("request"), reverse("api-evidence-file", args=(evidence.pk,)))


class OrderMessageOutputSerializer(serializers.Serializer):
    """A message of the order's thread, attached to the case read-only."""

    id = serializers.IntegerField()
    author = UserRefSerializer()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()


class InfoRequestOutputSerializer(serializers.Serializer):
    asked = UserRefSerializer(source="info_requested_from", help_text="The party asked for information.")
    question = serializers.CharField(source="info_request")
    due_at = serializers.DateTimeField(source="info_due_at", allow_null=True)


class RulingOutputSerializer(serializers.Serializer):
    outcome = serializers.CharField()
    fault = serializers.ChoiceField(choices=Fault.choices)
    refund_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="When the ruling cancelled the order with a split."
    )
    reasons = serializers.CharField(source="ruling")
    ruled_at = serializers.DateTimeField()
    appeal_until = serializers.DateTimeField(
        help_text="Either party may appeal once until then; without an appeal the case closes itself."
    )


class AppealOutputSerializer(serializers.Serializer):
    text = serializers.CharField(source="appeal")
    by = UserRefSerializer(source="appealed_by")
    at = serializers.DateTimeField(source="appealed_at")
    upheld = serializers.BooleanField(source="appeal_upheld", allow_null=True, help_text="null while undecided.")
    decision = serializers.CharField(
        source="appeal_ruling", help_text="The supervisor's reasons; empty while undecided."
    )


class CaseListItemOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    category = serializers.ChoiceField(choices=CaseCategory.choices)
    state = serializers.ChoiceField(choices=CaseState.choices)
    opened_by = UserRefSerializer()
    opened_by_role = serializers.ChoiceField(choices=ROLE_CHOICES[:2])
    created_at = serializers.DateTimeField()
    first_response_due = serializers.DateTimeField()
    ruling_due = serializers.DateTimeField()
    ruled_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)


class CaseOutputSerializer(CaseListItemOutputSerializer):
    statement = serializers.CharField(help_text="The opening statement.")
    desired_outcome = serializers.CharField()
    escalated_from = serializers.IntegerField(
        source="escalated_from_id", allow_null=True, help_text="The declined resolution request this case escalates."
    )
    escalated_from_ticket = serializers.IntegerField(
        source="escalated_from_ticket_id",
        allow_null=True,
        help_text="The rejected after-sales ticket this case escalates (its evidence is among the case's).",
    )
    first_response_at = serializers.DateTimeField(allow_null=True)
    info_request = serializers.SerializerMethodField()
    ruling = serializers.SerializerMethodField()
    appeal = serializers.SerializerMethodField()
    statements = CaseStatementOutputSerializer(many=True, source="statements.all")
    evidence = EvidenceOutputSerializer(many=True, source="evidence.all")
    order_messages = serializers.SerializerMethodField(help_text="The order's message thread, attached read-only.")
    order_history = serializers.SerializerMethodField(help_text="The order's transition log, attached read-only.")
    history = serializers.SerializerMethodField(help_text="The case's own transitions.")
    ticket_history = serializers.SerializerMethodField(
        help_text="The escalated ticket's transition log, attached read-only (empty without a ticket)."
    )

    @extend_schema_field(InfoRequestOutputSerializer(allow_null=True))
    def get_info_request(self, case):
        return InfoRequestOutputSerializer(case).data if case.state == CaseState.AWAITING_INFO else None

    @extend_schema_field(RulingOutputSerializer(allow_null=True))
    def get_ruling(self, case):
        return RulingOutputSerializer(case).data if case.ruled_at else None

    @extend_schema_field(AppealOutputSerializer(allow_null=True))
    def get_appeal(self, case):
        return AppealOutputSerializer(case).data if case.appealed_at else None

    @extend_schema_field(OrderMessageOutputSerializer(many=True))
    def get_order_messages(self, case):
        return OrderMessageOutputSerializer(self.context.get("order_messages", []), many=True).data

    @extend_schema_field(TransitionOutputSerializer(many=True))
    def get_order_history(self, case):
        return TransitionOutputSerializer(self.context.get("order_history", []), many=True).data

    @extend_schema_field(TransitionOutputSerializer(many=True))
    def get_history(self, case):
        return TransitionOutputSerializer(self.context.get("history", []), many=True).data

    @extend_schema_field(TransitionOutputSerializer(many=True))
    def get_ticket_history(self, case):
        return TransitionOutputSerializer(self.context.get("ticket_history", []), many=True).data
