"""Orders as state machines, the policy they were made under, the money ledger and the order's message thread."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from core.models import ActorRole, EvidenceModel, TimeStampedModel, TransitionLog
from core.timeutils import shifted
from core.uploads import stored_name
from marketplace.models import CURRENCIES, ListingKind

CENT = Decimal("0.01")


def money(value: Decimal) -> Decimal:
    """Round an amount to cents, half up, as every money figure in Gigfair is."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def platform_fee(price: Decimal, fee_percent: Decimal) -> Decimal:
    """The platform's fee on a price: what an order's release keeps back (and the wallet leaves out of pending)."""
    return money(price * fee_percent / 100)


def default_client_side_reasons() -> list[str]:
    """The cancellation reasons a policy counts as the client's side unless staff choose others."""
    return [CancelReason.CLIENT_CHANGED_DEMAND.value]


def validate_person_reasons(value) -> None:
    """A list of codes from the cancellation taxonomy a person can choose (no repeats)."""
    codes = dict(PERSON_REASONS)
    if not isinstance(value, list) or any(code not in codes for code in value) or len(set(value)) != len(value):
        raise ValidationError(
            _("Choose reasons from the cancellation taxonomy: %(list)s."),
            code="invalid",
            params={"list": ", ".join(codes)},
        )


