"""Where webhooks may go: the address that was checked is the address connected to, and IPv6
forms that carry a private IPv4 address inside them are refused like the address itself."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from core.models import WebhookDelivery
from core.webhooks.addresses import address_is_public, url_problem
from core.webhooks.sending import PinnedHTTPSConnection, event_post
from core.webhooks.services import webhook_endpoint_create, webhook_endpoint_ping

pytestmark = pytest.mark.django_db

HOST = "hooks.partner.example"
PUBLIC_IP = "93.184.215.14"  # a global address; in these tests nothing is ever sent to it for real

# Each of these leads to 127.0.0.1 or another address inside.
EMBEDDED_PRIVATE = [
    "64:ff9b::7f00:1",  # NAT64 (well-known prefix) of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "64:ff9b:1::7f00:1",  # local-use NAT64: inside someone's network whatever it carries
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.1.2.3",
    "::127.0.0.1",  # IPv4-compatible
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
]


def post(url: str) -> object:
    return event_post(url=url, secret="whsec_test", event_type="ping", delivery_id=1, payload={"type": "ping"})


@pytest.fixture
def dns(monkeypatch) -> Callable[..., list[str]]:
    """``dns(first, then)``: HOST resolves to ``first``, and to ``then`` on every later lookup.

    Returns the list of the lookups made for HOST. Other names resolve for real.
    """
    real = socket.getaddrinfo

    def install(first: str, then: str) -> list[str]:
        lookups: list[str] = []

        def getaddrinfo(host, port, *args, **kwargs):
            if host != HOST:
                return real(host, port, *args, **kwargs)
            address = first if not lookups else then
            lookups.append(address)
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, port or 0, 0, 0) if family == socket.AF_INET6 else (address, port or 0)
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return lookups

    return install


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_ipv6_carrying_a_private_ipv4_is_not_public(address):
    assert not address_is_public(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700::1111", "64:ff9b::808:808", "2002:808:808::1"])
def test_public_addresses_and_ipv6_carrying_a_public_ipv4_are_public(address):
    assert address_is_public(address)


@pytest.mark.parametrize("address", EMBEDDED_PRIVATE)
def test_an_embedded_private_address_is_refused_as_an_endpoint(settings, address):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False

    problem = url_problem(f"https://[{address}]/hooks")

    assert problem is not None and "public" in problem


def test_a_name_that_resolves_to_an_embedded_private_address_is_refused(settings, dns):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    dns("2002:7f00:1::", "2002:7f00:1::")

    assert "public" in url_problem(f"https://{HOST}/hooks")


@pytest.mark.parametrize("address", ["64:ff9b::7f00:1", "2002:7f00:1::", "::ffff:127.0.0.1"])
def test_an_embedded_private_address_is_refused_at_send_time(settings, receiver, address):
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    port = receiver.url.split(":")[2].split("/")[0]

    result = post(f"http://[{address}]:{port}/hooks")

    assert not result.ok and "public" in result.error
    assert receiver.received == []


def test_a_name_rebound_to_loopback_after_the_check_is_still_sent_to_the_checked_address(
    settings, receiver, dns, monkeypatch
):
    # given: the name is public when checked, and loopback on any later lookup (DNS rebinding)
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = False
    lookups = dns(PUBLIC_IP, "127.0.0.1")
    port = int(receiver.url.split(":")[2].split("/")[0])
    # The network: the public address routes to the test server; anything else is connected as asked.
    connected: list[tuple] = []
    real_connect = socket.create_connection

    def create_connection(address, *args, **kwargs):
        connected.append(address)
        if address[0] == PUBLIC_IP:
            return real_connect(("127.0.0.1", address[1]), *args, **kwargs)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)

    # when
    result = post(f"http://{HOST}:{port}/hooks")

    # then: one lookup, checked, and the connection went to what it answered; the Host is the name
    assert result.ok, result.error
    assert lookups == [PUBLIC_IP]
    assert connected == [(PUBLIC_IP, port)]
    [hit] = receiver.received
    assert hit.headers["Host"] == f"{HOST}:{port}"


def test_the_checked_address_is_connected_to_where_private_hosts_are_allowed(settings, receiver, dns):
    # given: development allows loopback; later lookups would answer an address nobody listens on
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    lookups = dns("127.0.0.1", "127.0.0.2")
    port = int(receiver.url.split(":")[2].split("/")[0])

    # when
    result = post(f"http://{HOST}:{port}/hooks")

    # then
    assert result.ok, result.error
    assert lookups == ["127.0.0.1"]
    [hit] = receiver.received
    assert hit.headers["Host"] == f"{HOST}:{port}"


def test_https_names_the_host_in_sni_while_connecting_to_the_checked_address(settings, dns):
    # given: a TLS "server" on 127.0.0.1 that only records the client's first bytes
    settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOKS_TIMEOUT_SECONDS = 2.0
    lookups = dns("127.0.0.1", "127.0.0.2")
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    hello: list[bytes] = []

    def accept_one() -> None:
        connection, _address = server.accept()
        with connection:
            connection.settimeout(2)
            hello.append(connection.recv(4096))

    thread = threading.Thread(target=accept_one, daemon=True)
    thread.start()

    # when
    try:
        result = post(f"https://{HOST}:{port}/hooks")
    finally:
        thread.join(timeout=5)
        server.close()

    # then: the ClientHello reached the checked address and carries the name (SNI); no certificate, no send
    assert lookups == ["127.0.0.1"]
    assert hello and HOST.encode() in hello[0]
    assert not result.ok


def test_https_verifies_the_certificate_against_the_host_of_the_url():
    connection = PinnedHTTPSConnection(HOST, 443, addresses=[(socket.AF_INET, (PUBLIC_IP, 443))])

    assert connection.host == HOST
    assert connection._context.check_hostname is True
    assert connection._context.verify_mode.name == "CERT_REQUIRED"


def test_a_redirect_to_a_private_address_is_not_followed(
    settings, receiver, another_receiver, user, django_capture_on_commit_callbacks
):
    # given: the endpoint answers 307 pointing inside
    receiver.statuses = [307]
    receiver.location = another_receiver.url
    endpoint = webhook_endpoint_create(owner=user, url=receiver.url, events=["*"])

    # when
    with django_capture_on_commit_callbacks(execute=True):
        webhook_endpoint_ping(endpoint=endpoint)

    # then
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("pending", 307)
    assert len(receiver.received) == 1
    assert another_receiver.received == []
