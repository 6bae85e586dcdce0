"""The partner API's shapes for credit: written out, not derived from models."""

from __future__ import annotations

from rest_framework import serializers

from credit.models import CreditReason, RestrictionKind


class CompletionRateOutputSerializer(serializers.Serializer):
    """A provider's completion rate over the rolling window: raw, its sample, and smoothed."""

    raw_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        allow_null=True,
        help_text="completed ÷ sample × 100; null with no orders in the window.",
    )
    smoothed_percent = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        help_text="As if every provider started with prior_orders completed orders, so a small sample stays "
        "fair; levels use this one.",
    )
    completed = serializers.IntegerField(help_text="Orders completed in the window.")
    counted_cancellations = serializers.IntegerField(
        help_text="Cancellations in the window that count (no-fault ones never do)."
    )
    sample = serializers.IntegerField(help_text="completed + counted_cancellations.")
    window_days = serializers.IntegerField(help_text="The rolling window, in days.")
    prior_orders = serializers.IntegerField(source="prior", help_text="The completed orders smoothing assumes.")


class CompletionRateEffectOutputSerializer(serializers.Serializer):
    """A provider's completion rate now, and as it would be after this cancellation."""

    before = CompletionRateOutputSerializer()
    after = CompletionRateOutputSerializer(help_text="Equal to before when the cancellation would not count.")


class RestrictionOutputSerializer(serializers.Serializer):
    # A plain string: a new kind of restriction must not break a partner's enum.
    kind = serializers.CharField(help_text=" or ".join(RestrictionKind.values) + ".")
    reason = serializers.CharField(help_text="Why the right was taken away.")
    restores = serializers.CharField(help_text="What gives it back.")
    since = serializers.DateTimeField(source="created_at")
    automatic = serializers.BooleanField(help_text="Set by a rule (true) or by support (false).")


class CreditEventOutputSerializer(serializers.Serializer):
    """One change of the score; never edited: a reversal is a new event pointing back."""

    id = serializers.IntegerField()
    at = serializers.DateTimeField(source="created_at")
    delta = serializers.IntegerField(help_text="The change asked for by the rule or by support.")
    applied = serializers.IntegerField(help_text="The change made, the score being kept within 0–100.")
    score_after = serializers.IntegerField()
    # A plain string: a new source of credit events must not break a partner's enum.
    reason = serializers.CharField(help_text="One of " + ", ".join(CreditReason.values) + ".")
    detail = serializers.CharField(
        source="detail_text", help_text="In words; for a manual adjustment, the reason support gave."
    )
    order = serializers.IntegerField(source="order_id", allow_null=True)
    reverses = serializers.IntegerField(
        source="reverses_id", allow_null=True, help_text="For a reversal: the id of the event it undoes."
    )
    reversed = serializers.SerializerMethodField(help_text="Whether a later event undid this one on appeal.")
    reversed_at = serializers.DateTimeField(allow_null=True)
    stops_counting_at = serializers.DateTimeField(
        allow_null=True,
        help_text="For an event from a cancellation that counts against the caller's completion rate: when it "
        "stops counting. Null otherwise.",
    )

    def get_reversed(self, event) -> bool:
        return event.reversed_at is not None


class ResponsivenessOutputSerializer(serializers.Serializer):
    """How the caller, as a provider, answers update requests."""

    unanswered_update_requests = serializers.IntegerField(
        help_text="Update requests the caller let expire without an answer in the window."
    )
    window_days = serializers.IntegerField(help_text="The rolling window, in days (the completion rate's).")
