"""``Idempotency-Key`` on POST: the same key and body within the TTL replays the first answer."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ApplicationError, Conflict
from core.models import IdempotencyKey

from .errors import IdempotentReplay

HEADER = "Idempotency-Key"


class IdempotencyKeyReused(ApplicationError):
    status = 422
    default_code = "idempotency_key_reused"


def _fingerprint(method: str, path: str, body: bytes) -> str:
    # Keyed: sign-up and token bodies carry passwords, and a plain hash of one is cheap to crack.
    digest = hmac.new(settings.SECRET_KEY.encode(), digestmod=hashlib.sha256)
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def idempotency_begin(*, user, key: str, method: str, path: str, body: bytes) -> IdempotencyKey:
    """Claim ``key`` for this request, or raise: replay, 422 on another body, 409 if in flight.

    Keys are the caller's own. Callers without an account (sign-up, token) share no key space:
    for them the key counts only together with the body, so a replay goes only to whoever sent
    the very same request (and knew its password), and another body is simply a new request.
    """
    if len(key) > 255:
        raise ApplicationError(_("The Idempotency-Key header is longer than 255 characters."), code="invalid")
    fingerprint = _fingerprint(method, path, body)
    if user is not None and user.is_authenticated:
        scope = {"user": user, "key": key}
    else:
        scope = {"user": None, "key": key, "request_hash": fingerprint}
    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    # A new key (the usual case) is one INSERT; the unique constraints find an earlier use. A use
    # older than the TTL no longer counts: it is removed and the claim tried once more.
    existing = None
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(**{**scope, "request_hash": fingerprint}, method=method, path=path)
        except IntegrityError:
            existing = IdempotencyKey.objects.filter(**scope).first()
        if existing is not None and existing.created_at >= cutoff:
            break
        if existing is not None:
            IdempotencyKey.objects.filter(pk=existing.pk, created_at__lt=cutoff).delete()
        existing = None
    if existing is None:
        raise Conflict(
            _("A request with this Idempotency-Key is still being processed."), code="idempotency_in_progress"
        )
    if existing.request_hash != fingerprint:
        raise IdempotencyKeyReused(_("This Idempotency-Key was already used with a different request."))
    if existing.response_status is None:
        raise Conflict(
            _("A request with this Idempotency-Key is still being processed."), code="idempotency_in_progress"
        )
    raise IdempotentReplay(
        existing.response_status, bytes(existing.response_content or b""), existing.response_content_type
    )


def idempotency_finish(*, record: IdempotencyKey, status_code: int, content: bytes, content_type: str) -> None:
    """Store the answer to replay (the very bytes sent), or free the key after a server error or a
    "not now" (429) so a retry can run: a lock or throttle that has passed must not answer again from here."""
    if status_code >= 500 or status_code == 429:
        record.delete()
        return
    record.response_status = status_code
    record.response_content = content
    record.response_content_type = content_type
    record.save(update_fields=("response_status", "response_content", "response_content_type"))
