"""Signing in and out as staff notice it: password, two-factor, lockout, idle logoff."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.roles import ROLES

pytestmark = pytest.mark.clinic_day

PASSWORD = "correct-horse-battery"  # tests/factories.py
LOGIN = "/accounts/login/"
TWO_FACTOR = "/accounts/two-factor/"
STAFF_PAGE = "/patients/"
OFFICE = "203.0.113.10"  # the clinic's address, shared by the staff
ELSEWHERE = "198.51.100.20"


def log_in(client, user, password=PASSWORD, *, address=OFFICE, **extra):
    """Submit the real sign-in form (django-axes sees the request, as in production)."""
    return try_password(client, user.username, password, address=address, **extra)


def try_password(client, username: str, password: str, *, address=OFFICE, **extra):
    return client.post(
        LOGIN, {"username": username, "password": password, **extra}, REMOTE_ADDR=address
    )


def code_for(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The 6-digit code the staff member's authenticator app shows right now."""
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + offset_steps,
    )
    return f"{value:0{device.digits}d}"


def a_wrong_code(device: TOTPDevice) -> str:
    accepted = {code_for(device, offset_steps=n) for n in range(-2, 3)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in accepted)


def path_and_next(url: str) -> tuple[str, str | None]:
    parsed = urlparse(url)
    return parsed.path, parse_qs(parsed.query).get("next", [None])[0]


# --- Password step ----------------------------------------------------------------------------


def test_front_desk_signs_in_with_a_password_and_a_code_and_lands_on_home(client, front_desk_user):
    device = TOTPDevice.objects.create(user=front_desk_user, name="Phone", confirmed=True)

    response = log_in(client, front_desk_user)
    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR
    response = client.post(TWO_FACTOR, {"token": code_for(device)})

    assert response["Location"] == reverse("home")
    home = client.get(response["Location"])
    assert home.status_code == 200
    assert "Welcome, Frances" in home.text


def test_sign_in_honours_a_safe_next_page(client, front_desk_user, patient):
    device = TOTPDevice.objects.create(user=front_desk_user, name="Phone", confirmed=True)
    target = f"/patients/{patient.pk}/"

    response = log_in(client, front_desk_user, next=target)
    assert path_and_next(response["Location"]) == (TWO_FACTOR, target)
    response = client.post(TWO_FACTOR, {"token": code_for(device), "next": target})

    assert response["Location"] == target


def test_sign_in_ignores_a_next_page_on_another_site(client, front_desk_user):
    device = TOTPDevice.objects.create(user=front_desk_user, name="Phone", confirmed=True)
    evil = "https://evil.example.com/"

    response = log_in(client, front_desk_user, next=evil)
    assert response["Location"] == TWO_FACTOR
    response = client.post(TWO_FACTOR, {"token": code_for(device), "next": evil})

    assert response["Location"] == reverse("home")


def test_wrong_password_keeps_the_visitor_on_the_sign_in_page(client, front_desk_user):
    response = log_in(client, front_desk_user, password="not-the-password")

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.text
    assert client.get(STAFF_PAGE)["Location"].startswith(LOGIN)


# --- Two-factor -------------------------------------------------------------------------------


def test_every_staff_role_needs_two_factor_by_default():
    # tests/settings.py keeps production's default (the demo's `make run` empties it).
    assert sorted(settings.CLINIC_2FA_REQUIRED_ROLES) == sorted(ROLES)


@pytest.mark.parametrize("persona", ["front_desk_user", "clinician_user", "admin_user"])
def test_staff_without_a_device_are_sent_to_set_one_up_at_first_sign_in(client, persona, request):
    user = request.getfixturevalue(persona)

    response = log_in(client, user)

    assert response.status_code == 302
    assert response["Location"] == TWO_FACTOR
    page = client.get(TWO_FACTOR)
    assert page.status_code == 200
    assert "Set up two-factor sign in" in page.text
    assert "<svg" in page.text
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown_key = re.search(r'<span class="secret-key">([A-Z2-7 ]+)</span>', page.text).group(1)
    assert shown_key.replace(" ", "") in device.config_url  # the key the QR code carries
    assert path_and_next(client.get(STAFF_PAGE)["Location"])[0] == TWO_FACTOR


def test_staff_pages_stay_closed_until_the_second_step_is_done(client, clinician_user):
    log_in(client, clinician_user)

    response = client.get(STAFF_PAGE)

    assert response.status_code == 302
    assert path_and_next(response["Location"]) == (TWO_FACTOR, STAFF_PAGE)


def test_the_code_from_the_new_authenticator_confirms_it_and_lets_the_clinician_in(
    client, clinician_user
):
    log_in(client, clinician_user)
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=clinician_user, confirmed=False)

    response = client.post(TWO_FACTOR, {"token": code_for(device)})

    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    device.refresh_from_db()
    assert device.confirmed
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert "Two-factor sign-in is set up." in home.text
    assert client.get(STAFF_PAGE).status_code == 200


