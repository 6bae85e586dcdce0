"""The partner API for a public profile: who someone is and their record, by username.

Reviews and orders beside credit's level and disputes' responsiveness: an endpoint of the
composition layer (``portal.reputation``).
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from core.api.schema import problems
from core.api.views import ApiView
from core.exceptions import NotFound
from credit.models import Level
from marketplace.api.serializers import AvailabilityOutputSerializer, availability_data
from marketplace.selectors import availability_of, user_get_public
from portal.reputation import trust_for


class RatingSerializer(serializers.Serializer):
    average = serializers.DecimalField(
        max_digits=3, decimal_places=2, allow_null=True, help_text="Of the published reviews; null without any."
    )
    count = serializers.IntegerField(help_text="Published reviews.")
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text='How many reviews gave each number of stars: {"5": n, …, "1": n}.'
    )


class PublicReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author_role = serializers.ChoiceField(choices=("client", "provider"))
    rating = serializers.IntegerField()
    text = serializers.CharField()
    published_at = serializers.DateTimeField()
    reply = serializers.CharField()


class PublicProfileSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    member_since = serializers.DateTimeField()
    rating = RatingSerializer()
    completed_orders = serializers.IntegerField(help_text="Orders completed, on either side.")
    level = serializers.ChoiceField(choices=Level.values, help_text="The seller level.")
    on_time_rate = serializers.IntegerField(
        allow_null=True, help_text="Percent of services delivered by their due date, as provider; null without any."
    )
    responsiveness = serializers.IntegerField(
        allow_null=True,
        help_text="Percent of the other party's requests answered in person rather than by the window; null "
        "without any.",
    )
    availability = AvailabilityOutputSerializer()
    reviews = PublicReviewSerializer(many=True, help_text="The ten newest published reviews about them.")


class UserProfileApi(ApiView):
    @extend_schema(
        operation_id="users_retrieve",
        tags=["accounts"],
        summary="A user's public profile: their record, reviews and announced availability",
        description="Never the credit events or the completion rate: those stay with the user and staff.",
        responses={200: PublicProfileSerializer, **problems(401, 404)},
    )
    def get(self, request, username: str):
        user = user_get_public(username=username)
        if user is None:
            raise NotFound(_("No such user."))
        trust = trust_for(user)
        data = {
            "id": user.pk,
            "username": user.username,
            "display_name": user.display_name,
            "bio": user.bio,
            "member_since": trust.member_since,
            "rating": {
                "average": trust.rating_average,
                "count": trust.rating_count,
                "distribution": {str(stars): n for stars, n in trust.distribution},
            },
            "completed_orders": trust.completed_orders,
            "level": trust.level,
            "on_time_rate": trust.on_time_percent,
            "responsiveness": trust.responsive_percent,
            "availability": availability_data(availability_of(user=user)),
            "reviews": trust.reviews,
        }
        return Response(PublicProfileSerializer(data).data)
