"""Probes for load balancers and orchestrators: ``/healthz`` (alive) and ``/readyz`` (can serve).

``/healthz`` answers 200 as long as the process can run Python: it touches nothing else, so a
database outage does not get every web process restarted. ``/readyz`` checks what a request
needs: the database answers, the Celery broker accepts a connection, and every migration is
applied; it answers 503 with the failed checks until then, so no traffic is sent to a process
started before ``migrate`` ran or cut off from its database.

Both are answered by ``HealthCheckMiddleware``, high in the middleware list, before the host
name is checked against ALLOWED_HOSTS (probes call a process by its address) and after the
HTTPS redirect, from which settings.SECURE_REDIRECT_EXEMPT spares them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import kombu
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

BROKER_TIMEOUT_SECONDS = 2.0


def _json(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    add_never_cache_headers(response)
    return response


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is alive; nothing else is checked."""
    return _json({"status": "ok"})


def _database_check() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _migrations_check() -> str:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return f"{len(plan)} unapplied" if plan else "ok"


def _broker_check() -> str:
    # kombu connects to Redis, or opens the embedded file broker, the way a worker would.
    with kombu.Connection(
        settings.CELERY_BROKER_URL,
        transport_options={
            **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
        },
        connect_timeout=BROKER_TIMEOUT_SECONDS,
    ) as connection:
        connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
    return "ok"


READINESS_CHECKS: dict[str, Callable[[], str]] = {
    "database": _database_check,
    "broker": _broker_check,
    "migrations": _migrations_check,
}


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the broker and the migrations are ready, else 503 naming what failed."""
    checks: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            checks[name] = check()
        except Exception:
            # The details (host names, driver messages) go to the log, not to whoever asks.
            logger.warning("readiness check %s failed", name, exc_info=True)
            checks[name] = "unavailable"
    failed = [name for name, result in checks.items() if result != "ok"]
    return _json(
        {"status": "unavailable" if failed else "ok", "checks": checks, "failed": failed},
        status=503 if failed else 200,
    )


PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {"/healthz": healthz, "/readyz": readyz}


class HealthCheckMiddleware:
    """Answer the probes before CommonMiddleware validates the Host header.

    An orchestrator calls a process by its address (``10.0.3.7:8000``), which is rarely in
    ALLOWED_HOSTS; any other request goes on to the host check as usual.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info)
        if probe is not None and request.method in ("GET", "HEAD"):
            return probe(request)
        return self.get_response(request)
