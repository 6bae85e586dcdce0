"""The only code that writes marketplace data: accounts, listings, and the trust tools between
people (blocks, availability)."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.exceptions import Conflict, NotFound, PermissionDenied, TooManyRequests, ValidationFailed
from core.hooks import hook
from core.i18n import supported_language
from core.prepared import PreparedRead, columns, instance
from core.support import is_support
from core.text import text_clean
from core.timeutils import when_text
from core.timezones import valid_time_zone
from credit.eligibility import require_can_post
from credit.services import credit_accounts_open

from .models import (
    CURRENCIES,
    Availability,
    Block,
    BlockReason,
    Listing,
    ListingKind,
    Reputation,
    User,
)
from .selectors import availability_current, block_active_between
from .tasks import email_verification_email_task
from .verification import LinkExpired, LinkInvalid, email_verification_read, token_matches_address

EMAIL_TAKEN = gettext_lazy("This e-mail address is already used by another account.")


def email_normalise(email: str) -> str:
    """An address as it is stored: trimmed, its domain in lower case (compared without case anyway)."""
    return BaseUserManager.normalize_email((email or "").strip())


def _email_taken(email: str, *, other_than: User | None = None) -> bool:
    """Whether another account has ``email``, compared without case (as the unique constraint does)."""
    accounts = User.objects.alias(email_lower=Lower("email")).filter(email_lower=email.lower())
    if other_than is not None:
        accounts = accounts.exclude(pk=other_than.pk)
    return accounts.exists()


def _email_errors(email: str, *, other_than: User | None = None) -> list[str]:
    try:
        validate_email(email)
    except DjangoValidationError:
        return [_("Enter a valid e-mail address.")]
    if _email_taken(email, other_than=other_than):
        return [str(EMAIL_TAKEN)]
    return []


def _verification_email_schedule(user: User) -> None:
    """Send the verification link to ``user``'s address once the transaction has committed."""
    user_id, email = user.pk, user.email
    transaction.on_commit(lambda: email_verification_email_task.delay(user_id, email))


def user_create(
    *,
    username: str,
    email: str,
    password: str,
    display_name: str = "",
    language: str = "",
    time_zone: str = "",
    email_verified: bool = False,
) -> User:
    """Sign a person up; every problem is reported against its field.

    ``language`` is the one they signed up in: their pages and notifications keep it.
    ``time_zone`` is the one their browser is in (unknown: guessed at their first log-in). The address
    gets a verification link (notifications are e-mailed once it is confirmed), unless
    ``email_verified`` (demo accounts).
    """
    username = (username or "").strip()
    email = email_normalise(email)
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
    email_errors = _email_errors(email)
    if email_errors:
        errors["email"] = email_errors
    candidate = User(username=username, email=email)
    try:
        password_validation.validate_password(password or "", user=candidate)
    except DjangoValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    now = timezone.now()
    try:
        with transaction.atomic():
            user = User(
                username=username,
                email=email,
                display_name=display_name.strip(),
                language=supported_language(language),
                time_zone=valid_time_zone(time_zone),
                email_verified_at=now if email_verified else None,
                email_verification_sent_at=None if email_verified else now,
            )
            user.set_password(password)
            user.save()
            credit_accounts_open([user.pk])
    except IntegrityError as exc:  # lost a race for the same username or address
        if User.objects.filter(username__iexact=username).exists():
            message = _("A user with that username already exists.")
            raise ValidationFailed(message, errors={"username": [message]}) from exc
        raise ValidationFailed(str(EMAIL_TAKEN), errors={"email": [str(EMAIL_TAKEN)]}) from exc
    if not email_verified:
        _verification_email_schedule(user)
    return user


# --- E-mail addresses -------------------------------------------------------------------------


def _lock_user(user: User) -> User:
    return User.objects.select_for_update(of=("self",)).get(pk=user.pk)


