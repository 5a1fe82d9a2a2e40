"""Pushdeck settings: everything that varies between installations comes from the environment.

Each variable is read through one of the small helpers below, which fail loudly
(ImproperlyConfigured) on a value they cannot understand instead of guessing.
"""

import ipaddress
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be 1 or 0 (got {raw!r}).")


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_number(name, default, kind=float, minimum=0):
    raw = os.environ.get(name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number (got {raw!r}).") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum} (got {raw!r}).")
    return value


def env_percent(name, default):
    value = env_number(name, default, kind=int)
    if value > 100:
        raise ImproperlyConfigured(f"{name} is a percentage: at most 100 (got {value}).")
    return value


DEBUG = env_bool("DEBUG", False)

# What to do about a missing secret: production sets it, a checkout has `make run` generate its own.
_WHAT_TO_DO = (
    "set it in the environment (see the README's Configuration), or run `make run` once in this "
    "checkout: it generates var/local.env, which manage.py reads"
)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(f"SECRET_KEY is required when DEBUG is off: {_WHAT_TO_DO}.")
    SECRET_KEY = "insecure-development-only-secret-key-do-not-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Secrets from which the AES-256-GCM keys for stored API keys are derived, newest first.
API_KEY_ENCRYPTION_KEYS = env_list("API_KEY_ENCRYPTION_KEYS")
if not API_KEY_ENCRYPTION_KEYS and DEBUG:
    API_KEY_ENCRYPTION_KEYS = ["insecure-development-only-encryption-secret-0001"]
if not API_KEY_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(f"API_KEY_ENCRYPTION_KEYS is required when DEBUG is off: {_WHAT_TO_DO}.")
for _secret in API_KEY_ENCRYPTION_KEYS:
    if len(_secret) < 32:
        raise ImproperlyConfigured("Each API_KEY_ENCRYPTION_KEYS secret needs at least 32 characters.")

# The flows API servers users may connect to. Users pick one; they never type a URL (no SSRF).
FLOWS_API_SERVERS = env_list("FLOWS_API_SERVERS", ["https://push.btools.online"])
for _server in FLOWS_API_SERVERS:
    if not _server.startswith(("https://", "http://")):
        raise ImproperlyConfigured(f"FLOWS_API_SERVERS entry {_server!r} must be an http(s) URL.")
FLOWS_API_SERVERS = [server.rstrip("/") for server in FLOWS_API_SERVERS]
FLOWS_API_TIMEOUT = env_number("FLOWS_API_TIMEOUT", 10.0, minimum=0.1)
# The largest answer the dashboard reads from the API, once unpacked: a page of 1000 flows is
# about 1.5 MB, so 16 MB leaves room to spare while a hostile answer stops there.
FLOWS_API_MAX_BYTES = env_number("FLOWS_API_MAX_BYTES", 16 * 1024 * 1024, kind=int, minimum=64 * 1024)
# How long a flows page stays fresh in the shared cache; 0 turns the cache off.
FLOWS_CACHE_SECONDS = env_number("FLOWS_CACHE_SECONDS", 15, kind=int)
# How long the flows server keeps its subscribers' logs (its admin's retention, 90 days by
# default, API_CONTRACT.md): the window every count read from the logs covers.
FLOWS_LOG_RETENTION_DAYS = env_number("FLOWS_LOG_RETENTION_DAYS", 90, kind=int, minimum=1)
# Trends: every connection's flows are snapshotted this often by the worker; hourly detail is kept
# this many days (daily sums after), and all history, deleted flows' included, this many days.
STATS_SNAPSHOT_MINUTES = env_number("STATS_SNAPSHOT_MINUTES", 15, kind=int, minimum=1)
STATS_HOURLY_DAYS = env_number("STATS_HOURLY_DAYS", 14, kind=int, minimum=2)
STATS_RETENTION_DAYS = env_number("STATS_RETENTION_DAYS", 400, kind=int, minimum=1)
if STATS_RETENTION_DAYS < STATS_HOURLY_DAYS:
    raise ImproperlyConfigured("STATS_RETENTION_DAYS must be at least STATS_HOURLY_DAYS.")
