"""The partner API for the shift calendar: the caller's shifts in a date range, and their private
iCalendar feed address (made, replaced or turned off)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.query import QueryParametersSerializer
from core.api.schema import IDEMPOTENCY_KEY, problems
from core.api.views import ApiView
from orders import calendar

MAX_DAYS = 92
LAST_DAY = date.max


class CalendarQuerySerializer(QueryParametersSerializer):
    start = serializers.DateField(required=False, help_text="First day (default: this week's Monday).")
    end = serializers.DateField(required=False, help_text="Last day, included (default: a week after `start`).")

    def validate(self, data: dict) -> dict:
        start = data.get("start") or calendar.week_of(timezone.localdate())[0]
        if data.get("end") is None and start > LAST_DAY - timedelta(days=6):
            start = LAST_DAY - timedelta(days=6)
        end = data.get("end") or start + timedelta(days=6)
        if end < start:
            raise serializers.ValidationError({"end": ["The last day comes before the first."]})
        if (end - start).days >= MAX_DAYS:
            raise serializers.ValidationError({"end": [f"At most {MAX_DAYS} days at a time."]})
        return {"start": start, "end": end}


class CalendarEntrySerializer(serializers.Serializer):
    kind = serializers.ChoiceField(
        choices=("work", "booking", "posted"),
        help_text="work: a shift the caller works; booking: a worker's booking of a shift the caller "
        "posted; posted: a shift the caller posted with places still open.",
    )
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    location = serializers.CharField()
    detail = serializers.CharField()
    state = serializers.CharField(help_text="The order's state; empty for a posted shift.")
    url = serializers.CharField(help_text="The page of the order or listing.")


class FeedSerializer(serializers.Serializer):
    url = serializers.URLField(help_text="The private iCalendar address: keep it secret.")


class MeCalendarApi(ApiView):
    @extend_schema(
        operation_id="me_calendar_list",
        tags=["shifts"],
        summary="The caller's shifts in a date range",
        parameters=[CalendarQuerySerializer],
        responses={200: CalendarEntrySerializer(many=True), **problems(400, 401)},
    )
    def get(self, request):
        query = CalendarQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        zone = timezone.get_current_timezone()
        # A day at the calendar's very ends is read as the last (first) day every time zone can hold.
        first = max(query.validated_data["start"], date.min + timedelta(days=2))
        last = min(query.validated_data["end"], LAST_DAY - timedelta(days=2))
        start = datetime.combine(first, time.min, tzinfo=zone)
        end = datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone)
        entries = calendar.calendar_entries(request.user, start, end)
        return Response(CalendarEntrySerializer(entries, many=True).data)


class MeCalendarFeedApi(ApiView):
    @extend_schema(
        operation_id="me_calendar_feed_create",
        tags=["shifts"],
        summary="Make (or replace) the caller's private iCalendar feed address",
        description="A new address each time; the one before stops answering.",
        request=None,
        responses={201: FeedSerializer, **problems(401)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        feed = calendar.calendar_feed_renew(user=request.user)
        url = request.build_absolute_uri(reverse("shift_calendar_feed", args=[feed.token]))
        return Response({"url": url}, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="me_calendar_feed_delete",
        tags=["shifts"],
        summary="Turn the caller's calendar feed off",
        request=None,
        responses={204: None, **problems(401)},
    )
    def delete(self, request):
        calendar.calendar_feed_stop(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
