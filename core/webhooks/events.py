"""The event catalogue and the outbox: every logged state change becomes deliveries for the parties.

``core.audit`` calls ``webhook_events_record`` with the log rows it writes. With no active
endpoint anywhere that costs nothing but a cache read (one query when the cache is cold); with
endpoints it costs a constant number of queries per call, however many rows a sweep batch holds.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC
from functools import cache

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache as django_cache
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone, translation

from core.i18n import text_render
from core.models import TransitionLog, WebhookDelivery, WebhookDeliveryStatus, WebhookEndpoint

logger = logging.getLogger(__name__)

PING = "ping"
ALL_EVENTS = "*"
ANY_ACTIVE_CACHE_KEY = "core.webhooks.any_active"
ANY_ACTIVE_CACHE_SECONDS = 300
TASK_CHUNK = 50
INSERT_BATCH = 500


@dataclass(frozen=True)
class Subject:
    """A model whose state changes are events: its event prefix, its parties, its API URL."""

    model: type[models.Model]
    event: str
    parties: tuple[str, ...]
    url_name: str

    def states(self) -> list[str]:
        return [value for value, _label in self.model._meta.get_field("state").choices]

    def api_url(self, object_id: int) -> str:
        path = reverse(self.url_name, kwargs={"id": object_id})
        return settings.WEBHOOKS_PUBLIC_BASE_URL.rstrip("/") + path


@cache
def subjects() -> dict[type[models.Model], Subject]:
    """The subjects named in settings, by model (read once: settings do not change at run time)."""
    out = {}
    for label, spec in settings.GIGFAIR_WEBHOOK_SUBJECTS.items():
        model = apps.get_model(label)
        parties = tuple(spec["parties"])
        out[model] = Subject(model=model, event=spec["event"], parties=parties, url_name=spec["url_name"])
    return out


@cache
def event_types() -> tuple[str, ...]:
    """Every event a partner can subscribe to: ``<subject>.<state>`` for each subject's states.

    (``ping`` is not one: it is sent on request whatever the endpoint subscribes to.)
    """
    return tuple(f"{subject.event}.{state}" for subject in subjects().values() for state in subject.states())


@cache
def subscribable() -> tuple[str, ...]:
    """What ``events`` may hold: ``*``, a whole subject (``order.*``), or an event type."""
    return (ALL_EVENTS, *(f"{subject.event}.*" for subject in subjects().values()), *event_types())


def event_type_for(subject: Subject, to_state: str) -> str:
    return f"{subject.event}.{to_state}"


# --- "Is anybody listening?" --------------------------------------------------------------------


def any_active_endpoint() -> bool:
    """Whether any active endpoint exists: cached, so a platform without partners pays no query."""
    try:
        found = django_cache.get(ANY_ACTIVE_CACHE_KEY)
    except Exception:  # a cache outage must not stop state changes: ask the database instead
        logger.warning("Webhook listener cache unavailable", exc_info=True)
        return WebhookEndpoint.objects.filter(active=True).exists()
    if found is None:
        found = WebhookEndpoint.objects.filter(active=True).exists()
        _cache_call(django_cache.set, ANY_ACTIVE_CACHE_KEY, found, ANY_ACTIVE_CACHE_SECONDS)
    return found


def any_active_endpoint_forget() -> None:
    """Drop the cached answer now and again after commit, so no writer keeps a stale "nobody"."""
    _cache_call(django_cache.delete, ANY_ACTIVE_CACHE_KEY)
    transaction.on_commit(lambda: _cache_call(django_cache.delete, ANY_ACTIVE_CACHE_KEY), robust=True)


def _cache_call(method, *args) -> None:
    try:
        method(*args)
    except Exception:
        logger.warning("Webhook listener cache unavailable", exc_info=True)


# --- Recording events ---------------------------------------------------------------------------


def _parties_by_object(subject: Subject, object_ids: Iterable[int]) -> dict[int, set[int]]:
    """``{object id: party user ids}`` for many objects of one subject, in one query."""
    # A foreign key's name in values_list gives its id, so "order__client" joins only the order.
    rows = subject.model._default_manager.filter(pk__in=set(object_ids)).values_list("pk", *subject.parties)
    return {pk: {uid for uid in party_ids if uid is not None} for pk, *party_ids in rows}


def _usernames(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    return dict(get_user_model()._default_manager.filter(pk__in=user_ids).values_list("pk", "username"))


def event_payload(*, event_id: uuid.UUID, event_type: str, subject: Subject, row: dict, by: str | None) -> dict:
    """The JSON body partners receive for one change (also the stored outbox payload)."""
    return {
        "id": str(event_id),
        "type": event_type,
        "created_at": row["at"].isoformat(),
        "data": {
            "object": {"type": subject.event, "id": row["object_id"], "url": subject.api_url(row["object_id"])},
            "transition": row["transition"],
            "from": row["from_state"],
            "to": row["to_state"],
            "at": row["at"].isoformat(),
            "by": by,
            "role": row["actor_role"],
            "reason": _for_partners(row["reason"]),
        },
    }


def _for_partners(reason: str) -> str:
    """A stored reason as partners read it: in the site's language, times in UTC."""
    with translation.override(settings.LANGUAGE_CODE), timezone.override(UTC):
        return text_render(reason)


