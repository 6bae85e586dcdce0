"""The partner API's shapes for accounts and listings: written out, not derived from models."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from marketplace.models import CURRENCIES, BlockReason, ListingKind, MessageReportReason

# --- Accounts -----------------------------------------------------------------------------


class AccountCreateInputSerializer(serializers.Serializer):
    # Plain strings: the sign-up service checks them all at once and names every bad field.
    username = serializers.CharField(allow_blank=True, trim_whitespace=False)
    email = serializers.CharField(allow_blank=True, help_text="A valid e-mail address.")
    password = serializers.CharField(
        write_only=True, allow_blank=True, trim_whitespace=False, style={"input_type": "password"}
    )
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")


class AccountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    language = serializers.CharField(
        help_text="The language the account reads Gigfair in (pages, notifications, e-mails): one of "
        + ", ".join(code for code, _name in settings.LANGUAGES)
        + "; empty for the site's default."
    )


class MeUpdateInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        help_text="Notifications and e-mails from now on are written in it; the web pages follow at the next log-in.",
    )


class TokenCreateInputSerializer(serializers.Serializer):
    username = serializers.CharField(trim_whitespace=False)
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send it as `Authorization: Token <token>`.")


class UserRefSerializer(serializers.Serializer):
    """Who someone is, as other users may see it."""

    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()


# --- Listings -----------------------------------------------------------------------------


@extend_schema_field(
    {
        "oneOf": [
            {"type": "string", "format": "decimal", "pattern": r"^\d{1,10}(\.\d{1,2})?$", "example": "120.00"},
            {"type": "number", "minimum": 0.01, "multipleOf": 0.01, "example": 120},
        ]
    }
)
class MoneyInputField(serializers.DecimalField):
    """An amount as a decimal string (preferred) or a JSON number, read exactly, never as a float."""

    default_error_messages = {
        "invalid": _("Enter a number such as 120.00."),
        "max_decimal_places": _("Use at most two decimal places."),
        "max_digits": _("The price is too large."),
        "max_whole_digits": _("The price is too large."),
        "min_value": _("The price must be greater than zero."),
        "max_string_length": _("The price is too large."),
    }

    def __init__(self, **kwargs) -> None:
        super().__init__(max_digits=12, decimal_places=2, min_value=Decimal("0.01"), **kwargs)

    def to_internal_value(self, data):
        # A bool is a JSON ``true``, not an amount (DRF would otherwise read it as 1).
        if isinstance(data, bool) or not isinstance(data, str | int | Decimal | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class ListingFilterSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListingKind.choices, required=False)
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only the caller's own listings, inactive ones included."
    )


class ListingCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    title = serializers.CharField(allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    price = MoneyInputField()
    currency = serializers.ChoiceField(choices=CURRENCIES, default="EUR")
    delivery_days = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Service: days from requirements to delivery."
    )
    revisions = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Service: revisions included (default 1)."
    )
    starts_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Shift only.")
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None, help_text="Shift only.")
    location = serializers.CharField(required=False, allow_blank=True, default="", help_text="Shift only.")
    min_credit_score = serializers.IntegerField(required=False, allow_null=True, default=None)


class ListingOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    owner = UserRefSerializer(help_text="The provider of a service, the client of a shift.")
    title = serializers.CharField()
    description = serializers.CharField()
    price = serializers.DecimalField(max_digits=12, decimal_places=2)
    currency = serializers.CharField()
    delivery_days = serializers.IntegerField(allow_null=True)
    revisions = serializers.IntegerField(allow_null=True)
    starts_at = serializers.DateTimeField(allow_null=True)
    ends_at = serializers.DateTimeField(allow_null=True)
    location = serializers.CharField()
    min_credit_score = serializers.IntegerField(allow_null=True)
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()


# --- Message threads ----------------------------------------------------------------------


def _codes(choices) -> str:
    return "; ".join(f"`{code}`: {label}" for code, label in choices)


class MessageCreateInputSerializer(serializers.Serializer):
    body = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="The text, up to 5,000 characters.")
    # Empty files are let through so the upload check refuses them with the same message as
    # every other interface.
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True),
        required=False,
        default=list,
        help_text="multipart/form-data only: images or PDF (type read from the content), up to 10 MB each, at most 5.",
    )


class MessageAttachmentOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="The name it was uploaded with.")
    content_type = serializers.CharField(help_text="Found from the file's content, not its name.")
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField(help_text="Download with the same API token (parties and staff only).")

    def get_url(self, attachment) -> str:
        url = reverse("api-message-attachment", kwargs={"id": attachment.message_id, "attachment_id": attachment.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MessageOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    order = serializers.IntegerField(source="order_id")
    author = UserRefSerializer()
    body = serializers.CharField()
    created_at = serializers.DateTimeField()
    attachments = MessageAttachmentOutputSerializer(many=True)
    reported_by_me = serializers.SerializerMethodField(help_text="Whether the caller has reported this message.")

    def get_reported_by_me(self, message) -> bool:
        return bool(getattr(message, "my_reports", ()))


class MessageReportInputSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=MessageReportReason.choices, help_text=_codes(MessageReportReason.choices))
    note = serializers.CharField(
        required=False, allow_blank=True, default="", help_text="For support; required when `reason` is `other`."
    )


class MessageReportOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    message = serializers.IntegerField(source="message_id")
    # A plain string: the codes are listed on the input; another enum named "reason" would
    # collide with the other apps' reasons in the schema.
    reason = serializers.CharField(help_text="A code of the report reasons (see the report input).")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()
    status = serializers.SerializerMethodField()
    resolved_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.ChoiceField(choices=(("open", "open"), ("resolved", "resolved"))))
    def get_status(self, report) -> str:
        return "resolved" if report.resolved_at else "open"


# --- Blocks -------------------------------------------------------------------------------


class BlockCreateInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The id of the user to block.")
    reason = serializers.ChoiceField(choices=BlockReason.choices, help_text=_codes(BlockReason.choices))
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text="Optional, for staff.")


class BlockOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    user = UserRefSerializer(source="blocked", help_text="Who is blocked.")
    reason = serializers.CharField(help_text="A code of the block reasons (see the block input).")
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


# --- Availability -------------------------------------------------------------------------


class AnnouncementSerializer(serializers.Serializer):
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="When the time away begins; default now."
    )
    ends_at = serializers.DateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text="When the provider is back, automatically; null: until they switch back.",
    )
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=280)


class AvailabilityInputSerializer(serializers.Serializer):
    announcement = AnnouncementSerializer(
        allow_null=True, help_text="The time away to announce (replacing any other), or null to be available now."
    )


class AvailabilityOutputSerializer(serializers.Serializer):
    available_now = serializers.BooleanField(help_text="False while now falls within the announced time away.")
    announcement = AnnouncementSerializer(
        allow_null=True, help_text="The announced time away, current or still to come; null when none."
    )


def availability_data(availability) -> dict:
    """The shape of AvailabilityOutputSerializer for an announcement (or None)."""
    if availability is None:
        return {"available_now": True, "announcement": None}
    return {
        "available_now": not availability.is_away,
        "announcement": {
            "starts_at": availability.away_from,
            "ends_at": availability.away_until,
            "message": availability.message,
        },
    }


class UserProfileOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    bio = serializers.CharField()
    availability = AvailabilityOutputSerializer()
