"""The partner API's shapes for resolution requests: written out, not derived from models."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from credit.api.serializers import CompletionRateEffectOutputSerializer
from disputes.models import RequestState, RequestType, Resolution
from disputes.selectors.requests import CancelConsequences
from disputes.services.requests import MESSAGE_MAX
from marketplace.api.serializers import UserRefSerializer
from orders.models import PERSON_REASONS, CancellationPath, CreditParty, Fault

ROLE_CHOICES = (("client", "client"), ("provider", "provider"))
ACTION_CHOICES = (
    ("accept", "accept"),
    ("decline", "decline"),
    ("respond", "respond"),
    ("withdraw", "withdraw"),
)
CREDIT_PARTY_CHOICES = (
    (CreditParty.CLIENT.value, "the client's credit score changes"),
    (CreditParty.PROVIDER.value, "the provider's credit score changes"),
)


# --- Input --------------------------------------------------------------------------------


class RequestCreateInputSerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=RequestType.choices)
    message = serializers.CharField(
        max_length=MESSAGE_MAX,
        error_messages={"blank": gettext_lazy("Write a message to the other party.")},
        help_text="To the other party.",
    )
    reason = serializers.ChoiceField(
        choices=PERSON_REASONS,
        required=False,
        allow_blank=True,
        default="",
        help_text="cancel: a code of the cancellation taxonomy (GET /cancellation-reasons/).",
    )
    refund_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        default=None,
        help_text="cancel: the proposed refund to the client, in percent of the price; the provider gets "
        "the rest as compensation.",
    )
    new_due_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="extend_delivery: after the current due date, and at most the policy's maximum (30 days by "
        "default) past it.",
    )

    def validate(self, attrs: dict) -> dict:
        errors = {}
        if attrs["type"] == RequestType.CANCEL:
            if not attrs.get("reason"):
                errors["reason"] = [_("A cancel request needs a reason.")]
            if attrs.get("refund_percent") is None:
                errors["refund_percent"] = [_("A cancel request proposes a refund percent.")]
        if attrs["type"] == RequestType.EXTEND_DELIVERY and attrs.get("new_due_at") is None:
            errors["new_due_at"] = [_("An extension request needs the new due date.")]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class RequestAcceptInputSerializer(serializers.Serializer):
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MESSAGE_MAX, help_text="Optional."
    )


class RequestAnswerInputSerializer(serializers.Serializer):
    """Decline (say why) or respond to an update request (the update itself)."""

    message = serializers.CharField(max_length=MESSAGE_MAX)


# --- Output -------------------------------------------------------------------------------


class RequestConsequencesOutputSerializer(serializers.Serializer):
    """What accepting this cancel request would do now: the cancellation engine's mutual terms."""

    allowed = serializers.BooleanField(help_text="False when the order can no longer be cancelled this way.")
    code = serializers.CharField(allow_null=True, help_text="Why not, when allowed is false.")
    message = serializers.CharField(allow_null=True, help_text="Why not, for people (translated).")
    currency = serializers.CharField()
    path = serializers.ChoiceField(choices=CancellationPath.choices, allow_null=True)
    refund_to_client = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    compensation_to_provider = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    retained_by_platform = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    fee_to_platform = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Charged to the provider, on top of the split."
    )
    credit_delta = serializers.IntegerField(allow_null=True, help_text="Credit score change for credit_party.")
    credit_party = serializers.ChoiceField(choices=CREDIT_PARTY_CHOICES, allow_null=True)
    counts_against_completion_rate = serializers.BooleanField(allow_null=True)
    fault = serializers.ChoiceField(choices=Fault.choices, allow_null=True)
    completion_rate_effect = CompletionRateEffectOutputSerializer(
        allow_null=True,
        help_text="For the provider only: their own completion rate now and after this cancellation.",
    )
    client_side_reason = serializers.ChoiceField(
        choices=PERSON_REASONS,
        allow_null=True,
        help_text="Set when the client asked to cancel with a reason the policy marks as on their side (by "
        "default `client_changed_demand`): the cancellation then counts neither against the provider's "
        "completion rate nor as a complaint.",
    )


