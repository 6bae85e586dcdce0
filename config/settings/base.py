"""Settings shared by every environment, read from the environment (12-factor).

With nothing set, Gigfair runs on SQLite in the project folder and on an embedded Celery
broker (kombu's filesystem transport) that needs no server. With ``DATABASE_URL`` and
``REDIS_URL`` it runs on PostgreSQL and Redis.
"""

import contextlib
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# What the processes write besides the database: the embedded broker's files, beat's schedule.
VAR_DIR = Path(env("GIGFAIR_VAR_DIR", default=str(BASE_DIR / "var")))
with contextlib.suppress(OSError):  # a read-only web container writes nothing there
    VAR_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "config.admin_config.GigfairAdminConfig",  # django.contrib.admin with the support dashboard
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
    "axes",
    "csp",
    "core",
    "marketplace",
    "orders",
    "disputes",
    "credit",
    "portal",
]

MIDDLEWARE = [
    "core.logs.RequestIdMiddleware",  # first: every log line of the request carries its id
    "django.middleware.security.SecurityMiddleware",
    "core.health.HealthCheckMiddleware",  # /healthz and /readyz, before the host check
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "marketplace.middleware.UserLanguageMiddleware",  # a signed-in user's language on a new device
    "core.timezones.TimeZoneMiddleware",  # a signed-in user's time zone, else the browser's
    "django.contrib.messages.middleware.MessageMiddleware",
    # Before anything reads the body (the CSRF check reads the form): 413 on a Content-Length too large.
    "core.middleware.RequestSizeLimitMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a login refused by a lock into the lock's answer.
    "axes.middleware.AxesMiddleware",
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
    # Parameters bound on the server, so psycopg prepares a statement the first time its SQL
    # repeats: PostgreSQL then skips planning (3.5 ms for the order detail's join). Turn it off
    # behind a pooler in transaction mode (pgbouncer before 1.21), which cannot keep statements.
    if env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {}).update({"server_side_binding": True, "prepare_threshold": 1})
    # Give up on an unreachable server in seconds (libpq waits forever), so /readyz answers.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
    )
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
    CACHES = {
        "default": {
            "BACKEND": "core.cache.SharedClientRedisCache",
            "LOCATION": REDIS_URL,
            # Two deployments sharing one Redis keep their cache apart (and CELERY_QUEUE their tasks).
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", default=""),
        }
    }
    # A session is read from Redis, from the database only when Redis has lost it.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Auth -------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes comes first: it refuses a locked login before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, the session's user read by a prepared read.
    "marketplace.auth_backends.PreparedModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "home"

# --- Login lockout (django-axes) ----------------------------------------------------------
# After 5 failed logins for one username from one address, that pair is locked for 15 minutes
# on every login path (web, admin, API token), even for the right password. Another address, or
# another username from the same address, is not locked: nobody can lock a person out from afar.
# The attempts live in the database, so every web worker sees the same lock.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A successful login forgets that pair's earlier failures.
AXES_RESET_ON_SUCCESS = True
# Tries during a lock do not push its end further: it ends when Retry-After said it would.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Every failure is kept for support (the attempts above are forgotten once they expire).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# No banner on every manage.py command; locks and failures are still logged as warnings.
AXES_VERBOSE = False
# The locked page is the login page itself, with the lock named on its form, answered as 429.
AXES_LOCKOUT_CALLABLE = "marketplace.logins.lockout_response"
# The client's address: REMOTE_ADDR, unless this many trusted reverse proxies stand in front of
# Django and append to X-Forwarded-For (then the address the nearest of them saw).
GIGFAIR_TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "marketplace.logins.client_ip"

# --- E-mail verification --------------------------------------------------------------------
# Notifications are e-mailed only to an address confirmed through a signed link that lasts this long.
EMAIL_VERIFICATION_MAX_AGE = timedelta(days=env.int("EMAIL_VERIFICATION_MAX_AGE_DAYS", default=3))
# At most one verification e-mail per account in this time (asked again or a changed address).
EMAIL_VERIFICATION_RESEND_AFTER = timedelta(seconds=env.int("EMAIL_VERIFICATION_RESEND_AFTER_SECONDS", default=120))

