"""The partner API for reviews: write one on a completed order, read an order's reviews (blind
until both wrote theirs or the window closed), read one review, answer one about you.

Views are thin: validate, call ``orders.reviews``, render.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ApiView
from orders import reviews
from orders.models import Review, ReviewState
from orders.selectors import order_get_for_action


class ReviewInputSerializer(serializers.Serializer):
    rating = serializers.IntegerField(
        min_value=1,
        max_value=5,
        help_text="1 to 5 stars.",
        error_messages={"min_value": "Give 1 to 5 stars.", "max_value": "Give 1 to 5 stars."},
    )
    text = serializers.CharField(
        max_length=reviews.TEXT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Up to 2,000 characters; required for 1 or 2 stars (say what went wrong).",
    )


class ReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=reviews.TEXT_MAX, help_text="The public answer, up to 2,000 characters.")


class ReportInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=reviews.REASON_MAX, help_text="Which rule the review breaks.")


class ReviewOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    author = serializers.CharField(source="author.username")
    author_role = serializers.ChoiceField(choices=("client", "provider"))
    rating = serializers.IntegerField()
    text = serializers.CharField()
    state = serializers.ChoiceField(
        choices=ReviewState.values,
        help_text="pending: written, shown to its author only until the other party reviews or the window "
        "closes; published; removed by support.",
    )
    created_at = serializers.DateTimeField()
    publish_at = serializers.DateTimeField(help_text="Published by then at the latest (the window's end).")
    published_at = serializers.DateTimeField(allow_null=True)
    reply = serializers.CharField(help_text="The reviewed party's public answer; empty if none.")
    replied_at = serializers.DateTimeField(allow_null=True)


class OrderReviewListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination  # read by the schema generator to describe the page

    @extend_schema(
        operation_id="orders_reviews_list",
        tags=["reviews"],
        summary="An order's reviews",
        description="Newest first: the caller's own review, and the other party's only once both reviewed or "
        "the window (14 days after completion, by policy) closed. Only for the order's parties and support.",
        parameters=PAGE_PARAMETERS,
        responses={200: ReviewOutputSerializer(many=True), **problems(401, 404)},
    )
    def get(self, request, id: int):
        order = order_get_for_action(pk=id, user=request.user)
        queryset = reviews.reviews_for_order(order=order, viewer=request.user)
        return paginated_response(
            queryset=queryset, serializer_class=ReviewOutputSerializer, request=request, view=self
        )

    @extend_schema(
        operation_id="orders_reviews_create",
        tags=["reviews"],
        summary="Review the other party of a completed order",
        description="`rating` 1–5 and `text` (required for 1 or 2 stars). Once per party and order, within the "
        "policy's window after completion. The review stays hidden from the other party until they review "
        "too or the window closes; then both are published. 409 `order_not_completed` (also a cancelled "
        "order), 409 `review_exists`, 409 `review_window_closed`; someone else's order 404.",
        request=ReviewInputSerializer,
        responses={201: ReviewOutputSerializer, **problems(400, 401, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order = order_get_for_action(pk=id, user=request.user)
        review = reviews.review_post(order=order, actor=request.user, **serializer.validated_data)
        review = Review.objects.select_related("author").get(pk=review.pk)
        return Response(ReviewOutputSerializer(review).data, status=status.HTTP_201_CREATED)


class ReviewDetailApi(ApiView):
    @extend_schema(
        operation_id="reviews_retrieve",
        tags=["reviews"],
        summary="One review",
        description="A published review, or your own while it is pending.",
        responses={200: ReviewOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return Response(ReviewOutputSerializer(reviews.review_get(pk=id, user=request.user)).data)


class ReviewReplyApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="reviews_reply",
        tags=["reviews"],
        summary="Answer a published review about you, once, in public",
        description="403 `not_reviewed` (the review is not about you); 409 `review_not_published`, 409 `reply_exists`.",
        request=ReplyInputSerializer,
        responses={200: ReviewOutputSerializer, **problems(400, 401, 403, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = ReplyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = reviews.review_get(pk=id, user=request.user)
        review = reviews.review_reply(review=review, actor=request.user, text=serializer.validated_data["text"])
        review = Review.objects.select_related("author").get(pk=review.pk)
        return Response(ReviewOutputSerializer(review).data)


class ReviewReportApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="reviews_report",
        tags=["reviews"],
        summary="Ask support to look at a published review about you that breaks the rules",
        description="Once per review. Support removes it (both parties are told, the reason stays on record) or "
        "keeps it and says why. 403 `not_reviewed`; 409 `review_not_published`, 409 `review_reported`.",
        request=ReportInputSerializer,
        responses={200: ReviewOutputSerializer, **problems(400, 401, 403, 404, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request, id: int):
        serializer = ReportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        review = reviews.review_get(pk=id, user=request.user)
        review = reviews.review_report(review=review, actor=request.user, reason=serializer.validated_data["reason"])
        review = Review.objects.select_related("author").get(pk=review.pk)
        return Response(ReviewOutputSerializer(review).data)
