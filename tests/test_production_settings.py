"""The production settings: chosen by default by the servers, safe by Django's deployment checks,
and sending the security headers.

Each test starts a Python process with a clean environment, as a server would be started.
"""

from __future__ import annotations

import json
import os
import runpy
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# What the README's "Deploying" section says to set (the database and Redis are not needed to
# import the settings or to run the checks).
DEPLOYMENT_ENV = {
    "DJANGO_SECRET_KEY": "k3Vq-9mZt2R8xLw0pYbN5sHc7JdFgUeAoQiTr4vXnMy6KzBa1CjEhWl",
    "DJANGO_ALLOWED_HOSTS": "gigfair.example",
}


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter with nothing in its environment but PATH and ``env``."""
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_wsgi_application_defaults_to_the_production_settings():
    # when a WSGI server imports the application without DJANGO_SETTINGS_MODULE
    result = python(
        "import config.wsgi; from django.conf import settings; print(settings.SETTINGS_MODULE, settings.DEBUG)",
        **DEPLOYMENT_ENV,
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False"]


def test_the_asgi_application_defaults_to_the_production_settings():
    result = python(
        "import config.asgi; from django.conf import settings; print(settings.SETTINGS_MODULE)", **DEPLOYMENT_ENV
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production"]


def test_celery_defaults_to_the_production_settings():
    # when a worker imports the Celery app without DJANGO_SETTINGS_MODULE
    result = python(
        "import os; from config.celery import app; from django.conf import settings; "
        "print(os.environ['DJANGO_SETTINGS_MODULE'], settings.DEBUG, settings.WEBHOOKS_ALLOW_PRIVATE_HOSTS)",
        **DEPLOYMENT_ENV,
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["config.settings.production", "False", "False"]


def test_a_server_without_a_secret_key_refuses_to_start():
    # when the deployment forgot DJANGO_SECRET_KEY
    result = python("import config.wsgi", DJANGO_ALLOWED_HOSTS="gigfair.example")

    # then it stops, naming what is missing, instead of running with a development key
    assert result.returncode != 0
    assert "Set the DJANGO_SECRET_KEY environment variable" in result.stderr


def test_manage_py_still_defaults_to_the_local_settings():
    # when a developer runs a management command
    code = "from django.conf import settings; print(settings.SETTINGS_MODULE)"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-1] == "config.settings.local"


def test_check_deploy_passes_with_the_documented_environment():
    # when
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings.production", **DEPLOYMENT_ENV},
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then: no warning at all (HSTS, secure cookies, SSL redirect, a strong key, no debug)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_sends_hsts_and_the_content_security_policy():
    # when anything is asked for over HTTPS (behind the TLS proxy); an API 404 needs no database
    result = python(
        "import json, config.wsgi; from django.test import Client; "
        "r = Client().get('/api/v1/nothing-here/', secure=True, HTTP_HOST='gigfair.example'); "
        "print(json.dumps(dict(r.headers)))",
        **DEPLOYMENT_ENV,
    )

    # then
    assert result.returncode == 0, result.stderr
    headers = json.loads(result.stdout.splitlines()[-1])
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    policy = dict(part.split(" ", 1) for part in headers["Content-Security-Policy"].split("; "))
    assert policy["default-src"] == "'self'"
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_hsts_is_configurable():
    result = python(
        "import config.wsgi; from django.conf import settings; "
        "print(settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS, settings.SECURE_HSTS_PRELOAD)",
        DJANGO_SECURE_HSTS_SECONDS="300",
        DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS="false",
        DJANGO_SECURE_HSTS_PRELOAD="false",
        **DEPLOYMENT_ENV,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["300", "False", "False"]


def test_serve_refuses_to_start_without_its_environment():
    # when the production stack is started with nothing set
    result = subprocess.run(
        [sys.executable, "dev.py", "serve"],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then it names each variable it needs, and how to make a secret key, and starts nothing
    assert result.returncode == 1
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"):
        assert f"  {name}: " in result.stderr
    assert "secrets.token_urlsafe" in result.stderr
    assert "Migrating" not in result.stdout


def test_gunicorn_runs_two_workers_per_cpu_plus_one_unless_told(monkeypatch):
    # given
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setenv("PORT", "8123")
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))

    # then
    assert config["workers"] == min(2 * config["cpu_count"]() + 1, config["MAX_WORKERS"])
    assert config["bind"] == "0.0.0.0:8123"
    assert config["wsgi_app"] == "config.wsgi:application"

    # when the platform says how many
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(ROOT / "config" / "gunicorn.py"))["workers"] == 3