def _require_verification_email_allowed(user: User, now: datetime) -> None:
    """At most one verification e-mail per account in EMAIL_VERIFICATION_RESEND_AFTER: no spamming an inbox."""
    last = user.email_verification_sent_at
    wait_until = last + settings.EMAIL_VERIFICATION_RESEND_AFTER if last else None
    if wait_until is not None and now < wait_until:
        seconds = math.ceil((wait_until - now).total_seconds())
        raise TooManyRequests(
            ngettext(
                "A verification e-mail was sent moments ago. You can ask for another in %(n)d second.",
                "A verification e-mail was sent moments ago. You can ask for another in %(n)d seconds.",
                seconds,
            )
            % {"n": seconds},
            code="verification_email_throttled",
            retry_after=seconds,
        )


@transaction.atomic
def user_email_change(*, user: User, email: str, by_staff: bool = False) -> User:
    """Give ``user`` a new address: unverified until its link is followed, which is e-mailed to it.

    Notifications are no longer e-mailed until then. The same address in another case only
    changes how it is written. A person changing their own address is held to the limit on
    verification e-mails (``by_staff`` is not).
    """
    email = email_normalise(email)
    errors = _email_errors(email, other_than=user)
    if errors:
        raise ValidationFailed(errors[0], errors={"email": errors})
    locked = _lock_user(user)
    if locked.email == email:
        return locked
    if locked.email.lower() == email.lower():
        locked.email = email
        locked.save(update_fields=("email",))
        return locked
    now = timezone.now()
    if not by_staff:
        _require_verification_email_allowed(locked, now)
    locked.email = email
    locked.email_verified_at = None
    locked.email_verification_sent_at = now
    try:
        with transaction.atomic():
            locked.save(update_fields=("email", "email_verified_at", "email_verification_sent_at"))
    except IntegrityError as exc:  # another account took it at the same moment
        raise ValidationFailed(str(EMAIL_TAKEN), errors={"email": [str(EMAIL_TAKEN)]}) from exc
    _verification_email_schedule(locked)
    return locked


@transaction.atomic
def user_email_verification_resend(*, user: User) -> User:
    """E-mail ``user`` a fresh verification link; 409 when there is nothing to verify, 429 when asked too often."""
    locked = _lock_user(user)
    if not locked.email:
        raise Conflict(_("Your account has no e-mail address: enter one first."), code="email_missing")
    if locked.email_verified_at is not None:
        raise Conflict(_("Your e-mail address is already verified."), code="email_already_verified")
    now = timezone.now()
    _require_verification_email_allowed(locked, now)
    locked.email_verification_sent_at = now
    locked.save(update_fields=("email_verification_sent_at",))
    _verification_email_schedule(locked)
    return locked


def email_verification_user(*, token: str, lock: bool = False) -> User:
    """The account a verification link is for, if the link is still good for its address now.

    Refusals name what is wrong: the link expired (ask for a new one), was for an earlier
    address of the account, or is not a link of ours at all. ``lock`` locks the account's row
    (inside a transaction), so the address cannot change between this check and a write.
    """
    try:
        user_id, digest = email_verification_read(token)
    except LinkExpired:
        raise ValidationFailed(
            _("This verification link has expired. Log in and ask for a new one."), code="verification_link_expired"
        ) from None
    except LinkInvalid:
        user_id, digest = None, ""
    accounts = User.objects.select_for_update(of=("self",)) if lock else User.objects.all()
    user = accounts.filter(pk=user_id).first() if user_id is not None else None
    if user is None or not user.is_active:
        raise ValidationFailed(
            _("This verification link is not valid. Check that you copied all of it."),
            code="verification_link_invalid",
        )
    if not token_matches_address(digest, user.email):
        raise ValidationFailed(
            _("This link was sent to an earlier e-mail address of this account. Use the link sent to the current one."),
            code="verification_link_superseded",
        )
    return user


@transaction.atomic
def user_email_verify(*, token: str) -> User:
    """Mark the address a verification link was sent to as verified (once; later uses change nothing)."""
    user = email_verification_user(token=token, lock=True)
    if user.email_verified_at is None:
        user.email_verified_at = timezone.now()
        user.save(update_fields=("email_verified_at",))
    return user


