"""The partner API's shape of a user's credit explained: written out, not derived from models."""

from __future__ import annotations

from rest_framework import serializers

from credit.api.serializers import (
    CompletionRateOutputSerializer,
    CreditEventOutputSerializer,
    ResponsivenessOutputSerializer,
    RestrictionOutputSerializer,
)
from credit.models import Level
from orders.models import CancellationPath


class CountingCancellationOutputSerializer(serializers.Serializer):
    """A cancellation in the completion rate now, and the moment it leaves it."""

    order = serializers.IntegerField(source="order_id")
    at = serializers.DateTimeField(source="created_at")
    path = serializers.ChoiceField(choices=CancellationPath.choices, help_text="Which rule of the policy applied.")
    # A plain string: the system's own reasons (no_show, no_requirements) appear here too.
    reason = serializers.CharField()
    stops_counting_at = serializers.DateTimeField()


class CreditOutputSerializer(serializers.Serializer):
    """The caller's credit, explained: score, completion rate, level, restrictions and events."""

    score = serializers.IntegerField(help_text="0–100; everyone starts at 100.")
    completion_rate = CompletionRateOutputSerializer(help_text="The caller's own, as a provider.")
    level = serializers.ChoiceField(choices=Level.choices, help_text="The seller level these numbers earn now.")
    restricted = serializers.BooleanField(
        help_text="True while a right is taken away: an active restriction, or a score under min_provider_score "
        "(no new orders as provider)."
    )
    restrictions = RestrictionOutputSerializer(many=True, help_text="Active restrictions, oldest first.")
    below_min_score = serializers.BooleanField()
    min_provider_score = serializers.IntegerField(help_text="The score a provider needs to take new orders.")
    responsiveness = ResponsivenessOutputSerializer()
    counting_cancellations = CountingCancellationOutputSerializer(
        many=True, help_text="The cancellations in the completion rate now, newest first."
    )
    events = CreditEventOutputSerializer(
        many=True, help_text="Every event that moved the score, newest first; one page of them (page, page_size)."
    )
    events_count = serializers.IntegerField(help_text="All events, on every page.")
    events_next = serializers.URLField(allow_null=True, help_text="The next page of events.")
    events_previous = serializers.URLField(allow_null=True, help_text="The previous page of events.")