IMAGE_MAX_BYTES = env_number("IMAGE_MAX_BYTES", 2 * 1024 * 1024, kind=int, minimum=1)
IMAGE_MAX_PIXELS = env_number("IMAGE_MAX_PIXELS", 4096 * 4096, kind=int, minimum=1)

# The local flows API (the sandbox app), served by this same site under /sandbox/.
SANDBOX_ENABLED = env_bool("SANDBOX_ENABLED", False)
SANDBOX_URL = os.environ.get("SANDBOX_URL", "http://127.0.0.1:8000/sandbox").rstrip("/")
SANDBOX_RATE_LIMIT = env_number("SANDBOX_RATE_LIMIT", 60, kind=int)
SANDBOX_RATE_WINDOW = env_number("SANDBOX_RATE_WINDOW", 60, kind=int, minimum=1)
# Which name the sandbox gives the list count: "total" (the vendor's page) or "total_results".
SANDBOX_TOTAL_FIELD = os.environ.get("SANDBOX_TOTAL_FIELD", "total_results")
if SANDBOX_TOTAL_FIELD not in ("total", "total_results"):
    raise ImproperlyConfigured("SANDBOX_TOTAL_FIELD must be total or total_results.")
SANDBOX_LATENCY_MS = env_number("SANDBOX_LATENCY_MS", 0, kind=int)
SANDBOX_FAULTS_ENABLED = env_bool("SANDBOX_FAULTS_ENABLED", False)
SANDBOX_IMAGE_MAX_MB = env_number("SANDBOX_IMAGE_MAX_MB", 2, kind=int, minimum=1)

HTTPS_ONLY = env_bool("HTTPS_ONLY", not DEBUG)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "axes",
    "django_tasks_db",
    "flows_app",
    "activity",
    "sandbox",
    "jobs",
    "trends",
    "teams",
    "deliveries",
    "sends",
    "flows",
    "accounts",
    # Sign-in: passwords (with a second factor) and the company's identity provider.
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.mfa",
    # The project too, for the commands that compose apps (manage.py demo).
    "dashboard",
]

MIDDLEWARE = [
    # First: /healthz answers probes on the container's own address, before the host check.
    "dashboard.health.HealthCheckMiddleware",
    "flows_app.logging.RequestLogMiddleware",
    "flows_app.middleware.RequestSizeLimitMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Pages shrink about tenfold; Django's gzip pads each answer against BREACH, and the CSRF
    # token is masked anew per response.
    "django.middleware.gzip.GZipMiddleware",
    # Inside gzip (its Vary: Accept-Encoding stays), outside everything that adds another Vary.
    "flows_app.jsi18n.catalog_varies_on_nothing",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the browser's Accept-Language (or the language cookie); URLs carry none.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # MFA_REQUIRED: a password account without a second factor sets one up before anything else.
    "accounts.middleware.proxy_sign_in",
    "accounts.middleware.second_factor_required",
    # A signed-in user's own language (the account menu) over the browser's.
    "flows_app.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "flows_app.middleware.HtmxHistoryMiddleware",
    "flows_app.middleware.HtmxMessagesMiddleware",
    "flows_app.middleware.ApiErrorMiddleware",
]

ROOT_URLCONF = "dashboard.urls"
WSGI_APPLICATION = "dashboard.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context.signin",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"),
        conn_max_age=60,
        # A connection kept from an earlier request is checked before use: after a restart of
        # PostgreSQL (an upgrade, a failover) the next page reconnects instead of failing.
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database that accepts connections but does not answer (overloaded, failing over) fails a
    # page (and /healthz) in seconds, not after the system's two minutes.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 3)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A transaction takes SQLite's write lock when it begins: two processes (web and worker, or
    # two workers) that each read, then write, in one transaction would otherwise deadlock, one of
    # them failing at once with "database is locked" instead of waiting its turn.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault("transaction_mode", "IMMEDIATE")
    # Write-ahead logging: a page reading the database no longer waits for another process's write
    # to end (the web server's processes, the worker, the sandbox, all on one file). The load
    # test: 538 -> 759 requests served in 20 s, p95 1,863 -> 1,231 ms (docs/BENCHMARKS.md).
    DATABASES["default"]["OPTIONS"].setdefault("init_command", "PRAGMA journal_mode=WAL;")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    _redis = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # A Redis that stops answering fails a page (and /healthz) in seconds instead of holding
        # every thread until gunicorn's timeout kills the process.
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
    CACHES = {"default": _redis, "shared": _redis, "rate-budget": _redis}
