"""Production security settings, response headers, deploy checks and the error pages."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import checks
from django.urls import reverse

import clinic.settings as production
from clinic.checks import DEVELOPMENT_SECRET_KEY, EXAMPLE_SECRET_KEY, check_secret_key

REPO = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = REPO / ".env.example"


# What a process needs to start; nothing of the test run's own environment (DATABASE_URL, DEBUG,
# DJANGO_ALLOW_ASYNC_UNSAFE from the browser tests...) may leak into a "production" check.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT")


def env_example_keys() -> set[str]:
    keys = set()
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = re.match(r"([A-Z][A-Z0-9_]*)=", line)
        if match:
            keys.add(match.group(1))
    return keys


def manage(*args: str, **extra_env: str) -> subprocess.CompletedProcess:
    """Run manage.py as production would start it: a clean environment, no test settings."""
    env = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    env.update({"DJANGO_SETTINGS_MODULE": "clinic.settings", **extra_env})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- Passwords --------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2():
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_django_password_validators_are_on():
    names = {v["NAME"].rsplit(".", 1)[-1] for v in production.AUTH_PASSWORD_VALIDATORS}
    assert names == {
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    }


def test_a_weak_staff_password_is_refused():
    from django.contrib.auth.password_validation import get_password_validators, validate_password
    from django.core.exceptions import ValidationError

    validators = get_password_validators(production.AUTH_PASSWORD_VALIDATORS)
    with pytest.raises(ValidationError):
        validate_password("password123", password_validators=validators)
    validate_password("ketamine-clinic-lobby-fern", password_validators=validators)


# --- Response headers -------------------------------------------------------------------------


@pytest.fixture
def patient_page(front_desk, patient):
    response = front_desk.get(reverse("intake:patient_detail", kwargs={"pk": patient.pk}))
    assert response.status_code == 200
    assert patient.mrn in response.text
    return response


def test_patient_page_is_never_cached(patient_page):
    assert "no-store" in patient_page["Cache-Control"]


def test_patient_page_has_a_content_security_policy(patient_page):
    policy = patient_page["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy


def test_patient_page_cannot_be_framed(patient_page):
    assert patient_page["X-Frame-Options"] == "DENY"


def test_patient_page_sends_no_referrer_off_site(patient_page):
    assert patient_page["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_patient_page_forbids_content_sniffing(patient_page):
    assert patient_page["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "url_name", ["home", "intake:patient_list", "intake:patient_register", "login"]
)
def test_other_pages_are_not_cached_either(front_desk, url_name):
    response = front_desk.get(reverse(url_name))

    assert "no-store" in response["Cache-Control"]


# --- .env.example and the deploy checks -------------------------------------------------------


def test_env_example_lists_every_setting_read_from_the_environment():
    source = (REPO / "clinic" / "settings.py").read_text()
    read = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", source))
    read.discard("ENV_FILE")  # names the file itself

    assert read, "found no env(...) reads in clinic/settings.py"
    assert read - env_example_keys() == set(), "missing from .env.example"
    assert env_example_keys() - read == set(), "in .env.example but never read"


def test_env_example_is_safe_for_production():
    values = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert values["DEBUG"] == "false"
    assert len(values["SECRET_KEY"]) >= 50
    assert not values["SECRET_KEY"].startswith("django-insecure-")
    assert "replace" in values["SECRET_KEY"]
    assert values["CLINIC_SHOW_DEMO_LOGINS"] == "false"
    assert values["CLINIC_2FA_REQUIRED_ROLES"] == "Front desk,Clinician,Clinic admin"


def test_deploy_check_refuses_the_placeholder_key_of_env_example():
    """An unedited copy of the example file cannot go to production: the error level fails
    `check --deploy` even without --fail-level."""
    result = manage("check", "--deploy", ENV_FILE=".env.example")

    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert "(clinic.E001) SECRET_KEY is the published placeholder of .env.example" in output
    assert "token_urlsafe" in output  # the hint says how to make a real one


def test_deploy_check_is_clean_with_env_example_and_a_real_key():
    """A key in the environment wins over the file's placeholder: everything else is clean."""
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ENV_FILE=".env.example",
        SECRET_KEY=secrets.token_urlsafe(64),
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_make_check_deploy_runs_the_check_with_a_generated_key():
    """The Makefile's target, as make would run it (its `install` step taken as done)."""
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", "install", "check-deploy"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert "SECRET_KEY=$(" in recipe and "ENV_FILE=.env.example" in recipe, recipe
    env = {k: v for k, v in os.environ.items() if k in PASSED_THROUGH}
    env["DJANGO_SETTINGS_MODULE"] = "clinic.settings"

    result = subprocess.run(
        [
            "make",
            "--no-print-directory",
            "-s",
            "-o",
            "install",
            "check-deploy",
            f"PY={sys.executable}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (DEVELOPMENT_SECRET_KEY, "is the published placeholder"),
        ("django-insecure-" + secrets.token_urlsafe(64), "starts with 'django-insecure-'"),
        (secrets.token_urlsafe(30), "is shorter than 50 characters"),
        ("ab" * 40, "fewer than 5 different ones"),
    ],
)
def test_deploy_check_refuses_a_key_anyone_could_know_or_guess(settings, key, problem):
    settings.DEBUG = False
    settings.SECRET_KEY = key

    [error] = check_secret_key(None)

    assert error.id == "clinic.E001"
    assert error.level == checks.ERROR
    assert problem in error.msg


def test_the_secret_key_check_is_quiet_in_debug_and_for_a_real_key(settings):
    settings.DEBUG = True
    settings.SECRET_KEY = DEVELOPMENT_SECRET_KEY
    assert check_secret_key(None) == []

    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(64)
    assert check_secret_key(None) == []


def test_the_checked_placeholders_are_the_published_ones():
    example = dict(
        line.split("=", 1)
        for line in ENV_EXAMPLE.read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert example["SECRET_KEY"] == EXAMPLE_SECRET_KEY
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.SECRET_KEY)",
    )
    assert result.stdout.strip() == DEVELOPMENT_SECRET_KEY, result.stderr


def test_deploy_check_catches_the_development_defaults():
    """The clean result above means something: without the env file the check complains."""
    result = manage("check", "--deploy", "--fail-level", "WARNING")

    output = result.stderr + result.stdout
    assert result.returncode != 0
    assert "security.W009" in output  # the development SECRET_KEY, by Django's own check
    assert "clinic.E001" in output


def test_models_and_migrations_agree(tmp_path):
    result = manage(
        "makemigrations",
        "--check",
        "--dry-run",
        DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}",
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "No changes detected" in output


# --- Error pages ------------------------------------------------------------------------------


# `db` by name: see the note on PERSONAS in test_access.py.
@pytest.mark.parametrize("persona", ["clinic_admin", "outsider"])
def test_wrong_role_sees_the_friendly_403_page(db, request, persona):
    client = request.getfixturevalue(persona)

    response = client.get(reverse("intake:patient_list"))

    assert response.status_code == 403
    assert "You don't have access to this page" in response.text
    assert "ask a clinic administrator" in response.text
    assert "<nav" in response.text  # inside the site's layout, not a bare error


def test_missing_patient_shows_the_friendly_404_page(front_desk):
    response = front_desk.get(reverse("intake:patient_detail", kwargs={"pk": 987654}))

    assert response.status_code == 404
    assert "Page not found" in response.text


def test_unknown_address_shows_the_friendly_404_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Page not found" in response.text
