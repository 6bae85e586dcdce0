"""The only code that writes marketplace data: accounts and listings."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import PermissionDenied, ValidationFailed
from credit.eligibility import require_can_post

from .models import CURRENCIES, Listing, ListingKind, User


def user_create(*, username: str, email: str, password: str, display_name: str = "") -> User:
    """Sign a person up; every problem is reported against its field."""
    username = (username or "").strip()
    email = (email or "").strip()
    errors: dict[str, list[str]] = {}
    username_field = User._meta.get_field("username")
    if not username:
        errors["username"] = [_("Choose a username.")]
    else:
        try:
            username_field.run_validators(username)
        except DjangoValidationError as exc:
            errors["username"] = list(exc.messages)
        if len(username) > username_field.max_length:
            errors.setdefault("username", []).append(
                _("A username has at most %(n)d characters.") % {"n": username_field.max_length}
            )
        if "username" not in errors and User.objects.filter(username__iexact=username).exists():
            errors["username"] = [_("A user with that username already exists.")]
    try:
        validate_email(email)
    except DjangoValidationError:
        errors["email"] = [_("Enter a valid e-mail address.")]
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password or "", user=candidate)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    try:
        with transaction.atomic():
            user = User(username=username, email=email, display_name=display_name.strip())
            user.set_password(password)
            user.save()
    except IntegrityError as exc:  # lost a race for the same username
        message = _("A user with that username already exists.")
        raise ValidationFailed(message, errors={"username": [message]}) from exc
    return user


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    if isinstance(value, float):
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number such as 120.00.")]
        return None
    if not amount.is_finite():
        errors[field] = [_("Enter a number such as 120.00.")]
        return None
    if amount.as_tuple().exponent < -2:
        errors[field] = [_("Use at most two decimal places.")]
        return None
    if amount <= 0:
        errors[field] = [_("The price must be greater than zero.")]
        return None
    if amount >= Decimal("10000000000"):
        errors[field] = [_("The price is too large.")]
        return None
    return amount


@transaction.atomic
def listing_create(
    *,
    owner: User,
    kind: str,
    title: str,
    price: Decimal | str,
    currency: str = "EUR",
    description: str = "",
    delivery_days: int | None = None,
    revisions: int | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    location: str = "",
    min_credit_score: int | None = None,
) -> Listing:
    """Publish a service (offered by ``owner``) or a shift (posted by ``owner`` as client)."""
    require_can_post(user=owner)
    errors: dict[str, list[str]] = {}
    if kind not in ListingKind.values:
        errors["kind"] = [_("Choose service or shift.")]
    title = (title or "").strip()
    if not title:
        errors["title"] = [_("Give the listing a title.")]
    elif len(title) > 140:
        errors["title"] = [_("A title has at most 140 characters.")]
    amount = _decimal(price, "price", errors)
    if currency not in dict(CURRENCIES):
        errors["currency"] = [_("Choose one of: %(list)s.") % {"list": ", ".join(dict(CURRENCIES))}]
    if min_credit_score is not None and not 0 <= min_credit_score <= 100:
        errors["min_credit_score"] = [_("A credit score is between 0 and 100.")]
    if kind == ListingKind.SERVICE:
        if delivery_days is None:
            errors["delivery_days"] = [_("Say in how many days you deliver.")]
        elif not 1 <= delivery_days <= 365:
            errors["delivery_days"] = [_("Delivery takes between 1 and 365 days.")]
        if revisions is None:
            revisions = 1
        elif not 0 <= revisions <= 20:
            errors["revisions"] = [_("Offer between 0 and 20 revisions.")]
        starts_at = ends_at = None
        location = ""
    elif kind == ListingKind.SHIFT:
        if starts_at is None:
            errors["starts_at"] = [_("Say when the shift starts.")]
        elif starts_at <= timezone.now():
            errors["starts_at"] = [_("The shift must start in the future.")]
        if ends_at is None:
            errors["ends_at"] = [_("Say when the shift ends.")]
        elif starts_at is not None and ends_at <= starts_at:
            errors["ends_at"] = [_("The shift must end after it starts.")]
        location = (location or "").strip()
        if not location:
            errors["location"] = [_("Say where the shift takes place.")]
        delivery_days = revisions = None
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    return Listing.objects.create(
        owner=owner,
        kind=kind,
        title=title,
        description=(description or "").strip(),
        price=amount,
        currency=currency,
        delivery_days=delivery_days,
        revisions=revisions,
        starts_at=starts_at,
        ends_at=ends_at,
        location=location,
        min_credit_score=min_credit_score,
    )


@transaction.atomic
def listing_deactivate(*, listing: Listing, actor: User) -> Listing:
    """Take a listing off the market; existing orders go on."""
    if listing.owner_id != actor.pk and not actor.is_staff:
        raise PermissionDenied(_("Only the owner can withdraw this listing."))
    if listing.is_active:
        listing.is_active = False
        listing.save(update_fields=("is_active", "updated_at"))
    return listing


def listing_get_for_order(*, listing_id: Any) -> Listing:
    """The listing an order is being made on, locked; unknown or withdrawn listings are 404."""
    try:
        pk = int(listing_id)
    except (TypeError, ValueError):
        message = _("Unknown listing.")
        raise ValidationFailed(message, errors={"listing": [message]}) from None
    listing = Listing.objects.select_for_update(of=("self",)).select_related("owner").filter(pk=pk).first()
    if listing is None or not listing.is_active:
        message = _("Unknown listing.")
        raise ValidationFailed(message, code="unknown_listing", errors={"listing": [message]})
    return listing
