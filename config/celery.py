"""The Celery application: configured from Django settings (``CELERY_*``)."""

import logging.config
import os

from celery import Celery, signals
from django.conf import settings

# Production unless told otherwise: a worker started without DJANGO_SETTINGS_MODULE must not
# run with the development settings. manage.py and dev.py choose the local settings.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")

app = Celery("gigfair")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def logging_from_settings(**kwargs) -> None:
    """Workers and beat log through settings.LOGGING, like the web: JSON lines in production."""
    logging.config.dictConfig(settings.LOGGING)
