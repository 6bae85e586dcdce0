"""Shared plumbing models: a timestamped base, the transition audit log, idempotency keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


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

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
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


class IdempotencyKey(models.Model):
    """A POST answered once, replayed for the same key and body within the TTL."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True, encoder=DjangoJSONEncoder)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=("user", "key"), name="idempotency_key_unique_per_user"),
        ]

    def __str__(self) -> str:
        return self.key