else:
    # Pages read from the API are kept in each process's memory, under a connection's generation
    # that lives in the shared cache: a write in one process retires the pages of every other.
    _shared = {"BACKEND": "flows_app.shared_cache.DatabaseSharedCache"}
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        # What every process (the web server's, the worker) must see alike and take atomically:
        # edit locks, one-time tokens, generations, the key's rate budget: rows of the database.
        "shared": _shared,
        "rate-budget": _shared,
    }

# Background work (the jobs app): tasks are queued in the database and run by `manage.py worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


# The key's budget, shared by everyone using a key (flows_app/api/budget.py, docs/BUDGET.md): each
# person's part of the limit the server announces, the part reads leave for changes, the part
# background work may reach (counting everyone's requests), and how soon a Refresh reads again.
BUDGET_PERSON_SHARE = env_percent("BUDGET_PERSON_SHARE", 50)
BUDGET_WRITE_SHARE = env_percent("BUDGET_WRITE_SHARE", 20)
BUDGET_BACKGROUND_SHARE = env_percent("BUDGET_BACKGROUND_SHARE", 50)
BUDGET_REFRESH_SECONDS = env_number("BUDGET_REFRESH_SECONDS", 10, kind=int)
# How long a job's worker may go without a sign of life before another worker takes the job over.
# Longer than a slice of work (20 s) plus one call with its retries (2 x FLOWS_API_TIMEOUT).
JOBS_LEASE_SECONDS = env_number("JOBS_LEASE_SECONDS", 60, kind=int, minimum=5)
# The most flows one bulk job changes. Each is an "ids" field of one request (the list's whole
# page of up to 1000, or the confirmation of every match), beside the list's query and the bulk
# form's own fields: Django's default of 1000 fields would refuse a whole page with a bare 400.
JOBS_MAX_ITEMS = 5000
# An import (flows_app/transfer.py) reads a file of at most this size (it is uploaded into memory,
# FILE_UPLOAD_MAX_MEMORY_SIZE above it) holding at most this many flows.
IMPORT_MAX_BYTES = env_number("IMPORT_MAX_BYTES", 2 * 1024 * 1024, kind=int, minimum=1024)
IMPORT_MAX_FLOWS = env_number("IMPORT_MAX_FLOWS", 1000, kind=int, minimum=1)
DATA_UPLOAD_MAX_NUMBER_FIELDS = JOBS_MAX_ITEMS + 100
# /healthz/worker fails when no worker has beaten for this long. A worker beats every few seconds
# between tasks, and a task (a bulk job's slice) runs for about 20 s.
WORKER_STALE_SECONDS = env_number("WORKER_STALE_SECONDS", 120, kind=int, minimum=10)

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_number("LOGIN_FAILURE_LIMIT", 5, kind=int, minimum=1)
AXES_COOLOFF_TIME = env_number("LOGIN_COOLOFF_MINUTES", 15, kind=int, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# How many reverse proxies in front of Pushdeck append to X-Forwarded-For: the client address is
# read from there (flows_app/client_ip.py). 0 (direct) trusts no header.
TRUSTED_PROXY_COUNT = env_number("TRUSTED_PROXY_COUNT", 0, kind=int)
AXES_CLIENT_IP_CALLABLE = "flows_app.client_ip.client_ip"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# E-mail (invitations, password resets): smtp://user:password@host:587 sends with STARTTLS,
# smtps://… over TLS from the start, smtp+insecure://… in plain text (a relay on this machine),
# console:// writes each mail to the log (`make run`).
EMAIL_URL = os.environ.get("EMAIL_URL", "smtp://localhost:25")
_email = urlsplit(EMAIL_URL)
if _email.scheme == "console":
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
elif _email.scheme in ("smtp", "smtps", "smtp+insecure"):
    try:
        _port = _email.port or {"smtps": 465, "smtp": 587}.get(_email.scheme, 25)
    except ValueError:
        raise ImproperlyConfigured(
            f"EMAIL_URL has a port that is not a number (got {EMAIL_URL!r})."
        ) from None
    _host = _email.hostname or "localhost"
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": _host,
                "port": _port,
                "username": unquote(_email.username or ""),
                "password": unquote(_email.password or ""),
                "use_ssl": _email.scheme == "smtps",
                # A relay on this machine (the default) rarely offers TLS; any other is asked for it.
                "use_tls": _email.scheme == "smtp" and _host not in ("localhost", "127.0.0.1", "::1"),
                "timeout": 10,
            },
        }
    }
