"""The partner API's shapes for orders: written out, not derived from models."""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.query import QueryParametersSerializer
from core.models import ActorRole
from credit.api.serializers import CompletionRateEffectOutputSerializer
from marketplace.api.serializers import UserRefSerializer
from marketplace.models import ListingKind
from orders.cancellation import QuoteView
from orders.models import (
    PERSON_REASONS,
    CancellationPath,
    CreditParty,
    Fault,
    OrderState,
    PaymentStatus,
    RefundStatus,
)
from orders.quotes import MAX_TOKEN_LENGTH
from orders.services import MAX_TEXT

ROLE_CHOICES = (("client", "client"), ("provider", "provider"))

# --- Input --------------------------------------------------------------------------------


class OrderFilterSerializer(QueryParametersSerializer):
    state = serializers.ChoiceField(choices=OrderState.choices, required=False)
    role = serializers.ChoiceField(
        choices=ROLE_CHOICES, required=False, help_text="Only orders where the caller has this role."
    )


class OrderCreateInputSerializer(serializers.Serializer):
    listing = serializers.IntegerField(help_text="A service listing to order, or a shift listing to book.")
    requirements = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_TEXT,
        help_text="Service orders: start the work at once.",
    )


class OrderRequirementsInputSerializer(serializers.Serializer):
    requirements = serializers.CharField(max_length=MAX_TEXT, error_messages={"blank": _("Describe what you need.")})


class OrderDeliverInputSerializer(serializers.Serializer):
    """A delivery as JSON: its message (files come as multipart/form-data)."""

    message = serializers.CharField(
        max_length=MAX_TEXT, error_messages={"blank": _("Tell the client what you deliver.")}
    )


class OrderDeliverUploadInputSerializer(OrderDeliverInputSerializer):
    """A delivery as multipart/form-data: its message and files."""

    # Empty files are let through so the upload check refuses them with the same message as
    # every other interface.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="multipart/form-data only: images, PDF, ZIP or text, up to 10 MB each.",
    )


class OrderRevisionRequestInputSerializer(serializers.Serializer):
    message = serializers.CharField(
        max_length=MAX_TEXT, error_messages={"blank": _("Say what should change.")}, help_text="What should change."
    )


class OrderCancelInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(
        choices=PERSON_REASONS, help_text="A code of the taxonomy; GET /cancellation-reasons/ lists them."
    )
    message = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000, help_text="In your own words, optional."
    )
    quote_id = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        max_length=MAX_TOKEN_LENGTH,
        help_text="The caller's `quote_id` from GET cancellation-quote/ (a signed token, as given): while "
        "valid, its terms are executed exactly.",
    )


# --- Output -------------------------------------------------------------------------------

# Whose credit score a cancellation changes; null for nobody.
CREDIT_PARTY_CHOICES = (
    (CreditParty.CLIENT.value, "the client's credit score changes"),
    (CreditParty.PROVIDER.value, "the provider's credit score changes"),
)


class TransitionOutputSerializer(serializers.Serializer):
    """One entry of an order's history: a state change, who made it, when and why."""

    # ``from`` is a Python keyword, so that field is added in get_fields.

    to = serializers.CharField(source="to_state")
    at = serializers.DateTimeField()
    by = serializers.SerializerMethodField(help_text="Username of who did it; null when the system did.")
    role = serializers.ChoiceField(source="actor_role", choices=ActorRole.choices)
    reason = serializers.CharField(source="reason_text")
    transition = serializers.CharField()

    def get_fields(self) -> dict:
        fields = super().get_fields()
        from_field = serializers.SerializerMethodField(
            method_name="get_from_state", help_text="null for the order's creation."
        )
        return {"from": from_field, **fields}

    def get_from_state(self, log) -> str | None:
        return log.from_state or None

    def get_by(self, log) -> str | None:
        return log.actor.username if log.actor_id else None


class DeliveryFileOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="Download with the same API token (parties and support only).")

    def get_url(self, delivery_file) -> str:
        url = reverse("api-order-file", kwargs={"id": delivery_file.delivery.order_id, "file_id": delivery_file.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.CharField()
    revision_request = serializers.CharField(help_text="What the client asked to change, if sent back.")
    created_at = serializers.DateTimeField()
    files = DeliveryFileOutputSerializer(many=True)


class PaymentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    gateway = serializers.CharField()
    reference = serializers.CharField()
    method = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=PaymentStatus.choices)
    created_at = serializers.DateTimeField()


class LedgerEntryOutputSerializer(serializers.Serializer):
    account = serializers.CharField(source="account.kind", help_text="gateway, escrow, provider or platform.")
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, help_text="Positive is a debit, negative a credit."
    )


class LedgerTransactionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    # A plain string: new kinds of money movement must not break a partner's enum.
    kind = serializers.CharField(help_text="e.g. charge (client into escrow), release (escrow to provider).")
    currency = serializers.CharField()
    memo = serializers.CharField()
    created_at = serializers.DateTimeField()
    entries = LedgerEntryOutputSerializer(many=True, help_text="They always sum to zero.")