class Policy(models.Model):
    """The rules in force: a numbered version, never edited once orders were made under it.

    Staff change the rules by saving a new version; every order keeps the version it was made
    under. The defaults (version 1) come from a data migration.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    name = models.CharField(_("name"), max_length=120, default="Gigfair standard terms")
    platform_fee_percent = models.DecimalField(
        _("platform fee %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )
    service_auto_complete_hours = models.PositiveIntegerField(
        _("service auto-complete after delivery (hours)"), default=72
    )
    shift_auto_complete_hours = models.PositiveIntegerField(_("shift auto-complete after its end (hours)"), default=24)
    check_in_opens_minutes = models.PositiveIntegerField(_("check-in opens before start (minutes)"), default=120)
    late_grace_hours = models.PositiveIntegerField(_("force-cancel allowed this long past due (hours)"), default=24)
    no_show_minutes = models.PositiveIntegerField(_("no-show after start (minutes)"), default=60)
    requirements_timeout_days = models.PositiveIntegerField(
        _("close orders without requirements after (days)"), default=14
    )
    refund_settlement_business_days = models.PositiveSmallIntegerField(
        _("refunds settle after (business days)"), default=3, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    quote_valid_minutes = models.PositiveSmallIntegerField(
        _("a cancellation quote is valid for (minutes)"), default=15, validators=[MinValueValidator(1)]
    )
    # Resolution Center, support cases and after-sales tickets.
    request_window_hours = models.PositiveSmallIntegerField(
        _("time to answer a resolution request (hours)"), default=48, validators=[MinValueValidator(1)]
    )
    request_reminder_hours = models.PositiveSmallIntegerField(
        _("reminder before the answer window ends (hours)"), default=12
    )
    windows_in_business_days = models.BooleanField(
        _("count answer windows in business days"),
        default=False,
        help_text=_("Weekends do not count: a 48 h window opened on Friday evening ends on Tuesday evening."),
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("an extension moves the due date by at most (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_(
            "Counted from the current due date. An extension request left unanswered is accepted automatically, "
            "so this keeps it from locking the client out of cancelling."
        ),
    )
    case_first_response_hours = models.PositiveSmallIntegerField(
        _("support: first response within (hours)"), default=24
    )
    case_ruling_hours = models.PositiveSmallIntegerField(_("support: ruling within (hours)"), default=72)
    case_info_hours = models.PositiveSmallIntegerField(_("support: time to send asked information (hours)"), default=72)
    after_sales_days = models.PositiveSmallIntegerField(
        _("after-sales tickets within (days of completion)"), default=14
    )
    penalty_appeal_days = models.PositiveSmallIntegerField(
        _("a penalty nobody ruled on can be appealed within (days)"), default=14, validators=[MinValueValidator(1)]
    )
    ticket_confirm_hours = models.PositiveSmallIntegerField(
        _("after-sales: time to answer a ticket's cancellation (hours)"),
        default=48,
        validators=[MinValueValidator(1)],
        help_text=_("Without an answer the cancellation is confirmed; in processing a support agent decides it."),
    )
    ticket_escalation_days = models.PositiveSmallIntegerField(
        _("after-sales: a rejected ticket can go to support within (days)"), default=7
    )
    # Credit and completion rate (the newest version applies to everyone).
    completion_window_days = models.PositiveSmallIntegerField(
        _("completion rate window (days)"), default=60, validators=[MinValueValidator(1)]
    )
    completion_prior_orders = models.PositiveSmallIntegerField(
        _("smoothing: count every provider as starting with this many completed orders"), default=5
    )
    level_min_completion_percent = models.DecimalField(
        _("seller levels need a completion rate of at least (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("90"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    level_one_min_completed = models.PositiveSmallIntegerField(_("level one: completed orders in window"), default=5)
    level_two_min_completed = models.PositiveSmallIntegerField(_("level two: completed orders in window"), default=20)
    level_two_min_score = models.PositiveSmallIntegerField(
        _("level two: minimum credit score"), default=90, validators=[MaxValueValidator(100)]
    )
    min_provider_score = models.PositiveSmallIntegerField(
        _("providers below this credit score take no new orders"), default=60, validators=[MaxValueValidator(100)]
    )
    completed_order_credit = models.PositiveSmallIntegerField(_("credit for a completed order"), default=1)
    mutual_reorder_days = models.PositiveSmallIntegerField(
        _("a mutual cancellation does not count if the client re-orders within (days)"), default=14
    )
    client_side_cancel_reasons = models.JSONField(
        _("cancellation reasons on the client's side"),
        default=default_client_side_reasons,
        blank=True,
        validators=[validate_person_reasons],
        help_text=_(
            "A cancel request the client opens with one of these reasons and the provider accepts (or leaves "
            "unanswered, so it is accepted automatically) counts neither against the provider's completion "
            "rate nor as a complaint."
        ),
    )
    complaints_to_suspend = models.PositiveSmallIntegerField(
        _("complaints within the window that suspend order-taking"), default=3, validators=[MinValueValidator(1)]
    )
    client_faults_to_restrict = models.PositiveSmallIntegerField(
        _("client-responsible rulings within the window that remove the right to post"),
        default=2,
        validators=[MinValueValidator(1)],
    )
    # Reputation
    review_window_days = models.PositiveSmallIntegerField(
        _("reviews: either party may review within (days of completion)"),
        default=14,
        validators=[MinValueValidator(1)],
    )
    review_reminder_days = models.PositiveSmallIntegerField(
        _("reviews: remind who has not reviewed (days before the window closes)"), default=3
    )
    early_access_hours = models.PositiveSmallIntegerField(
        _("early access: a shift posted with it opens to everyone after (hours)"), default=24
    )
    waitlist_offer_minutes = models.PositiveSmallIntegerField(
        _("shifts: a place opened is kept for the next worker waiting for (minutes)"),
        default=60,
        validators=[MinValueValidator(1)],
    )
    shift_confirmation_required = models.BooleanField(
        _("shifts: workers confirm they will come"),
        default=False,
        help_text=_(
            "Asked the first-confirmation hours before the start; a shift not confirmed by the release hours "
            "before it goes to the waitlist and counts as the worker's cancellation at that moment."
        ),
    )
    shift_confirm_ask_hours = models.PositiveSmallIntegerField(
        _("shifts: ask for confirmation (hours before the start)"), default=48
    )
    shift_confirm_release_hours = models.PositiveSmallIntegerField(
        _("shifts: release an unconfirmed place (hours before the start)"), default=16
    )
    booking_undo_minutes = models.PositiveSmallIntegerField(
        _("shifts: a booking can be undone free within (minutes)"), default=5
    )
    shift_first_reminder_hours = models.PositiveSmallIntegerField(
        _("shifts: first reminder (hours before the start)"), default=24
    )
    shift_last_reminder_hours = models.PositiveSmallIntegerField(
        _("shifts: last reminder (hours before the start)"), default=2
    )
    early_access_min_score = models.PositiveSmallIntegerField(
        _("early access: credit score a worker needs before then"), default=90, validators=[MaxValueValidator(100)]
    )
    clearance_days = models.PositiveSmallIntegerField(
        _("money out: days earnings clear before they can be paid out"),
        default=7,
        help_text=_("Released money waits this long (protection against after-sales refunds) before it is available."),
    )
    payout_min_amount = models.DecimalField(
        _("money out: smallest payout"), max_digits=12, decimal_places=2, default=Decimal("10.00")
    )
    payout_daily_limit = models.DecimalField(
        _("money out: most paid out per person and currency in 24 hours"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("2000.00"),
    )
    deposit_below_score = models.PositiveSmallIntegerField(
        _("deposits: required from workers with a credit score under"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(101)],
        help_text=_(
            "Empty: no deposits. A worker under this score puts down a deposit before booking a shift "
            "priced above the value below."
        ),
    )
    deposit_above_price = models.DecimalField(
        _("deposits: for shifts priced above"), max_digits=12, decimal_places=2, default=Decimal("100.00")
    )
    deposit_amount = models.DecimalField(
        _("deposits: amount held"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("50.00"),
        help_text=_("Cancellation fees of the worker's late cancellations are taken from it first."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("-version",)
        verbose_name = _("policy version")
        verbose_name_plural = _("policy versions")
        constraints = [
            models.CheckConstraint(
                condition=Q(platform_fee_percent__gte=0, platform_fee_percent__lte=100), name="policy_fee_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} — {self.name}"


class Fault(models.TextChoices):
    CLIENT = "client", _("client responsible")
    PROVIDER = "provider", _("provider responsible")
    FORCE_MAJEURE = "force_majeure", _("force majeure")
    NONE = "none", _("no one")


class CreditParty(models.TextChoices):
    NOBODY = "", _("nobody")
    CLIENT = "client", _("client")
    PROVIDER = "provider", _("provider")


class CancellationPath(models.TextChoices):
    CLIENT_AWAITING_REQUIREMENTS = "client_awaiting_requirements", _("client cancels before requirements")
    CLIENT_FORCE_LATE = "client_force_late", _("client force-cancels a late order")
    CLIENT_SHIFT = "client_shift", _("client cancels a booked shift")
    PROVIDER_SHIFT = "provider_shift", _("provider cancels a booked shift")
    NO_SHOW = "no_show", _("no-show (system)")
    REQUIREMENTS_TIMEOUT = "requirements_timeout", _("no requirements in time (system)")
    MUTUAL = "mutual", _("mutual agreement")
    RULING_CLIENT = "ruling_client_responsible", _("support ruling: client responsible")
    RULING_PROVIDER = "ruling_provider_responsible", _("support ruling: provider responsible")
    RULING_FORCE_MAJEURE = "ruling_force_majeure", _("support ruling: force majeure")
    RULING_NONE = "ruling_none", _("support ruling: no fault")


# A claim with proof cancels the order at once and leaves the consequences to support: no rule
# of the policy applies to it, so it is a path of cancellations only, never of a rule.
CLAIM_PATH = "claim"
CANCELLATION_PATHS = [*CancellationPath.choices, (CLAIM_PATH, _("claim with proof (support decides)"))]


class CancellationRule(models.Model):
    """One row of a policy's cancellation table (a path, or one time tier of it)."""

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="rules")
    path = models.CharField(_("path"), max_length=40, choices=CancellationPath.choices)
    label = models.CharField(_("tier"), max_length=80, blank=True)
    min_hours_before_start = models.DecimalField(
        _("applies from (hours before start)"),
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Shift tiers: the tier holds while at least this many hours remain; empty = the last tier."),
    )
    client_refund_percent = models.DecimalField(
        _("refund to client %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("100"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provider_compensation_percent = models.DecimalField(
        _("compensation to provider %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    provider_fee_percent = models.DecimalField(
        _("fee charged to provider %"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    credit_delta = models.SmallIntegerField(
        _("credit change"), default=0, validators=[MinValueValidator(-100), MaxValueValidator(100)]
    )
    credit_party = models.CharField(_("credit change for"), max_length=16, choices=CreditParty.choices, blank=True)
    counts_against_completion_rate = models.BooleanField(_("counts against completion rate"), default=False)
    counts_as_complaint = models.BooleanField(_("counts as a complaint"), default=False)
    fault = models.CharField(_("fault"), max_length=16, choices=Fault.choices, default=Fault.NONE)

    class Meta:
        ordering = ("policy", "path", "-min_hours_before_start")
        verbose_name = _("cancellation rule")
        verbose_name_plural = _("cancellation rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(client_refund_percent__gte=0)
                & Q(provider_compensation_percent__gte=0)
                & Q(provider_fee_percent__gte=0, provider_fee_percent__lte=100),
                name="rule_percents_non_negative",
            ),
            models.UniqueConstraint(fields=("policy", "path", "min_hours_before_start"), name="rule_unique_tier"),
        ]

    def __str__(self) -> str:
        return f"{self.get_path_display()} — {self.label}" if self.label else self.get_path_display()


class OrderState(models.TextChoices):
    AWAITING_REQUIREMENTS = "awaiting_requirements", _("awaiting requirements")
    IN_PROGRESS = "in_progress", _("in progress")
    LATE = "late", _("late")
    DELIVERED = "delivered", _("delivered")
    BOOKED = "booked", _("booked")
    CHECKED_IN = "checked_in", _("checked in")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")


OPEN_STATES = (
    OrderState.AWAITING_REQUIREMENTS,
    OrderState.IN_PROGRESS,
    OrderState.LATE,
    OrderState.DELIVERED,
    OrderState.BOOKED,
    OrderState.CHECKED_IN,
)
CLOSED_STATES = (OrderState.COMPLETED, OrderState.CANCELLED)


class Order(FSMModelMixin, TimeStampedModel):
    """One piece of work between a client and a provider, at a price held in escrow."""

    kind = models.CharField(_("kind"), max_length=16, choices=ListingKind.choices)
    listing = models.ForeignKey(
        "marketplace.Listing", verbose_name=_("listing"), on_delete=models.PROTECT, related_name="orders"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("client"),
        on_delete=models.PROTECT,
        related_name="orders_as_client",
        db_index=False,  # order_client_newest_idx leads with it
    )
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("provider"),
        on_delete=models.PROTECT,
        related_name="orders_as_provider",
        db_index=False,  # order_provider_newest_idx leads with it
    )
    state = FSMField(
        _("state"), max_length=32, choices=OrderState.choices, protected=True
    )  # indexed by the (state, …) pairs below
    policy = models.ForeignKey(Policy, verbose_name=_("policy version"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=140)
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCIES)
    # service
    requirements = models.TextField(_("requirements"), blank=True)
    requirements_submitted_at = models.DateTimeField(_("requirements received"), null=True, blank=True)
    delivery_days = models.PositiveSmallIntegerField(_("delivery days"), null=True, blank=True)
    due_at = models.DateTimeField(_("due"), null=True, blank=True, db_index=True)
    revisions_allowed = models.PositiveSmallIntegerField(_("revisions allowed"), default=0)
    revisions_used = models.PositiveSmallIntegerField(_("revisions used"), default=0)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # shift
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    confirmation_asked_at = models.DateTimeField(_("confirmation asked at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("worker confirmed at"), null=True, blank=True)
    # The shift reminders sent (``orders.jobs.send_shift_reminders``), once each.
    first_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_reminder_at = models.DateTimeField(null=True, blank=True, editable=False)
    # The worker declined the employer's changed hours or pay (a ``change_terms`` request of the
    # Resolution Center): from then on they may leave the shift free of any consequence.
    terms_declined_at = models.DateTimeField(_("changed terms declined at"), null=True, blank=True)
    # both
    auto_complete_at = models.DateTimeField(_("completes itself at"), null=True, blank=True, db_index=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    history = GenericRelation(TransitionLog, related_query_name="order")

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=("state", "auto_complete_at"), name="order_state_autocomplete_idx"),
            # The clock-driven sweeps: late (due_at), no-shows (starts_at), abandoned (created_at).
            models.Index(fields=("state", "due_at"), name="order_state_due_idx"),
            models.Index(fields=("state", "starts_at"), name="order_state_starts_idx"),
            models.Index(fields=("state", "created_at"), name="order_state_created_idx"),
            # A person's orders newest first, ties by id: the keyset of the API's list, read in index order.
            models.Index(fields=("client", "-created_at", "-id"), name="order_client_newest_idx"),
            models.Index(fields=("provider", "-created_at", "-id"), name="order_provider_newest_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(client=models.F("provider")), name="order_parties_differ"),
            models.CheckConstraint(condition=Q(price__gt=0), name="order_price_positive"),
            models.CheckConstraint(
                condition=Q(revisions_used__lte=models.F("revisions_allowed")), name="order_revisions_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    @property
    def is_service(self) -> bool:
        return self.kind == ListingKind.SERVICE

    @property
    def is_shift(self) -> bool:
        return self.kind == ListingKind.SHIFT

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def revisions_left(self) -> int:
        return self.revisions_allowed - self.revisions_used

    @property
    def platform_fee(self) -> Decimal:
        return platform_fee(self.price, self.policy.platform_fee_percent)

    def role_of(self, user) -> str | None:
        """``"client"``, ``"provider"`` or None: the role belongs to the order, not the user."""
        if user is None or not user.is_authenticated:
            return None
        if user.pk == self.client_id:
            return "client"
        if user.pk == self.provider_id:
            return "provider"
        return None

    # --- transitions: pure, they set only this model's own fields -------------------------

    def has_revisions_left(self) -> bool:
        return self.revisions_used < self.revisions_allowed

    @property
    def hours_booked(self) -> Decimal | None:
        """A shift's length as booked, in hours (two decimals)."""
        if self.starts_at is None or self.ends_at is None:
            return None
        return (Decimal((self.ends_at - self.starts_at).total_seconds()) / 3600).quantize(Decimal("0.01"))

    @property
    def hours_worked(self) -> Decimal | None:
        """From the later of check-in and the start to check-out, in hours (None before check-out)."""
        if self.checked_out_at is None or self.checked_in_at is None:
            return None
        began = max(self.checked_in_at, self.starts_at) if self.starts_at else self.checked_in_at
        seconds = max((self.checked_out_at - began).total_seconds(), 0)
        return (Decimal(seconds) / 3600).quantize(Decimal("0.01"))

    def check_in_is_open(self) -> bool:
        opens = shifted(self.starts_at, -timedelta(minutes=self.policy.check_in_opens_minutes))
        return opens <= timezone.now() < self.ends_at

    @transition(field=state, source=OrderState.AWAITING_REQUIREMENTS, target=OrderState.IN_PROGRESS)
    def submit_requirements(self, *, requirements: str, at) -> None:
        self.requirements = requirements
        self.requirements_submitted_at = at
        self.due_at = at + timedelta(days=self.delivery_days)

    @transition(field=state, source=(OrderState.IN_PROGRESS, OrderState.LATE), target=OrderState.DELIVERED)
    def deliver(self, *, at) -> None:
        self.delivered_at = at
        self.auto_complete_at = at + timedelta(hours=self.policy.service_auto_complete_hours)

    @transition(
        field=state, source=OrderState.DELIVERED, target=OrderState.IN_PROGRESS, conditions=[has_revisions_left]
    )
    def request_revision(self, *, at) -> None:
        self.revisions_used += 1
        self.auto_complete_at = None
        # The provider gets the listing's delivery time again, never less than first promised.
        self.due_at = max(self.due_at, at + timedelta(days=self.delivery_days))

    @transition(field=state, source=OrderState.DELIVERED, target=OrderState.COMPLETED)
    def accept_delivery(self, *, at) -> None:
        self.completed_at = at
        self.auto_complete_at = None

    @transition(field=state, source=OrderState.BOOKED, target=OrderState.CHECKED_IN, conditions=[check_in_is_open])
    def check_in(self, *, at) -> None:
        self.checked_in_at = at
        self.auto_complete_at = shifted(self.ends_at, timedelta(hours=self.policy.shift_auto_complete_hours))

    @transition(field=state, source=OrderState.CHECKED_IN, target=OrderState.COMPLETED)
    def complete(self, *, at) -> None:
        self.completed_at = at
        self.auto_complete_at = None

    @transition(field=state, source=(OrderState.DELIVERED, OrderState.CHECKED_IN), target=OrderState.COMPLETED)
    def auto_complete(self, *, at) -> None:
        self.completed_at = at
        self.auto_complete_at = None

    @transition(field=state, source=OrderState.IN_PROGRESS, target=OrderState.LATE)
    def mark_late(self) -> None:
        pass

    @transition(field=state, source=(OrderState.IN_PROGRESS, OrderState.LATE), target=OrderState.IN_PROGRESS)
    def extend_delivery(self, *, new_due_at) -> None:
        """An agreed extension: the new due date, and a late order is on time again."""
        self.due_at = new_due_at

    @transition(field=state, source=OPEN_STATES, target=OrderState.CANCELLED)
    def cancel(self, *, at) -> None:
        self.cancelled_at = at
        self.auto_complete_at = None


class Delivery(TimeStampedModel):
    """What a provider handed over: a message and optional files, kept as evidence."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="deliveries")
    message = models.TextField(_("message"))
    revision_request = models.TextField(_("revision asked for"), blank=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"Delivery {self.pk} on order {self.order_id}"


def delivery_file_path(instance: DeliveryFile, filename: str) -> str:
    """Where a delivered file is stored: a random name, never the uploader's (that is kept in ``name``)."""
    return stored_name("deliveries", instance.content_type)


class DeliveryFile(models.Model):
    """A delivered file; served only to the order's parties and support (``delivery_file_get_for``)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="files")
    file = models.FileField(_("file"), upload_to=delivery_file_path)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    def __str__(self) -> str:
        return self.name


# --- Money --------------------------------------------------------------------------------


class PaymentStatus(models.TextChoices):
    SUCCEEDED = "succeeded", _("succeeded")
    FAILED = "failed", _("failed")


class Payment(TimeStampedModel):
    """A charge of the client through the payment gateway, held in escrow for the order."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    gateway = models.CharField(_("gateway"), max_length=64)
    reference = models.CharField(_("gateway reference"), max_length=128, unique=True)
    method = models.CharField(_("payment method"), max_length=64)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=16, choices=PaymentStatus.choices)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.reference})"


class AccountKind(models.TextChoices):
    GATEWAY = "gateway", _("money held at the payment gateway")
    ESCROW = "escrow", _("escrow")
    PROVIDER = "provider", _("owed to a provider")
    PLATFORM = "platform", _("platform revenue")
    REFUNDS = "refunds", _("refunds owed to clients")
    PAYOUTS = "payouts", _("payouts on their way to providers")
    DEPOSIT = "deposit", _("deposit held for a provider")


class Account(models.Model):
    """A ledger account: one per kind and currency, and one per provider and currency."""

    kind = models.CharField(_("kind"), max_length=16, choices=AccountKind.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_accounts"
    )
    currency = models.CharField(_("currency"), max_length=3)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        constraints = [
            models.UniqueConstraint(
                fields=("kind", "currency"), condition=Q(user__isnull=True), name="account_unique_system"
            ),
            models.UniqueConstraint(
                fields=("kind", "user", "currency"), condition=Q(user__isnull=False), name="account_unique_user"
            ),
        ]

    def __str__(self) -> str:
        who = f" {self.user}" if self.user_id else ""
        return f"{self.get_kind_display()}{who} ({self.currency})"


class LedgerTransactionKind(models.TextChoices):
    CHARGE = "charge", _("client charged into escrow")
    RELEASE = "release", _("escrow released on completion")
    CANCELLATION = "cancellation", _("escrow split on cancellation")
    PROVIDER_FEE = "provider_fee", _("cancellation fee charged to the provider")
    FEE_REVERSAL = "fee_reversal", _("cancellation fee refunded on appeal")
    REFUND_SETTLED = "refund_settled", _("refund paid out by the gateway")
    TICKET_COMPENSATION = "ticket_compensation", _("after-sales compensation")
    TICKET_COMPENSATION_REVERSAL = "ticket_compensation_reversal", _("after-sales compensation reversed")
    TERMS_CHANGE = "terms_change", _("changed hours or pay agreed")
    PAYOUT = "payout", _("payout requested")
    PAYOUT_PAID = "payout_paid", _("payout paid by the gateway")
    PAYOUT_FAILED = "payout_failed", _("payout failed: money back to available")
    DEPOSIT = "deposit", _("deposit put down")
    DEPOSIT_RETURN = "deposit_return", _("deposit returned")


class LedgerTransaction(models.Model):
    """A balanced set of ledger entries: they always sum to zero."""

    kind = models.CharField(_("kind"), max_length=32, choices=LedgerTransactionKind.choices)
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_transactions"
    )
    currency = models.CharField(_("currency"), max_length=3)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("ledger transaction")
        verbose_name_plural = _("ledger transactions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class LedgerEntry(models.Model):
    """One side of a ledger transaction: positive is a debit, negative a credit."""

    transaction = models.ForeignKey(LedgerTransaction, on_delete=models.PROTECT, related_name="entries")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)

    class Meta:
        ordering = ("id",)
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="ledger_entry_nonzero")]

    def __str__(self) -> str:
        return f"{self.account}: {self.amount}"


