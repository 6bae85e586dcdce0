"""Which endpoint URLs are acceptable: http(s), no credentials, and (in production) a public host."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ValidationFailed

MAX_URL_LENGTH = 500
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")


def _is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def host_is_public(host: str) -> bool:
    """True when every address ``host`` names or resolves to is a public one."""
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return False
    try:
        return _is_public(host)
    except ValueError:
        pass  # a name, not an address literal
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    return bool(infos) and all(_is_public(info[4][0]) for info in infos)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint, or None when it can."""
    if len(url) > MAX_URL_LENGTH:
        return _("Use at most %(n)d characters.") % {"n": MAX_URL_LENGTH}
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return _("Enter a valid URL.")
    if parts.scheme not in ("http", "https"):
        return _("Only http:// and https:// URLs can receive webhooks.")
    if not parts.hostname:
        return _("Enter a valid URL.")
    if parts.username is not None or parts.password is not None:
        return _("Do not put credentials in the URL; verify the Gigfair-Signature header instead.")
    if any(ch.isspace() for ch in url):
        return _("Enter a valid URL.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS and not host_is_public(parts.hostname):
        return _("The host must be a public internet address (not loopback, private or link-local).")
    return None


def url_check(url: str) -> str:
    """``url`` if it can receive webhooks; ValidationFailed on ``url`` otherwise."""
    problem = url_problem(url)
    if problem:
        raise ValidationFailed(problem, code="invalid_url", errors={"url": [problem]})
    return url
