"""One HTTP POST of a signed event: the standard library's client, no redirects, a short timeout."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from .addresses import host_is_public
from .signing import signature_header

USER_AGENT = "Gigfair-Webhooks/1.0"
MAX_ERROR = 300


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str = ""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect is a failure: following it could lead the signed body anywhere, even inside.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def body_encode(payload: dict) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()


def event_post(*, url: str, secret: str, event_type: str, delivery_id: int, payload: dict) -> SendResult:
    """POST ``payload`` to ``url`` signed with ``secret``; 2xx is success, anything else a failure."""
    if not settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS and not host_is_public(urlsplit(url).hostname or ""):
        # Checked again at send time: a name that was public when saved may point inside now.
        return SendResult(ok=False, error="Refused: the host is not a public internet address.")
    body = body_encode(payload)
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked (http/https only) when the URL is saved
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "Gigfair-Event": event_type,
            "Gigfair-Delivery": str(delivery_id),
            "Gigfair-Signature": signature_header(secret=secret, body=body),
        },
    )
    try:
        with _opener.open(request, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS) as response:
            response.read(1024)
            status = response.status
    except urllib.error.HTTPError as exc:
        exc.close()
        return SendResult(ok=False, status_code=exc.code, error=f"HTTP {exc.code}")
    except TimeoutError:
        return SendResult(ok=False, error="Timed out")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return SendResult(ok=False, error=str(reason)[:MAX_ERROR] or exc.__class__.__name__)
    if 200 <= status < 300:
        return SendResult(ok=True, status_code=status)
    return SendResult(ok=False, status_code=status, error=f"HTTP {status}")