@transaction.atomic
def user_email_mark_verified(*, user: User) -> bool:
    """Support confirms ``user``'s address by hand; returns False when there was nothing to do."""
    locked = _lock_user(user)
    if not locked.email or locked.email_verified_at is not None:
        return False
    locked.email_verified_at = timezone.now()
    locked.save(update_fields=("email_verified_at",))
    return True


def user_language_set(*, user: User, language: str) -> User:
    """Remember the language ``user`` reads Gigfair in: their pages on any device, their notifications and e-mails."""
    code = supported_language(language)
    if not code:
        message = _("Choose one of the site's languages.")
        raise ValidationFailed(message, errors={"language": [message]})
    if user.language != code:
        user.language = code
        user.save(update_fields=("language",))
    return user


def user_time_zone_set(*, user: User, time_zone: str) -> User:
    """Remember where ``user`` is: every time on their pages, notifications and e-mails is shown in
    ``time_zone`` (an IANA name such as ``Asia/Shanghai``)."""
    name = valid_time_zone((time_zone or "").strip())
    if not name:
        message = _("Choose a time zone by its IANA name, such as Europe/Amsterdam or Asia/Shanghai.")
        raise ValidationFailed(message, errors={"time_zone": [message]})
    if user.time_zone != name:
        user.time_zone = name
        user.save(update_fields=("time_zone",))
    return user


def user_time_zone_on_login(*, user: User, browser_time_zone: str | None) -> None:
    """A user whose zone is not known yet takes the zone of the browser they log in on."""
    if not valid_time_zone(user.time_zone) and valid_time_zone(browser_time_zone):
        user_time_zone_set(user=user, time_zone=browser_time_zone)


def user_language_on_login(*, user: User, browser_language: str | None) -> str:
    """The language a browser switches to as ``user`` logs in on it: their stored one.

    A user who has none yet keeps the language this browser chose, as their own; "" then
    (nothing to switch).
    """
    stored = supported_language(user.language)
    if stored:
        return stored
    chosen = supported_language(browser_language)
    if chosen:
        user_language_set(user=user, language=chosen)
    return ""


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
    early_access: bool = False,
    positions: int = 1,
) -> Listing:
    """Publish a service (offered by ``owner``) or a shift (posted by ``owner`` as client).

    A shift posted with ``early_access`` is bookable for its first hours only by workers at or
    above the policy's credit score (``orders.services.order_create`` checks it)."""
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
    if early_access and kind != ListingKind.SHIFT:
        errors["early_access"] = [_("Early access is for shifts.")]
    if positions is None:
        positions = 1
    if kind == ListingKind.SHIFT and not 1 <= positions <= 500:
        errors["positions"] = [_("A shift has between 1 and 500 places.")]
    elif kind != ListingKind.SHIFT and positions != 1:
        errors["positions"] = [_("A service has no places to fill: leave it at 1.")]
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
        early_access=bool(early_access),
        positions=positions,
    )


@transaction.atomic
def listing_deactivate(*, listing: Listing, actor: User) -> Listing:
    """Take a listing off the market; existing orders go on."""
    if listing.owner_id != actor.pk and not is_support(actor, "marketplace.change_listing"):
        raise PermissionDenied(_("Only the owner can withdraw this listing."))
    if listing.is_active:
        listing.is_active = False
        listing.save(update_fields=("is_active", "updated_at"))
    return listing


# FOR NO KEY UPDATE: orders of one listing take turns, yet nothing that merely points at the
# listing waits for it. Recording a paid booking inserts its order (a FOR KEY SHARE check of the
# listing) while holding the pair lock the next booking waits for with the listing locked: with
# FOR UPDATE the two deadlocked, and the last place of a shift could end with no winner.
_listing_locked = PreparedRead(
    lambda pk: (
        Listing.objects.select_for_update(of=("self",), no_key=True)
        .filter(pk=pk)
        .values_list(*columns(Listing), *columns(User, "owner__"))
    ),
    "pk",
)


