"""Settings shared by every environment, read from the environment (12-factor).

With nothing set, Gigfair runs on SQLite in the project folder and on an embedded Celery
broker (kombu's filesystem transport) that needs no server. With ``DATABASE_URL`` and
``REDIS_URL`` it runs on PostgreSQL and Redis.
"""

from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_htmx",
    "core",
    "marketplace",
    "orders",
    "disputes",
    "credit",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.middleware.UserLanguageMiddleware",  # a signed-in user's language on a new device
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# --- Data -------------------------------------------------------------------------------
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Persistent connections: reconnecting per request cost a list endpoint 4x throughput.
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    # SQLite on a laptop: wait for a busy writer instead of failing at once, and take the
    # write lock at the start of a transaction so select_for_update-style sections serialise.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "marketplace.User"

REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("nl", _("Dutch")),
    ("pt", _("Portuguese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Gigfair <no-reply@gigfair.local>")

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.Pagination",
    "PAGE_SIZE": 20,
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "core.api.errors.problem_exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("API_THROTTLE_ANON", default="60/minute"),
        "user": env("API_THROTTLE_USER", default="600/minute"),
    },
    "COERCE_DECIMAL_TO_STRING": True,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Gigfair partner API",
    "DESCRIPTION": "Orders, cancellations, resolution requests, support cases and after-sales "
    "tickets for partners. Errors are application/problem+json (RFC 9457).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    # No validator badge: Swagger UI would fetch it from validator.swagger.io.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # A PATCH body is described as its serializer reads it: PATCH /me/ requires `language`; the
    # other PATCH bodies have no required field anyway.
    "COMPONENT_SPLIT_PATCH": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    # Choice sets that share a field name across areas get their own component names.
    "ENUM_NAME_OVERRIDES": {
        "CaseStateEnum": "disputes.models.CaseState",
        "StatementRoleEnum": "disputes.api.cases_serializers.ROLE_CHOICES",
        "RequestStateEnum": "disputes.models.RequestState",
        "CancelReasonEnum": "orders.models.PERSON_REASONS",
        "PartyRoleEnum": "orders.api.serializers.ROLE_CHOICES",
        "OrderStateEnum": "orders.models.OrderState",
        "ActorRoleEnum": "core.models.ActorRole",
        "KindEnum": "marketplace.models.ListingKind",
        "ClaimKindEnum": "disputes.models.ClaimKind",
        "ClaimStateEnum": "disputes.models.ClaimState",
        "PenaltyAppealStateEnum": "disputes.models.AppealState",
    },
}
IDEMPOTENCY_KEY_TTL_HOURS = 24

