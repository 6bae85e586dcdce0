"""Fixtures of the core tests: a real HTTP server that receives webhooks."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
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
    location: str = "http://127.0.0.1:9/elsewhere"  # where a 3xx answer points


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        receiver: Receiver = self.server.receiver  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        receiver.received.append(Received(self.path, dict(self.headers.items()), body))
        status = receiver.statuses.pop(0) if receiver.statuses else receiver.default_status
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", receiver.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        pass  # quiet test output


@contextlib.contextmanager
def _serving() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.receiver  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver():
    """A threading HTTP server on 127.0.0.1, on a free port, for the length of one test."""
    with _serving() as served:
        yield served


@pytest.fixture
def another_receiver():
    """A second server, e.g. where a redirect points."""
    with _serving() as served:
        yield served


@pytest.fixture(autouse=True)
def _forget_webhook_listeners():
    # The "any active endpoint?" answer is cached and tests roll back their endpoints: start and
    # end every test without it, so no other test pays for an endpoint that no longer exists.
    cache.delete(ANY_ACTIVE_CACHE_KEY)
    yield
    cache.delete(ANY_ACTIVE_CACHE_KEY)