class CancellationOutputSerializer(serializers.Serializer):
    """How an order was cancelled: who, why, under which rule, and what it cost whom."""

    at = serializers.DateTimeField(source="created_at")
    by = serializers.SerializerMethodField(help_text="Username of who cancelled; null when the system did.")
    role = serializers.ChoiceField(source="actor_role", choices=ActorRole.choices)
    path = serializers.ChoiceField(choices=CancellationPath.choices, help_text="Which rule of the policy applied.")
    # A plain string: the system's own reasons (no_show, no_requirements) appear here too.
    reason = serializers.CharField(help_text="A code of the taxonomy, or no_show / no_requirements for the system.")
    message = serializers.CharField()
    fault = serializers.ChoiceField(choices=Fault.choices)
    tier = serializers.CharField(help_text="The tier of the rule, e.g. “2–24 h before start”.")
    policy_version = serializers.IntegerField(source="policy.version")
    refund_to_client = serializers.DecimalField(max_digits=12, decimal_places=2)
    compensation_to_provider = serializers.DecimalField(max_digits=12, decimal_places=2)
    retained_by_platform = serializers.DecimalField(max_digits=12, decimal_places=2)
    fee_to_platform = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text="Charged to the provider, on top of the escrow split."
    )
    credit_delta = serializers.IntegerField()
    credit_party = serializers.SerializerMethodField()
    counts_against_completion_rate = serializers.BooleanField(
        help_text="False again once an appeal was upheld (see reversed_at)."
    )
    counts_as_complaint = serializers.BooleanField()
    quote_id = serializers.SerializerMethodField(
        help_text="The `quote_id` whose terms were executed, if one was named (as it was sent)."
    )
    reversed_at = serializers.DateTimeField(
        allow_null=True, help_text="When support upheld an appeal: fee refunded, credit event reversed."
    )

    def get_by(self, cancellation) -> str | None:
        return cancellation.actor.username if cancellation.actor_id else None

    @extend_schema_field(serializers.ChoiceField(choices=CREDIT_PARTY_CHOICES, allow_null=True))
    def get_credit_party(self, cancellation) -> str | None:
        return cancellation.credit_party or None

    def get_quote_id(self, cancellation) -> str | None:
        if cancellation.quote_id is None:
            return None
        return cancellation.quote.token or str(cancellation.quote_id)


class RefundOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    status = serializers.ChoiceField(choices=RefundStatus.choices)
    settle_after = serializers.DateTimeField(help_text="The gateway pays it out from this moment.")
    settled_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(
        allow_null=True, help_text="Set when it was cancelled before payout (status cancelled); nothing was paid."
    )
    attempts = serializers.IntegerField(help_text="Payout attempts so far; failed ones are retried.")


class CancellationQuoteOutputSerializer(serializers.Serializer):
    """What cancelling the order now would do for the caller, or why the caller may not."""

    quote_id = serializers.CharField(
        allow_null=True,
        help_text="A signed token that carries these terms: name it in POST cancel/ to bind them until "
        "valid_until; null if refused. Asking for a quote writes nothing.",
    )
    allowed = serializers.BooleanField()
    # A plain string: new refusal reasons must not break a partner's enum.
    code = serializers.CharField(
        allow_null=True,
        help_text="Why not, when allowed is false: use_resolution_center, delivered_use_resolution_center, "
        "late_grace_not_over, shift_under_way, order_closed, no_rule. Null when allowed.",
    )
    tier = serializers.CharField(allow_null=True, help_text="The tier of the rule that applies now.")
    refund_to_client = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    compensation_to_provider = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    fee_to_platform = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Charged to the provider, on top of the escrow split.",
    )
    credit_delta = serializers.IntegerField(allow_null=True, help_text="Credit score change for credit_party.")
    counts_against_completion_rate = serializers.BooleanField(
        allow_null=True, help_text="Whether it counts against the provider's completion rate."
    )
    valid_until = serializers.DateTimeField(
        allow_null=True, help_text="The quote binds until then; never past the start of the next, harsher tier."
    )
    message = serializers.CharField(allow_null=True, help_text="Why not, for people (translated); null when allowed.")
    policy_version = serializers.IntegerField(help_text="The terms the order was made under.")
    currency = serializers.CharField()
    retained_by_platform = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="What neither party gets back from escrow."
    )
    credit_party = serializers.ChoiceField(choices=CREDIT_PARTY_CHOICES, allow_null=True)
    counts_as_complaint = serializers.BooleanField(allow_null=True)
    fault = serializers.ChoiceField(choices=Fault.choices, allow_null=True)
    path = serializers.ChoiceField(choices=CancellationPath.choices, allow_null=True)
    available_from = serializers.DateTimeField(
        allow_null=True,
        help_text="For a refusal that lifts by itself: from when the cancellation is possible "
        "(e.g. the force-cancel of a late order).",
    )
    completion_rate_effect = CompletionRateEffectOutputSerializer(
        allow_null=True,
        help_text="For the provider only (a rate is seen by its provider and staff): their completion rate "
        "now and as it would be after this cancellation. Null for the client and for a refusal.",
    )
    fee_from_deposit = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="For the provider only: the part of fee_to_platform their deposit gives (taken from it first; "
        "the rest from their account). Null for the client and for a refusal.",
    )


