"""Settings for the test suite: the same environment switches, fast hashing, eager tasks."""

import os

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHES, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_CLASSES": []}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
WEBHOOKS_ALLOW_PRIVATE_HOSTS = True  # the delivery tests run a real HTTP server on 127.0.0.1
# Parallel test workers (pytest -n) share one Redis: each keeps its cache keys apart.
CACHES = {
    name: {**cache, "KEY_PREFIX": f"{cache.get('KEY_PREFIX', '')}{os.environ.get('PYTEST_XDIST_WORKER', '')}"}
    for name, cache in CACHES.items()
}
