"""duban settings.

Server settings come from environment variables through small typed helpers that raise on a
bad value (healthchecks' envbool/envint pattern). Policy that the 督查室 changes at run time
lives in the database, not here.

DUBAN_ENV selects the profile: ``development`` (default, for `make run`), ``test`` (pytest)
and ``production`` (refuses insecure defaults, see duban.accounts.checks).
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def envint(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
BASE_DIR = Path(env("DUBAN_BASE_DIR", str(Path.cwd())))
DUBAN_ENV = env("DUBAN_ENV", "development")
if DUBAN_ENV not in ("development", "test", "production"):
    raise ImproperlyConfigured("DUBAN_ENV must be development, test or production")
PRODUCTION = DUBAN_ENV == "production"

# Where the embedded database, uploaded files and exports live unless configured otherwise.
DATA_DIR = Path(env("DUBAN_DATA_DIR", str(BASE_DIR / "var")))

if PRODUCTION:
    SECRET_KEY = env("DUBAN_SECRET_KEY") or ""
    if len(SECRET_KEY) < 50:
        raise ImproperlyConfigured("DUBAN_SECRET_KEY must be set to at least 50 random characters in production")
else:
    SECRET_KEY = env("DUBAN_SECRET_KEY", "insecure-development-key-only-for-local-use-never-in-production-0123456789")

DEBUG = envbool("DUBAN_DEBUG", DUBAN_ENV == "development")
ALLOWED_HOSTS = envlist("DUBAN_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = envlist("DUBAN_CSRF_TRUSTED_ORIGINS", [])
# Addresses of reverse proxies whose X-Forwarded-For we believe; everyone else's is ignored.
TRUSTED_PROXIES = envlist("DUBAN_TRUSTED_PROXIES", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "treebeard",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "duban.core",
    "duban.accounts",
    "duban.orgs",
    "duban.notices",
    "duban.tasks",
    "duban.intake",
    "duban.supervision",
    "duban.checks",
    "duban.meetings",
    "duban.datacheck",
    "duban.inspections",
    "duban.evaluation",
    "duban.dashboard",
    "duban.accountability",
    "duban.indicators",
    "duban.resources",
    "duban.petitions",
    "duban.api",
    "duban.demo",
    "duban.ops",
]

MIDDLEWARE = [
    "duban.core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "duban.core.middleware.RequestContextMiddleware",
    "duban.core.middleware.InputCharactersMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "duban.accounts.middleware.SessionTimeoutMiddleware",
    "duban.accounts.middleware.AdminNetworkMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "duban.core.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "duban.urls"
WSGI_APPLICATION = "duban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "duban.core.context_processors.navigation",
                "duban.notices.context_processors.unread",
            ],
        },
    }
]

# --- database -----------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("DUBAN_CONN_MAX_AGE", 60),
                                                   conn_health_checks=True)}
else:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("DUBAN_SQLITE_PATH", str(DATA_DIR / "duban.sqlite3")),
            "OPTIONS": {
                # Writers take the lock at BEGIN, so two writers never deadlock on a lock upgrade;
                # WAL lets readers go on while one writes (RL-07).
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            },
        }
    }
    if DUBAN_ENV == "test":
        DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-duban.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- caches and locks: shared across app servers ------------------------------------------------
REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # The database cache keeps counters (login throttling) shared by every app server.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "duban_cache"}}

# --- files --------------------------------------------------------------------------------------
MEDIA_ROOT = Path(env("DUBAN_MEDIA_ROOT", str(DATA_DIR / "media")))
MEDIA_URL = "/media-never-served/"  # evidence is served only through authorising views (AC-09)
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("DUBAN_STATIC_ROOT", str(BASE_DIR / "staticfiles")))
NODE_MODULES = Path(env("DUBAN_NODE_MODULES", str(BASE_DIR / "node_modules")))
STATICFILES_DIRS = [
    ("", PACKAGE_DIR / "static"),
    ("vendor/bootstrap", NODE_MODULES / "bootstrap" / "dist"),
    ("vendor/bootstrap-icons", NODE_MODULES / "bootstrap-icons" / "font"),
    ("vendor/htmx", NODE_MODULES / "htmx.org" / "dist"),
    ("vendor/echarts", NODE_MODULES / "echarts" / "dist"),
]
STATICFILES_DIRS = [(prefix, path) if prefix else path for prefix, path in STATICFILES_DIRS if path.exists()]
S3_BUCKET = env("DUBAN_S3_BUCKET")
STORAGES = {
    "default": (
        {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": S3_BUCKET,
                "endpoint_url": env("DUBAN_S3_ENDPOINT_URL"),
                "access_key": env("DUBAN_S3_ACCESS_KEY"),
                "secret_key": env("DUBAN_S3_SECRET_KEY"),
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        }
        if S3_BUCKET
        else {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(MEDIA_ROOT)}}
    ),
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Stop reading an upload as soon as it passes DUBAN_MAX_UPLOAD_BYTES: nothing past the limit
# reaches memory or disk.
FILE_UPLOAD_HANDLERS = [
    "duban.core.uploads.SizeLimitHandler",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
# Larger uploads stream to a directory of their own, so the worker can remove what a killed
# process left there without touching anything else (core.uploads.remove_stale_temporary_files).
FILE_UPLOAD_TEMP_DIR = env("DUBAN_UPLOAD_TEMP_DIR", str(DATA_DIR / "tmp" / "uploads"))
Path(FILE_UPLOAD_TEMP_DIR).mkdir(parents=True, exist_ok=True)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
DUBAN_MAX_UPLOAD_BYTES = envint("DUBAN_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
DUBAN_MAX_IMPORT_BYTES = envint("DUBAN_MAX_IMPORT_BYTES", 5 * 1024 * 1024)
DUBAN_MAX_IMPORT_ROWS = envint("DUBAN_MAX_IMPORT_ROWS", 5000)
# An .xlsx is a zip: refuse one that inflates beyond this before any parser sees it (zip bombs).
DUBAN_MAX_IMPORT_UNCOMPRESSED_BYTES = envint("DUBAN_MAX_IMPORT_UNCOMPRESSED_BYTES", 20 * DUBAN_MAX_IMPORT_BYTES)

# --- accounts, passwords, sessions --------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
AUTHENTICATION_BACKENDS = ["duban.accounts.backends.RoleBackend", "duban.accounts.backends.ApiTokenBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "duban.accounts.passwords.LengthValidator"},
    {"NAME": "duban.accounts.passwords.CharacterClassValidator"},
    {"NAME": "duban.accounts.passwords.ContextWordsValidator"},
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Security policy defaults (assessor practice, configurable; see docs/security.md).
DUBAN_PASSWORD_MIN_LENGTH = envint("DUBAN_PASSWORD_MIN_LENGTH", 10)
DUBAN_PASSWORD_MAX_LENGTH = 128
DUBAN_PASSWORD_MIN_CLASSES = envint("DUBAN_PASSWORD_MIN_CLASSES", 3)
DUBAN_PASSWORD_MAX_AGE_DAYS = envint("DUBAN_PASSWORD_MAX_AGE_DAYS", 90)  # 0 = no rotation (IA-03)
DUBAN_PASSWORD_HISTORY = envint("DUBAN_PASSWORD_HISTORY", 5)
DUBAN_ONE_TIME_PASSWORD_HOURS = envint("DUBAN_ONE_TIME_PASSWORD_HOURS", 24)  # initial passwords expire (IA-04)
DUBAN_RESET_PASSWORD_MINUTES = envint("DUBAN_RESET_PASSWORD_MINUTES", 30)  # admin-set reset passwords expire (IA-04)
DUBAN_ACCOUNT_IDLE_DAYS = envint("DUBAN_ACCOUNT_IDLE_DAYS", 90)  # 0 = never disable idle accounts (AC-02)
DUBAN_CONTEXT_WORDS = envlist("DUBAN_CONTEXT_WORDS", ["enshi", "恩施", "duban", "督办"])
DUBAN_LOCKOUT_THRESHOLD = envint("DUBAN_LOCKOUT_THRESHOLD", 5)
DUBAN_LOCKOUT_WINDOW = timedelta(minutes=envint("DUBAN_LOCKOUT_WINDOW_MINUTES", 15))
DUBAN_LOCKOUT_DURATION = timedelta(minutes=envint("DUBAN_LOCKOUT_MINUTES", 30))
DUBAN_IP_FAILURE_LIMIT = envint("DUBAN_IP_FAILURE_LIMIT", 20)
DUBAN_SESSION_IDLE = timedelta(minutes=envint("DUBAN_SESSION_IDLE_MINUTES", 15))
DUBAN_SESSION_ABSOLUTE = timedelta(hours=envint("DUBAN_SESSION_ABSOLUTE_HOURS", 8))
# Two factors (IA-10): the roles that must enrol a TOTP authenticator and give a code at every
# sign-in (others may opt in). The test profile starts with none, so the suite's fixtures sign
# administrators in with a password; the 2FA tests turn it on. Production refuses fewer than the four.
DUBAN_2FA_ROLES = envlist("DUBAN_2FA_ROLES", [] if DUBAN_ENV == "test" else
                          ["sysadmin", "secadmin", "auditor", "discipline"])
if PRODUCTION and not {"sysadmin", "secadmin", "auditor", "discipline"} <= set(DUBAN_2FA_ROLES):
    raise ImproperlyConfigured("DUBAN_2FA_ROLES must include sysadmin, secadmin, auditor and discipline in production")
OTP_TOTP_ISSUER = env("DUBAN_2FA_ISSUER", "duban")
# Management networks (AC-10): the administrators' pages answer only from these CIDRs (404 elsewhere);
# empty = no restriction. Set it in production, e.g. DUBAN_ADMIN_ALLOWED_NETS=10.20.0.0/24.
DUBAN_ADMIN_ALLOWED_NETS = envlist("DUBAN_ADMIN_ALLOWED_NETS", [])
DUBAN_ADMIN_PATHS = ["/accounts/users/", "/accounts/roles/", "/audit/"]
for _net in DUBAN_ADMIN_ALLOWED_NETS:
    try:
        __import__("ipaddress").ip_network(_net, strict=False)
    except ValueError as _exc:
        raise ImproperlyConfigured(f"DUBAN_ADMIN_ALLOWED_NETS: {_net!r} is not a network (CIDR)") from _exc
OTP_TOTP_THROTTLE_FACTOR = 1  # django-otp: after n failed codes, wait 2^(n-1) s before the next try
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = int(DUBAN_SESSION_ABSOLUTE.total_seconds())
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = envbool("DUBAN_SECURE_COOKIES", PRODUCTION)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = envbool("DUBAN_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = envint("DUBAN_HSTS_SECONDS", 31536000 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if TRUSTED_PROXIES else None
X_FRAME_OPTIONS = "DENY"

# Key for the audit ledger's HMAC chain. Separate from SECRET_KEY so the two can rotate apart.
DUBAN_LEDGER_KEY = env("DUBAN_LEDGER_KEY") or ("" if PRODUCTION else "development-ledger-key")
if PRODUCTION and len(DUBAN_LEDGER_KEY) < 32:
    raise ImproperlyConfigured("DUBAN_LEDGER_KEY must be set to at least 32 random characters in production")
# The ledger's MAC: "hmac-sha256" (every chain so far) or "hmac-sm3" (密评, through duban.core.crypto);
# each entry records its own algorithm, so switching mid-chain keeps old entries verifiable.
DUBAN_LEDGER_MAC = env("DUBAN_LEDGER_MAC", "hmac-sha256")
if DUBAN_LEDGER_MAC not in ("hmac-sha256", "hmac-sm3"):
    raise ImproperlyConfigured("DUBAN_LEDGER_MAC must be hmac-sha256 or hmac-sm3")
# The CryptoProvider (SM2/SM3/SM4): the software one, or a certified 密码机/密码服务 adapter.
# Its keys come from DUBAN_CRYPTO_KEYS or DATA_DIR/keys/crypto-keys.json, never from here.
DUBAN_CRYPTO_PROVIDER = env("DUBAN_CRYPTO_PROVIDER", "duban.core.crypto.SoftwareProvider")
# Audit retention (AU-06, 网络安全法 Art. 21: at least six months), in calendar months; the daily
# audit_archive job archives older entries to DATA_DIR/audit-archive and purges them (duban.core.audit_archive).
DUBAN_AUDIT_RETENTION_MONTHS = envint("DUBAN_AUDIT_RETENTION_MONTHS", 12)
if DUBAN_AUDIT_RETENTION_MONTHS < 6:
    raise ImproperlyConfigured("DUBAN_AUDIT_RETENTION_MONTHS must be at least 6 (网络安全法 Art. 21)")
DUBAN_AUDIT_PURGE = envbool("DUBAN_AUDIT_PURGE", PRODUCTION)
# RL-08: production refuses every security parameter below its floor (all listed at once).
if PRODUCTION:
    from duban.policy_floors import violations as _floor_violations

    _weak = _floor_violations(globals())
    if _weak:
        raise ImproperlyConfigured("security parameters below their floors (RL-08): " + "; ".join(_weak))
# The audit copy off the host (AU-09): tcp://host:port, udp://host:port or a socket path (duban.ops.audit_ship).
DUBAN_AUDIT_SYSLOG = env("DUBAN_AUDIT_SYSLOG", "")

# --- i18n ---------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

# --- email --------------------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "DUBAN_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend" if PRODUCTION else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env("DUBAN_EMAIL_HOST", "localhost")
EMAIL_PORT = envint("DUBAN_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("DUBAN_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("DUBAN_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = envbool("DUBAN_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env("DUBAN_EMAIL_FROM", "duban@localhost")

# --- background worker --------------------------------------------------------------------------
DUBAN_WORKER_POLL_SECONDS = envint("DUBAN_WORKER_POLL_SECONDS", 30)

# --- third-party --------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)r"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DUBAN_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
if DUBAN_AUDIT_SYSLOG:
    LOGGING["handlers"]["audit_syslog"] = {"class": "duban.ops.audit_ship.AuditSyslogHandler",
                                           "address": DUBAN_AUDIT_SYSLOG}
LOGGING["loggers"]["duban.audit"] = {"handlers": ["audit_syslog"] if DUBAN_AUDIT_SYSLOG else [], "level": "INFO",
                                     "propagate": False}

if DUBAN_ENV == "test":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# Labels for the enum-like settings that appear in the UI.
ENV_LABELS = {"development": _("开发"), "test": _("测试"), "production": _("生产")}
LOGIN_URL_PATH = "/accounts/login/"
# Outside production, serve static files straight from the finders (no collectstatic needed).
WHITENOISE_USE_FINDERS = not PRODUCTION
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise wants it to exist even when unused
WHITENOISE_AUTOREFRESH = DEBUG