def consequences_data(consequences: CancelConsequences | None) -> dict | None:
    if consequences is None:
        return None
    outcome = consequences.outcome
    data = {
        "allowed": consequences.allowed,
        "code": None if consequences.allowed else consequences.decision.code,
        "message": None if consequences.allowed else consequences.message,
        "currency": consequences.currency,
        "path": consequences.decision.path or None,
        "completion_rate_effect": None,
        "client_side_reason": consequences.client_side_reason or None,
        **dict.fromkeys(
            (
                "refund_to_client",
                "compensation_to_provider",
                "retained_by_platform",
                "fee_to_platform",
                "credit_delta",
                "credit_party",
                "counts_against_completion_rate",
                "fault",
            )
        ),
    }
    if outcome is not None:
        data.update(
            refund_to_client=outcome.refund_to_client,
            compensation_to_provider=outcome.compensation_to_provider,
            retained_by_platform=outcome.retained_by_platform,
            fee_to_platform=outcome.fee_to_platform,
            credit_delta=outcome.credit_delta,
            credit_party=outcome.credit_party or None,
            counts_against_completion_rate=outcome.counts_against_completion_rate,
            fault=outcome.fault,
        )
    if consequences.completion_effect is not None:
        data["completion_rate_effect"] = consequences.completion_effect
    return data


class RequestListItemOutputSerializer(serializers.Serializer):
    """A request as lists show it (no consequences preview: GET the request for that)."""

    id = serializers.IntegerField()
    type = serializers.ChoiceField(choices=RequestType.choices)
    state = serializers.ChoiceField(choices=RequestState.choices)
    order = serializers.IntegerField(source="order_id")
    author = UserRefSerializer()
    author_role = serializers.ChoiceField(choices=ROLE_CHOICES)
    respond_by = serializers.DateTimeField(
        help_text="The other party answers by then; silence decides after (a later answer is 409 `request_expired`)."
    )
    resolved_at = serializers.DateTimeField(allow_null=True)
    resolution = serializers.SerializerMethodField()
    reason = serializers.SerializerMethodField()
    message = serializers.CharField()
    refund_percent = serializers.DecimalField(
        max_digits=5, decimal_places=2, allow_null=True, help_text="cancel: the proposed refund to the client, %."
    )
    new_due_at = serializers.DateTimeField(allow_null=True, help_text="extend_delivery: the proposed due date.")
    response_message = serializers.CharField(help_text="The answer: the update, or why it was declined.")
    responded_by = UserRefSerializer(allow_null=True)
    reminder_sent_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(
        serializers.ChoiceField(choices=Resolution.choices, allow_null=True, help_text="Null while open.")
    )
    def get_resolution(self, obj) -> str | None:
        return obj.resolution or None

    @extend_schema_field(serializers.ChoiceField(choices=PERSON_REASONS, allow_null=True, help_text="cancel only."))
    def get_reason(self, obj) -> str | None:
        return obj.reason or None


class RequestWindowPauseOutputSerializer(serializers.Serializer):
    """The provider's announced time away that does not count in the window to answer."""

    away_from = serializers.DateTimeField()
    away_until = serializers.DateTimeField(allow_null=True, help_text="Null: no return date announced.")
    away_now = serializers.BooleanField(help_text="True while the window's clock is stopped.")


class RequestOutputSerializer(RequestListItemOutputSerializer):
    """One request, with what the caller may do and, for an open cancel request, its consequences."""

    your_role = serializers.SerializerMethodField()
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=ACTION_CHOICES),
        source="_actions",
        help_text="What the caller may do now.",
    )
    consequences = RequestConsequencesOutputSerializer(
        source="_consequences",
        allow_null=True,
        help_text="Open cancel requests: what accepting would do now (money, credit, completion rate). "
        "Null for other types and once the request is closed.",
    )
    paused = RequestWindowPauseOutputSerializer(
        source="_pause",
        allow_null=True,
        help_text="Open requests sent to a provider who announced time away (under way, or starting before "
        "`respond_by`): that time does not count, and `respond_by` already includes what it adds. With no "
        "return date the window waits until they return. Null otherwise.",
    )

    @extend_schema_field(serializers.ChoiceField(choices=ROLE_CHOICES, allow_null=True))
    def get_your_role(self, obj) -> str | None:
        return obj.order.role_of(self.context["request"].user)
