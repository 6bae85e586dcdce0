"""Settings for the benchmarks: the test settings, but e-mails are queued for workers, not sent inline."""

from config.settings.test import *  # noqa: F403

CELERY_TASK_ALWAYS_EAGER = False
CELERY_BROKER_URL = "memory://"
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