def listing_get_for_order(*, listing_id: Any) -> Listing:
    """The listing an order is being made on, locked; unknown or withdrawn listings are 404."""
    try:
        pk = int(listing_id)
    except (TypeError, ValueError):
        message = _("Unknown listing.")
        raise ValidationFailed(message, errors={"listing": [message]}) from None
    rows = _listing_locked(pk=pk)
    listing = instance(Listing, rows[0]) if rows else None
    if listing is not None:
        listing.owner = instance(User, rows[0], "owner__")
    if listing is None or not listing.is_active:
        message = _("Unknown listing.")
        raise ValidationFailed(message, code="unknown_listing", errors={"listing": [message]})
    return listing


# --- Between people: shared helpers -----------------------------------------------------

NOTE_MAX = 2000


# Prepared (compiled once per process): every order, booking and message takes this lock.
_pair_locked = PreparedRead(
    lambda low, high: User.objects.select_for_update().filter(pk__in=(low, high)).order_by("pk").values_list("pk"),
    "low",
    "high",
)


def _lock_pair(a: User, b: User) -> None:
    """Lock both users' rows, lowest id first: a block and an order between them take turns."""
    _pair_locked(low=min(a.pk, b.pk), high=max(a.pk, b.pk))


# --- Blocking -------------------------------------------------------------------------------


def require_not_blocked(*, actor: User, other: User) -> None:
    """Refuse an order, booking or message between two users when either has blocked the other.

    Call it inside the transaction that makes the order or message: it locks both users first,
    so a block made at the same moment waits for it and then sees the open order.
    """
    _lock_pair(actor, other)
    block = block_active_between(actor, other)
    if block is None:
        return
    if block.blocker_id == actor.pk:
        message = _("You have blocked %(name)s. Unblock them on their profile to deal with them again.")
    else:
        message = _("%(name)s has blocked you: you cannot order from, book with or message them.")
    raise PermissionDenied(message % {"name": other.public_name}, code="blocked")


@transaction.atomic
def block_create(*, blocker: User, blocked: User, reason: str, note: str = "") -> Block:
    """Block ``blocked``: from now on neither can order from, book with or message the other."""
    if blocked.pk == blocker.pk:
        message = _("You cannot block yourself.")
        raise ValidationFailed(message, code="block_self", errors={"user": [message]})
    if reason not in BlockReason.values:
        message = _("Choose a reason from the list.")
        raise ValidationFailed(message, errors={"reason": [message]})
    note = text_clean(note, field="note", limit=NOTE_MAX)
    _lock_pair(blocker, blocked)
    if block_active_between(blocker, blocked, by=blocker) is not None:
        raise Conflict(_("You have already blocked %(name)s.") % {"name": blocked.public_name}, code="already_blocked")
    open_ids = hook("open_order_ids_between")(blocker, blocked)
    if open_ids:
        raise Conflict(
            _(
                "You cannot block %(name)s while an order between you is open (%(orders)s). Complete or cancel "
                "it first; until then, report messages to support if something is wrong."
            )
            % {"name": blocked.public_name, "orders": ", ".join(f"#{pk}" for pk in open_ids)},
            code="open_order",
            extra={"orders": open_ids},
        )
    try:
        with transaction.atomic():
            return Block.objects.create(blocker=blocker, blocked=blocked, reason=reason, note=note)
    except IntegrityError:  # the same block made twice at once (the pair lock makes this rare)
        raise Conflict(
            _("You have already blocked %(name)s.") % {"name": blocked.public_name}, code="already_blocked"
        ) from None


@transaction.atomic
def block_lift(*, block: Block, actor: User) -> Block:
    """Unblock: the two can deal with each other again. The block stays in the history."""
    block = Block.objects.select_for_update().select_related("blocked").filter(pk=block.pk).first()
    if block is None or block.blocker_id != actor.pk:
        raise NotFound(_("No such block."))
    if block.unblocked_at is None:
        block.unblocked_at = timezone.now()
        block.save(update_fields=("unblocked_at",))
    return block


