"""Which endpoint URLs are acceptable: http(s), no credentials, and (in production) a public host.

A name is resolved once per use, every address it gives is checked, and the caller connects to
exactly those addresses (``sending``): resolving again to connect would let a name that was
public at the check point inside by then (DNS rebinding).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from core.exceptions import ValidationFailed

MAX_URL_LENGTH = 500
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")

# IPv6 ranges that carry an IPv4 address in their low 32 bits: NAT64's well-known prefix
# (RFC 6052) translates to that IPv4 address, so it is exactly as public as the address itself.
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# Refused whatever they carry: local-use NAT64 (RFC 8215) translates inside someone's network,
# and IPv4-compatible addresses (::a.b.c.d, deprecated by RFC 4291) are used by nothing legitimate.
_REFUSED_V6 = (ipaddress.IPv6Network("64:ff9b:1::/48"), ipaddress.IPv6Network("::/96"))

Address = tuple[int, tuple]  # (address family, socket address), as socket.getaddrinfo gives them


class AddressRefused(Exception):
    """The host is, or resolves to, an address that is not a public internet address."""


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address leads to: mapped, 6to4, Teredo (server and client), NAT64."""
    found = [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour) if v4 is not None]
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in _NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def address_is_public(address: str) -> bool:
    """True for a global unicast address, and for IPv6 only when no IPv4 address inside it is private."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if any(ip in network for network in _REFUSED_V6):
            return False
        if not all(address_is_public(str(v4)) for v4 in _embedded_ipv4(ip)):
            return False
    return ip.is_global and not ip.is_multicast


def host_addresses(host: str, port: int, *, allow_private: bool = False) -> list[Address]:
    """Resolve ``host`` once and check every address it gives; connect to these and no others.

    Raises AddressRefused for a local name or when any address is not public (unless
    ``allow_private``), OSError when the name does not resolve.
    """
    host = host.strip("[]").lower().rstrip(".")
    if not allow_private and (host == "localhost" or host.endswith(_LOCAL_SUFFIXES)):
        raise AddressRefused(host)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except UnicodeError as exc:
        raise OSError(str(exc)) from exc
    addresses = [(family, sockaddr) for family, _type, _proto, _name, sockaddr in infos]
    if not addresses:
        raise OSError(f"{host} has no address")
    if not allow_private and not all(address_is_public(sockaddr[0]) for _family, sockaddr in addresses):
        raise AddressRefused(host)
    return addresses


def host_is_public(host: str) -> bool:
    """True when every address ``host`` names or resolves to is a public one."""
    try:
        host_addresses(host, 0)
    except (AddressRefused, OSError, ValueError):
        return False
    return True


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
