"""Settings, all from the environment (see README "Configuration").

ZQ_ENV selects the profile: ``development`` (default: SQLite, local files, DEBUG on),
``test`` (what the test suite uses) or ``production`` (refuses to start when DEBUG is on, the
secret key is the default one, or demo accounts exist).
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from config.env import envbool, envint, envlist, envsecret, envstr

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(envstr("ZQ_VAR_DIR", str(BASE_DIR / "var")))

ZQ_ENV = envstr("ZQ_ENV", "test" if "pytest" in sys.modules else "development")
if ZQ_ENV not in {"development", "test", "production"}:
    raise ImproperlyConfigured(f"ZQ_ENV must be development, test or production, got {ZQ_ENV!r}")
PRODUCTION = ZQ_ENV == "production"

DEFAULT_SECRET_KEY = "zhengqian-insecure-development-key-do-not-use-in-production"  # noqa: S105
SECRET_KEY = envsecret("ZQ_SECRET_KEY", DEFAULT_SECRET_KEY)
DEBUG = envbool("ZQ_DEBUG", ZQ_ENV == "development")
ALLOWED_HOSTS = envlist(
    "ZQ_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = envlist("ZQ_CSRF_TRUSTED_ORIGINS", [])
# Behind a reverse proxy the client's address (recorded in the audit trail) is in
# X-Forwarded-For; trust that header only when the proxy sets it.
ZQ_TRUST_X_FORWARDED_FOR = envbool("ZQ_TRUST_X_FORWARDED_FOR", False)

if PRODUCTION:
    if DEBUG:
        raise ImproperlyConfigured("Production refuses to start with ZQ_DEBUG on.")
    if SECRET_KEY == DEFAULT_SECRET_KEY or len(SECRET_KEY) < 50:
        raise ImproperlyConfigured(
            "Production refuses to start without its own ZQ_SECRET_KEY (50 characters or more)."
        )
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("Production needs ZQ_ALLOWED_HOSTS.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "zhengqian.core",
    "zhengqian.accounts",
    "zhengqian.audit",
    "zhengqian.projects",
    "zhengqian.survey",
    "zhengqian.ownership",
    "zhengqian.valuation",
    "zhengqian.compensation",
    "zhengqian.agreements",
    "zhengqian.payments",
    "zhengqian.petitions",
    "zhengqian.demolition",
    "zhengqian.holdouts",
    "zhengqian.legal",
    "zhengqian.resettlement",
    "zhengqian.dashboard",
    "zhengqian.reminders",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "zhengqian.core.middleware.LanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "zhengqian.audit.middleware.RequestContextMiddleware",
    # Last, so that a locked-out login is answered after everything else has run.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "zhengqian.accounts.context_processors.navigation",
            ],
        },
    },
]

# --- Database ------------------------------------------------------------------------------
# SQLite in WAL mode is the embedded default; production sets DATABASE_URL to PostgreSQL.
DEFAULT_SQLITE_URL = f"sqlite:///{VAR_DIR / 'zhengqian.sqlite3'}"
DATABASE_URL = envstr("DATABASE_URL", DEFAULT_SQLITE_URL)
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=envint("ZQ_DB_CONN_MAX_AGE", 0))
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two writers queue
        # instead of failing with "database is locked" half-way through.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"
            " PRAGMA busy_timeout=20000;"
        ),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Background jobs -----------------------------------------------------------------------
TASKS = {
    "default": {
        "BACKEND": envstr("ZQ_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# --- Accounts, login, sessions -------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
if ZQ_ENV == "test":
    # Hashing cost is irrelevant to what the tests check and dominates their run time.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": envint("ZQ_PASSWORD_MIN_LENGTH", 10, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "zhengqian.accounts.validators.CharacterClassValidator"},
]

# Five wrong passwords in a row lock the account (django-axes) for ZQ_LOCKOUT_MINUTES.
AXES_FAILURE_LIMIT = envint("ZQ_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=envint("ZQ_LOCKOUT_MINUTES", 30, minimum=1))
AXES_LOCKOUT_PARAMETERS = ["username"]
# The rule is per account ("five wrong passwords lock the account"), not per address: an office
# shares one NAT address, and locking it would lock everyone out.
SILENCED_SYSTEM_CHECKS = [
    "axes.W006",
    # HSTS preloading is for public hosts in the browsers' preload list, not an office intranet;
    # ZQ_HSTS_PRELOAD turns it on where it applies.
    "security.W021",
]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False

# Sessions end after ZQ_SESSION_IDLE_MINUTES without a request.
SESSION_COOKIE_AGE = envint("ZQ_SESSION_IDLE_MINUTES", 30, minimum=1) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
# Sensitive actions (money, bank accounts, policy publication) ask for the password again when
# the last confirmation is older than this.
ZQ_SUDO_MINUTES = envint("ZQ_SUDO_MINUTES", 10, minimum=1)

# --- Internationalisation ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Files ---------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(envstr("ZQ_STATIC_ROOT", str(VAR_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    # WhiteNoise warns on every start when the collected-static folder does not exist.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_ROOT = Path(envstr("ZQ_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"
ZQ_S3_BUCKET = envstr("ZQ_S3_BUCKET")
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if ZQ_S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": ZQ_S3_BUCKET,
            "endpoint_url": envstr("ZQ_S3_ENDPOINT_URL") or None,
            "access_key": envsecret("ZQ_S3_ACCESS_KEY") or None,
            "secret_key": envsecret("ZQ_S3_SECRET_KEY") or None,
            "region_name": envstr("ZQ_S3_REGION") or None,
            "default_acl": None,
            "querystring_auth": True,
            "file_overwrite": False,
        },
    }
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest attachment (survey forms, photos, certificates, drawings) accepted, in MB.
ZQ_ATTACHMENT_MAX_MB = envint("ZQ_ATTACHMENT_MAX_MB", 20, minimum=1)

# --- Security ------------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_SSL_REDIRECT = envbool("ZQ_SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = envint("ZQ_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("ZQ_HSTS_PRELOAD", False)

# --- Mail (daily digests) ------------------------------------------------------------------
EMAIL_HOST = envstr("ZQ_EMAIL_HOST")
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.console.EmailBackend"
)
EMAIL_PORT = envint("ZQ_EMAIL_PORT", 25)
EMAIL_HOST_USER = envstr("ZQ_EMAIL_USER")
EMAIL_HOST_PASSWORD = envsecret("ZQ_EMAIL_PASSWORD")
EMAIL_USE_TLS = envbool("ZQ_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = envstr("ZQ_EMAIL_FROM", "zhengqian@localhost")
# The address the system is reached at, for the links in e-mails (no request to take it from).
ZQ_BASE_URL = envstr("ZQ_BASE_URL", "http://localhost:8000").rstrip("/")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": envstr("ZQ_LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}

ZQ_SITE_TITLE = _("Zhengqian expropriation management")
