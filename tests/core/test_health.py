"""The probes: /healthz says the process is alive, /readyz that it can serve."""

from __future__ import annotations

import pytest
from django.db.migrations.recorder import MigrationRecorder
from django.test import override_settings
from django.urls import reverse

# A port nothing listens on: connecting is refused at once.
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def test_healthz_answers_without_touching_the_database(client):
    # when (no django_db mark: any query would fail the test)
    response = client.get("/healthz")

    # then
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_probes_answer_a_host_name_outside_allowed_hosts(client):
    # when an orchestrator calls the process by its address
    response = client.get("/healthz", HTTP_HOST="10.0.3.7:8000")

    # then the host check does not turn it away, while a page still is
    assert response.status_code == 200
    assert client.get("/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_are_not_redirected_to_https(client):
    # when
    response = client.get("/healthz")

    # then the probe answers over plain HTTP; a page is sent to HTTPS
    assert response.status_code == 200
    assert client.get("/login/").status_code == 301


def test_probes_are_named_urls():
    assert reverse("healthz") == "/healthz"
    assert reverse("readyz") == "/readyz"


@pytest.mark.django_db
def test_readyz_is_ready_when_database_broker_and_migrations_are(client):
    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "migrations": "ok"},
        "failed": [],
    }


@pytest.mark.django_db
def test_readyz_is_unavailable_without_the_broker(client):
    # given a broker nobody answers at
    with override_settings(CELERY_BROKER_URL=UNREACHABLE_REDIS, CELERY_BROKER_TRANSPORT_OPTIONS={}):
        # when
        response = client.get("/readyz")

    # then
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["broker"]
    assert body["checks"]["broker"] == "unavailable"  # the details are logged, not shown


@pytest.mark.django_db
def test_readyz_is_unavailable_while_a_migration_is_not_applied(client):
    # given the database does not have the latest migration of core
    MigrationRecorder.Migration.objects.filter(app="core").order_by("-applied", "-id").first().delete()

    # when
    response = client.get("/readyz")

    # then
    assert response.status_code == 503
    assert response.json()["failed"] == ["migrations"]
    assert response.json()["checks"]["migrations"] == "1 unapplied"


def test_only_get_and_head_are_probes(client):
    # when
    response = client.post("/healthz")

    # then the request goes on to the URL, which answers GET only
    assert response.status_code == 405
