"""The partner API for money out: the caller's wallet, payouts and deposit (API.md, "Second wave")."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api.pagination import Pagination, paginated_response
from core.api.parsers import DecimalJSONParser
from core.api.schema import IDEMPOTENCY_KEY, PAGE_PARAMETERS, problems
from core.api.views import ApiView
from orders import payouts, statements
from orders.deposits import deposit_pay, deposit_return, deposits_for
from orders.models import CURRENCIES, DepositPaymentState, DepositSource, PayoutState
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


class MePayoutDetailApi(ApiView):
    @extend_schema(
        operation_id="me_payouts_read",
        tags=TAGS,
        summary="One of the caller's payouts",
        description="Partners subscribed to `payout.*` get `payout.requested`, `payout.paid` and `payout.failed` "
        "with this URL.",
        responses={200: PayoutOutputSerializer, **problems(401, 404)},
    )
    def get(self, request, id: int):
        return Response(PayoutOutputSerializer(payouts.payout_get_for(user=request.user, pk=id)).data)


class StatementLineSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    category = serializers.CharField(help_text="earnings, fees, refunds, payouts, deposit or other.")
    kind = serializers.CharField(source="kind_label", help_text="The ledger movement, in the caller's language.")
    order = serializers.IntegerField(source="order_id", allow_null=True)
    memo = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="To the caller: positive in.")


class StatementTotalSerializer(serializers.Serializer):
    category = serializers.CharField()
    label = serializers.CharField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)


class CurrencyStatementSerializer(serializers.Serializer):
    currency = serializers.CharField()
    opening = serializers.DecimalField(max_digits=14, decimal_places=2)
    closing = serializers.DecimalField(max_digits=14, decimal_places=2)
    totals = serializers.SerializerMethodField()
    lines = StatementLineSerializer(many=True)
    paid_as_client = serializers.DecimalField(source="paid", max_digits=14, decimal_places=2)
    refunded_as_client = serializers.DecimalField(source="refunded", max_digits=14, decimal_places=2)

    @extend_schema_field(StatementTotalSerializer(many=True))
    def get_totals(self, statement) -> list[dict]:
        return StatementTotalSerializer(
            [{"category": code, "label": label, "amount": total} for code, label, total in statement.totals],
            many=True,
        ).data


class StatementSerializer(serializers.Serializer):
    month = serializers.DateField(format="%Y-%m")
    time_zone = serializers.CharField(help_text="The caller's time zone: the month's bounds are in it.")
    currencies = CurrencyStatementSerializer(many=True)


class MeStatementApi(ApiView):
    @extend_schema(
        operation_id="me_statement",
        tags=TAGS,
        summary="The caller's statement of one month (YYYY-MM)",
        description="Per currency: the opening balance of the caller's account, each movement of the month "
        "(earnings, fees, after-sales refunds, payouts, deposit moves), the totals and the closing balance; "
        "and what they paid and got back as a client. The same as the wallet's printable statement and its "
        "CSV. A month that is not YYYY-MM is 404.",
        responses={200: StatementSerializer, **problems(401, 404)},
    )
    def get(self, request, month: str):
        found = statements.month_parse(month)
        return Response(StatementSerializer(statements.statement_for(request.user, found)).data)


class DepositLineSerializer(serializers.Serializer):
    currency = serializers.CharField()
    held = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="What the caller's deposit holds.")
    asked = serializers.BooleanField(
        help_text="Whether the policy in force asks the caller for a deposit (their credit score is under its "
        "threshold)."
    )
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="The deposit the policy asks for.")
    above_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Asked before booking shifts priced above this."
    )
    missing = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="What the deposit lacks (0 when not asked or complete)."
    )


class DepositInputSerializer(serializers.Serializer):
    currency = serializers.ChoiceField(choices=CURRENCIES)
    amount = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        help_text="By default what the deposit lacks.",
    )
    source = serializers.ChoiceField(
        choices=DepositSource.choices,
        default=DepositSource.WALLET,
        help_text="wallet: from available money at once; card: charged through the payment gateway.",
    )


class DepositPaymentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    source = serializers.ChoiceField(choices=DepositSource.choices)
    state = serializers.ChoiceField(choices=DepositPaymentState.choices)
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()


class DepositReturnInputSerializer(serializers.Serializer):
    currency = serializers.ChoiceField(choices=CURRENCIES)


class DepositReturnOutputSerializer(serializers.Serializer):
    currency = serializers.CharField()
    returned = serializers.DecimalField(max_digits=12, decimal_places=2)


def _deposit(line) -> dict:
    return {
        "currency": line.currency,
        "held": line.held,
        "asked": line.asked,
        "amount": line.amount,
        "above_price": line.above_price,
        "missing": line.missing,
    }


class MeDepositsApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="me_deposits",
        tags=TAGS,
        summary="The caller's deposit per currency, and what the policy asks of them",
        responses={200: DepositLineSerializer(many=True), **problems(401)},
    )
    def get(self, request):
        return Response(DepositLineSerializer([_deposit(line) for line in deposits_for(request.user)], many=True).data)

    @extend_schema(
        operation_id="me_deposits_pay",
        tags=TAGS,
        summary="Put down a deposit",
        description="From available money (`source` wallet; more than available is 409 `insufficient_funds`) or by "
        "card through the payment gateway (`source` card; a declined card is 400 `payment_declined`). 409 "
        "`deposit_complete` when no amount is given and the deposit already holds what is asked. Late "
        "cancellation fees are taken from the deposit first; it is returned to available money when the "
        "caller's credit score recovers, or on request with no open orders.",
        request=DepositInputSerializer,
        responses={201: DepositPaymentSerializer, **problems(400, 401, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = DepositInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = deposit_pay(user=request.user, **serializer.validated_data)
        return Response(DepositPaymentSerializer(payment).data, status=status.HTTP_201_CREATED)


class MeDepositReturnApi(ApiView):
    parser_classes = (DecimalJSONParser,)

    @extend_schema(
        operation_id="me_deposits_return",
        tags=TAGS,
        summary="Have the deposit returned to available money",
        description="Refused while the caller has open orders as a provider (409 `open_orders`, with "
        "`open_orders`) and when the deposit holds nothing (409 `no_deposit`).",
        request=DepositReturnInputSerializer,
        responses={200: DepositReturnOutputSerializer, **problems(400, 401, 409)},
        parameters=[IDEMPOTENCY_KEY],
    )
    def post(self, request):
        serializer = DepositReturnInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        currency = serializer.validated_data["currency"]
        returned = deposit_return(user=request.user, currency=currency)
        return Response({"currency": currency, "returned": str(returned)})
