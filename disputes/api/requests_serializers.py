"""The partner API's shapes for resolution requests: written out, not derived from models."""

from __future__ import annotations

from decimal import Decimal

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

    new_starts_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="change_terms: the shift's new start (in the future; left out: unchanged).",
    )
    new_ends_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="change_terms: the shift's new end (after the start, at most 24 hours later; left out: unchanged).",
    )
    new_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="change_terms: the shift's new pay, in the order's currency (left out: unchanged). A raise is "
        "charged to the employer, a cut refunded to them, once the worker accepts.",
    )

    def validate(self, attrs: dict) -> dict:
        errors = {}
        if attrs["type"] == RequestType.CHANGE_TERMS and not any(
            attrs.get(f) is not None for f in ("new_starts_at", "new_ends_at", "new_price")
        ):
            errors["new_price"] = [_("Propose new hours, new pay or both.")]
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


class TermsOutputSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    hours = serializers.DecimalField(max_digits=6, decimal_places=2)


class TermsQuoteOutputSerializer(serializers.Serializer):
    """A cancellation as the engine would decide it at that moment."""

    allowed = serializers.BooleanField()
    tier = serializers.CharField(allow_null=True, help_text="The tier of the policy that would apply (translated).")
    refund_to_client = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    compensation_to_provider = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    fee_to_platform = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    credit_delta = serializers.IntegerField(allow_null=True)
    credit_party = serializers.ChoiceField(choices=CREDIT_PARTY_CHOICES, allow_null=True)
    counts_against_completion_rate = serializers.BooleanField(allow_null=True)


class TermsAcceptOutputSerializer(serializers.Serializer):
    terms = TermsOutputSerializer(help_text="The shift's hours and pay from then on.")
    difference = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Charged to the employer when positive, refunded when negative."
    )
    hours_difference = serializers.DecimalField(max_digits=6, decimal_places=2)
    schedule_clash_order = serializers.IntegerField(
        allow_null=True,
        help_text="For the worker only: their other shift the new hours overlap; accepting is then 409 "
        "`schedule_clash`.",
    )
    worker_cancels_then = TermsQuoteOutputSerializer(
        help_text="The worker's cancellation terms right after accepting (the tiers count from the new start)."
    )


class TermsDeclineOutputSerializer(serializers.Serializer):
    terms = TermsOutputSerializer(help_text="Unchanged.")
    worker_may_leave_free = serializers.BooleanField(
        help_text="Always true: after a refusal the worker may cancel with no fee, no credit change and nothing "
        "counted."
    )
    employer_cancels_then = TermsQuoteOutputSerializer(
        help_text="The employer's own cancellation terms if they cancel after the refusal."
    )


class TermsConsequencesOutputSerializer(serializers.Serializer):
    currency = serializers.CharField()
    current = TermsOutputSerializer()
    accept = TermsAcceptOutputSerializer()
    decline = TermsDeclineOutputSerializer()


def _terms_data(terms) -> dict:
    return {"starts_at": terms.starts_at, "ends_at": terms.ends_at, "price": terms.price, "hours": terms.hours}


def _quote_data(decision) -> dict:
    outcome = decision.outcome
    return {
        "allowed": decision.allowed,
        "tier": _(decision.tier) if decision.allowed and decision.tier else None,
        "refund_to_client": outcome.refund_to_client if outcome else None,
        "compensation_to_provider": outcome.compensation_to_provider if outcome else None,
        "fee_to_platform": outcome.fee_to_platform if outcome else None,
        "credit_delta": outcome.credit_delta if outcome else None,
        "credit_party": (outcome.credit_party or None) if outcome else None,
        "counts_against_completion_rate": outcome.counts_against_completion_rate if outcome else None,
    }


def terms_consequences_data(preview) -> dict | None:
    if preview is None:
        return None
    return {
        "currency": preview.currency,
        "current": _terms_data(preview.current),
        "accept": {
            "terms": _terms_data(preview.proposed),
            "difference": preview.difference,
            "hours_difference": preview.hours_difference,
            "schedule_clash_order": preview.clash.pk if preview.clash is not None else None,
            "worker_cancels_then": _quote_data(preview.worker_leaves_after_accepting),
        },
        "decline": {
            "terms": _terms_data(preview.current),
            "worker_may_leave_free": True,
            "employer_cancels_then": _quote_data(preview.employer_cancels_after_declining),
        },
    }


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
    old_starts_at = serializers.DateTimeField(allow_null=True, help_text="change_terms: the start when asked.")
    old_ends_at = serializers.DateTimeField(allow_null=True, help_text="change_terms: the end when asked.")
    old_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="change_terms: the pay when asked."
    )
    new_starts_at = serializers.DateTimeField(allow_null=True, help_text="change_terms: the proposed start.")
    new_ends_at = serializers.DateTimeField(allow_null=True, help_text="change_terms: the proposed end.")
    new_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="change_terms: the proposed pay."
    )
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
    terms_consequences = TermsConsequencesOutputSerializer(
        source="_terms",
        allow_null=True,
        help_text="Open change_terms requests, for their parties: what accepting and what declining would mean. "
        "Null otherwise.",
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
