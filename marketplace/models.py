"""People and what they offer: users and listings; notifications; blocks and time away between people."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import text_render
from core.models import TimeStampedModel

CURRENCIES = [("EUR", "EUR"), ("USD", "USD"), ("GBP", "GBP"), ("CNY", "CNY"), ("BRL", "BRL")]


class User(AbstractUser):
    """One account: a client on some orders and a provider on others."""

    # Unique whatever its case (see Meta); stored with its domain in lower case. Blank only on
    # accounts whose address another, older account had (marketplace migration 0007).
    email = models.EmailField(_("email address"))
    # When the address was confirmed through the signed link sent to it; notifications are
    # e-mailed only to a confirmed address. A new address starts unconfirmed.
    email_verified_at = models.DateTimeField(_("e-mail address verified at"), null=True, blank=True)
    # The last verification e-mail: they go out at most once per EMAIL_VERIFICATION_RESEND_AFTER.
    email_verification_sent_at = models.DateTimeField(_("verification e-mail sent at"), null=True, blank=True)
    display_name = models.CharField(_("display name"), max_length=80, blank=True)
    bio = models.TextField(_("about"), blank=True)
    # What their pages and notifications are written in; blank: the site's default language.
    language = models.CharField(
        _("language"),
        max_length=16,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Pages, notifications and e-mails are in this language. Blank: the site's default."),
    )
    # Where they are: every time on their pages, notifications and e-mails is shown in it. Guessed
    # from the browser at sign-up or at their next log-in (core.timezones), editable in their
    # settings and through the API. Blank: not known yet (pages follow the browser, the rest the site).
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        help_text=_("Times on pages, in notifications and e-mails are shown in this zone."),
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        constraints = [
            # One account per address, whatever its case: notifications must reach their person.
            models.UniqueConstraint(
                Lower("email"),
                condition=~Q(email=""),
                name="user_email_unique_ci",
                violation_error_message=_("This e-mail address is already used by another account."),
            ),
        ]

    @property
    def public_name(self) -> str:
        return self.display_name or self.username

    @property
    def email_verified(self) -> bool:
        return bool(self.email) and self.email_verified_at is not None


class ListingKind(models.TextChoices):
    SERVICE = "service", _("Service (offered by a provider)")
    SHIFT = "shift", _("Shift (posted by a client)")


class ListingQuerySet(models.QuerySet):
    def active(self) -> ListingQuerySet:
        return self.filter(is_active=True)


class Listing(TimeStampedModel):
    """What can be ordered: a service a provider offers, or a shift a client posts."""

    kind = models.CharField(_("kind"), max_length=16, choices=ListingKind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="listings"
    )
    title = models.CharField(_("title"), max_length=140)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(
        _("price"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES, default="EUR")
    # service
    delivery_days = models.PositiveSmallIntegerField(
        _("delivery days"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(365)]
    )
    revisions = models.PositiveSmallIntegerField(
        _("revisions included"), null=True, blank=True, validators=[MaxValueValidator(20)]
    )
    # shift
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    min_credit_score = models.PositiveSmallIntegerField(
        _("minimum credit score"), null=True, blank=True, validators=[MaxValueValidator(100)]
    )
    # shift: how many workers it needs, each booking its own order; ``positions_taken`` counts the
    # places held (bookings being paid and live orders), kept by ``orders.services`` under this
    # row's lock
    positions = models.PositiveSmallIntegerField(
        _("places"), default=1, validators=[MinValueValidator(1), MaxValueValidator(500)]
    )
    positions_taken = models.PositiveSmallIntegerField(_("places taken"), default=0, editable=False)
    # shift: for its first hours (policy) only workers with a high credit score may book it
    early_access = models.BooleanField(
        _("early access for high credit scores"),
        default=False,
        help_text=_("For its first hours only workers at or above the policy's credit score may book it."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("listing")
        verbose_name_plural = _("listings")
        indexes = [models.Index(fields=("kind", "is_active", "-created_at"))]
        constraints = [
            models.CheckConstraint(condition=Q(price__gt=0), name="listing_price_positive"),
            models.CheckConstraint(
                condition=Q(kind="shift") | Q(delivery_days__isnull=False, revisions__isnull=False),
                name="listing_service_has_delivery_terms",
            ),
            models.CheckConstraint(
                condition=Q(kind="service")
                | Q(starts_at__isnull=False, ends_at__isnull=False, ends_at__gt=models.F("starts_at")),
                name="listing_shift_has_valid_times",
            ),
            models.CheckConstraint(
                condition=Q(min_credit_score__isnull=True) | Q(min_credit_score__lte=100),
                name="listing_min_credit_score_range",
            ),
            models.CheckConstraint(
                condition=Q(positions__gte=1) & Q(positions_taken__lte=models.F("positions")),
                name="listing_positions_not_overbooked",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_service(self) -> bool:
        return self.kind == ListingKind.SERVICE

    @property
    def is_shift(self) -> bool:
        return self.kind == ListingKind.SHIFT

    @property
    def positions_left(self) -> int | None:
        """Places still free on a shift (None for a service)."""
        return max(self.positions - self.positions_taken, 0) if self.is_shift else None


class Notification(models.Model):
    """An in-app notice to one user (also e-mailed), about something that happened on an order."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", db_index=False
    )  # leads the (user, read_at, -created_at) index
    kind = models.CharField(_("kind"), max_length=48)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # As first sent, in the recipient's language and time zone then.
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    # What the system wrote, as msgids with parameters (core.i18n.text_store): read in the reader's
    # language and zone of the moment. Blank for what a person wrote and for older notifications.
    title_stored = models.TextField(blank=True, editable=False)
    body_stored = models.TextField(blank=True, editable=False)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [models.Index(fields=("user", "read_at", "-created_at"))]

    def __str__(self) -> str:
        return self.title

    @property
    def title_text(self) -> str:
        """The title in the active language and time zone (as sent, when the system did not write it)."""
        return (text_render(self.title_stored) or self.title)[:200] if self.title_stored else self.title

    @property
    def body_text(self) -> str:
        return (text_render(self.body_stored) or self.body) if self.body_stored else self.body