def webhook_events_record(rows: Sequence[dict]) -> list[int]:
    """Write outbox rows for the endpoints that want these log rows' events; send them after commit.

    ``rows`` are transition log rows as ``core.audit.transition_log_build`` makes them. Call
    inside the transaction that writes the log, so events exist exactly when the change does.
    """
    if not rows or not any_active_endpoint():
        return []
    known = subjects()
    by_subject: dict[Subject, list[dict]] = defaultdict(list)
    for row in rows:
        model = ContentType.objects.get_for_id(row["content_type_id"]).model_class()
        if model in known:
            by_subject[known[model]].append(row)
    parties: dict[tuple[Subject, int], set[int]] = {}
    for subject, subject_rows in by_subject.items():
        for object_id, user_ids in _parties_by_object(subject, (r["object_id"] for r in subject_rows)).items():
            parties[(subject, object_id)] = user_ids
    user_ids = set().union(*parties.values()) if parties else set()
    if not user_ids:
        return []
    endpoints: dict[int, list[WebhookEndpoint]] = defaultdict(list)
    for endpoint in WebhookEndpoint.objects.filter(active=True, owner_id__in=user_ids).only("pk", "owner_id", "events"):
        endpoints[endpoint.owner_id].append(endpoint)
    if not endpoints:
        return []

    wanted = []
    for subject, subject_rows in by_subject.items():
        for row in subject_rows:
            event_type = event_type_for(subject, row["to_state"])
            targets = [
                endpoint
                for uid in sorted(parties.get((subject, row["object_id"]), ()))
                for endpoint in endpoints.get(uid, ())
                if endpoint.wants(event_type)
            ]
            if targets:
                wanted.append((subject, row, event_type, targets))
    if not wanted:
        return []
    usernames = _usernames({row["actor_id"] for _s, row, _t, _e in wanted if row.get("actor_id")})
    deliveries = []
    for subject, row, event_type, targets in wanted:
        event_id = uuid.uuid4()
        payload = event_payload(
            event_id=event_id, event_type=event_type, subject=subject, row=row, by=usernames.get(row.get("actor_id"))
        )
        deliveries += [
            WebhookDelivery(
                event_id=event_id,
                endpoint_id=endpoint.pk,
                event_type=event_type,
                payload=payload,
                status=WebhookDeliveryStatus.PENDING,
                next_attempt_at=row["at"],
                created_at=row["at"],
            )
            for endpoint in targets
        ]
    # bulk_create, not core.db.insert_rows: its COPY path does not encode JSON columns.
    ids = [d.pk for d in WebhookDelivery.objects.bulk_create(deliveries, batch_size=INSERT_BATCH)]
    deliveries_send_on_commit(ids)
    return ids


def webhook_events_record_log(log: TransitionLog) -> list[int]:
    """``webhook_events_record`` for one log row already saved (``core.audit.transition_log_write``)."""
    return webhook_events_record(
        [
            {
                "content_type_id": log.content_type_id,
                "object_id": log.object_id,
                "transition": log.transition,
                "from_state": log.from_state,
                "to_state": log.to_state,
                "actor_id": log.actor_id,
                "actor_role": log.actor_role,
                "reason": str(log.reason),
                "at": log.at,
            }
        ]
    )


def deliveries_send_on_commit(delivery_ids: Sequence[int]) -> None:
    """Hand the deliveries to the worker once the transaction that wrote them has committed."""
    from .tasks import webhook_deliveries_send_task  # noqa: PLC0415 - tasks imports services, which imports this module

    for start in range(0, len(delivery_ids), TASK_CHUNK):
        chunk = list(delivery_ids[start : start + TASK_CHUNK])
        # Robust: if the broker is down the rows stay pending and the retry sweep sends them.
        transaction.on_commit(lambda chunk=chunk: webhook_deliveries_send_task.delay(chunk), robust=True)
