"""Migration core 0006: answers stored as JSON before it are replayed as the bytes the API sent."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from core.models import IdempotencyKey

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("core", "0005_support_group")]


def _migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets if targets is not None else executor.loader.graph.leaf_nodes())
    return executor


def test_stored_answers_become_their_rendered_bytes_with_their_content_type():
    # given: answers stored before the migration, and an anonymous key stored twice
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps.get_model("core", "IdempotencyKey")
    problem = {"type": "https://gigfair.example/problems/invalid", "title": "Bad request", "status": 400}
    old.objects.create(
        key="ok", method="POST", path="/a", request_hash="h1", response_status=201, response_body={"id": 7, "name": "é"}
    )
    old.objects.create(
        key="no", method="POST", path="/a", request_hash="h2", response_status=400, response_body=problem
    )
    old.objects.create(key="twice", method="POST", path="/a", request_hash="h3", response_status=None)
    old.objects.create(key="twice", method="POST", path="/a", request_hash="h3", response_status=None)

    # when
    _migrate()

    # then
    ok = IdempotencyKey.objects.get(key="ok")
    assert (bytes(ok.response_content), ok.response_content_type) == (
        '{"id":7,"name":"é"}'.encode(),
        "application/json",
    )
    refused = IdempotencyKey.objects.get(key="no")
    assert refused.response_content_type == "application/problem+json"
    assert bytes(refused.response_content).startswith(b'{"type":')
    assert IdempotencyKey.objects.filter(key="twice").count() == 1
