"""Everything that writes webhook endpoints and deliveries: the API, pages, admin and sweep call these."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.exceptions import Conflict, ValidationFailed
from core.i18n import Translatable
from core.models import WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

from .addresses import url_check
from .events import ALL_EVENTS, PING, any_active_endpoint_forget, deliveries_send_on_commit, subscribable
from .sending import event_post
from .signing import secret_generate

MAX_ENDPOINTS_PER_USER = 10
# After the first attempt: wait this long before each retry; after the last, the delivery fails.
RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
    timedelta(hours=12),
    timedelta(hours=24),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1


def events_check(events: Iterable[str]) -> list[str]:
    """The subscription as stored: known event types or subjects (``order.*``) without repeats, or ``["*"]``."""
    events = list(dict.fromkeys(events))
    if not events:
        message = _("Choose at least one event, or * for all.")
        raise ValidationFailed(message, code="invalid_events", errors={"events": [message]})
    if ALL_EVENTS in events:
        return [ALL_EVENTS]
    known = set(subscribable())
    unknown = [e for e in events if e not in known]
    if unknown:
        message = _("Unknown event type(s): %(events)s.") % {"events": ", ".join(sorted(map(str, unknown)))}
        raise ValidationFailed(message, code="unknown_event", errors={"events": [message]})
    return events


def _lock(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint.objects.select_for_update(of=("self",)).get(pk=endpoint.pk)


@transaction.atomic
def webhook_endpoint_create(*, owner, url: str, events: Iterable[str], description: str = "") -> WebhookEndpoint:
    """Add an endpoint for ``owner``; its ``secret`` is on the returned object, to show this once."""
    url = url_check(url.strip())
    events = events_check(events)
    # A courtesy limit against runaway scripts: two simultaneous creates may both pass it.
    if WebhookEndpoint.objects.filter(owner=owner).count() >= MAX_ENDPOINTS_PER_USER:
        raise Conflict(
            _("You can have at most %(n)d webhook endpoints.") % {"n": MAX_ENDPOINTS_PER_USER},
            code="too_many_endpoints",
        )
    endpoint = WebhookEndpoint.objects.create(
        owner=owner, url=url, events=events, description=description, secret=secret_generate()
    )
    any_active_endpoint_forget()
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; resuming it clears its failures, and its pending deliveries go out again."""
    endpoint = _lock(endpoint)
    fields = ["updated_at"]
    if url is not None:
        endpoint.url = url_check(url.strip())
        fields.append("url")
    if events is not None:
        endpoint.events = events_check(events)
        fields.append("events")
    if description is not None:
        endpoint.description = description
        fields.append("description")
    if active is not None and active != endpoint.active:
        endpoint.active = active
        fields.append("active")
        if active:
            endpoint.failure_count = 0
            endpoint.disabled_at = None
            fields += ["failure_count", "disabled_at"]
            # Held back while paused: due now, with the retries they had left.
            WebhookDelivery.objects.filter(endpoint=endpoint, status=WebhookDeliveryStatus.PENDING).update(
                next_attempt_at=timezone.now()
            )
        any_active_endpoint_forget()
    endpoint.save(update_fields=fields)
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint and its delivery history."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    any_active_endpoint_forget()


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Give the endpoint a new signing secret (on the returned object, to show once); the old one stops."""
    endpoint = _lock(endpoint)
    endpoint.secret = secret_generate()
    endpoint.save(update_fields=("secret", "updated_at"))
    return endpoint


@transaction.atomic
def webhook_endpoint_ping(*, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a ``ping`` event to the endpoint (whatever it subscribes to), to test the receiver."""
    if not endpoint.active:
        raise Conflict(_("The endpoint is paused; resume it first."), code="endpoint_paused")
    now = timezone.now()
    event_id = uuid.uuid4()
    delivery = WebhookDelivery.objects.create(
        event_id=event_id,
        endpoint=endpoint,
        event_type=PING,
        payload={"id": str(event_id), "type": PING, "created_at": now.isoformat(), "data": {"endpoint": endpoint.pk}},
        next_attempt_at=now,
        created_at=now,
    )
    deliveries_send_on_commit([delivery.pk])
    return delivery


@transaction.atomic
def webhook_deliveries_redeliver(*, deliveries: Iterable[WebhookDelivery]) -> int:
    """Send deliveries again from the first attempt (support's "redeliver"); returns how many."""
    ids = [d.pk for d in deliveries]
    count = WebhookDelivery.objects.filter(pk__in=ids).update(
        status=WebhookDeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), delivered_at=None
    )
    deliveries_send_on_commit(ids)
    return count


# --- Sending ------------------------------------------------------------------------------------


def _claim(delivery_id: int) -> bool:
    """Take a due delivery for one attempt, so a task and the sweep never both send it."""
    now = timezone.now()
    lease = now + timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS * 2 + 30)
    # No join in this UPDATE: Django would move every condition into a "pk IN (subquery)", and
    # PostgreSQL re-checks only the outer WHERE on a row another worker just claimed.
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=WebhookDeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        endpoint_id__in=WebhookEndpoint.objects.filter(active=True).values("pk"),
    ).update(next_attempt_at=lease)
    return claimed == 1


def webhook_delivery_attempt(*, delivery_id: int) -> WebhookDelivery | None:
    """Send one due delivery once and record the answer; None if it is gone, not due or its endpoint paused.

    The HTTP call runs outside any transaction: no row stays locked while a partner's server thinks.
    """
    if not _claim(delivery_id):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return None  # its endpoint was removed just now
    endpoint = delivery.endpoint
    result = event_post(
        url=endpoint.url,
        secret=endpoint.secret,
        event_type=delivery.event_type,
        delivery_id=delivery.pk,
        payload=delivery.payload,
    )
    now = timezone.now()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error[:300]
    if result.ok:
        delivery.status = WebhookDeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = WebhookDeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
    with transaction.atomic():
        delivery.save(
            update_fields=(
                "status",
                "attempts",
                "last_attempt_at",
                "last_status_code",
                "last_error",
                "delivered_at",
                "next_attempt_at",
            )
        )
        if result.ok:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=0, last_success_at=now)
        else:
            _failure_count(endpoint)
    return delivery


def _failure_count(endpoint: WebhookEndpoint) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=F("failure_count") + 1)
    limit = settings.WEBHOOKS_DISABLE_AFTER_FAILURES
    # Conditional, so of two workers crossing the limit together only one disables and tells the owner.
    disabled = WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True, failure_count__gte=limit).update(
        active=False, disabled_at=timezone.now()
    )
    if disabled:
        any_active_endpoint_forget()
        _tell_owner_disabled(endpoint, limit)


def _tell_owner_disabled(endpoint: WebhookEndpoint, failures: int) -> None:
    notify = import_string(settings.WEBHOOKS_OWNER_NOTIFIER)
    notify(
        users=[endpoint.owner],
        kind="webhook_disabled",
        title=Translatable(gettext_noop("Your webhook endpoint was switched off")),
        body=Translatable(
            gettext_noop(
                "%(url)s failed %(n)d times in a row, so Gigfair stopped sending to it. Events that were not "
                "delivered are kept: fix the receiver and resume the endpoint on your Webhooks page to get them."
            ),
            {"url": endpoint.url, "n": failures},
        ),
    )
