"""Where a request came from: X-Forwarded-For believed only from the clinic's own proxies, and
one address for the consultation form's rate limit, the sign-in lockout and the audit trail."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.test import RequestFactory
from django.urls import reverse

from clinic.client_address import client_ip
from intake.models import ConsultationRequest, Patient

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

VISITOR = "203.0.113.45"  # a member of the public, or a member of staff at home
PROXY = "10.0.0.1"  # the clinic's TLS proxy
SPOOFED = [f"198.51.100.{n}" for n in range(1, 13)]  # what a script writes into the header
REQUEST_URL = "/consultation/"
THANKS_URL = "/consultation/thanks/"
STAMP = re.compile(r'name="form_stamp" value="([^"]+)"')
INQUIRY = {
    "first_name": "Maria",
    "last_name": "Delgado",
    "date_of_birth": "1985-04-23",
    "email": "maria.delgado@example.com",
    "mobile": "(512) 555-0143",
    "preferred_contact": "email",
    "concerns": ["depression"],
    "heard_about": "doctor",
    "consent_to_contact": "on",
    "website": "",
}
NEW_PATIENT = {
    "legal_first_name": "Omar",
    "legal_last_name": "Haddad",
    "date_of_birth": "1979-11-02",
    "sex_at_birth": "male",
    "mobile": "(512) 555-0178",
    "email": "omar.haddad@example.com",
    "preferred_contact": "sms",
    "consent_sms": "on",
    "city": "Austin",
    "state": "TX",
}


def address_of(**meta) -> str:
    return client_ip(RequestFactory().get("/", **meta))


# --- The address ------------------------------------------------------------------------------


def test_without_trusted_proxies_the_header_is_ignored(settings):
    assert settings.CLINIC_TRUSTED_PROXIES == []  # the default: no proxy believed

    assert address_of(REMOTE_ADDR=VISITOR, HTTP_X_FORWARDED_FOR=SPOOFED[0]) == VISITOR
    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VISITOR) == PROXY


def test_behind_a_trusted_proxy_the_client_is_the_one_it_saw(settings):
    settings.CLINIC_TRUSTED_PROXIES = [PROXY]

    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=VISITOR) == VISITOR
    # The proxy appends what it saw: anything left of it is the client's own writing.
    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{SPOOFED[0]}, {VISITOR}") == VISITOR
    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"{VISITOR}:51234") == VISITOR
    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="[2001:db8::7]:443") == "2001:db8::7"


def test_a_header_from_an_address_that_is_not_a_proxy_is_ignored(settings):
    settings.CLINIC_TRUSTED_PROXIES = [PROXY]

    spoofed = f"{SPOOFED[0]}, {PROXY}"
    assert address_of(REMOTE_ADDR=VISITOR, HTTP_X_FORWARDED_FOR=spoofed) == VISITOR


def test_a_chain_of_trusted_proxies_is_walked_back_to_the_client(settings):
    settings.CLINIC_TRUSTED_PROXIES = ["10.0.0.0/24", "2001:db8:ffff::/48"]

    chain = f"{SPOOFED[0]}, {VISITOR}, 2001:db8:ffff::2, 10.0.0.7"
    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=chain) == VISITOR


def test_a_proxy_with_nothing_believable_to_forward_is_the_address(settings):
    settings.CLINIC_TRUSTED_PROXIES = [PROXY]

    assert address_of(REMOTE_ADDR=PROXY) == PROXY
    assert address_of(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="not-an-address") == PROXY


# --- The consultation form's rate limit -------------------------------------------------------


@pytest.fixture
def clock():
    tz = ZoneInfo("America/Chicago")
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=tz), tick=False) as traveller:
        yield traveller


def send_inquiry(client, clock, *, remote_addr: str, forwarded_for: str):
    headers = {"REMOTE_ADDR": remote_addr, "HTTP_X_FORWARDED_FOR": forwarded_for}
    page = client.get(REQUEST_URL, **headers)
    clock.shift(60)  # a person takes a minute to fill it in
    stamp = STAMP.search(page.text).group(1)
    return client.post(REQUEST_URL, {**INQUIRY, "form_stamp": stamp}, **headers)


def test_a_rotating_header_does_not_escape_the_rate_limit(client, clock, settings):
    assert settings.CLINIC_INQUIRY_RATE_PER_HOUR == 5

    sent = [
        send_inquiry(client, clock, remote_addr=VISITOR, forwarded_for=spoofed)
        for spoofed in SPOOFED[:6]
    ]

    assert [response.status_code for response in sent] == [302] * 5 + [429]
    assert ConsultationRequest.objects.count() == 5


def test_behind_the_proxy_each_visitor_has_their_own_limit(client, clock, settings):
    settings.CLINIC_TRUSTED_PROXIES = [PROXY]
    settings.CLINIC_INQUIRY_RATE_PER_HOUR = 1

    first = send_inquiry(client, clock, remote_addr=PROXY, forwarded_for=VISITOR)
    other = send_inquiry(client, clock, remote_addr=PROXY, forwarded_for=SPOOFED[0])
    again = send_inquiry(client, clock, remote_addr=PROXY, forwarded_for=f"{SPOOFED[1]}, {VISITOR}")

    assert (first["Location"], other["Location"]) == (THANKS_URL, THANKS_URL)
    assert again.status_code == 429


# --- The audit trail --------------------------------------------------------------------------


def test_a_spoofed_header_is_not_the_audited_address(front_desk):
    spoofing = {"REMOTE_ADDR": VISITOR, "HTTP_X_FORWARDED_PORT": "4444"}
    front_desk.post(
        reverse("intake:patient_register"),
        NEW_PATIENT,
        HTTP_X_FORWARDED_FOR=SPOOFED[0],
        **spoofing,
    )
    patient = Patient.objects.get()
    front_desk.get(
        reverse("intake:patient_detail", args=[patient.pk]),
        HTTP_X_FORWARDED_FOR=SPOOFED[1],
        **spoofing,
    )

    entries = LogEntry.objects.get_for_object(patient)
    # A change (auditlog's middleware) and a page view (clinic.audit.record_access).
    assert {entry.action for entry in entries} == {LogEntry.Action.CREATE, LogEntry.Action.ACCESS}
    assert {(entry.remote_addr, entry.remote_port) for entry in entries} == {(VISITOR, None)}


def test_behind_the_proxy_the_audited_address_is_the_client(front_desk, patient, settings):
    settings.CLINIC_TRUSTED_PROXIES = [PROXY]

    front_desk.get(
        reverse("intake:patient_detail", args=[patient.pk]),
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=f"{SPOOFED[0]}, {VISITOR}",
        HTTP_X_FORWARDED_PORT="51234",
    )

    entry = LogEntry.objects.get(object_pk=str(patient.pk), action=LogEntry.Action.ACCESS)
    assert (entry.remote_addr, entry.remote_port) == (VISITOR, 51234)


# --- The sign-in lockout ----------------------------------------------------------------------


def fail_to_sign_in(client, username: str, *, remote_addr: str, forwarded_for: str):
    return client.post(
        reverse("login"),
        {"username": username, "password": "a-wrong-guess"},
        REMOTE_ADDR=remote_addr,
        HTTP_X_FORWARDED_FOR=forwarded_for,
    )


def test_a_spoofed_header_is_not_the_lockout_address(client, front_desk_user):
    for spoofed in SPOOFED[:3]:
        fail_to_sign_in(
            client, front_desk_user.username, remote_addr=VISITOR, forwarded_for=spoofed
        )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {VISITOR}
    # All three counted against the one address, as they would be towards its lockout.
    assert sum(AccessAttempt.objects.values_list("failures_since_start", flat=True)) == 3


def test_behind_the_proxy_the_lockout_address_is_the_client(client, front_desk_user, settings):
    settings.CLINIC_TRUSTED_PROXIES = [PROXY]

    fail_to_sign_in(
        client,
        front_desk_user.username,
        remote_addr=PROXY,
        forwarded_for=f"{SPOOFED[0]}, {VISITOR}",
    )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {VISITOR}
