"""Test settings: production settings, minus what needs HTTPS or a collectstatic run.

Everything else (roles, two-factor requirement, lockout, audit, CSP) stays as in production so
the tests exercise it.
"""

from clinic.settings import *  # noqa: F403

SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# Argon2 is the production hasher (asserted in tests/clinic/test_security_settings.py); a fast
# one here keeps the suite quick.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks run in-process in tests (the Redis integration tests switch this off and use a worker).
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CLINIC_SMS_BACKEND = "clinic.notifications.sms.LocmemSMSBackend"
# One process's memory (each test starts with it empty: tests/conftest.py).
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