def test_a_wrong_code_shows_an_error_beside_the_field_and_stays(client, clinician_user):
    log_in(client, clinician_user)
    client.get(TWO_FACTOR)
    device = TOTPDevice.objects.get(user=clinician_user, confirmed=False)

    response = client.post(TWO_FACTOR, {"token": a_wrong_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors["token"] == [
        "That code did not match. Check your app's clock and try again."
    ]
    # crispy-forms puts the message under the input, tied to it by id.
    beside_field = r'id="error_1_id_token"[^>]*>\s*<strong>That code did not match'
    assert re.search(beside_field, response.text)
    assert re.search(r'<input[^>]*name="token"[^>]*is-invalid', response.text)
    device.refresh_from_db()
    assert not device.confirmed
    assert path_and_next(client.get(STAFF_PAGE)["Location"])[0] == TWO_FACTOR


def test_a_second_sign_in_asks_for_the_code_before_any_staff_page(client, clinician_user):
    device = TOTPDevice.objects.create(user=clinician_user, name="Phone", confirmed=True)

    response = log_in(client, clinician_user, next=STAFF_PAGE)

    assert path_and_next(response["Location"]) == (TWO_FACTOR, STAFF_PAGE)
    assert path_and_next(client.get(STAFF_PAGE)["Location"]) == (TWO_FACTOR, STAFF_PAGE)
    assert path_and_next(client.get(reverse("home"))["Location"])[0] == TWO_FACTOR
    page = client.get(TWO_FACTOR)
    assert "Enter your sign-in code" in page.text
    assert "<svg" not in page.text  # no new enrolment offered
    assert TOTPDevice.objects.filter(user=clinician_user).count() == 1

    verified = client.post(TWO_FACTOR, {"token": code_for(device), "next": STAFF_PAGE})

    assert verified["Location"] == STAFF_PAGE
    assert client.get(STAFF_PAGE).status_code == 200


def test_front_desk_who_set_up_a_device_is_asked_for_the_code_too(client, front_desk_user):
    TOTPDevice.objects.create(user=front_desk_user, name="Phone", confirmed=True)

    response = log_in(client, front_desk_user)

    assert response["Location"] == TWO_FACTOR
    assert path_and_next(client.get(STAFF_PAGE)["Location"])[0] == TWO_FACTOR


def test_clinic_admin_needs_the_code_before_the_admin_opens(client, admin_user):
    device = TOTPDevice.objects.create(user=admin_user, name="Phone", confirmed=True)
    log_in(client, admin_user)

    response = client.get("/admin/", follow=True)

    assert path_and_next(response.redirect_chain[-1][0]) == (TWO_FACTOR, "/admin/")
    client.post(TWO_FACTOR, {"token": code_for(device)})
    assert client.get("/admin/").status_code == 200


def test_demo_switch_lets_a_clinician_in_without_a_device(client, clinician_user, settings):
    settings.CLINIC_2FA_REQUIRED_ROLES = []

    response = log_in(client, clinician_user)

    assert response["Location"] == reverse("home")
    assert client.get(STAFF_PAGE).status_code == 200
    assert not TOTPDevice.objects.filter(user=clinician_user).exists()


def test_signed_out_visitor_on_the_two_factor_page_goes_to_sign_in(client):
    response = client.get(TWO_FACTOR)

    assert response["Location"] == reverse("login")


# --- Lockout ----------------------------------------------------------------------------------


def test_repeated_failed_sign_ins_lock_the_account(client, front_desk_user):
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    for _ in range(limit - 1):
        response = log_in(client, front_desk_user, password="guess")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.text

    last_failure = log_in(client, front_desk_user, password="guess")
    right_password = log_in(client, front_desk_user)

    assert last_failure.status_code == 429
    assert right_password.status_code == 429
    assert client.get(STAFF_PAGE)["Location"].startswith(LOGIN)


def test_the_locked_out_page_says_for_how_long_and_whom_to_call(client, front_desk_user):
    assert settings.AXES_COOLOFF_TIME == 0.5
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, front_desk_user, password="guess")

    response = log_in(client, front_desk_user)

    assert response.status_code == 429
    text = " ".join(response.text.split())
    assert "Too many failed sign-in attempts" in text
    assert "is locked for 30 minutes" in text
    assert "call the clinic administrator, who can unlock it" in text


def test_a_locked_user_name_stays_locked_from_another_address(client, front_desk_user):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, front_desk_user, password="guess", address=ELSEWHERE)

    response = log_in(client, front_desk_user, address=OFFICE)

    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.text


def test_lockout_of_one_account_leaves_colleagues_at_the_same_address_able_to_sign_in(
    client, front_desk_user, clinician_user
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, front_desk_user, password="guess")

    response = log_in(client, clinician_user)

    assert response["Location"] == TWO_FACTOR  # the password was accepted


