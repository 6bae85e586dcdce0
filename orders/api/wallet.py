"""The partner API for money out: the caller's wallet and payouts (API.md, "Second wave")."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ApiView
from orders import payouts
from orders.models import CURRENCIES, PayoutState
from orders.wallet import wallet_for

TAGS = ["money out"]


class WalletLineSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Held in escrow on open orders (after the platform fee)."
    )
    clearing = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Released, waiting the policy's clearance days."
    )
    available = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        help_text="What a payout may take. Negative when fees exceeded the money there was: recovered from later "
        "earnings before any payout.",
    )
    owed = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="The negative part of available, if any."
    )


class PayoutInputSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    currency = serializers.ChoiceField(choices=CURRENCIES)


class PayoutOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    state = serializers.ChoiceField(
        choices=PayoutState.choices, help_text="requested, then paid or failed (the money back to available)."
    )
    reference = serializers.CharField(help_text="The gateway's reference once paid.")
    failure_reason = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    failed_at = serializers.DateTimeField(allow_null=True)


def _line(line) -> dict:
    return {
        "currency": line.currency,
        "pending": line.pending,
        "clearing": line.clearing,
        "available": line.available,
        "owed": line.owed,
    }


class MeWalletApi(ApiView):
    @extend_schema(
        operation_id="me_wallet",
        tags=TAGS,
        summary="The caller's money per currency: pending, clearing, available",
        responses={200: WalletLineSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        return Response(WalletLineSerializer([_line(line) for line in wallet_for(request.user)], many=True).data)


class MePayoutListCreateApi(ApiView):
    parser_classes = (DecimalJSONParser,)
    pagination_class = Pagination

    @extend_schema(
        operation_id="me_payouts_list",
        tags=TAGS,
        summary="The caller's payouts, newest first",
        parameters=PAGE_PARAMETERS,
        responses={200: PayoutOutputSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        return paginated_response(
            queryset=payouts.payouts_for(request.user),
            serializer_class=PayoutOutputSerializer,
            request=request,
            view=self,
        )

    @extend_schema(
        operation_id="me_payouts_create",
        tags=TAGS,
        summary="Withdraw available money",
        description="201 with the payout `requested`; the gateway is called once it is recorded, and the payout "
        "becomes `paid`, or `failed` with the money back to available. More than available is 409 "
        "`insufficient_funds` (with `available`); past the policy's 24-hour limit 409 `payout_limit` (with "
        "`left`); below the policy's smallest payout 400 with `errors.amount`.",
        request=PayoutInputSerializer,
        responses={201: PayoutOutputSerializer, **problems(400, 401, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = PayoutInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payout = payouts.payout_request(user=request.user, **serializer.validated_data)
        payout.refresh_from_db()
        return Response(PayoutOutputSerializer(payout).data, status=status.HTTP_201_CREATED)