else:
    raise ImproperlyConfigured(
        f"EMAIL_URL must start with smtp://, smtps://, smtp+insecure:// or console:// (got {_email.scheme!r})."
    )
DEFAULT_FROM_EMAIL = os.environ.get("EMAIL_FROM", "Pushdeck <pushdeck@localhost>")

# Sign-in (the accounts app, through django-allauth; the README's "Sign-in").
PASSWORD_LOGIN = env_bool("PASSWORD_LOGIN", True)
MFA_REQUIRED = env_bool("MFA_REQUIRED", False)
OIDC_ISSUER = os.environ.get("OIDC_ISSUER", "").rstrip("/")
OIDC_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
# The provider's name on the sign-in button ("Sign in with …"); Pushdeck's own words without it.
OIDC_NAME = os.environ.get("OIDC_NAME", "")
OIDC_SCOPES = env_list("OIDC_SCOPES", ["openid", "profile", "email"])
OIDC_ALLOWED_DOMAINS = [domain.lower().lstrip("@") for domain in env_list("OIDC_ALLOWED_DOMAINS")]
OIDC_GROUPS_CLAIM = os.environ.get("OIDC_GROUPS_CLAIM", "groups")
OIDC_SESSION_HOURS = env_number("OIDC_SESSION_HOURS", 12, kind=int, minimum=1)
if OIDC_ISSUER and not OIDC_ISSUER.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"OIDC_ISSUER must be an http(s) URL (got {OIDC_ISSUER!r}).")
if OIDC_ISSUER and not (OIDC_CLIENT_ID and OIDC_CLIENT_SECRET):
    raise ImproperlyConfigured("OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET too.")
if not OIDC_ISSUER and (OIDC_CLIENT_ID or OIDC_ALLOWED_DOMAINS):
    raise ImproperlyConfigured("OIDC_CLIENT_ID and OIDC_ALLOWED_DOMAINS need OIDC_ISSUER.")
if "openid" not in OIDC_SCOPES:
    raise ImproperlyConfigured("OIDC_SCOPES must include openid.")
if not PASSWORD_LOGIN and not OIDC_ISSUER:
    raise ImproperlyConfigured(
        "PASSWORD_LOGIN=0 leaves no way to sign in without OIDC_ISSUER (see the README's Sign-in)."
    )
# Behind an authenticating proxy (Authelia, authentik, oauth2-proxy): the header naming the signed-in
# person, believed only from the proxies' own addresses (TRUSTED_PROXY_ADDRESSES, networks too).
REMOTE_USER_HEADER = os.environ.get("REMOTE_USER_HEADER", "").strip()
TRUSTED_PROXY_ADDRESSES = env_list("TRUSTED_PROXY_ADDRESSES")
try:
    TRUSTED_PROXY_NETWORKS = [
        ipaddress.ip_network(address, strict=False) for address in TRUSTED_PROXY_ADDRESSES
    ]
except ValueError as error:
    raise ImproperlyConfigured(f"TRUSTED_PROXY_ADDRESSES: {error}.") from None
if REMOTE_USER_HEADER and not TRUSTED_PROXY_NETWORKS:
    raise ImproperlyConfigured(
        "REMOTE_USER_HEADER needs TRUSTED_PROXY_ADDRESSES: the proxies it is believed from, and no one else."
    )
