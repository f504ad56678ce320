"""Settings for the clinic app.

Every value is read from the environment through django-environ's typed helpers, which fail
loudly on a malformed value. `.env.example` lists each variable with production-safe values;
the defaults below are the embedded development set-up used by `make run` and `make test`.
"""

import ipaddress
import re
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# An explicit env file (production: ENV_FILE=/etc/clinic.env); nothing is read implicitly so
# that tests and `make run` are not affected by a stray file.
if env.str("ENV_FILE", default=""):
    environ.Env.read_env(env.str("ENV_FILE"))

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="django-insecure-development-only-key-change-me-in-production-0123456789",
)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "clinic",
    "intake",
    "treatments",
    "followups",
    "clinic.apps.ClinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",  # django-bootstrap-static: Bootstrap's CSS/JS served locally
    "phonenumber_field",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "auditlog",
    "csp",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "clinic.middleware.RefuseControlCharactersInQueryMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After MessageMiddleware: it tells the signed-out user why, with a message.
    "clinic.middleware.SessionTimeoutMiddleware",
    # The location a member of staff works in, and its time zone (CLINIC_CHAIN only).
    "clinic.locations.LocationMiddleware",
    "clinic.row_security.RowSecurityMiddleware",  # the location rule in PostgreSQL too
    # A ledger page at a location with no DEA registration yet: says so (not a server error).
    "treatments.middleware.RegistrationMissingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "clinic.audit.AuditlogMiddleware",  # auditlog's, with clinic.client_address's address
    "clinic.middleware.NoStoreMiddleware",
    # Last, as django-axes asks, so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

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
                "clinic.context_processors.navigation",
            ],
            # The clinic's date formats, in every template: {{ value|day }} and so on.
            "builtins": ["clinic.templatetags.dates"],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, so two bookings of one slot serialise on
    # SQLite too (select_for_update is a no-op there; PostgreSQL has exclusion constraints).
    DATABASES["default"].setdefault("OPTIONS", {})["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # must be first: refuses locked-out logins
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout after repeated failed logins (django-axes): a user name from any address, and an
# address across user names (its own, higher limit: the staff share the office's address).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)  # hours
CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT = env.int("CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]  # clinic.lockout reads them in this order
AXES_HANDLER = "clinic.lockout.LockoutHandler"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env.bool("AXES_ENABLED", default=True)
# The address locked out is the one the rate limits and the audit trail see.
AXES_CLIENT_IP_CALLABLE = "clinic.client_address.client_ip"

# Two-factor login (TOTP, django-otp). Roles listed here must verify a code at every login:
# all three by default, the front desk too (it sees every patient's contact details). The demo
# (`make run`) sets it empty.
CLINIC_2FA_REQUIRED_ROLES = [
    role
    for role in env.list(
        "CLINIC_2FA_REQUIRED_ROLES", default=["Front desk", "Clinician", "Clinic admin"]
    )
    if role.strip()
]
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="Ketamine Clinic")

# Staff sessions: logged off after this many idle seconds, and after an absolute cap.
CLINIC_SESSION_IDLE_SECONDS = env.int("CLINIC_SESSION_IDLE_SECONDS", default=15 * 60)
CLINIC_SESSION_MAX_SECONDS = env.int("CLINIC_SESSION_MAX_SECONDS", default=10 * 60 * 60)
SESSION_COOKIE_AGE = CLINIC_SESSION_MAX_SECONDS
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Security headers -----------------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The reverse proxies (IPs or CIDR networks) whose X-Forwarded-For is believed; by default none,
# and the client is the connection's own address (clinic/client_address.py).
CLINIC_TRUSTED_PROXIES = [
    str(ipaddress.ip_network(entry.strip(), strict=False))
    for entry in env.list("CLINIC_TRUSTED_PROXIES", default=[])
    if entry.strip()
]
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "clinic.views.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
# No referrer leaves the site; pages that carry a token in their URL send none at all.
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Bootstrap draws small icons (select arrows, the menu button, check marks) as data:
        # SVG images in its CSS; images cannot run script.
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

# --- Internationalisation and time ------------------------------------------------------------
LANGUAGE_CODE = "en-us"
CLINIC_TIME_ZONE = env.str("CLINIC_TIME_ZONE", default="America/Chicago")
# A chain of clinics: locations with their own chairs, hours, time zone, staff and DEA
# registration (clinic.models.Location, set up in the admin). Off, the installation is one clinic
# (the first location, made from these settings) and shows no location anywhere.
CLINIC_CHAIN = env.bool("CLINIC_CHAIN", default=False)
TIME_ZONE = CLINIC_TIME_ZONE  # shown in the clinic's zone; stored in UTC
USE_I18N = True
USE_TZ = True
PHONENUMBER_DEFAULT_REGION = env.str("PHONENUMBER_DEFAULT_REGION", default="US")
PHONENUMBER_DB_FORMAT = "E164"
PHONENUMBER_DEFAULT_FORMAT = "NATIONAL"

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            # whitenoise's, each file's URL worked out once (clinic/static_storage.py)
            else "clinic.static_storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = env.bool("WHITENOISE_USE_FINDERS", default=DEBUG)

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- Email and SMS ----------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
# Seconds an SMTP connection may take: a hung mail server fails the send (the row's error shows
# on the page) instead of holding the page that sends an intake link.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=5.0)
# For EMAIL_BACKEND=django.core.mail.backends.filebased.EmailBackend.
EMAIL_FILE_PATH = env.str("EMAIL_FILE_PATH", default=str(BASE_DIR / ".email-outbox"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="clinic@example.com")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
CLINIC_SMS_BACKEND = env.str(
    "CLINIC_SMS_BACKEND", default="clinic.notifications.sms.ConsoleSMSBackend"
)
CLINIC_SMS_FILE_PATH = env.str("CLINIC_SMS_FILE_PATH", default=str(BASE_DIR / ".sms-outbox"))
# Absolute address used in links sent by email or SMS (no request to build it from in a task).
CLINIC_BASE_URL = env.str("CLINIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Redis (the cache and the broker): how long a page may wait on it --------------------------
# A Redis that accepts connections but never answers (paused, swapping, a half-open connection)
# must cost a page a fraction of a second, not hang it: every connection to it gives up after
# these. redis-py waits forever by default.
REDIS_CONNECT_TIMEOUT = env.float("REDIS_CONNECT_TIMEOUT", default=0.5)
REDIS_SOCKET_TIMEOUT = env.float("REDIS_SOCKET_TIMEOUT", default=0.5)

# --- Cache: shared by the web processes and the Celery worker (followups/reports.py) ----------
# Production: CACHE_URL=redis://host:6379/1. The default keeps files under the checkout, which
# every process of one machine shares; no server needed. Keys are prefixed with the database's
# name, so two databases never share cached reports.
CACHE_URL = env.str("CACHE_URL", default=f"filecache://{BASE_DIR / '.cache'}")
# After a call to a Redis cache fails, each process leaves the cache alone this long (pages are
# built from the database) before trying it again: one short wait per process in that time, not
# one per call (clinic/redis_cache.py).
CLINIC_CACHE_RETRY_SECONDS = env.float("CLINIC_CACHE_RETRY_SECONDS", default=5.0)
if CACHE_URL.startswith(("redis://", "rediss://")):
    CACHES = {
        "default": {
            "BACKEND": "clinic.redis_cache.RedisCache",
            "LOCATION": CACHE_URL,
            # Passed to redis-py's connection pool. No retry: the caller builds from the
            # database instead.
            "OPTIONS": {
                "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
                "socket_timeout": REDIS_SOCKET_TIMEOUT,
            },
        }
    }
else:
    CACHES = {"default": env.cache_url_config(CACHE_URL)}
CACHES["default"]["KEY_PREFIX"] = "clinic-" + re.sub(r"\W+", "-", str(DATABASES["default"]["NAME"]))

# --- Celery -----------------------------------------------------------------------------------
# The database is the source of truth for anything scheduled (the outbox rows); the broker only
# carries "look at row N now", so the embedded filesystem broker is enough for development.
CELERY_DATA_DIR = Path(env.str("CELERY_DATA_DIR", default=str(BASE_DIR / ".celery")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BEAT_SCHEDULE_FILENAME = str(CELERY_DATA_DIR / "beat-schedule")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _queue_dir = str(CELERY_DATA_DIR / "queue")
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": _queue_dir,
        "data_folder_out": _queue_dir,
        "processed_folder": str(CELERY_DATA_DIR / "processed"),
        "store_processed": False,
        # The exchange tables too, not a "control" folder in whatever directory it started in.
        "control_folder": str(CELERY_DATA_DIR / "control"),
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        # kombu's Redis transport hands these to redis-py: a publish to a Redis that does not
        # answer fails after them instead of waiting forever.
        "socket_connect_timeout": REDIS_CONNECT_TIMEOUT,
        "socket_timeout": REDIS_SOCKET_TIMEOUT,
        "retry_on_timeout": False,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A publish from a page (an alert's e-mail) gives up after one attempt, bounded by the socket
# timeouts above: its row waits in the database for the beat sweep instead (clinic/broker.py).
# A retry would double the wait on a broker that hangs; a pooled connection gone stale (the
# broker restarted) is replaced by redis-py and kombu without one. Connecting, over all its
# attempts, takes at most CELERY_BROKER_CONNECTION_TIMEOUT.
CELERY_BROKER_CONNECTION_TIMEOUT = env.float("CELERY_BROKER_CONNECTION_TIMEOUT", default=1.0)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 0}
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)

# --- Logging: no patient data in log lines (only ids and event names) --------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django logs the full request path of 4xx/5xx responses; our URLs carry no health data.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# --- Patient links (intake now; follow-up surveys later) ---------------------------------------
CLINIC_INTAKE_LINK_DAYS = env.int("CLINIC_INTAKE_LINK_DAYS", default=7)
CLINIC_INTAKE_LINK_MAX_ATTEMPTS = env.int("CLINIC_INTAKE_LINK_MAX_ATTEMPTS", default=5)
# A patient's session (after confirming their date of birth) ends after this long idle.
CLINIC_PATIENT_SESSION_SECONDS = env.int("CLINIC_PATIENT_SESSION_SECONDS", default=30 * 60)
# Public consultation requests accepted from one address per hour.
CLINIC_INQUIRY_RATE_PER_HOUR = env.int("CLINIC_INQUIRY_RATE_PER_HOUR", default=5)

# --- Treatment ---------------------------------------------------------------------------------
# Dose guardrails per route: outside "usual" needs a confirmation with a reason; above "max" is
# refused. mg/kg for IV and IM, mg otherwise. Override as JSON in CLINIC_DOSE_GUARDRAILS.
CLINIC_DOSE_GUARDRAILS = env.json(
    "CLINIC_DOSE_GUARDRAILS",
    default={
        "iv": {"unit": "mg/kg", "usual": [0.5, 1.0], "max": 1.5},
        "im": {"unit": "mg/kg", "usual": [0.25, 1.0], "max": 1.5},
        "esketamine_in": {"unit": "mg", "usual": [56, 84], "max": 84},
        "ketamine_in": {"unit": "mg", "usual": [25, 100], "max": 200},
        "oral": {"unit": "mg", "usual": [50, 300], "max": 500},
    },
)
# Blood pressure above this (mmHg) needs a clinician: at screening it is a relative
# contraindication to review, and before a dose it blocks dosing until a clinician decides. One
# pair of settings for both, so the screening and the session's gate can never disagree.
CLINIC_BP_GATE_SYSTOLIC = env.int("CLINIC_BP_GATE_SYSTOLIC", default=140)
CLINIC_BP_GATE_DIASTOLIC = env.int("CLINIC_BP_GATE_DIASTOLIC", default=90)
# At or above this it is uncontrolled hypertension: not a candidate at screening.
CLINIC_BP_SEVERE_SYSTOLIC = env.int("CLINIC_BP_SEVERE_SYSTOLIC", default=180)
CLINIC_BP_SEVERE_DIASTOLIC = env.int("CLINIC_BP_SEVERE_DIASTOLIC", default=110)
# Modified Aldrete score needed for discharge (0-10).
CLINIC_DISCHARGE_ALDRETE_MIN = env.int("CLINIC_DISCHARGE_ALDRETE_MIN", default=9)
# Discharge also needs these Modified Aldrete criteria at this score (0-2 each).
CLINIC_DISCHARGE_CONSCIOUSNESS_MIN = env.int("CLINIC_DISCHARGE_CONSCIOUSNESS_MIN", default=2)
CLINIC_DISCHARGE_OXYGEN_MIN = env.int("CLINIC_DISCHARGE_OXYGEN_MIN", default=2)
# Minutes of observation after the end of administration before discharge, by route (for
# intranasal esketamine, from the first device: REMS). Booking lengths read the same table.
CLINIC_MIN_OBSERVATION_MINUTES = env.json(
    "CLINIC_MIN_OBSERVATION_MINUTES",
    default={"iv": 60, "im": 60, "ketamine_in": 90, "oral": 90, "esketamine_in": 120},
)
# The absolute cap on a dose given or planned, in mg, by route, whatever the weight.
CLINIC_DOSE_ABSOLUTE_MAX_MG = env.json(
    "CLINIC_DOSE_ABSOLUTE_MAX_MG",
    default={"iv": 200, "im": 150, "esketamine_in": 84, "ketamine_in": 200, "oral": 500},
)
# Fasting before a session: less than this blocks dosing until a clinician records a decision.
CLINIC_FASTING_FOOD_HOURS = env.int("CLINIC_FASTING_FOOD_HOURS", default=6)
CLINIC_FASTING_CLEAR_LIQUID_HOURS = env.int("CLINIC_FASTING_CLEAR_LIQUID_HOURS", default=2)
# Opening hours per weekday (mon..sun, "HH:MM-HH:MM"); a day left out is closed. Sessions are
# booked only inside them.
CLINIC_OPENING_HOURS = env.json(
    "CLINIC_OPENING_HOURS",
    default={
        "mon": "08:00-18:00",
        "tue": "08:00-18:00",
        "wed": "08:00-18:00",
        "thu": "08:00-18:00",
        "fri": "08:00-18:00",
        "sat": "08:00-18:00",
    },
)
# Intranasal esketamine: no two sessions fewer than this many days apart (label: twice a week
# at most), and the blood-pressure reading the REMS form asks for at about this many minutes.
CLINIC_ESKETAMINE_MIN_DAYS_APART = env.int("CLINIC_ESKETAMINE_MIN_DAYS_APART", default=2)
CLINIC_ESKETAMINE_BP_CHECK_MINUTES = env.int("CLINIC_ESKETAMINE_BP_CHECK_MINUTES", default=40)

# --- Controlled substances (ketamine and esketamine are Schedule III) -------------------------
# The clinic's DEA registration: the ledger, its counts and inventories are kept under it.
CLINIC_DEA_REGISTRATION = env.str("CLINIC_DEA_REGISTRATION", default="FK1234563")
# The address printed on inventories and DEA Form 106 (the registrant name is CLINIC_NAME).
CLINIC_DEA_ADDRESS = env.str(
    "CLINIC_DEA_ADDRESS", default="1200 Congress Avenue, Suite 300, Austin, TX 78701"
)
# A blind count of every open and unopened container at the end of each clinic day: when on,
# a clinic day without one is on the clinicians' home page until it is done.
CLINIC_LEDGER_DAILY_COUNT = env.bool("CLINIC_LEDGER_DAILY_COUNT", default=True)
# The esketamine REMS: the clinic's healthcare-setting certification number.
CLINIC_REMS_SETTING_NUMBER = env.str("CLINIC_REMS_SETTING_NUMBER", default="HCS-0000000")

# --- Who may be treated (screening; the session's BP gate reads the same review limits) ------
CLINIC_MIN_AGE = env.int("CLINIC_MIN_AGE", default=18)
# (Blood pressure: CLINIC_BP_GATE_* and CLINIC_BP_SEVERE_* above.) A pulse outside this range
# or a BMI at or above this at the assessment needs a clinician's review.
CLINIC_SCREENING_PULSE_LOW = env.int("CLINIC_SCREENING_PULSE_LOW", default=50)
CLINIC_SCREENING_PULSE_HIGH = env.int("CLINIC_SCREENING_PULSE_HIGH", default=110)
CLINIC_SCREENING_BMI_REVIEW = env.float("CLINIC_SCREENING_BMI_REVIEW", default=40.0)

# --- Outcomes ---------------------------------------------------------------------------------
# Response and remission count only patients whose baseline score was at least this.
CLINIC_OUTCOME_BASELINE_MIN = env.int("CLINIC_OUTCOME_BASELINE_MIN", default=10)

# --- Follow-ups and reminders (checked at start-up by followups.timing_settings) ----------------
# Offsets: a number and a unit (m, h, d, w); whole days count on the clinic's calendar, so a
# "2d" reminder keeps the appointment's clock time across a daylight-saving change.
CLINIC_REMINDER_OFFSETS = env.list("CLINIC_REMINDER_OFFSETS", default=["48h", "2h"])
# Check-in surveys after each completed session: offset:content, content "checkin" (feeling,
# side effects, GAD-7, safety question) or "scores" (GAD-7 and PHQ-9).
CLINIC_SURVEY_SCHEDULE = env.list(
    "CLINIC_SURVEY_SCHEDULE", default=["24h:checkin", "7d:scores", "14d:scores"]
)
CLINIC_SURVEY_LINK_DAYS = env.int("CLINIC_SURVEY_LINK_DAYS", default=5)
CLINIC_SURVEY_RESENDS = env.int("CLINIC_SURVEY_RESENDS", default=2)
CLINIC_SURVEY_RESEND_HOURS = env.int("CLINIC_SURVEY_RESEND_HOURS", default=24)
# No message is sent between these clinic times (HH:MM-HH:MM).
CLINIC_QUIET_HOURS = env.str("CLINIC_QUIET_HOURS", default="21:00-08:00")
# Front-desk tasks: book an integration appointment this many days after each session, and a
# follow-up visit this many days after a plan's last session.
CLINIC_INTEGRATION_BOOKING_DAYS = env.int("CLINIC_INTEGRATION_BOOKING_DAYS", default=2)
CLINIC_FOLLOWUP_VISIT_DAYS = env.int("CLINIC_FOLLOWUP_VISIT_DAYS", default=14)
# Escalation: a GAD-7 or PHQ-9 this many points above the pre-treatment score.
CLINIC_WORSENING_POINTS = env.int("CLINIC_WORSENING_POINTS", default=5)
# Maintenance review: a GAD-7 this many points above the patient's best score since treatment.
CLINIC_MAINTENANCE_RISE_POINTS = env.int("CLINIC_MAINTENANCE_RISE_POINTS", default=5)
# Delivery: attempts before a row is "failed", first retry delay (doubling each time).
CLINIC_OUTBOX_MAX_ATTEMPTS = env.int("CLINIC_OUTBOX_MAX_ATTEMPTS", default=5)
CLINIC_OUTBOX_RETRY_MINUTES = env.int("CLINIC_OUTBOX_RETRY_MINUTES", default=5)
# Rows one claim takes: about what a run's 3-second budget sends at 50-100 ms a message, so a
# worker killed mid-run strands few claimed rows (they go out after the stuck release below).
CLINIC_OUTBOX_BATCH_SIZE = env.int("CLINIC_OUTBOX_BATCH_SIZE", default=25)
CLINIC_OUTBOX_SWEEP_SECONDS = env.float("CLINIC_OUTBOX_SWEEP_SECONDS", default=60.0)
# A row left "sending" this long was interrupted: never tried, it is queued again; handed to
# the provider, it goes to review, never re-sent blind. Above the sweep's time limit (90 s).
CLINIC_OUTBOX_STUCK_MINUTES = env.float("CLINIC_OUTBOX_STUCK_MINUTES", default=10.0)

# --- Clinic ----------------------------------------------------------------------------------
CLINIC_NAME = env.str("CLINIC_NAME", default="Lone Star Ketamine Clinic")
CLINIC_PHONE = env.str("CLINIC_PHONE", default="(512) 555-0100")
# The sender name in patients' emails and texts: shown on lock screens, so nothing clinical.
CLINIC_MESSAGE_NAME = env.str("CLINIC_MESSAGE_NAME", default="Lone Star Wellness")
# Demo conveniences: shown on the login page only when explicitly switched on.
CLINIC_SHOW_DEMO_LOGINS = env.bool("CLINIC_SHOW_DEMO_LOGINS", default=False)
