"""Settings for the test suite: the same environment switches, fast hashing, eager tasks."""

from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, REST_FRAMEWORK

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
