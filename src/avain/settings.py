"""Django settings for Avain.

Everything that differs between a laptop demo and production comes from the environment:
``DATABASE_URL`` (SQLite file by default), ``AVAIN_SECRET_KEY``, ``AVAIN_DEBUG``, ``AVAIN_DEMO``
and ``AVAIN_ALLOWED_HOSTS``.
"""

import os
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("AVAIN_VAR_DIR", BASE_DIR.parent.parent / "var"))


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_flag("AVAIN_DEBUG", False)
# The demo switch enables the persona switcher and demo data commands. `check --deploy` fails while it is on.
AVAIN_DEMO = env_flag("AVAIN_DEMO", False)
SECRET_KEY = os.environ.get("AVAIN_SECRET_KEY", "insecure-development-key-change-me-in-production-0123456789")
ALLOWED_HOSTS = [h for h in os.environ.get("AVAIN_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",") if h]

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # PostgreSQL features; imports and runs on SQLite too (does nothing there)
    "django_otp",
    "django_otp.plugins.otp_totp",
    "csp",
    "avain.core",
    "avain.organisations",
    "avain.people",
    "avain.catalogue",
    "avain.planning",
    "avain.accounts",
    "avain.followup",
    "avain.evaluation",
    "avain.timeuse",
    "avain.feedback",
    "avain.research",
    "avain.portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "avain.core.middleware.no_store_for_signed_in_users",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "avain.urls"
WSGI_APPLICATION = "avain.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "avain.portal.context_processors.shell",
            ],
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'avain.sqlite3'}"),
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)  # a fresh clone has no var/ yet
    # Writers wait for each other instead of failing; money-moving code relies on serialised writers here.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # The plain-SQL reads of the most opened pages (core/sql.py) are prepared after this many uses on a connection;
    # "off" behind a connection pooler in transaction mode that cannot keep prepared statements. The ORM's queries
    # bind on the client and are never prepared, whatever this says.
    _prepare = os.environ.get("AVAIN_DB_PREPARE_THRESHOLD", "2")
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None if _prepare == "off" else int(_prepare)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "fi"
LANGUAGES = [("fi", _("Finnish")), ("sv", _("Swedish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# Uploaded files (receipts) are never served as static files: only through views that check access and log the read.
MEDIA_ROOT = Path(os.environ.get("AVAIN_MEDIA_ROOT", VAR_DIR / "media"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_flag("AVAIN_SECURE_COOKIES", not DEBUG and not AVAIN_DEMO)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_AGE = 60 * 60 * 8
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Strict Content-Security-Policy: every asset is served by Avain itself, nothing inline.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

OTP_TOTP_ISSUER = "Avain"

# E-mail: AVAIN_EMAIL_BACKEND and the SMTP settings from the environment. The demo writes each e-mail as an .eml
# file into var/mail/; without either the e-mails go to the console. See docs/follow-up-and-notifications.md.
EMAIL_BACKEND = os.environ.get(
    "AVAIN_EMAIL_BACKEND",
    "avain.followup.mail.EmlFileBackend" if AVAIN_DEMO else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = Path(os.environ.get("AVAIN_EMAIL_FILE_PATH", VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("AVAIN_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("AVAIN_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("AVAIN_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("AVAIN_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_flag("AVAIN_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = os.environ.get("AVAIN_FROM_EMAIL", "Avain <avain@localhost>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
