"""Settings for peachcomms, read once from the environment through django-environ.

The embedded default (no variables set) is a development setup that needs no servers:
SQLite, a filesystem Celery broker and the outbox providers. Production sets
DATABASE_URL, REDIS_URL, SECRET_KEY and the provider credentials (README.md,
"Configuration"; docs/architecture.md, "Run modes").
"""

import hashlib
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# The embedded default is a development setup (DEBUG on, a fixed development key).
# Production sets DEBUG=false, and then a missing SECRET_KEY stops start-up.
DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set: production (DEBUG=false) needs a long random SECRET_KEY."
        )
    SECRET_KEY = "peachcomms-insecure-development-key-do-not-use-in-production"
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "borrowers",
    "subjects",
    "templating",
    "compliance",
    "interactions",
    "providers",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "peachcomms.api.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "peachcomms.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

WSGI_APPLICATION = "peachcomms.wsgi.application"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
_postgresql = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if _postgresql and env.bool("DATABASE_POOL", default=True):
    # Django's own connection pool (psycopg_pool): a process keeps up to MAX_SIZE open
    # connections and a request borrows one. Django requires CONN_MAX_AGE=0 with it.
    # Behind PgBouncer in transaction mode keep it on (it pools the client side) and set
    # prepare_threshold to none: a server-side prepared statement would outlive the
    # transaction PgBouncer gave its session for (README, "Configuration").
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN_SIZE", default=1),
        "max_size": env.int("DATABASE_POOL_MAX_SIZE", default=32),
        "timeout": env.float("DATABASE_POOL_TIMEOUT", default=10.0),
    }
if env.str("DATABASE_PREPARE_THRESHOLD", default="") == "none":
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default runs web and worker against one file: wait for the writer
    # instead of failing with "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    # The test database is named after this checkout, so that two checkouts sharing one
    # PostgreSQL never drop each other's (pytest-xdist adds _gw0, _gw1, ... per worker).
    _checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:8]
    DATABASES["default"].setdefault("TEST", {}).setdefault(
        "NAME", f"test_{DATABASES['default']['NAME']}_{_checkout}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # No manifest: the app serves its own static files with or without collectstatic.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve collected files, and find them in the apps when collectstatic has not run (make run).
WHITENOISE_USE_FINDERS = True

# A request body above this is refused with 413 before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10 * 1024 * 1024)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["peachcomms.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["peachcomms.api.permissions.HasApiKeyPermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["peachcomms.api.parsers.StrictJSONParser"],
    "DEFAULT_METADATA_CLASS": "peachcomms.api.metadata.RouteMetadata",
    "DEFAULT_SCHEMA_CLASS": "peachcomms.api.schema.ApiAutoSchema",
    "EXCEPTION_HANDLER": "peachcomms.api.errors.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "NON_FIELD_ERRORS_KEY": "nonFieldErrors",
    # ISO-8601 in UTC, fixed width: "2026-11-26T14:15:22.000000Z" (%04Y pads years < 1000).
    "DATETIME_FORMAT": "%04Y-%m-%dT%H:%M:%S.%fZ",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "peachcomms API",
    "DESCRIPTION": (Path(__file__).parent / "api" / "openapi_description.md").read_text(),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "InteractionStatusEnum": "interactions.catalogue.status_values",
        "CaseTypeEnum": "borrowers.models.Case.CaseType",
    },
    "SCHEMA_PATH_PREFIX": "/api",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-KEY"},
            "BearerKey": {"type": "http", "scheme": "bearer"},
        }
    },
    "SECURITY": [{"ApiKeyHeader": []}, {"BearerKey": []}],
    "AUTHENTICATION_WHITELIST": [],
    "DISABLE_ERRORS_AND_WARNINGS": True,
    # The default enum hook, then what the server enforces (schema_constraints.py).
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "peachcomms.api.schema_constraints.postprocess_enforced_constraints",
    ],
}

# Celery: Redis in production and tests; with no REDIS_URL, kombu's filesystem transport,
# which needs no server and is shared by the web process and the worker through a folder.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / "var" / "celery")))
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # visibility_timeout: an unacknowledged message is redelivered after this long, so it
    # must exceed the longest task (the hard time limit below); nothing is ever published
    # with an ETA or countdown (due times are rows claimed by the beat, docs/architecture.md).
    # The socket timeouts make a publish fail fast when Redis is unreachable: the web
    # request goes on, and the beat re-enqueues the row once Redis is back.
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = {
        "visibility_timeout": 3600,
        "socket_timeout": 5,
        "socket_connect_timeout": 5,
    }
