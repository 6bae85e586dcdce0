"""Request ids: made or taken from X-Request-ID, sent back, and on every log line of the request."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from core.logs import RequestIdFilter, request_id_get
from core.tasks import run_sweep_task

ROOT = Path(__file__).resolve().parent.parent.parent


class Records(logging.Handler):
    """Keeps the records it is handed, after the filter production puts on its handler."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def records():
    handler = Records()
    root = logging.getLogger()
    access = logging.getLogger("core.access")
    level = access.level
    root.addHandler(handler)
    access.setLevel(logging.INFO)
    yield handler.records
    root.removeHandler(handler)
    access.setLevel(level)


def test_a_request_gets_a_new_id_in_the_response(client):
    # when
    response = client.get("/healthz")

    # then
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])
    assert client.get("/healthz")["X-Request-ID"] != response["X-Request-ID"]


def test_a_well_formed_incoming_id_is_kept(client):
    # when a proxy sends its own id
    response = client.get("/healthz", HTTP_X_REQUEST_ID="edge-7f3a.42:01")

    # then
    assert response["X-Request-ID"] == "edge-7f3a.42:01"


@pytest.mark.parametrize("sent", ["two words", "x" * 129, "<script>", "-starts-with-a-dash", "é"])
def test_a_malformed_incoming_id_is_replaced(client, sent):
    # when
    response = client.get("/healthz", HTTP_X_REQUEST_ID=sent)

    # then
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


@pytest.mark.django_db
def test_every_line_logged_during_a_request_carries_its_id(client, records):
    # when a request logs (the 404 warning, then the access line)
    response = client.get("/no/such/page/", HTTP_X_REQUEST_ID="req-1")

    # then
    assert response.status_code == 404
    lines = [(r.name, r.request_id) for r in records]
    assert ("django.request", "req-1") in lines
    assert ("core.access", "req-1") in lines
    access = next(r for r in records if r.name == "core.access")
    assert (access.method, access.path, access.status) == ("GET", "/no/such/page/", 404)
    assert access.duration_ms >= 0
    # and the id is gone once the request is answered
    assert request_id_get() is None


def test_a_line_outside_any_request_or_task_has_neither_id(records):
    # when
    logging.getLogger("gigfair.test").warning("plain")

    # then
    assert (records[-1].request_id, records[-1].task_id) == (None, None)


def test_a_line_logged_by_a_celery_task_carries_the_task_id(records):
    # when a task logs (an unknown sweep is logged and ignored)
    result = run_sweep_task.apply(args=("orders.no_such_sweep",))

    # then
    line = next(r for r in records if r.getMessage() == "Unknown sweep orders.no_such_sweep")
    assert line.task_id == result.id
    assert line.request_id is None


def test_production_writes_json_lines_with_the_ids():
    # given the production settings, as a deployment starts them
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": "a-long-random-secret-for-this-test-only-0123456789abcdefghijkl",
        "DJANGO_ALLOWED_HOSTS": "gigfair.example",
    }
    code = (
        "import django, logging; django.setup(); "
        "from django.test import Client; "
        "Client().get('/healthz', HTTP_X_REQUEST_ID='req-json', secure=True); "
        "logging.getLogger('gigfair.test').warning('outside')"
    )

    # when it handles a request and logs outside one
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60, check=True
    )

    # then every line on stderr is a JSON object with the ids
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    access = next(line for line in lines if line["logger"] == "core.access")
    assert access["request_id"] == "req-json"
    assert access["message"] == "GET /healthz 200"
    assert access["status"] == 200
    assert {"time", "level", "task_id"} <= access.keys()
    outside = next(line for line in lines if line["message"] == "outside")
    assert (outside["level"], outside["request_id"], outside["task_id"]) == ("WARNING", None, None)
