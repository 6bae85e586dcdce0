"""The partner API's shapes for orders: written out, not derived from models."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.models import ActorRole
from marketplace.api.serializers import UserRefSerializer
from marketplace.models import ListingKind
from orders.models import OrderState, PaymentStatus

ROLE_CHOICES = (("client", "client"), ("provider", "provider"))

# --- Input --------------------------------------------------------------------------------


class OrderFilterSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=OrderState.choices, required=False)
    role = serializers.ChoiceField(
        choices=ROLE_CHOICES, required=False, help_text="Only orders where the caller has this role."
    )


class OrderCreateInputSerializer(serializers.Serializer):
    listing = serializers.IntegerField(help_text="A service listing to order, or a shift listing to book.")
    requirements = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="Service orders: start the work at once."
    )


class OrderRequirementsInputSerializer(serializers.Serializer):
    requirements = serializers.CharField(allow_blank=True)


class OrderDeliverInputSerializer(serializers.Serializer):
    message = serializers.CharField(allow_blank=True)
    # Empty files are let through so the upload check refuses them with the same message as
    # every other interface.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="multipart/form-data only: images, PDF, ZIP or text, up to 10 MB each.",
    )


class OrderRevisionRequestInputSerializer(serializers.Serializer):
    message = serializers.CharField(allow_blank=True, help_text="What should change.")


# --- Output -------------------------------------------------------------------------------


class TransitionOutputSerializer(serializers.Serializer):
    """One entry of an order's history: a state change, who made it, when and why."""

    # ``from`` is a Python keyword, so that field is added in get_fields.

    to = serializers.CharField(source="to_state")
    at = serializers.DateTimeField()
    by = serializers.SerializerMethodField(help_text="Username of who did it; null when the system did.")
    role = serializers.ChoiceField(source="actor_role", choices=ActorRole.choices)
    reason = serializers.CharField()
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
    url = serializers.SerializerMethodField()

    def get_url(self, delivery_file) -> str:
        url = delivery_file.file.url
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
    completed_at = serializers.DateTimeField(allow_null=True)
    cancelled_at = serializers.DateTimeField(allow_null=True)
    history = TransitionOutputSerializer(many=True, source="history.all")
    deliveries = DeliveryOutputSerializer(many=True, source="deliveries.all")
    payments = PaymentOutputSerializer(many=True, source="payments.all")
    ledger_transactions = LedgerTransactionOutputSerializer(many=True, source="ledger_transactions.all")