def cancellation_quote_data(
    view: QuoteView, *, completion_rate_effect: dict | None = None, fee_from_deposit: Decimal | None = None
) -> dict:
    """A quote view as the quote endpoint's fields: the stored terms, or the refusal with nulls."""
    order, quote, decision = view.order, view.quote, view.decision
    data = {
        "quote_id": None,
        "allowed": view.allowed,
        "code": None if view.allowed else decision.code,
        "message": None if view.allowed else view.message,
        "policy_version": order.policy.version,
        "currency": order.currency,
        "available_from": decision.available_from,
        "completion_rate_effect": completion_rate_effect if quote is not None else None,
        "fee_from_deposit": fee_from_deposit if quote is not None else None,
        **dict.fromkeys(
            (
                "tier",
                "refund_to_client",
                "compensation_to_provider",
                "fee_to_platform",
                "retained_by_platform",
                "credit_delta",
                "credit_party",
                "counts_against_completion_rate",
                "counts_as_complaint",
                "fault",
                "path",
                "valid_until",
            )
        ),
    }
    if quote is not None:
        # The stored quote, not the decision: these are the terms a cancel naming it executes.
        data.update(
            quote_id=quote.token,
            tier=quote.tier,
            refund_to_client=quote.refund_to_client,
            compensation_to_provider=quote.compensation_to_provider,
            fee_to_platform=quote.fee_to_platform,
            retained_by_platform=quote.retained_by_platform,
            credit_delta=quote.credit_delta,
            credit_party=quote.credit_party or None,
            counts_against_completion_rate=quote.counts_against_completion_rate,
            counts_as_complaint=quote.counts_as_complaint,
            fault=quote.fault,
            path=quote.path,
            valid_until=quote.valid_until,
        )
    return data


class CancellationReasonOutputSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Send it as `reason` to POST cancel/.")
    label = serializers.CharField(help_text="In the caller's language.")


class OrderListItemOutputSerializer(serializers.Serializer):
    """An order as lists show it: no history, deliveries or money trail."""

    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    state = serializers.ChoiceField(choices=OrderState.choices)
    listing = serializers.IntegerField(source="listing_id")
    client = UserRefSerializer()
    provider = UserRefSerializer()
    title = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True, help_text="Service orders, once requirements are in.")
    starts_at = serializers.DateTimeField(allow_null=True, help_text="Shift orders.")
    ends_at = serializers.DateTimeField(allow_null=True, help_text="Shift orders.")
    location = serializers.CharField(help_text="Shift orders.")
    policy_version = serializers.IntegerField(source="policy.version", help_text="The terms the order was made under.")
    auto_complete_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    your_role = serializers.SerializerMethodField()

    @extend_schema_field(serializers.ChoiceField(choices=ROLE_CHOICES, allow_null=True))
    def get_your_role(self, order) -> str | None:
        return order.role_of(self.context["request"].user)


class OrderOutputSerializer(OrderListItemOutputSerializer):
    """One order in full: terms, history, deliveries and its money trail."""

    requirements = serializers.CharField()
    requirements_submitted_at = serializers.DateTimeField(allow_null=True)
    delivery_days = serializers.IntegerField(allow_null=True)
    revisions_allowed = serializers.IntegerField()
    revisions_used = serializers.IntegerField()
    delivered_at = serializers.DateTimeField(allow_null=True)
    checked_in_at = serializers.DateTimeField(allow_null=True)
    checked_out_at = serializers.DateTimeField(allow_null=True, help_text="Shift: when the worker checked out.")
    confirmed_at = serializers.DateTimeField(
        allow_null=True, help_text="Shift: when the worker confirmed they will come (if the policy asks)."
    )
    hours_booked = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True, help_text="Shift: its length as booked, in hours."
    )
    hours_worked = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Shift: from check-in (or the start, if later) to check-out; null before check-out.",
    )
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    history = TransitionOutputSerializer(many=True, source="history.all")
    deliveries = DeliveryOutputSerializer(many=True, source="deliveries.all")
    payments = PaymentOutputSerializer(many=True, source="payments.all")
    ledger_transactions = LedgerTransactionOutputSerializer(many=True, source="ledger_transactions.all")
    cancellation = CancellationOutputSerializer(allow_null=True, help_text="Null while the order is not cancelled.")
    refunds = serializers.SerializerMethodField(help_text="Money going back to the client.")

    @extend_schema_field(RefundOutputSerializer(many=True))
    def get_refunds(self, order) -> list:
        # Only a cancellation writes refunds, and it comes with the order (a join): an order
        # without one is spared the query.
        if getattr(order, "cancellation", None) is None:
            return []
        return RefundOutputSerializer(order.refunds.all(), many=True).data
