"""The partner API's shapes for accounts and listings: written out, not derived from models."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.query import QueryParametersSerializer
from core.api.schema import codes_help
from core.timezones import valid_time_zone
from marketplace.models import CURRENCIES, BlockReason, ListingKind
from marketplace.services import AVAILABILITY_MESSAGE_MAX, NOTE_MAX

# --- Accounts -----------------------------------------------------------------------------


# Sign-up's fields are plain strings to the serializer: the sign-up service checks them all at
# once and names every bad field. The schema still says what it accepts.
@extend_schema_field({"type": "string", "minLength": 1, "maxLength": 150, "pattern": r"^\s*[\w.@+-]+\s*$"})
class UsernameField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "format": "email", "maxLength": 254})
class EmailAddressField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "minLength": 8, "writeOnly": True})
class NewPasswordField(serializers.CharField):
    pass


class AccountCreateInputSerializer(serializers.Serializer):
    username = UsernameField(
        allow_blank=True, trim_whitespace=False, help_text="Letters, digits and @ . + - _; at most 150."
    )
    email = EmailAddressField(allow_blank=True, help_text="A valid e-mail address.")
    password = NewPasswordField(
        write_only=True,
        allow_blank=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="At least 8 characters, not a common password, not only digits, not like the username or "
        "e-mail address.",
    )
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=80, default="")


class AccountOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField(help_text="Stored with its domain in lower case; one account per address.")
    email_verified = serializers.BooleanField(
        help_text="Whether the address was confirmed through the link e-mailed to it. Notifications are e-mailed "
        "only to a verified address (they are always in the app)."
    )
    display_name = serializers.CharField()
    language = serializers.CharField(
        help_text="The language the account reads Gigfair in (pages, notifications, e-mails): one of "
        + ", ".join(code for code, _name in settings.LANGUAGES)
        + "; empty for the site's default."
    )
    time_zone = serializers.SerializerMethodField(
        help_text="Where the account is, as an IANA name (`Europe/Amsterdam`, `Asia/Shanghai`): times on its pages, "
        "notifications and e-mails are shown in it. Guessed from the browser at sign-up or log-in on the web; "
        "the site's zone (`UTC`) until one is known."
    )

    def get_time_zone(self, user) -> str:
        return valid_time_zone(user.time_zone) or settings.TIME_ZONE


class MeUpdateInputSerializer(serializers.Serializer):
    language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES],
        required=False,
        help_text="Notifications and e-mails from now on are written in it; the web pages follow at the next log-in.",
    )
    email = serializers.CharField(
        required=False,
        help_text="A new address: unverified until the link e-mailed to it is followed, and until then "
        "notifications are not e-mailed. An address another account uses is 400 with `errors.email`.",
    )

    time_zone = serializers.CharField(
        required=False,
        help_text="An IANA time zone name such as `America/Sao_Paulo`; an unknown one is 400 with `errors.time_zone`.",
    )

    def validate_time_zone(self, value: str) -> str:
        # Checked before anything is changed: a bad zone leaves the e-mail address and language as they were.
        if not valid_time_zone(value.strip()):
            raise serializers.ValidationError(
                _("Choose a time zone by its IANA name, such as Europe/Amsterdam or Asia/Shanghai.")
            )
        return value.strip()

    def validate(self, attrs: dict) -> dict:
        if not attrs:
            raise serializers.ValidationError(_("Send at least one of: language, email, time_zone."))
        return attrs


class EmailVerificationOutputSerializer(serializers.Serializer):
    email = serializers.CharField(help_text="Where the link was sent.")
    email_verified = serializers.BooleanField()
    verification_email_sent_at = serializers.DateTimeField(source="email_verification_sent_at")


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
            {
                "type": "string",
                "format": "decimal",
                "pattern": r"^(?!0*(\.0*)?$)\d{1,10}(\.\d{1,2})?$",
                "example": "120.00",
            },
            {"type": "number", "minimum": 0.01, "maximum": 9999999999.99, "multipleOf": 0.01, "example": 120},
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


class ListingFilterSerializer(QueryParametersSerializer):
    kind = serializers.ChoiceField(choices=ListingKind.choices, required=False)
    mine = serializers.BooleanField(
        required=False, default=False, help_text="Only the caller's own listings, inactive ones included."
    )
    q = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Words to find in the title, description or location (full-text search, ranked).",
    )
    min_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    max_price = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0"), required=False)
    location = serializers.CharField(required=False, max_length=200, help_text="Part of a shift's location.")
    starts_after = serializers.DateTimeField(required=False, help_text="Shifts starting at or after this moment.")
    starts_before = serializers.DateTimeField(required=False, help_text="Shifts starting before this moment.")
    min_rating = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal("1"),
        max_value=Decimal("5"),
        required=False,
        help_text="Owners whose published reviews average at least this (1–5).",
    )
    ordering = serializers.ChoiceField(
        choices=("rank", "newest", "price", "-price", "starts_at", "rating"),
        required=False,
        default="rank",
        help_text="rank (the default: the owner's rating, completion and level; see the README), newest, "
        "price, -price, starts_at, rating.",
    )

    def validate(self, data: dict) -> dict:
        if "min_price" in data and "max_price" in data and data["min_price"] > data["max_price"]:
            raise serializers.ValidationError({"max_price": [_("The highest price is below the lowest.")]})
        if "starts_after" in data and "starts_before" in data and data["starts_after"] >= data["starts_before"]:
            raise serializers.ValidationError({"starts_before": [_("This comes before the other date.")]})
        return data


class ListingCreateInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ListingKind.choices)
    title = serializers.CharField(max_length=140, error_messages={"blank": _("Give the listing a title.")})
    description = serializers.CharField(required=False, allow_blank=True, default="")
    price = MoneyInputField()
    currency = serializers.ChoiceField(choices=CURRENCIES, default="EUR")
    delivery_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=365,
        help_text="Service (required): days from requirements to delivery.",
    )
    revisions = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=0,
        max_value=20,
        help_text="Service: revisions included (default 1).",
    )
    starts_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Shift (required): in the future."
    )
    ends_at = serializers.DateTimeField(
        required=False, allow_null=True, default=None, help_text="Shift (required): after `starts_at`."
    )
    location = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=200, help_text="Shift (required)."
    )
    min_credit_score = serializers.IntegerField(
        required=False, allow_null=True, default=None, min_value=0, max_value=100
    )
    positions = serializers.IntegerField(
        required=False,
        default=1,
        min_value=1,
        max_value=500,
        help_text="Shift: how many workers it needs (each booking is its own order). A service: 1.",
    )
    early_access = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Shift: for its first hours (policy, 24 by default) only workers at or above the policy's "
        "credit score (90 by default) may book it; then everyone.",
    )


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
    positions = serializers.SerializerMethodField(help_text="Shift: places in all; null for a service.")
    positions_left = serializers.IntegerField(
        allow_null=True, help_text="Shift: places still free; null for a service."
    )
    early_access = serializers.BooleanField()
    is_active = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_positions(self, listing) -> int | None:
        return listing.positions if listing.is_shift else None


# --- Blocks -------------------------------------------------------------------------------


class BlockCreateInputSerializer(serializers.Serializer):
    user = serializers.IntegerField(help_text="The id of the user to block.")
    reason = serializers.ChoiceField(choices=BlockReason.choices, help_text=codes_help(BlockReason.choices))
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX, help_text="Optional, for staff."
    )


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
    message = serializers.CharField(required=False, allow_blank=True, default="", max_length=AVAILABILITY_MESSAGE_MAX)


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