# --- Celery -------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {}
else:
    # Embedded broker: messages are files in var/broker, so a laptop needs no server.
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # The filesystem transport needs its folders before the first message is sent.
    for _folder in ("queue", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Every periodic sweep, by name: Celery beat runs them on these schedules and
# ``manage.py run_due_jobs`` runs each once. A sweep is a function in a domain app's jobs.py.
GIGFAIR_SWEEPS = {
    "orders.auto_complete_service_orders": {
        "path": "orders.jobs.auto_complete_service_orders",
        "schedule": crontab(minute="*/5"),
    },
    "orders.auto_complete_shift_orders": {
        "path": "orders.jobs.auto_complete_shift_orders",
        "schedule": crontab(minute="*/5"),
    },
    "orders.mark_late_orders": {"path": "orders.jobs.mark_late_orders", "schedule": crontab(minute="*")},
    "orders.cancel_no_shows": {"path": "orders.jobs.cancel_no_shows", "schedule": crontab(minute="*")},
    "orders.close_orders_without_requirements": {
        "path": "orders.jobs.close_orders_without_requirements",
        "schedule": crontab(minute="*/15"),
    },
    "orders.settle_refunds": {"path": "orders.jobs.settle_refunds", "schedule": crontab(minute="*/10")},
    # Charges are made as soon as they are asked for; this takes over declined and cut-off ones.
    "orders.settle_charges": {"path": "orders.jobs.settle_charges", "schedule": crontab(minute="*/5")},
    "orders.resume_order_placements": {
        "path": "orders.jobs.resume_order_placements",
        "schedule": crontab(minute="*"),
    },
    "orders.purge_stale_quotes": {"path": "orders.jobs.purge_stale_quotes", "schedule": crontab(minute=17, hour=3)},
    "disputes.remind_requests": {"path": "disputes.jobs.requests.remind_requests", "schedule": crontab(minute="*/5")},
    "disputes.expire_requests": {"path": "disputes.jobs.requests.expire_requests", "schedule": crontab(minute="*")},
    "disputes.flag_case_sla_breaches": {
        "path": "disputes.jobs.cases.flag_sla_breaches",
        "schedule": crontab(minute="*/5"),
    },
    "disputes.expire_info_requests": {
        "path": "disputes.jobs.cases.expire_info_requests",
        "schedule": crontab(minute="*/15"),
    },
    "disputes.flag_claim_sla_breaches": {
        "path": "disputes.jobs.claims.flag_claim_sla_breaches",
        "schedule": crontab(minute="*/5"),
    },
    "disputes.flag_appeal_sla_breaches": {
        "path": "disputes.jobs.claims.flag_appeal_sla_breaches",
        "schedule": crontab(minute="*/5"),
    },
    "disputes.close_ruled_cases": {
        "path": "disputes.jobs.cases.close_ruled_cases",
        "schedule": crontab(minute="*/15"),
    },
    "disputes.expire_ticket_confirmations": {
        "path": "disputes.jobs.tickets.expire_confirmations",
        "schedule": crontab(minute="*"),
    },
    "disputes.flag_ticket_sla_breaches": {
        "path": "disputes.jobs.tickets.flag_sla_breaches",
        "schedule": crontab(minute="*/5"),
    },
    # Credit's seller levels, from the numbers orders counts (credit knows nothing of orders).
    "credit.recompute_levels": {"path": "orders.jobs.recompute_levels", "schedule": crontab(minute=30, hour=2)},
    "core.purge_expired_idempotency_keys": {
        "path": "core.maintenance.purge_expired_idempotency_keys",
        "schedule": crontab(minute=7),
    },
    "core.retry_webhook_deliveries": {
        "path": "core.webhooks.jobs.retry_webhook_deliveries",
        "schedule": crontab(minute="*"),
    },
    "core.purge_old_webhook_deliveries": {
        "path": "core.webhooks.jobs.purge_old_webhook_deliveries",
        "schedule": crontab(minute=37, hour=3),
    },
}
# Where a lower app asks or tells a higher one (core.hooks): each such dependency, in one place.
# The apps' layers are written in pyproject.toml ([tool.importlinter]); no import climbs them.
GIGFAIR_HOOKS = {
    # marketplace asks, before a block: the ids of the orders between two people still open.
    "open_order_ids_between": "orders.selectors.open_order_ids_between",
    # marketplace tells, when a provider announces or withdraws time away: re-count the answer
    # windows of the requests sent to them.
    "provider_availability_changed": "disputes.services.requests.requests_reschedule_for_provider",
}
CELERY_BEAT_SCHEDULE = {
    name: {"task": "core.run_sweep", "schedule": spec["schedule"], "args": (name,)}
    for name, spec in GIGFAIR_SWEEPS.items()
}

# --- Partner webhooks ---------------------------------------------------------------------
# Every state change logged through core.audit becomes an event ``<subject>.<to_state>`` for
# the endpoints of the subject's parties. A subject is named here by its model: the event
# prefix, the paths from it to its parties (user foreign keys) and its API URL name.
GIGFAIR_WEBHOOK_SUBJECTS = {
    "orders.Order": {"event": "order", "parties": ("client", "provider"), "url_name": "api-order-detail"},
    "disputes.ResolutionRequest": {
        "event": "request",
        "parties": ("order__client", "order__provider"),
        "url_name": "api-request-detail",
    },
    "disputes.SupportCase": {
        "event": "case",
        "parties": ("order__client", "order__provider"),
        "url_name": "api-case-detail",
    },
    "disputes.AfterSalesTicket": {
        "event": "ticket",
        "parties": ("order__client", "order__provider"),
        "url_name": "api-ticket-detail",
    },
    "disputes.Claim": {
        "event": "claim",
        "parties": ("order__client", "order__provider"),
        "url_name": "api-claim-detail",
    },
    "disputes.PenaltyAppeal": {"event": "appeal", "parties": ("appellant",), "url_name": "api-appeal-detail"},
}
# Refuse endpoints on loopback, private and link-local addresses (true only on a laptop and in tests).
WEBHOOKS_ALLOW_PRIVATE_HOSTS = env.bool("WEBHOOKS_ALLOW_PRIVATE_HOSTS", default=False)
# Where people and partners reach Gigfair ("https://gigfair.example"): the links in e-mails and the
# object URLs in webhook payloads. Empty: e-mails carry no link and payloads paths only.
GIGFAIR_PUBLIC_URL = env("GIGFAIR_PUBLIC_URL", default="")
WEBHOOKS_PUBLIC_BASE_URL = GIGFAIR_PUBLIC_URL
WEBHOOKS_TIMEOUT_SECONDS = env.float("WEBHOOKS_TIMEOUT_SECONDS", default=5.0)
WEBHOOKS_DISABLE_AFTER_FAILURES = env.int("WEBHOOKS_DISABLE_AFTER_FAILURES", default=20)
WEBHOOKS_KEEP_DELIVERIES_DAYS = env.int("WEBHOOKS_KEEP_DELIVERIES_DAYS", default=30)
# How the owner hears that an endpoint was switched off (core names no domain app itself).
WEBHOOKS_OWNER_NOTIFIER = "marketplace.notifications.notify"

# --- Payments -----------------------------------------------------------------------------
PAYMENT_GATEWAY = env("PAYMENT_GATEWAY", default="orders.gateways.SimulatedCardGateway")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