# The provider's id in allauth's addresses (/accounts/oidc/<id>/login/).
OIDC_PROVIDER_ID = "oidc"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {
        "OAUTH_PKCE_ENABLED": True,
        "APPS": [
            {
                "provider_id": OIDC_PROVIDER_ID,
                "name": OIDC_NAME or "OpenID Connect",
                "client_id": OIDC_CLIENT_ID,
                "secret": OIDC_CLIENT_SECRET,
                "settings": {"server_url": OIDC_ISSUER, "scope": OIDC_SCOPES},
            }
        ]
        if OIDC_ISSUER
        else [],
    }
}
# Accounts are made by admins and invitations, or at a first sign-in with the provider; nobody
# signs up on their own. Username and password, as before allauth (the login form is Django's).
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
SOCIALACCOUNT_AUTO_SIGNUP = True
# A first sign-in whose address an account here already has (given by an admin) makes an account of
# its own, rather than stop at a sign-up form or take the other account over on the provider's word.
ACCOUNT_UNIQUE_EMAIL = False
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
# The provider's tokens are used once, to read who signed in, and never kept.
SOCIALACCOUNT_STORE_TOKENS = False
SOCIALACCOUNT_REQUESTS_TIMEOUT = FLOWS_API_TIMEOUT
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Pushdeck"
# Nobody signs up on their own, so no stranger's unverified address can hold an account hostage.
MFA_ALLOW_UNVERIFIED_EMAIL = True
MFA_FORMS = {"authenticate": "accounts.forms.SecondFactorForm"}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# The vendor's own API page is Chinese, and so are many of its users.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
# One catalog for the whole project (templates/ is shared by the apps); `make messages` updates
# it and every `make` target that serves or tests compiles it.
LOCALE_PATHS = [BASE_DIR / "locale"]
# Numbers grouped as CLDR writes each language (Django's zh_Hans groups none): dashboard/formats/.
FORMAT_MODULE_PATH = ["dashboard.formats"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": os.environ.get(
            "STATICFILES_BACKEND", "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "media"
# Images kept after a rejected submit (flows_app/drafts.py): a few per user, within a total budget,
# for 15 minutes. With several machines, share this folder or keep a user on one machine.
DRAFTS_ROOT = Path(os.environ.get("DRAFTS_ROOT", BASE_DIR / "var" / "drafts"))
DRAFTS_PER_USER = env_number("DRAFTS_PER_USER", 5, kind=int, minimum=1)
DRAFTS_MAX_BYTES = env_number("DRAFTS_MAX_BYTES", 256 * 1024 * 1024, kind=int, minimum=1024 * 1024)
MEDIA_URL = "media/"
# Uploads stay in memory, so the dashboard never writes one to disk: beyond this size the handler
# keeps counting but stops storing, and the form refuses the file as too large.
FILE_UPLOAD_HANDLERS = ["flows_app.upload_handlers.MemoryOnlyUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = max(IMAGE_MAX_BYTES, IMPORT_MAX_BYTES) + 64 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = IMAGE_MAX_BYTES + 1024 * 1024
# A flow carries one image: a second file part ends the request (400) before it is buffered.
DATA_UPLOAD_MAX_NUMBER_FILES = 1
# Larger bodies are refused before they are read (flows_app.middleware.RequestSizeLimitMiddleware).
REQUEST_MAX_BYTES = env_number("REQUEST_MAX_BYTES", 4 * IMAGE_MAX_BYTES + 1024 * 1024, kind=int, minimum=1024)


# A flow's image is served by its API server, over plain HTTP too (the sandbox of `make run` on its
# own port, an intranet server): the configured servers' origins are allowed whatever their scheme.
def _origins(urls):
    return [f"{urlsplit(url).scheme}://{urlsplit(url).netloc}" for url in urls]


_API_ORIGINS = _origins([*FLOWS_API_SERVERS, *([SANDBOX_URL] if SANDBOX_ENABLED else [])])
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:", "https:", *dict.fromkeys(_API_ORIGINS)],
    "connect-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    # Signing in and out with the provider posts a form that the browser follows to its pages.
    "form-action": [CSP.SELF, *_origins([OIDC_ISSUER] if OIDC_ISSUER else [])],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Sessions are read on every page: from the cache, with the database behind it.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
if HTTPS_ONLY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# One line per request and per upstream call (flows_app/logging.py); LOG_FORMAT=json for collectors.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
if LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be text or json (got {LOG_FORMAT!r}).")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "flows_app.logging.RedactSecrets"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "flows_app.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact"], "formatter": LOG_FORMAT}
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # urllib3 logs request lines only at DEBUG; keep it quiet so no header can leak through it.
    # django-tasks-db's worker logs each of its start-ups, which jobs/worker.py does every second.
    "loggers": {"urllib3": {"level": "WARNING"}, "django_tasks_db": {"level": "WARNING"}},
}
