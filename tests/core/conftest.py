"""Fixtures of the core tests: a real HTTP server that receives webhooks."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.cache import cache

from core.webhooks.events import ANY_ACTIVE_CACHE_KEY


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the server got, and how it answers: ``statuses`` first, in order, then ``default_status``."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    default_status: int = 200


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
        status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "http://127.0.0.1:9/elsewhere")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        pass  # quiet test output


@pytest.fixture
def receiver():
    """A threading HTTP server on 127.0.0.1, on a free port, for the length of one test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield server.receiver  # type: ignore[attr-defined]
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _forget_webhook_listeners():
    # The "any active endpoint?" answer is cached and tests roll back their endpoints: start and
    # end every test without it, so no other test pays for an endpoint that no longer exists.
    cache.delete(ANY_ACTIVE_CACHE_KEY)
    yield
    cache.delete(ANY_ACTIVE_CACHE_KEY)