# --- Internationalisation -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("nl", _("Dutch")),
    ("pt-br", _("Brazilian Portuguese")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files are never served from MEDIA_URL: each is read through a view that checks who
# asks (``core.downloads``). They are stored under random names (``core.uploads.stored_name``).
MEDIA_URL = "media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# First the byte counter: a file over 10 MB is dropped while it streams in, never kept.
FILE_UPLOAD_HANDLERS = [
    "core.uploads.UploadLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
# A whole request: five files of 10 MB (the most a message, claim or appeal takes) and the fields
# around them. A larger Content-Length is answered 413 before the body is read (core.middleware).
GIGFAIR_MAX_REQUEST_BYTES = env.int("GIGFAIR_MAX_REQUEST_BYTES", default=51 * 1024 * 1024)
# The fields other than files (Django's default, stated here): more is refused with 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail -------------------------------------------------------------------------------
EMAIL_BACKEND = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Where the file-based backend (what `dev.py up` uses) writes each message.
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="Gigfair <no-reply@gigfair.local>")

# --- API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.api.authentication.PreparedTokenAuthentication",
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
# Two deployments sharing one Redis keep their tasks apart by queue name.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
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
    "orders.expire_waitlist_offers": {
        "path": "orders.waitlist.waitlist_offers_expire",
        "schedule": crontab(minute="*"),
    },
    "orders.shift_confirmations": {"path": "orders.jobs.shift_confirmations", "schedule": crontab(minute="*/5")},
    "orders.expire_handovers": {"path": "orders.handovers.handovers_expire", "schedule": crontab(minute="*")},
    "orders.send_payouts": {"path": "orders.payouts.send_payouts", "schedule": crontab(minute="*/5")},
    "orders.finish_deposit_payments": {
        "path": "orders.deposits.finish_deposit_payments",
        "schedule": crontab(minute="*/5"),
    },
    "orders.return_deposits": {"path": "orders.deposits.return_deposits", "schedule": crontab(minute=25)},
    "orders.reconcile_ledger": {
        "path": "orders.reconciliation.reconcile_ledger",
        "schedule": crontab(minute=40, hour=3),
    },
    "orders.send_shift_reminders": {"path": "orders.jobs.send_shift_reminders", "schedule": crontab(minute="*/5")},
    "orders.publish_due_reviews": {"path": "orders.reviews.reviews_publish_due", "schedule": crontab(minute="*/5")},
    "orders.send_review_reminders": {"path": "orders.reviews.review_reminders_send", "schedule": crontab(minute=17)},
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
    # review.pending (written, still blind), review.published, review.removed
    "orders.Review": {"event": "review", "parties": ("author", "subject"), "url_name": "api-review-detail"},
    # payout.requested, payout.paid, payout.failed (money back to available); a retry is requested again
    "orders.Payout": {"event": "payout", "parties": ("user",), "url_name": "api-me-payout-detail"},
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

# --- Security headers ---------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts, styles and everything else from this site
# only, so no inline script, style="" attribute or on* handler runs (static/ holds them all).
# Swagger UI gets its start-up script from its own URL (config.api_urls).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Pico's and Swagger UI's icons are data: SVGs in their style sheets.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The probes answer over plain HTTP too: a load balancer calls the process directly.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

# --- Logging ------------------------------------------------------------------------------
# Readable lines for a developer; production writes JSON lines with the request id instead.
# Celery's worker and beat use this too (config.celery).
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"readable": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "readable"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # The access line of each request (core.logs): runserver prints its own.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "core.access": {"level": "WARNING"},
        # Failures and locks are warnings; axes' per-request chatter is not worth a line each.
        "axes": {"level": "WARNING"},
    },
}
