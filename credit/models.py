"""Credit: an append-only ledger of events per user (scores and levels build on it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class CreditReason(models.TextChoices):
    ORDER_COMPLETED = "order_completed", _("order completed")
    CANCELLATION = "cancellation", _("cancellation")
    NO_SHOW = "no_show", _("no-show")
    RULING = "ruling", _("support ruling")
    MANUAL = "manual", _("manual adjustment by staff")
    REVERSAL = "reversal", _("reversal on appeal")


class CreditEvent(models.Model):
    """One change of a user's credit, never edited; a reversal is a new event pointing back."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credit_events")
    delta = models.SmallIntegerField(_("change"))
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
