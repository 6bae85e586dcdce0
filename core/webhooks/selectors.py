"""Reads: a user's endpoints and their recent deliveries."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFound
from core.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list_for(*, user) -> QuerySet[WebhookEndpoint]:
    """The user's endpoints, newest first."""
    return WebhookEndpoint.objects.filter(owner=user).order_by("-created_at", "-id")


def webhook_endpoint_get_for(*, pk, user) -> WebhookEndpoint:
    """One of the user's endpoints; NotFound for anyone else's (their existence is not revealed)."""
    endpoint = WebhookEndpoint.objects.filter(pk=pk, owner=user).first()
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."))
    return endpoint


def webhook_delivery_list_for(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-id")
