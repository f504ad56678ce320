"""System checks of the clinic's own: `manage.py check --deploy` refuses what must not reach
production."""

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)

# The keys anyone can read, refused (hence S105's noqa): the example env file's placeholder and
# settings.py's default.
# tests/clinic/test_security_settings.py keeps them equal to those files.
EXAMPLE_SECRET_KEY = (
    "replace-me-with-a-long-random-secret-key-of-at-least-fifty-characters-0123456789abcdef"  # noqa: S105
)
DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-key-change-me-in-production-0123456789"  # noqa: S105


@register(Tags.security, deploy=True)
def check_secret_key(app_configs, **kwargs) -> list[Error]:
    """Django's own check (security.W009) is only a warning, and passes the placeholder of
    .env.example, which is long and varied enough: an unedited example file must not start."""
    if settings.DEBUG:
        return []
    key = str(getattr(settings, "SECRET_KEY", "") or "")
    if key in (EXAMPLE_SECRET_KEY, DEVELOPMENT_SECRET_KEY):
        problem = "is the published placeholder of .env.example or settings.py"
    elif key.startswith(SECRET_KEY_INSECURE_PREFIX):
        problem = f"starts with {SECRET_KEY_INSECURE_PREFIX!r}, as generated development keys do"
    elif len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        problem = (
            f"is shorter than {SECRET_KEY_MIN_LENGTH} characters or has fewer than "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones"
        )
    else:
        return []
    return [
        Error(
            f"SECRET_KEY {problem}: whoever has read it can forge what the app signs with it.",
            hint=(
                "Set SECRET_KEY in the real env file to a new random value, e.g. "
                'python -c "import secrets; print(secrets.token_urlsafe(64))".'
            ),
            id="clinic.E001",
        )
    ]
