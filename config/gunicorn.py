"""Gunicorn's settings for the production web server (``python3 dev.py serve`` uses them).

    gunicorn -c config/gunicorn.py [--bind 0.0.0.0:8000] [--workers 5]

Command-line options win over these. From the environment: ``PORT`` (or ``GUNICORN_BIND``),
``WEB_CONCURRENCY`` (the number of worker processes; by default 2 x CPUs + 1, at most 12),
``GUNICORN_TIMEOUT`` and ``FORWARDED_ALLOW_IPS`` (gunicorn's own).
"""

from __future__ import annotations

import os

MAX_WORKERS = 12


def cpu_count() -> int:
    """The CPUs this process may run on (a container's share, not the host's)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def default_workers() -> int:
    return min(2 * cpu_count() + 1, MAX_WORKERS)


wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or default_workers())
# A request that takes longer is cut off and its worker replaced; a stop waits this long for
# requests under way.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 30)
graceful_timeout = 20
keepalive = 5
# Replace each worker now and then, so a slow leak never grows without bound.
max_requests = 2000
max_requests_jitter = 200
# No runtime control socket: its default path is per user, so two servers on one machine
# would fight over it.
control_socket_disable = True
# The workers' heartbeat files in memory, never on a slow or full disk (gunicorn's advice for
# containers); they hold nothing but a timestamp.
if os.path.isdir("/dev/shm"):  # noqa: S108
    worker_tmp_dir = "/dev/shm"  # noqa: S108

# Django writes one access line per request, with its request id (core.logs); gunicorn's own
# lines are JSON like the application's (the same fields as config.settings.production).
logconfig_dict = {
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": [], "propagate": True},
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "environ": {"level": "WARNING"},  # "no .env file" on every start
    },
}