# --- Cancellation -------------------------------------------------------------------------


class CancelReason(models.TextChoices):
    NOT_AS_DESCRIBED = "not_as_described", _("product/service not as described")
    SERVICE_QUALITY = "service_quality", _("service quality")
    SCHEDULE_CHANGE = "schedule_change", _("personal/schedule change")
    LOGISTICS = "logistics", _("logistics/location")
    CLIENT_CHANGED_DEMAND = "client_changed_demand", _("client changed demand")
    FORCE_MAJEURE = "force_majeure", _("force majeure")
    OTHER = "other", _("other")
    # Set by the system, never chosen by a person.
    NO_SHOW = "no_show", _("no-show")
    NO_REQUIREMENTS = "no_requirements", _("no requirements sent in time")


PERSON_REASONS = [c for c in CancelReason.choices if c[0] not in ("no_show", "no_requirements")]


class CancellationQuote(models.Model):
    """What a cancellation would do, shown before anyone acts; binding until ``valid_until``.

    A quote lives in its signed token until a cancel names it; then it is stored here, beside
    the cancellation it bound (``orders.quotes``)."""

    id = models.UUIDField(primary_key=True, editable=False)
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="cancellation_quotes")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    actor_role = models.CharField(max_length=16)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    path = models.CharField(max_length=40, choices=CancellationPath.choices)
    tier = models.CharField(max_length=80)
    refund_to_client = models.DecimalField(max_digits=12, decimal_places=2)
    compensation_to_provider = models.DecimalField(max_digits=12, decimal_places=2)
    retained_by_platform = models.DecimalField(max_digits=12, decimal_places=2)
    fee_to_platform = models.DecimalField(max_digits=12, decimal_places=2)
    credit_delta = models.SmallIntegerField()
    credit_party = models.CharField(max_length=16, blank=True)
    counts_against_completion_rate = models.BooleanField()
    counts_as_complaint = models.BooleanField(default=False)
    fault = models.CharField(max_length=16, choices=Fault.choices)
    created_at = models.DateTimeField(default=timezone.now)
    valid_until = models.DateTimeField()
    # The signed token the party was shown and confirmed with (orders.quotes); empty on quotes
    # stored before quotes were tokens.
    token = models.TextField(_("token"), blank=True, editable=False)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("cancellation quote")
        verbose_name_plural = _("cancellation quotes")

    def __str__(self) -> str:
        return str(self.id)


