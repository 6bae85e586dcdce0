"""Credit: an append-only ledger of events per user, the score kept with it, and restrictions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import text_render


class CreditReason(models.TextChoices):
    ORDER_COMPLETED = "order_completed", _("order completed")
    CANCELLATION = "cancellation", _("cancellation")
    NO_SHOW = "no_show", _("no-show")
    RULING = "ruling", _("support ruling")
    MANUAL = "manual", _("manual adjustment by staff")
    REVERSAL = "reversal", _("reversal on appeal")


class Level(models.TextChoices):
    NEW = "new", _("new seller")
    LEVEL_ONE = "level_one", _("level one")
    LEVEL_TWO = "level_two", _("level two")
    BELOW_STANDARD = "below_standard", _("below standard")


class CreditAccount(models.Model):
    """A user's score, kept equal to the replay of their events (changed only under a row lock)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="credit_account"
    )
    score = models.PositiveSmallIntegerField(_("credit score"), default=100)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices, default=Level.NEW)
    level_computed_at = models.DateTimeField(_("level computed at"), null=True, blank=True)
    completed_in_window = models.PositiveIntegerField(_("completed (window)"), default=0)
    cancelled_in_window = models.PositiveIntegerField(_("cancellations that count (window)"), default=0)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("credit account")
        verbose_name_plural = _("credit accounts")
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="credit_score_at_most_100")]

    def __str__(self) -> str:
        return f"{self.user} — {self.score}"


class CreditEvent(models.Model):
    """One change of a user's credit, never edited; a reversal is a new event pointing back."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_events", db_index=False
    )  # leads the (user, created_at) index
    delta = models.SmallIntegerField(_("change asked"))
    applied = models.SmallIntegerField(_("change applied"), default=0, help_text=_("After keeping the score in 0–100."))
    score_after = models.PositiveSmallIntegerField(_("score after"), default=100)
    reason = models.CharField(_("reason"), max_length=32, choices=CreditReason.choices)
    detail = models.CharField(_("detail"), max_length=255, blank=True)
    order = models.ForeignKey(
        "orders.Order", null=True, blank=True, on_delete=models.PROTECT, related_name="credit_events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    created_at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("credit event")
        verbose_name_plural = _("credit events")
        indexes = [models.Index(fields=("user", "created_at"))]

    def __str__(self) -> str:
        return f"{self.user} {self.delta:+d} ({self.reason})"

    @property
    def detail_text(self) -> str:
        """The detail in the reader's language (the system's are stored as msgids with parameters)."""
        return text_render(self.detail)


class RestrictionKind(models.TextChoices):
    TAKING_ORDERS = "taking_orders", _("cannot take new orders")
    POSTING = "posting", _("cannot post listings")


class Restriction(models.Model):
    """A right taken away, automatically by a rule or by support, until it is lifted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="restrictions")
    kind = models.CharField(_("kind"), max_length=20, choices=RestrictionKind.choices)
    reason = models.TextField(_("why"))
    restores = models.TextField(_("what restores access"))
    automatic = models.BooleanField(_("set by a rule"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("since"), default=timezone.now)
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    lift_reason = models.TextField(_("why lifted"), blank=True)

    class Meta:
        ordering = ("-created_at",)
        verbose_name = _("restriction")
        verbose_name_plural = _("restrictions")
        constraints = [
            models.UniqueConstraint(
                fields=("user", "kind"), condition=Q(lifted_at__isnull=True), name="one_active_restriction_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_kind_display()}"