# --- Availability ---------------------------------------------------------------------------

AVAILABILITY_MESSAGE_MAX = 280


@transaction.atomic
def availability_set(
    *, user: User, away_from: datetime | None = None, away_until: datetime | None = None, message: str = ""
) -> Availability:
    """Announce time away: from ``away_from`` (default now) until ``away_until`` (default: until switched back).

    Replaces any earlier announcement. Nothing needs to run at the end: the user is simply
    available again once ``away_until`` has passed.
    """
    now = timezone.now()
    start = away_from or now
    errors: dict[str, list[str]] = {}
    if away_until is not None:
        if away_until <= start:
            errors["away_until"] = [_("The return must come after the start.")]
        elif away_until <= now:
            errors["away_until"] = [_("This time away is already over: choose a return in the future.")]
    message = (message or "").strip()
    if len(message) > AVAILABILITY_MESSAGE_MAX:
        errors["message"] = [_("At most %(n)d characters.") % {"n": AVAILABILITY_MESSAGE_MAX}]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], errors=errors)
    availability, _created = Availability.objects.update_or_create(
        user=user, defaults={"away_from": start, "away_until": away_until, "message": message, "updated_at": now}
    )
    _requests_reschedule(user, now)
    return availability


@transaction.atomic
def availability_clear(*, user: User) -> None:
    """Available again from now: the announcement (current or planned) is withdrawn."""
    Availability.objects.filter(user=user).delete()
    _requests_reschedule(user, timezone.now())


def _requests_reschedule(user: User, now: datetime) -> None:
    """Time away pauses the answer windows of requests sent to the user: the disputes app re-counts them."""
    hook("provider_availability_changed")(provider=user, now=now)


def _away_message(availability: Availability) -> str:
    if availability.away_until is not None:
        text = _("%(name)s is unavailable until %(until)s and takes no new orders until then.") % {
            "name": availability.user.public_name,
            "until": when_text(availability.away_until),
        }
    else:
        text = _("%(name)s is unavailable until further notice and takes no new orders.") % {
            "name": availability.user.public_name
        }
    if availability.message:
        text = f"{text} “{availability.message}”"
    return text


def require_available(*, listing: Listing, actor: User) -> None:
    """Refuse a new order while the listing's owner, or the worker booking a shift, is away.

    The refusal names the announced message and return date (``unavailable_until``).
    """
    owner_away = availability_current(user=listing.owner)
    if owner_away is not None:
        code = "provider_unavailable" if listing.is_service else "client_unavailable"
        until = owner_away.away_until.isoformat() if owner_away.away_until else None
        raise Conflict(_away_message(owner_away), code=code, extra={"unavailable_until": until})
    if listing.is_shift:
        own = availability_current(user=actor)
        if own is not None:
            if own.away_until is not None:
                message = _(
                    "You announced that you are unavailable until %(until)s, so you cannot book shifts now. "
                    "Switch back to available on your availability page first."
                ) % {"until": when_text(own.away_until)}
            else:
                message = _(
                    "You announced that you are unavailable, so you cannot book shifts now. Switch back to "
                    "available on your availability page first."
                )
            until = own.away_until.isoformat() if own.away_until else None
            raise Conflict(message, code="provider_unavailable", extra={"unavailable_until": until})


# --- Reputation -------------------------------------------------------------------------------


def reputation_set(*, user_id: int, stars: dict[int, int], at: datetime | None = None) -> Reputation:
    """Store ``user_id``'s published reviews in figures: ``stars`` is how many gave 1…5 stars
    (``orders.reviews`` counts them whenever a review is published or removed)."""
    counts = {n: int(stars.get(n, 0)) for n in range(1, 6)}
    values = {f"stars_{n}": counts[n] for n in counts}
    values |= {
        "rating_count": sum(counts.values()),
        "rating_sum": sum(n * count for n, count in counts.items()),
        "updated_at": at or timezone.now(),
    }
    reputation, _created = Reputation.objects.update_or_create(user_id=user_id, defaults=values)
    return reputation