class Cancellation(models.Model):
    """How an order ended early: who, when, why, under which rule, and what it cost whom."""

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="cancellation")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_role = models.CharField(_("by"), max_length=16)
    path = models.CharField(_("path"), max_length=40, choices=CANCELLATION_PATHS)
    reason = models.CharField(_("reason"), max_length=32, choices=CancelReason.choices)
    message = models.TextField(_("message"), blank=True)
    fault = models.CharField(_("fault"), max_length=16, choices=Fault.choices)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField(_("tier"), max_length=80)
    quote = models.OneToOneField(
        CancellationQuote, null=True, blank=True, on_delete=models.PROTECT, related_name="cancellation"
    )
    refund_to_client = models.DecimalField(_("refund to client"), max_digits=12, decimal_places=2)
    compensation_to_provider = models.DecimalField(_("compensation to provider"), max_digits=12, decimal_places=2)
    retained_by_platform = models.DecimalField(_("kept by platform"), max_digits=12, decimal_places=2)
    fee_to_platform = models.DecimalField(_("fee charged to provider"), max_digits=12, decimal_places=2)
    credit_delta = models.SmallIntegerField(_("credit change"))
    credit_party = models.CharField(_("credit change for"), max_length=16, blank=True)
    counts_against_completion_rate = models.BooleanField(_("counts against completion rate"))
    counts_as_complaint = models.BooleanField(_("counts as a complaint"), default=False)
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)
    reversed_at = models.DateTimeField(_("reversed on appeal at"), null=True, blank=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reversal_reason = models.TextField(_("appeal ruling"), blank=True)
    # The part of the fee taken from the provider's deposit (the rest from their account).
    deposit_kept = models.DecimalField(
        _("of the fee, kept from the deposit"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("cancellation")
        verbose_name_plural = _("cancellations")

    def __str__(self) -> str:
        return f"Cancellation of order {self.order_id} ({self.get_path_display()})"


class RefundStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SETTLED = "settled", _("settled")
    FAILED = "failed", _("failed, will be retried")
    CANCELLED = "cancelled", _("cancelled before payout")


class Refund(TimeStampedModel):
    """Money going back to the client's original payment method through the gateway."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.PENDING, db_index=True
    )
    settle_after = models.DateTimeField(_("settles after"), db_index=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    gateway_reference = models.CharField(_("gateway reference"), max_length=128, blank=True)
    failure_reason = models.CharField(_("last failure"), max_length=255, blank=True)
    # Set while a payout is under way outside any transaction (orders.jobs.settle_refunds):
    # its outcome is not known yet. Past this time the sweep takes the payout over.
    claimed_until = models.DateTimeField(_("payout under way until"), null=True, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="cancelled", cancelled_at__isnull=False)
                | (~Q(status="cancelled") & Q(cancelled_at__isnull=True)),
                name="refund_cancelled_when",
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount} {self.currency} ({self.status})"


class ChargeStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    CHARGED = "charged", _("charged")
    FAILED = "failed", _("failed, will be retried")
    CANCELLED = "cancelled", _("cancelled before the charge")


class Charge(TimeStampedModel):
    """A further charge of an order's client through the gateway, the mirror of a ``Refund``.

    After-sales compensation asks for it (unpaid wages; a compensation paid out and then taken
    back): the asking transaction only writes it, and ``orders.jobs.settle_charges`` (or the
    task queued when it commits) charges the client's card outside any transaction, with the
    charge's own idempotency key, retrying a decline with back-off. Charged, it is a
    ``Payment`` with its ledger transaction (gateway → ``credit``).
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="charges")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    credit = models.ForeignKey(Account, verbose_name=_("paid to"), on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("ledger kind"), max_length=32, choices=LedgerTransactionKind.choices)
    memo = models.CharField(_("memo"), max_length=255)
    status = models.CharField(_("status"), max_length=16, choices=ChargeStatus.choices, default=ChargeStatus.PENDING)
    charge_after = models.DateTimeField(_("charged after"))
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Set while a charge is under way outside any transaction; past it the sweep takes over.
    claimed_until = models.DateTimeField(_("charge under way until"), null=True, blank=True)
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    charged_at = models.DateTimeField(_("charged at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    failure_reason = models.CharField(_("last failure"), max_length=255, blank=True)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("charge")
        verbose_name_plural = _("charges")
        indexes = [models.Index(fields=("status", "charge_after"), name="charge_status_due_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="charge_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="charged") | Q(payment__isnull=False), name="charge_charged_has_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"Charge {self.amount} {self.currency} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """The gateway's key for this charge: the same on every try, so it is never made twice."""
        return f"charge-{self.pk}"


# --- Placing an order ---------------------------------------------------------------------


class PlacementStatus(models.TextChoices):
    CHARGING = "charging", _("charging the client")
    PLACED = "placed", _("placed")
    DECLINED = "declined", _("payment declined")
    REFUNDING = "refunding", _("refused after the charge, giving it back")
    REFUNDED = "refunded", _("refused after the charge, given back")


class OrderPlacement(models.Model):
    """An order on its way in: written before the client is charged, completed after.

    ``orders.services.order_create`` calls the payment gateway outside any transaction, so
    this row keeps what was asked for and, for a shift, holds the booking while the charge is
    under way; recording the outcome turns it into the order with its payment (or marks it
    declined) in one transaction. A block between the two people made while the card was
    being charged still wins: the charge is given back instead (refunding, then refunded),
    outside Gigfair's books, which never held it. A request cut off on the way leaves the row
    charging or refunding: after ``claimed_until`` the sweep ``orders.jobs.resume_order_placements``
    makes the call again with the same idempotency key, which the gateway answers with the
    first outcome, and records it.
    """

    listing = models.ForeignKey("marketplace.Listing", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=16, choices=ListingKind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="+")
    requirements = models.TextField(_("requirements"), blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(
        _("status"), max_length=16, choices=PlacementStatus.choices, default=PlacementStatus.CHARGING
    )
    claimed_until = models.DateTimeField(_("call under way until"))
    order = models.OneToOneField(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    charge_reference = models.CharField(_("gateway reference"), max_length=128, blank=True)
    refund_reference = models.CharField(_("refund reference"), max_length=128, blank=True)
    failure_reason = models.CharField(_("last failure"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("order placement")
        verbose_name_plural = _("order placements")
        indexes = [models.Index(fields=("status", "claimed_until"), name="placement_status_claim_idx")]

    def __str__(self) -> str:
        return f"Placement #{self.pk} ({self.status})"

    @property
    def idempotency_key(self) -> str:
        """The gateway's key for this placement's charge: the same on every try."""
        return f"order-placement-{self.pk}"

    @property
    def client_id(self) -> int:
        """Who pays: the one ordering a service, the owner of a shift."""
        return self.actor_id if self.kind == ListingKind.SERVICE else self.listing.owner_id


# --- The order's message thread -----------------------------------------------------------


class Message(EvidenceModel):
    """One post in an order's thread, kept exactly as sent: support reads it as evidence."""

    order = models.ForeignKey(
        "orders.Order", verbose_name=_("order"), on_delete=models.PROTECT, related_name="messages"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("author"), on_delete=models.PROTECT, related_name="+"
    )
    body = models.TextField(_("text"))
    created_at = models.DateTimeField(_("sent at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ("created_at", "id")
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        indexes = [models.Index(fields=("order", "created_at"), name="message_order_created_idx")]
        constraints = [models.CheckConstraint(condition=~Q(body=""), name="message_has_text")]

    def __str__(self) -> str:
        return _("Message %(id)s on order #%(order)s") % {"id": self.pk, "order": self.order_id}


def message_attachment_path(instance: MessageAttachment, filename: str) -> str:
    """Where an attachment is stored: a random name, never the uploader's (that is kept in ``name``).

    The extension follows the type found in the content, so a PDF named ``.png`` is stored as ``.pdf``.
    """
    return stored_name("messages", instance.content_type)


class MessageAttachment(EvidenceModel):
    """A file sent with a message; served only to the order's parties and support, never by a public URL."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to=message_attachment_path, max_length=255)
    name = models.CharField(_("name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))

    class Meta:
        ordering = ("id",)
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class MessageReportReason(models.TextChoices):
    SPAM = "spam", _("spam")
    ABUSE = "abuse", _("abuse or harassment")
    OFF_PLATFORM_PAYMENT = "off_platform_payment", _("asks to pay outside Gigfair")
    OTHER = "other", _("something else")


class MessageReport(models.Model):
    """A party asks support to look at a message; support resolves it with a note."""

    message = models.ForeignKey(Message, verbose_name=_("message"), on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("reported by"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=32, choices=MessageReportReason.choices)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("reported at"), default=timezone.now, editable=False)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("resolved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolution_note = models.TextField(_("resolution"), blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("message report")
        verbose_name_plural = _("message reports")
        indexes = [models.Index(fields=("resolved_at", "-created_at"), name="report_queue_idx")]
        constraints = [
            models.UniqueConstraint(fields=("message", "reporter"), name="report_one_per_reporter"),
            models.CheckConstraint(condition=Q(reason__in=MessageReportReason.values), name="report_reason_known"),
            models.CheckConstraint(condition=~Q(reason="other") | ~Q(note=""), name="report_other_has_note"),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True, resolved_by__isnull=True, resolution_note="")
                | Q(resolved_at__isnull=False, resolved_by__isnull=False),
                name="report_resolution_complete",
            ),
        ]

    def __str__(self) -> str:
        return _("Report of message %(id)s") % {"id": self.message_id}

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


# --- Reviews --------------------------------------------------------------------------------------


class ReviewState(models.TextChoices):
    PENDING = "pending", _("waiting for the other party or the window's end")
    PUBLISHED = "published", _("published")
    REMOVED = "removed", _("removed by support")


class Review(models.Model):
    """One party's review of the other after a completed order: 1–5 stars and text.

    Blind: it stays ``pending`` (shown to its author only) until the other party has reviewed
    too or the policy's window closes; then both are ``published`` at once. The reviewed party
    may answer once, in public. Support can remove a review that breaks the rules; the reason
    stays on record. Moved only by ``orders.reviews``.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="reviews")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_written")
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews_received", verbose_name=_("about")
    )
    author_role = models.CharField(_("written by the"), max_length=16)
    rating = models.PositiveSmallIntegerField(_("stars"))
    text = models.TextField(_("review"), blank=True)
    state = models.CharField(
        _("state"), max_length=16, choices=ReviewState.choices, default=ReviewState.PENDING, db_index=True
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    publish_at = models.DateTimeField(_("published at the latest"), db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    reply = models.TextField(_("public reply"), blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)
    removed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    removal_reason = models.TextField(_("why it was removed"), blank=True)
    # The reviewed party may ask support to look at a review that breaks the rules, once.
    reported_at = models.DateTimeField(_("reported at"), null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    report_reason = models.TextField(_("why it was reported"), blank=True)
    report_handled_at = models.DateTimeField(_("report handled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=("order", "author"), name="review_one_per_party"),
            models.CheckConstraint(condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"),
        ]
        indexes = [
            models.Index(fields=("subject", "state", "-published_at"), name="review_subject_shown_idx"),
            models.Index(fields=("state", "publish_at"), name="review_due_idx"),
        ]

    def __str__(self) -> str:
        return gettext("%(stars)s★ review of order #%(order)s by the %(role)s (%(state)s)") % {
            "stars": self.rating,
            "order": self.order_id,
            "role": dict(ActorRole.choices).get(self.author_role, self.author_role),
            "state": self.get_state_display(),
        }


# --- Calendars ------------------------------------------------------------------------------------


class CalendarFeed(models.Model):
    """A person's private iCalendar feed of their shifts: a secret address a phone calendar
    subscribes to, without a login. Replaced by a new address or turned off at any time."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self) -> str:
        return f"{self.user_id}: calendar feed"


# --- Waitlists ------------------------------------------------------------------------------------


class WaitlistState(models.TextChoices):
    WAITING = "waiting", _("waiting")
    OFFERED = "offered", _("offered a place")
    BOOKED = "booked", _("booked")
    EXPIRED = "expired", _("offer not taken in time")
    LEFT = "left", _("left the waitlist")


class WaitlistEntry(models.Model):
    """A worker queueing for a place on a full shift (``orders.waitlist``): offered the first
    place that opens, for the policy's minutes; silence passes the offer on."""

    listing = models.ForeignKey("marketplace.Listing", on_delete=models.CASCADE, related_name="waitlist")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    state = models.CharField(_("state"), max_length=16, choices=WaitlistState.choices, default=WaitlistState.WAITING)
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer kept until"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        constraints = [
            models.UniqueConstraint(
                fields=("listing", "worker"),
                condition=Q(state__in=("waiting", "offered")),
                name="waitlist_one_live_entry_per_worker",
            )
        ]
        indexes = [
            models.Index(fields=("listing", "state", "created_at"), name="waitlist_queue_idx"),
            models.Index(fields=("state", "offer_expires_at"), name="waitlist_offer_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.listing_id} ({self.state})"


# --- Handing a booked shift to another worker -----------------------------------------------


class HandoverState(models.TextChoices):
    OFFERED = "offered", _("offered")
    ACCEPTED = "accepted", _("taken over")
    WITHDRAWN = "withdrawn", _("withdrawn")
    EXPIRED = "expired", _("not taken in time")


class Handover(models.Model):
    """A booked worker who cannot come offers their shift to another worker (``orders.handovers``):
    to one they name, or to any eligible worker (those on the shift's waitlist are told). Until
    someone accepts, before the start, the first worker stays booked; on acceptance the booking
    (its escrow and terms) passes to the new worker and the first leaves with no penalty."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="handovers")
    from_worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    to_worker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: open to any eligible worker."),
    )
    state = models.CharField(_("state"), max_length=16, choices=HandoverState.choices, default=HandoverState.OFFERED)
    message = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("offered at"), default=timezone.now)
    expires_at = models.DateTimeField(_("open until"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("shift handover")
        verbose_name_plural = _("shift handovers")
        constraints = [
            models.UniqueConstraint(
                fields=("order",), condition=Q(state="offered"), name="handover_one_open_per_order"
            ),
        ]
        indexes = [models.Index(fields=("state", "expires_at"), name="handover_state_expires_idx")]

    def __str__(self) -> str:
        return f"Handover #{self.pk} of order #{self.order_id} ({self.state})"


# --- Money out ------------------------------------------------------------------------------


class PayoutState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    PAID = "paid", _("paid")
    FAILED = "failed", _("failed")


class Payout(TimeStampedModel):
    """A provider withdraws available money (``orders.payouts``): requested (the amount moved from
    their account to "payouts on their way" in the same transaction), then paid or failed (the
    money back to available) by the gateway, called outside any transaction with the payout's
    own idempotency key: a call whose answer was lost is made again and never pays twice."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    state = models.CharField(_("state"), max_length=16, choices=PayoutState.choices, default=PayoutState.REQUESTED)
    attempts = models.PositiveSmallIntegerField(_("gateway calls"), default=0)
    retries = models.PositiveSmallIntegerField(_("retries after a failure"), default=0)
    # Set while the gateway call is under way outside any transaction; past it the sweep takes over.
    claimed_until = models.DateTimeField(_("call under way until"), null=True, blank=True)
    reference = models.CharField(_("gateway reference"), max_length=128, blank=True)
    failure_reason = models.CharField(_("last failure"), max_length=255, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        indexes = [
            models.Index(fields=("state", "claimed_until"), name="payout_state_claim_idx"),
            models.Index(fields=("user", "currency", "created_at"), name="payout_user_recent_idx"),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"Payout #{self.pk}: {self.amount} {self.currency} ({self.state})"

    @property
    def idempotency_key(self) -> str:
        """The gateway's key: the same on every call of one try; a staff retry after a failure is a new try."""
        return f"payout-{self.pk}" if not self.retries else f"payout-{self.pk}-retry-{self.retries}"


class DepositSource(models.TextChoices):
    WALLET = "wallet", _("from available money")
    CARD = "card", _("by card")


class DepositPaymentState(models.TextChoices):
    CHARGING = "charging", _("charging the card")
    PAID = "paid", _("held")
    FAILED = "failed", _("card declined")


class DepositPayment(TimeStampedModel):
    """A provider puts down (part of) a deposit (``orders.deposits``): from available money at
    once, or by card through the gateway, called outside any transaction with the payment's own
    idempotency key (``charging`` until the gateway answers; a lost answer is asked again). What
    the deposit holds is its ledger account: payments in, fees kept and returns out."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="deposit_payments")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    source = models.CharField(_("paid"), max_length=16, choices=DepositSource.choices)
    state = models.CharField(_("state"), max_length=16, choices=DepositPaymentState.choices)
    attempts = models.PositiveSmallIntegerField(_("gateway calls"), default=0)
    claimed_until = models.DateTimeField(_("call under way until"), null=True, blank=True)
    reference = models.CharField(_("gateway reference"), max_length=128, blank=True)
    failure_reason = models.CharField(_("last failure"), max_length=255, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("deposit payment")
        verbose_name_plural = _("deposit payments")
        indexes = [models.Index(fields=("state", "claimed_until"), name="deposit_state_claim_idx")]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="deposit_amount_positive")]

    def __str__(self) -> str:
        return f"Deposit #{self.pk}: {self.amount} {self.currency} ({self.state})"

    @property
    def idempotency_key(self) -> str:
        return f"deposit-{self.pk}"


class ReconciliationRun(models.Model):
    """One check of the books (``orders.reconciliation``): every transaction balances, and the
    platform's holding accounts equal what they hold money for. Differences are kept, and staff
    told; a run with none is the books balancing."""

    created_at = models.DateTimeField(_("checked at"), default=timezone.now, db_index=True)
    checks = models.PositiveIntegerField(_("figures compared"), default=0)
    differences = models.JSONField(_("differences"), default=list, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("reconciliation run")
        verbose_name_plural = _("reconciliation runs")

    def __str__(self) -> str:
        return f"Reconciliation {self.created_at:%Y-%m-%d %H:%M} ({len(self.differences)} differences)"
