"""One HTTP POST of a signed event: the standard library's client, no redirects, a short timeout.

The host is resolved once and checked (``addresses.host_addresses``), and the connection goes to
the addresses that were checked: the Host header, TLS SNI and certificate check still name the
host of the URL. No proxy is used, and a redirect is a failure, never followed.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from .addresses import Address, AddressRefused, host_addresses
from .signing import signature_header

USER_AGENT = "Gigfair-Webhooks/1.0"
MAX_ERROR = 300


@dataclass(frozen=True)
class SendResult:
    ok: bool
    status_code: int | None = None
    error: str = ""


def _connect(addresses: list[Address], port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the first of ``addresses`` that answers (what create_connection does
    for a name, but without resolving it again)."""
    error: OSError | None = None
    for _family, sockaddr in addresses:
        try:
            return socket.create_connection((sockaddr[0], port), timeout=timeout)
        except OSError as exc:
            error = exc
    raise error or OSError("no address to connect to")


class _Pinned:
    """Mixin for http.client connections: connect to the checked addresses, not to a new lookup."""

    def __init__(self, *args, addresses: list[Address], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._addresses = addresses
        # http.client calls this with (host, port); the host is only used for the Host header,
        # SNI and the certificate check from here on.
        self._create_connection = lambda address, timeout, source: _connect(self._addresses, address[1], timeout)


class PinnedHTTPConnection(_Pinned, http.client.HTTPConnection):
    pass


class PinnedHTTPSConnection(_Pinned, http.client.HTTPSConnection):
    pass


def body_encode(payload: dict) -> bytes:
    """The exact bytes sent and signed."""
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"), ensure_ascii=False).encode()


def _connection(url: str, timeout: float) -> tuple[http.client.HTTPConnection, str]:
    """A connection pinned to the checked addresses of ``url``'s host, and the request target."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Not an http(s) URL")
    https = parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    addresses = host_addresses(parts.hostname, port, allow_private=settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if https:
        context = ssl.create_default_context()  # verifies the certificate against the URL's host
        connection = PinnedHTTPSConnection(parts.hostname, port, timeout=timeout, context=context, addresses=addresses)
    else:
        connection = PinnedHTTPConnection(parts.hostname, port, timeout=timeout, addresses=addresses)
    return connection, target


def event_post(*, url: str, secret: str, event_type: str, delivery_id: int, payload: dict) -> SendResult:
    """POST ``payload`` to ``url`` signed with ``secret``; 2xx is success, anything else a failure."""
    body = body_encode(payload)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Gigfair-Event": event_type,
        "Gigfair-Delivery": str(delivery_id),
        "Gigfair-Signature": signature_header(secret=secret, body=body),
    }
    try:
        # Checked again at send time: a name that was public when saved may point inside now.
        connection, target = _connection(url, settings.WEBHOOKS_TIMEOUT_SECONDS)
    except AddressRefused:
        return SendResult(ok=False, error="Refused: the host is not a public internet address.")
    except (OSError, ValueError) as exc:
        return SendResult(ok=False, error=f"Could not resolve the host: {exc}"[:MAX_ERROR])
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        status = response.status
    except TimeoutError:
        return SendResult(ok=False, error="Timed out")
    except (OSError, http.client.HTTPException) as exc:
        return SendResult(ok=False, error=str(exc)[:MAX_ERROR] or exc.__class__.__name__)
    finally:
        connection.close()
    if 200 <= status < 300:
        return SendResult(ok=True, status_code=status)
    # A redirect too: following it could lead the signed body anywhere, even inside.
    return SendResult(ok=False, status_code=status, error=f"HTTP {status}")
