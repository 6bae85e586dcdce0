"""Shared plumbing models: a timestamped base, the transition audit log, idempotency keys, webhooks."""

from __future__ import annotations

from django.conf import settings
from django.contrib.admin.decorators import display as admin_display
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.i18n import text_render


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class EvidenceQuerySet(models.QuerySet):
    """Rows kept as evidence: written once, never updated or deleted in bulk."""

    def update(self, **kwargs):
        raise TypeError(f"{self.model.__name__} rows are evidence and are never changed.")

    def delete(self):
        raise TypeError(f"{self.model.__name__} rows are evidence and are never deleted.")


class EvidenceModel(models.Model):
    """A row that is inserted once and then only read (an order's messages and their attachments)."""

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError(f"{type(self).__name__} rows are evidence and are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} rows are evidence and are never deleted.")


class ActorRole(models.TextChoices):
    CLIENT = "client", _("client")
    PROVIDER = "provider", _("provider")
    SYSTEM = "system", _("system")
    SUPPORT = "support", _("support")


class TransitionLog(models.Model):
    """One state change of any state machine in any app: who, when, from, to, why.

    Services write it in the same transaction as the transition itself, so the log and the
    state can never disagree.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, db_index=False)  # leads the index below
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(_("transition"), max_length=64)
    from_state = models.CharField(_("from"), max_length=32)
    to_state = models.CharField(_("to"), max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_role = models.CharField(_("actor role"), max_length=16, choices=ActorRole.choices)
    reason = models.TextField(_("reason"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ("at", "id")
        indexes = [models.Index(fields=("content_type", "object_id", "at"))]
        verbose_name = _("transition")
        verbose_name_plural = _("transition log")

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state} ({self.actor_role})"

    @property
    @admin_display(description=_("reason"))
    def reason_text(self) -> str:
        """The reason in the reader's language and time zone (the system's are stored as msgids)."""
        return text_render(self.reason)


class IdempotencyKey(models.Model):
    """A POST answered once, replayed for the same key and body within the TTL.

    Keys belong to their user. A caller without an account (sign-up, token) has no key space of
    their own, so for them the body is part of the key: only the very same request is replayed.
    The answer is kept as the bytes sent, with their content type, so a replay is identical.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_content = models.BinaryField(null=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "key"), name="idempotency_key_unique_per_user"),
            models.UniqueConstraint(
                fields=("key", "request_hash"),
                condition=models.Q(user__isnull=True),
                name="idempotency_key_unique_anonymous",
            ),
        ]

    def __str__(self) -> str:
        return self.key


# --- Partner webhooks ------------------------------------------------------------------------


class WebhookEndpoint(TimeStampedModel):
    """A URL a user's partner system gave us, told of every change to the user's orders.

    The signing secret is stored as it is because every delivery is signed with it; it is
    shown once (on create and on rotate) and never returned by the API, pages or admin again.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField(_("URL"), max_length=500)
    events = models.JSONField(_("events"), default=list, help_text=_('Event types, or ["*"] for all.'))
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    active = models.BooleanField(_("active"), default=True)
    failure_count = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        indexes = [
            models.Index(fields=("owner", "-created_at"), name="webhook_owner_recent_idx"),
            models.Index(fields=("active", "owner"), name="webhook_active_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        """Subscribed to ``event_type`` by name, by its subject (``order.*``) or to everything (``*``)."""
        subject_wildcard = event_type.split(".", 1)[0] + ".*"
        return "*" in self.events or event_type in self.events or subject_wildcard in self.events


class WebhookDeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint: an outbox row written with the change, sent after commit."""

    event_id = models.UUIDField(_("event id"), db_index=True)
    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event_type = models.CharField(_("event"), max_length=64)
    payload = models.JSONField(_("payload"), encoder=DjangoJSONEncoder)
    status = models.CharField(
        _("status"), max_length=16, choices=WebhookDeliveryStatus.choices, default=WebhookDeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ("-created_at", "-id")
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=("endpoint", "-created_at"), name="webhook_delivery_recent_idx"),
            # The retry sweep: pending rows by their due time.
            models.Index(
                fields=("next_attempt_at",),
                name="webhook_delivery_due_idx",
                condition=models.Q(status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.endpoint_id} ({self.status})"
