"""Settings for a deployment: everything secret comes from the environment.

``python3 dev.py serve`` runs the whole stack with these; ``manage.py check --deploy`` passes
with the environment the README's "Deploying" section lists.
"""

import logging

from config.settings.base import *  # noqa: F403
from config.settings.base import LOG_LEVEL, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
# No default: the development list (localhost) would answer 400 to every real visitor.
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")

# --- HTTPS ----------------------------------------------------------------------------------
# Gigfair runs behind a proxy that ends TLS and sets X-Forwarded-Proto, replacing any value a
# client sent.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# Strict-Transport-Security: a year by default. Lower DJANGO_SECURE_HSTS_SECONDS (to 300, say)
# while trying HTTPS out on a new domain; browsers remember the header for that long.
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Only makes the domain eligible for the browsers' preload lists; it is listed once submitted.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)

# --- Logging --------------------------------------------------------------------------------
# One JSON object per line, each with the request id (and the Celery task id in a worker), for
# a log collector; one access line per request (core.logs).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logs.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["request_id"], "formatter": "json"},
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "core.access": {"level": "INFO"},
        "axes": {"level": "WARNING"},
    },
}
# Python's warnings as log lines too, so that nothing on stderr breaks the JSON.
logging.captureWarnings(True)