def test_guessing_across_user_names_locks_the_address(client, front_desk_user):
    """Password spraying: one guess at each of many user names, from one address."""
    limit = settings.CLINIC_LOGIN_ADDRESS_FAILURE_LIMIT
    assert settings.AXES_FAILURE_LIMIT < limit == 20
    for n in range(limit):
        try_password(client, f"staff{n}", "Spring2026!", address=ELSEWHERE)

    from_there = log_in(client, front_desk_user, address=ELSEWHERE)
    from_the_office = log_in(client, front_desk_user, address=OFFICE)

    assert from_there.status_code == 429
    assert "Too many failed sign-in attempts" in from_there.text
    assert from_the_office["Location"] == TWO_FACTOR


def test_signing_in_between_guesses_keeps_a_colleagues_failures(
    client, front_desk_user, clinician_user
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, clinician_user, password="guess")
    assert log_in(client, front_desk_user)["Location"] == TWO_FACTOR  # clears only frances's
    client.logout()

    log_in(client, clinician_user, password="guess")

    assert log_in(client, clinician_user).status_code == 429


def test_the_lockout_lifts_after_the_cool_off(client, front_desk_user):
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, front_desk_user, password="guess")
        assert log_in(client, front_desk_user).status_code == 429

        traveller.shift(timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1))

        assert log_in(client, front_desk_user)["Location"] == TWO_FACTOR


# --- Session limits ---------------------------------------------------------------------------

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_idle_staff_are_signed_out_after_fifteen_minutes(clock, front_desk):
    assert settings.CLINIC_SESSION_IDLE_SECONDS == 15 * 60
    assert front_desk.get(STAFF_PAGE).status_code == 200

    clock.shift(settings.CLINIC_SESSION_IDLE_SECONDS + 1)
    response = front_desk.get(STAFF_PAGE)

    assert response.status_code == 302
    assert path_and_next(response["Location"]) == (reverse("login"), STAFF_PAGE)
    login_page = front_desk.get(response["Location"])
    assert "You were signed out after a period without activity" in login_page.text
    clock.shift(1)
    assert front_desk.get(STAFF_PAGE)["Location"].startswith(LOGIN)  # the session is gone


def test_activity_within_the_idle_window_keeps_staff_signed_in(clock, front_desk):
    for _ in range(4):  # an hour of work, a page every 14 minutes
        assert front_desk.get(STAFF_PAGE).status_code == 200
        clock.shift(14 * 60)

    assert front_desk.get(STAFF_PAGE).status_code == 200


def test_the_session_cap_signs_out_even_busy_staff(clock, front_desk):
    cap = settings.CLINIC_SESSION_MAX_SECONDS
    step = settings.CLINIC_SESSION_IDLE_SECONDS - 60
    elapsed = 0
    while True:  # a page every 14 minutes: never idle
        assert front_desk.get(STAFF_PAGE).status_code == 200, f"signed out after {elapsed}s"
        if elapsed + step > cap:
            break
        clock.shift(step)
        elapsed += step

    clock.shift(cap - elapsed + 1)  # less than the idle limit since the last page
    response = front_desk.get(STAFF_PAGE)

    assert path_and_next(response["Location"]) == (reverse("login"), STAFF_PAGE)
    login_page = front_desk.get(response["Location"])
    assert "Your session reached its time limit" in login_page.text


def test_the_idle_clock_starts_at_sign_in(client, front_desk_user):
    with time_machine.travel(START, tick=False) as clock:
        log_in(client, front_desk_user)
        clock.shift(settings.CLINIC_SESSION_IDLE_SECONDS + 1)

        response = client.get(STAFF_PAGE)

    assert response["Location"].startswith(LOGIN)


# --- Sign out ---------------------------------------------------------------------------------


def test_sign_out_needs_a_post(front_desk):
    response = front_desk.get("/accounts/logout/")

    assert response.status_code == 405
    assert front_desk.get(STAFF_PAGE).status_code == 200


def test_sign_out_ends_the_session(front_desk):
    response = front_desk.post("/accounts/logout/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You are signed out." in response.text
    assert front_desk.get(STAFF_PAGE)["Location"].startswith(LOGIN)


# --- The admin --------------------------------------------------------------------------------


def test_front_desk_opening_the_admin_gets_403_not_a_redirect_loop(front_desk):
    response = front_desk.get("/admin/", follow=True)

    assert response.status_code == 403
    assert "You don't have access to this page" in response.text
    assert len(response.redirect_chain) <= 1


def test_anonymous_opening_the_admin_goes_to_the_staff_login(client):
    response = client.get("/admin/", follow=True)

    assert path_and_next(response.redirect_chain[-1][0]) == (reverse("login"), "/admin/")
    assert "Staff sign in" in response.text
