"""The production stack, end to end: ``python3 dev.py serve`` on PostgreSQL and Redis.

It boots gunicorn, a Celery worker and beat with the production settings on a database of its
own, waits for /readyz, takes one order from creation to cancellation through the API over real
HTTP, has the worker run a sweep sent through Redis, and stops everything with SIGTERM: a clean
exit and no process left behind.

Runs only when DATABASE_URL is PostgreSQL and REDIS_URL is set (the PostgreSQL and Redis leg of
.ci/run); it never touches the test database or the development files (static files, var/).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
from celery import Celery

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.skipif(
        not (DATABASE_URL.startswith(("postgres://", "postgresql://")) and REDIS_URL),
        reason="needs PostgreSQL and Redis: set DATABASE_URL and REDIS_URL",
    ),
]

PASSWORD = "Quiet-Harbour-2024"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url(name: str) -> str:
    return urllib.parse.urlsplit(DATABASE_URL)._replace(path=f"/{name}").geturl()


def _admin_connection() -> psycopg.Connection:
    return psycopg.connect(_database_url("postgres"), autocommit=True)


@pytest.fixture
def smoke_database():
    """A fresh, empty database for the stack to migrate, dropped afterwards."""
    name = f"gigfair_smoke_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield _database_url(name)
    with _admin_connection() as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _processes_with(marker: str) -> list[int]:
    """Ids of the running processes whose environment holds ``marker`` (every child inherits it)."""
    found = []
    if not Path("/proc").is_dir():  # not Linux: nothing to look through
        return found
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker.encode() in (entry / "environ").read_bytes():
                status = (entry / "status").read_text()
                if "State:\tZ" not in status:  # a zombie has already exited
                    found.append(int(entry.name))
    return found


class Api:
    """JSON over HTTP, as a partner behind the TLS proxy would send it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def call(self, method: str, path: str, body: dict | None = None, *, token: str = "", request_id: str = ""):
        headers = {"Accept": "application/json", "X-Forwarded-Proto": "https"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Token {token}"
        if request_id:
            headers["X-Request-ID"] = request_id
        data = json.dumps(body).encode() if body is not None else None
        url = f"{self.base_url}{path}"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)  # noqa: S310 - our server
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, dict(response.headers), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def sign_up(self, username: str) -> str:
        account = {"username": username, "email": f"{username}@example.com", "password": PASSWORD}
        status, _, body = self.call("POST", "/api/v1/accounts/", account)
        assert status == 201, body
        status, _, body = self.call("POST", "/api/v1/auth/token/", {"username": username, "password": PASSWORD})
        assert status == 200, body
        return body["token"]


def _wait_until_ready(base_url: str, server: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"dev.py serve exited with {server.returncode}:\n{log.read_text()}"
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(f"{base_url}/readyz", timeout=2) as response,  # noqa: S310
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"/readyz did not answer 200 in {timeout} s:\n{log.read_text()}")


def _refund_status(database_url: str, order_id: int) -> list[str]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT status FROM orders_refund WHERE order_id = %s", (order_id,)).fetchall()
    return [status for (status,) in rows]


def test_the_production_stack_serves_an_order_from_creation_to_cancellation(smoke_database, tmp_path):
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    marker = f"smoke-{uuid.uuid4().hex}"
    queue = f"gigfair-{marker}"  # the stack's own queue: other workers on this Redis never take its tasks
    log = tmp_path / "serve.log"
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "DATABASE_URL": smoke_database,
        "REDIS_URL": REDIS_URL,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_STATIC_ROOT": str(tmp_path / "static"),
        "DJANGO_MEDIA_ROOT": str(tmp_path / "media"),
        "GIGFAIR_VAR_DIR": str(tmp_path / "var"),
        "CELERY_QUEUE": queue,
        "CACHE_KEY_PREFIX": marker,  # nor do the tests read the stack's cache (throttles, flags)
        "WEB_CONCURRENCY": "2",
        "GIGFAIR_SMOKE_MARKER": marker,
    }

    # given the stack started as a deployment starts it
    with log.open("w") as output:
        server = subprocess.Popen(  # noqa: S603
            [sys.executable, "dev.py", "serve", "--host", "127.0.0.1", "--port", str(port), "--concurrency", "1"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_ready(base_url, server, log)
        api = Api(base_url)

        # when a provider offers a service and a client orders it, then cancels on the quoted terms
        provider = api.sign_up(f"prov{marker[-8:]}")
        client = api.sign_up(f"cli{marker[-8:]}")
        status, _, listing = api.call(
            "POST",
            "/api/v1/listings/",
            {
                "kind": "service",
                "title": "Hand-drawn shop sign",
                "description": "A sign for the bakery.",
                "price": "85.00",
                "currency": "EUR",
                "delivery_days": 5,
                "revisions": 1,
            },
            token=provider,
        )
        assert status == 201, listing
        status, _, order = api.call("POST", "/api/v1/orders/", {"listing": listing["id"]}, token=client)
        assert status == 201, order
        assert order["state"] == "awaiting_requirements"  # the client may still cancel alone
        status, _, quote = api.call("GET", f"/api/v1/orders/{order['id']}/cancellation-quote/", token=client)
        assert status == 200, quote
        assert quote["allowed"] is True, quote
        request_id = f"smoke-cancel-{marker[-8:]}"
        status, headers, cancelled = api.call(
            "POST",
            f"/api/v1/orders/{order['id']}/cancel/",
            {"reason": "schedule_change", "quote_id": quote["quote_id"]},
            token=client,
            request_id=request_id,
        )

        # then the order is cancelled, with the production headers on the answer
        assert status == 200, cancelled
        assert cancelled["state"] == "cancelled"
        assert headers["X-Request-ID"] == request_id
        assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert _refund_status(smoke_database, order["id"]) == ["pending"]

        # when the refund's settlement day has come and beat's message for the sweep goes through Redis
        with psycopg.connect(smoke_database) as connection:
            connection.execute(
                "UPDATE orders_refund SET settle_after = now() - interval '1 minute' WHERE order_id = %s",
                (order["id"],),
            )
        sender = Celery("smoke", broker=REDIS_URL, set_as_current=False)
        with sender.connection_for_write() as connection:
            sender.send_task("core.run_sweep", args=("orders.settle_refunds",), queue=queue, connection=connection)

        # then the worker pays it out
        deadline = time.monotonic() + 30
        while _refund_status(smoke_database, order["id"]) != ["settled"] and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _refund_status(smoke_database, order["id"]) == ["settled"], log.read_text()

        # when the stack is told to stop
        server.send_signal(signal.SIGTERM)
        returncode = server.wait(timeout=60)

        # then it stops cleanly and leaves no process behind
        assert returncode == 0, log.read_text()
        deadline = time.monotonic() + 10
        while _processes_with(marker) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_with(marker) == []

        # and what the web and the worker logged are JSON lines carrying the request and task ids
        lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
        cancel_lines = [line for line in lines if line.get("request_id") == request_id]
        assert any(line["logger"] == "core.access" and line["status"] == 200 for line in cancel_lines)
        sweep = next(line for line in lines if line["message"] == "sweep orders.settle_refunds: 1 processed")
        assert sweep["task_id"]
        assert any(line["logger"] == "celery.beat" for line in lines), "beat did not start"
    finally:
        if server.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        for pid in _processes_with(marker):  # only after a failure: stop what the stack left
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        # The queue of this run, kombu's records of it and the cache would otherwise stay in Redis.
        with redis.Redis.from_url(REDIS_URL) as broker:
            broker.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
            for key in broker.scan_iter(f"{marker}:*"):
                broker.delete(key)