# --- Around the order: blocks, availability ---------------------------------------------------


class BlockReason(models.TextChoices):
    ABUSIVE = "abusive", _("abusive or rude")
    SPAM = "spam", _("spam")
    OFF_PLATFORM_PAYMENT = "off_platform_payment", _("asked to pay outside Gigfair")
    NO_SHOW = "no_show", _("did not show up")
    OTHER = "other", _("something else")


class Block(models.Model):
    """``blocker`` will not deal with ``blocked``: no orders, bookings or messages either way.

    Unblocking keeps the row (with ``unblocked_at``), so staff can see the whole history.
    """

    blocker = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("blocked by"), on_delete=models.CASCADE, related_name="blocks_made"
    )
    blocked = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("blocked user"), on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=32, choices=BlockReason.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("blocked at"), default=timezone.now, editable=False)
    unblocked_at = models.DateTimeField(_("unblocked at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("block")
        verbose_name_plural = _("blocks")
        constraints = [
            models.UniqueConstraint(
                fields=("blocker", "blocked"),
                condition=Q(unblocked_at__isnull=True),
                name="block_one_active_per_pair",
            ),
            models.CheckConstraint(condition=~Q(blocker=models.F("blocked")), name="block_not_self"),
            models.CheckConstraint(condition=Q(reason__in=BlockReason.values), name="block_reason_known"),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} ⊘ {self.blocked}"

    @property
    def is_active(self) -> bool:
        return self.unblocked_at is None


class Availability(models.Model):
    """A provider's announced time away: unavailable from ``away_from`` until ``away_until``.

    Nothing is switched back by a job: a user is unavailable exactly while ``now`` falls in
    [away_from, away_until), so the return at the end is automatic. No row means available.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="availability"
    )
    away_from = models.DateTimeField(_("unavailable from"))
    away_until = models.DateTimeField(
        _("back on"), null=True, blank=True, help_text=_("Empty: until they switch back themselves.")
    )
    message = models.CharField(_("message to clients"), max_length=280, blank=True)
    updated_at = models.DateTimeField(_("announced at"), default=timezone.now)

    class Meta:
        verbose_name = _("availability")
        verbose_name_plural = _("availability")
        constraints = [
            models.CheckConstraint(
                condition=Q(away_until__isnull=True) | Q(away_until__gt=models.F("away_from")),
                name="availability_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    def is_away_at(self, at) -> bool:
        return self.away_from <= at and (self.away_until is None or at < self.away_until)

    @property
    def is_away(self) -> bool:
        """Unavailable right now."""
        return self.is_away_at(timezone.now())

    @property
    def is_over(self) -> bool:
        return self.away_until is not None and self.away_until <= timezone.now()


class Reputation(models.Model):
    """A person's published reviews in figures: count, sum and how many of each star.

    Kept by ``orders.reviews`` whenever what the public sees changes (a review published or
    removed), so profiles, listing pages and the browse ranking read one row instead of
    counting reviews.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="reputation"
    )
    rating_count = models.PositiveIntegerField(_("published reviews"), default=0)
    rating_sum = models.PositiveIntegerField(_("stars in all"), default=0)
    stars_1 = models.PositiveIntegerField(default=0)
    stars_2 = models.PositiveIntegerField(default=0)
    stars_3 = models.PositiveIntegerField(default=0)
    stars_4 = models.PositiveIntegerField(default=0)
    stars_5 = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("reputation")
        verbose_name_plural = _("reputations")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.average or '—'} ({self.rating_count})"

    @property
    def average(self) -> Decimal | None:
        if not self.rating_count:
            return None
        return (Decimal(self.rating_sum) / self.rating_count).quantize(Decimal("0.01"))

    @property
    def distribution(self) -> list[tuple[int, int]]:
        """``[(5, n), (4, n), … (1, n)]``: how many reviews gave each number of stars."""
        return [(stars, getattr(self, f"stars_{stars}")) for stars in (5, 4, 3, 2, 1)]
