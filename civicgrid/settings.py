"""Settings, driven by the environment (CIVICGRID_*), with safe defaults for the demo.

Production sets at least CIVICGRID_SECRET_KEY, CIVICGRID_DATABASE_URL (PostgreSQL),
CIVICGRID_ALLOWED_HOSTS and CIVICGRID_DEBUG=0. See docs/operations.md.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("CIVICGRID_VAR_DIR", BASE_DIR.parent / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("CIVICGRID_DEBUG", False)
# The demo key is only for a laptop; production must set CIVICGRID_SECRET_KEY. `civicgrid serve` and
# the WSGI application refuse to start with it when DEBUG is off (civicgrid/core/startup.py).
DEMO_SECRET_KEY = "civicgrid-demo-only-not-for-production"
SECRET_KEY = os.environ.get("CIVICGRID_SECRET_KEY", DEMO_SECRET_KEY)
ALLOWED_HOSTS = env_list("CIVICGRID_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list(
    "CIVICGRID_CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000"
)

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
    "drf_spectacular_sidecar",  # Swagger UI / Redoc assets served locally (no CDN)
    "axes",  # login throttling: failed attempts, locked accounts and addresses (admin: Axes)
    "django_otp",
    "django_otp.plugins.otp_totp",  # the authenticator app (TOTP) of two-factor login
    "django_otp.plugins.otp_static",  # recovery codes
    "civicgrid.core",
    "civicgrid.areas",
    "civicgrid.people",
    "civicgrid.party",
    "civicgrid.cases",
    "civicgrid.deliberation",
    "civicgrid.volunteering",
    "civicgrid.indices",
    "civicgrid.accounts",
    "civicgrid.mediation",
    "civicgrid.fieldwork",
    "civicgrid.triage",
    "civicgrid.api",
    "civicgrid.open311",
    "civicgrid.dashboard",
    "civicgrid.demo",
]

MIDDLEWARE = [
    # Open311 and token-authenticated REST requests take a short chain of their own
    # (civicgrid/core/machine.py: which requests, which middleware, and why); all others this one.
    "civicgrid.core.machine.MachineRoutes",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "civicgrid.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # GET/HEAD of @replica_reads views may read from the replica (civicgrid/core/dbrouter.py).
    "civicgrid.core.dbrouter.ReplicaReadsMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes asks
]

ROOT_URLCONF = "civicgrid.urls"
WSGI_APPLICATION = "civicgrid.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "civicgrid.core.context_processors.civicgrid",
                "civicgrid.people.home.role_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("CIVICGRID_DATABASE_URL", f"sqlite:///{VAR_DIR / 'civicgrid.sqlite3'}"),
        conn_max_age=int(os.environ.get("CIVICGRID_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the web server and the worker read while one of them writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# --- Connection pooler (docs/operations.md "Connection pooling") ------------------------------------
# CIVICGRID_DB_POOLER=pgbouncer: CIVICGRID_DATABASE_URL points at pgbouncer in transaction mode, where
# consecutive transactions of one Django connection may run on different server connections. So: no
# server-side cursors (a named cursor lives across transactions), no prepared statements (psycopg
# prepares a query after a few runs; pgbouncer 1.18 cannot follow them), and nothing civicgrid needs
# is session state (only SET LOCAL, LOCK TABLE and SET CONSTRAINTS inside transactions; the one
# session-level use, the rollup rebuild's temporary tables, refuses to run through the pooler).
CIVICGRID_DB_POOLER = os.environ.get("CIVICGRID_DB_POOLER", "").strip().lower()
if CIVICGRID_DB_POOLER not in ("", "pgbouncer"):
    raise ValueError(
        f"CIVICGRID_DB_POOLER: unknown pooler {CIVICGRID_DB_POOLER!r} (use pgbouncer or leave it unset)"
    )


def _pooled(database: dict) -> dict:
    if CIVICGRID_DB_POOLER == "pgbouncer" and database["ENGINE"].endswith("postgresql"):
        database["DISABLE_SERVER_SIDE_CURSORS"] = True
        database.setdefault("OPTIONS", {})["prepare_threshold"] = None
    return database


_pooled(DATABASES["default"])

# --- Read replica (docs/operations.md "Read replica"; civicgrid/core/dbrouter.py) ------------------
# A hot standby of the primary: figures and public pages read from it while it is healthy.
CIVICGRID_REPLICA_URL = os.environ.get("CIVICGRID_REPLICA_URL", "")
CIVICGRID_REPLICA_MAX_LAG_SECONDS = float(os.environ.get("CIVICGRID_REPLICA_MAX_LAG_SECONDS", "10"))
CIVICGRID_REPLICA_CHECK_SECONDS = float(os.environ.get("CIVICGRID_REPLICA_CHECK_SECONDS", "5"))
CIVICGRID_REPLICA_PIN_SECONDS = float(os.environ.get("CIVICGRID_REPLICA_PIN_SECONDS", "15"))
DATABASE_ROUTERS: list = []
if CIVICGRID_REPLICA_URL:
    DATABASES["replica"] = _pooled(
        dj_database_url.parse(
            CIVICGRID_REPLICA_URL, conn_max_age=int(os.environ.get("CIVICGRID_DB_CONN_MAX_AGE", "60"))
        )
    )
    # A replica that does not answer within 2 s counts as down (the router then reads the primary).
    if DATABASES["replica"]["ENGINE"].endswith("postgresql"):
        DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    # Tests read "the replica" from the test database itself; no second test database is made.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["civicgrid.core.dbrouter.ReplicaRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account or address
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("CIVICGRID_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns at start-up when it is missing
# The project-wide stylesheet lives in civicgrid/static (not inside an app), so list it.
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("CIVICGRID_MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("CIVICGRID_EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = VAR_DIR / "mail"
EMAIL_HOST = os.environ.get("CIVICGRID_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("CIVICGRID_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("CIVICGRID_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("CIVICGRID_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("CIVICGRID_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("CIVICGRID_FROM_EMAIL", "civicgrid <noreply@civicgrid.local>")

# Reports without an account, per client address and hour (a shared cache makes it one count
# across gunicorn workers; see docs/operations.md).
CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR = int(os.environ.get("CIVICGRID_ANONYMOUS_REPORTS_PER_HOUR", "20"))

# Map tiles are off by default: nothing at run time reaches the internet.
CIVICGRID_TILE_URL = os.environ.get("CIVICGRID_TILE_URL", "")

# --- Client address, proxies, TLS (docs/operations.md "Behind the reverse proxy") ---------------
# Addresses or networks of the reverse proxies in front of civicgrid. Only from these is the
# forwarded-for header believed (civicgrid/core/clientaddr.py); empty: REMOTE_ADDR is the client.
CIVICGRID_TRUSTED_PROXIES = env_list("CIVICGRID_TRUSTED_PROXIES", "")
CIVICGRID_PROXY_HEADER = "HTTP_" + os.environ.get(
    "CIVICGRID_PROXY_HEADER", "X-Forwarded-For"
).upper().replace("-", "_")
# Served over HTTPS (directly or by the proxy): secure cookies, HSTS, and the proxy's scheme header.
CIVICGRID_TLS = env_bool("CIVICGRID_TLS", env_bool("CIVICGRID_SECURE_COOKIES", False))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CIVICGRID_TLS
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = CIVICGRID_TLS
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = CIVICGRID_TLS
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"  # follow links carry a secret token: never send it elsewhere
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if CIVICGRID_TLS:
    SECURE_HSTS_SECONDS = int(os.environ.get("CIVICGRID_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("CIVICGRID_HSTS_INCLUDE_SUBDOMAINS", False)
    SECURE_SSL_REDIRECT = env_bool("CIVICGRID_SSL_REDIRECT", False)
    if CIVICGRID_TRUSTED_PROXIES:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# --- Content-Security-Policy (django-csp): no inline script anywhere, nothing from elsewhere -------
_IMG_SRC = [SELF, "data:"]
if CIVICGRID_TILE_URL:
    from urllib.parse import urlsplit

    _tiles = urlsplit(CIVICGRID_TILE_URL)
    _IMG_SRC.append(f"{_tiles.scheme}://{_tiles.netloc}")
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # style="…" attributes (a progress bar's width) cannot run script; <style> and script stay 'self'.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": _IMG_SRC,
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Login throttling (django-axes) --------------------------------------------------------------
# After AXES_FAILURE_LIMIT wrong passwords for one account from one address, that pair is locked for
# the cool-off time. The admin lists locked accounts and addresses (Axes → Access attempts) and
# unlocks one by deleting its row (or `civicgrid axes_reset_username NAME`).
AXES_FAILURE_LIMIT = int(os.environ.get("CIVICGRID_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=float(os.environ.get("CIVICGRID_LOGIN_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "civicgrid.core.clientaddr.client_ip"
AXES_LOCKOUT_CALLABLE = "civicgrid.accounts.views.lockout"
AXES_VERBOSE = False

# --- Two-factor login (django-otp): required by civicgrid.accounts.policy --------------------------
OTP_TOTP_ISSUER = "civicgrid"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "civicgrid API",
    "DESCRIPTION": "REST API of civicgrid: cases, areas and figures, under the same permission scoping as the web pages.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several models have a "level" or "kind" with different choices: name each enum once.
    "ENUM_NAME_OVERRIDES": {
        "AreaLevelEnum": "civicgrid.areas.models.Level",
        "GridKindEnum": "civicgrid.areas.models.GridKind",
        "CaseLevelEnum": "civicgrid.cases.workflow.CaseLevel",
        "CaseKindEnum": "civicgrid.cases.workflow.Kind",
        "AttachmentKindEnum": "civicgrid.cases.workflow.AttachmentKind",
    },
}

# A shared cache makes rate-limit counts one across gunicorn workers and servers:
# CIVICGRID_CACHE_URL=redis://127.0.0.1:6379/0 (Django's RedisCache). Default: per-process memory.
CIVICGRID_CACHE_URL = os.environ.get("CIVICGRID_CACHE_URL", "")


def cache_from_url(url: str, prefix: str = "civicgrid") -> dict:
    if url.startswith(("redis://", "rediss://", "unix://")):
        return {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    if url in ("", "locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    raise ValueError(f"CIVICGRID_CACHE_URL: unsupported cache URL {url!r} (use redis://host:port/db)")


CACHES = {
    "default": cache_from_url(CIVICGRID_CACHE_URL, os.environ.get("CIVICGRID_CACHE_PREFIX", "civicgrid"))
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CIVICGRID_LOG_LEVEL", "WARNING")},
}

# Triage (civicgrid/triage): suggestions for new reports and the daily retrain in the worker.
# CIVICGRID_TRIAGE=off stops both (the pages still show stored suggestions).
TRIAGE_ENABLED = os.environ.get("CIVICGRID_TRIAGE", "on").lower() not in ("off", "0", "false", "no")