else:
    # The filesystem transport ignores the host, but kombu warns "No hostname was
    # supplied" on every publish when the URL names none: name the one it would assume.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DATA_DIR / "queue"),
        "data_folder_out": str(CELERY_DATA_DIR / "queue"),
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "control_folder": str(CELERY_DATA_DIR / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Keep a worker's database connection for 100 tasks (Celery 5.7 otherwise opens and closes
# one around every task, which halves dispatch throughput).
CELERY_DB_REUSE_MAX = 100
CELERY_TASK_TIME_LIMIT = 300
# Dispatch (docs/adr/0005-dispatch-exactly-once.md): rows one task sends at most; seconds
# before an unstarted reservation of a dead worker is given back; seconds before a due row
# whose task was lost is published again.
DISPATCH_BATCH = env.int("DISPATCH_BATCH", default=100)
DISPATCH_RESERVED_AFTER = env.int("DISPATCH_RESERVED_AFTER", default=60)
DISPATCH_REENQUEUE_AFTER = env.int("DISPATCH_REENQUEUE_AFTER", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE: dict = {
    # Claims due scheduled sends and enqueues them; recovers sends whose worker died.
    # ``expires``: ticks queued while no worker runs are dropped, not replayed in a burst.
    "interactions-claim-due": {
        "task": "interactions.claim_due",
        "schedule": 5.0,
        "options": {"expires": 4.5},
    },
}
# Queues: "sends" (one message to a provider per task), "pdfs" (rendering), "webhooks"
# (provider events), "celery" (the beat's housekeeping and anything else). Declared here
# so that a worker started without -Q consumes all four; tasks are routed by name:
# ``<app>.pdf_*`` to pdfs, ``<app>.webhook_*`` to webhooks.
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = tuple(Queue(name, routing_key=name) for name in ("celery", "sends", "pdfs", "webhooks"))
CELERY_TASK_ROUTES = {
    "interactions.dispatch": {"queue": "sends"},
    "interactions.claim_due": {"queue": "celery"},
    "*.pdf_*": {"queue": "pdfs"},
    "*.webhook_*": {"queue": "webhooks"},
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# PDFs (templating/rendering/pdf.py, templating/pdf_slots.py): the HTML a letter may have
# (characters, start tags) before xhtml2pdf is refused it, the seconds its render process
# may run before it is killed, and how many PDFs one company may render at once (0: no
# limit); a normal one-page letter has about 100 tags and renders in well under a second.
PDF_MAX_HTML_CHARS = env.int("PDF_MAX_HTML_CHARS", default=1_000_000)
PDF_MAX_ELEMENTS = env.int("PDF_MAX_ELEMENTS", default=5_000)
PDF_RENDER_SECONDS = env.float("PDF_RENDER_SECONDS", default=10.0)
PDF_RENDERS_PER_COMPANY = env.int("PDF_RENDERS_PER_COMPANY", default=2)

# Providers (README.md "Configuration"); outbox records messages instead of sending them.
EMAIL_PROVIDER = env.str("EMAIL_PROVIDER", default="outbox")
SMS_PROVIDER = env.str("SMS_PROVIDER", default="outbox")
VOICE_PROVIDER = env.str("VOICE_PROVIDER", default="outbox")
MAIL_PROVIDER = env.str("MAIL_PROVIDER", default="outbox")
SENDGRID_API_KEY = env.str("SENDGRID_API_KEY", default="")
SENDGRID_API_URL = env.str("SENDGRID_API_URL", default="https://api.sendgrid.com")
SENDGRID_FROM_EMAIL = env.str("SENDGRID_FROM_EMAIL", default="")
SENDGRID_WEBHOOK_PUBLIC_KEY = env.str("SENDGRID_WEBHOOK_PUBLIC_KEY", default="")
TWILIO_ACCOUNT_SID = env.str("TWILIO_ACCOUNT_SID", default="")
TWILIO_AUTH_TOKEN = env.str("TWILIO_AUTH_TOKEN", default="")
TWILIO_FROM_NUMBER = env.str("TWILIO_FROM_NUMBER", default="")
TWILIO_API_URL = env.str("TWILIO_API_URL", default="https://api.twilio.com")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
