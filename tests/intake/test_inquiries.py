"""Consultation requests: the public page (its checks, its spam traps and its rate limit), and
the front desk's "New inquiries" queue, where a request becomes a patient or is closed."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import factory
import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db.models.signals import pre_save
from django.test import Client
from django.urls import reverse

from intake.models import ConsultationRequest, Patient
from intake.services.inquiries import (
    InquiryNotNew,
    client_fingerprint,
    inquiry_close,
    inquiry_convert,
    inquiry_form_stamp,
    inquiry_submit,
)
from intake.views.inquiries import QUEUE_PAGE_SIZE
from tests.conftest import sign_in
from tests.factories import PatientFactory

CLINIC_TZ = ZoneInfo("America/Chicago")
REQUEST_URL = "/consultation/"
THANKS_URL = "/consultation/thanks/"
QUEUE_URL = "/inquiries/"
VISITOR_IP = "203.0.113.45"
OTHER_IP = "198.51.100.77"
STAMP = re.compile(r'name="form_stamp" value="([^"]+)"')

MARIA = {
    "first_name": "Maria",
    "last_name": "Delgado",
    "date_of_birth": "1985-04-23",
    "email": "maria.delgado@example.com",
    "mobile": "(512) 555-0143",
    "preferred_contact": "email",
    "concerns": ["depression", "anxiety"],
    "concern_details": "Low for two years, nothing has helped so far.",
    "heard_about": "doctor",
    "consent_to_contact": "on",
    "website": "",
}

Status = ConsultationRequest.Status
pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]


class InquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ConsultationRequest

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = date(1988, 6, 14)
    email = factory.Sequence(lambda n: f"inquirer{n}@example.com")
    mobile = factory.Sequence(lambda n: f"+1737555{n % 10000:04d}")
    preferred_contact = "sms"
    concerns = ["depression"]
    consent_to_contact = True


@pytest.fixture
def clock():
    """Time stands still until a test moves it (form stamps and the rate window use it)."""
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=CLINIC_TZ), tick=False) as t:
        yield t


def open_form(client, ip: str = VISITOR_IP) -> str:
    """Open the public page as a visitor would, and return the form's signed stamp."""
    response = client.get(REQUEST_URL, REMOTE_ADDR=ip)
    assert response.status_code == 200
    return STAMP.search(response.text).group(1)


def send(client, clock, *, ip: str = VISITOR_IP, after: float = 60, **changes):
    """Fill in the form for `after` seconds, then send it (changes: field -> typed value,
    None leaves the field out as an unticked box or an empty choice would)."""
    stamp = open_form(client, ip)
    clock.shift(after)
    data = {**MARIA, "form_stamp": stamp, **changes}
    data = {name: value for name, value in data.items() if value is not None}
    return client.post(REQUEST_URL, data, REMOTE_ADDR=ip)


# --- The public page --------------------------------------------------------------------------


def test_a_request_is_stored_and_the_visitor_is_thanked(client, clock):
    response = send(client, clock)

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    inquiry = ConsultationRequest.objects.get()
    assert inquiry.full_name == "Maria Delgado"
    assert inquiry.date_of_birth == date(1985, 4, 23)
    assert inquiry.email == "maria.delgado@example.com"
    assert inquiry.mobile == "+15125550143"
    assert inquiry.preferred_contact == "email"
    assert inquiry.concerns == ["depression", "anxiety"]
    assert inquiry.concern_details == "Low for two years, nothing has helped so far."
    assert inquiry.heard_about == "doctor"
    assert inquiry.consent_to_contact is True
    assert inquiry.status == Status.NEW
    assert inquiry.patient is None


def test_the_thank_you_page_says_what_happens_next_and_carries_nothing_personal(client, clock):
    response = send(client, clock)
    page = client.get(response["Location"])

    assert response["Location"] == THANKS_URL  # no id, name or query string
    text = page.text
    assert page.status_code == 200
    assert "within one business day" in text
    assert "by the contact method you chose" in text
    assert "secure link to your intake forms" in text
    assert 'href="tel:988"' in text
    assert 'href="tel:911"' in text
    for personal in ("Maria", "Delgado", "maria.delgado", "555", "1985"):
        assert personal not in text


def test_the_page_is_public_and_explains_itself(client):
    text = client.get(REQUEST_URL).text

    assert "Request a consultation" in text
    assert "within one business day" in text
    assert "does not commit you to anything" in text
    for label in (
        "First name",
        "Last name",
        "Date of birth",
        "Email",
        "Mobile phone",
        "How should we contact you?",
        "What would you like help with?",
        "How did you hear about us?",
        "I agree to the clinic contacting me about this request",
        "We use your details only to reply to you",
    ):
        assert label in text
    # Radio buttons and checkboxes are grouped under a legend.
    assert re.search(r"<legend[^>]*>\s*How should we contact you\?", text)
    assert re.search(r"<legend[^>]*>\s*What would you like help with\?", text)


def test_the_honeypot_is_hidden_from_people_by_a_stylesheet_class(client, settings):
    text = client.get(REQUEST_URL).text

    trap = re.search(r'<div class="hp-field" aria-hidden="true">(.*?)</div>', text, re.S)
    assert trap, "the honeypot's wrapper is missing"
    assert ">Leave this empty</label>" in trap.group(1)
    field = re.search(r"<input[^>]*name=\"website\"[^>]*>", trap.group(1)).group(0)
    assert 'tabindex="-1"' in field
    assert 'autocomplete="off"' in field
    assert "style=" not in text  # the CSP forbids inline styles
    css = (settings.BASE_DIR / "static" / "clinic" / "clinic.css").read_text()
    assert re.search(r"\.hp-field\s*\{[^}]*left:\s*-10000px", css)


BAD_INPUT = [
    pytest.param({"concerns": None}, "concerns", "Tick at least one thing", id="no-concern"),
    pytest.param(
        {"concerns": ["other"], "concern_details": "  "},
        "concern_details",
        "Tell us briefly what else",
        id="other-without-text",
    ),
    pytest.param(
        {"consent_to_contact": None},
        "consent_to_contact",
        "Please agree to be contacted",
        id="consent-unticked",
    ),
    pytest.param({"first_name": ""}, "first_name", "Enter your first name.", id="no-name"),
    pytest.param({"email": "maria@"}, "email", "Enter a valid email address", id="bad-email"),
    pytest.param({"mobile": "555-12"}, "mobile", "Enter a valid phone number", id="bad-phone"),
    pytest.param(
        {"date_of_birth": "2099-01-01"},
        "date_of_birth",
        "cannot be in the future",
        id="future-birth-date",
    ),
    pytest.param(
        {"preferred_contact": "pigeon"}, "preferred_contact", "Select a valid choice", id="channel"
    ),
]


@pytest.mark.parametrize(("changes", "field", "message"), BAD_INPUT)
def test_bad_input_is_explained_beside_the_field_and_keeps_what_was_typed(
    client, clock, changes, field, message
):
    response = send(client, clock, **changes)

    assert response.status_code == 400
    assert not ConsultationRequest.objects.exists()
    text = response.text
    # The summary at the top links to the field; the message also sits beside the field.
    summary = re.search(
        r'<div class="alert alert-danger" role="alert"[^>]*id="error-summary">(.*?)</div>',
        text,
        re.S,
    )
    assert summary and message in summary.group(1)
    assert f'href="#id_{field}' in summary.group(1)
    assert re.search(
        rf'id="id_{field}_error"[^>]*>\s*<(?:p|span)[^>]*><strong>[^<]*{re.escape(message)}', text
    )
    # Everything else typed is still there.
    typed = {**MARIA, **changes}
    for name in ("first_name", "last_name", "email", "mobile", "date_of_birth"):
        if typed[name]:
            assert f'value="{typed[name]}"' in text, f"{name} was lost"
    assert typed["concern_details"].strip() in text
    for concern in typed["concerns"] or []:
        assert re.search(rf'<input type="checkbox"[^>]*value="{concern}"[^>]*checked', text)
    if typed["consent_to_contact"]:
        assert re.search(r'<input type="checkbox" name="consent_to_contact"[^>]*checked', text)
    assert re.search(r'<option value="doctor" selected>', text)


def test_something_else_with_a_description_is_accepted(client, clock):
    send(client, clock, concerns=["other"], concern_details="Chronic pain and low mood")

    inquiry = ConsultationRequest.objects.get()
    assert inquiry.concerns == ["other"]
    assert inquiry.concern_labels() == ["Something else"]


def test_the_service_refuses_a_request_without_a_concern_from_any_caller(db, clock):
    stamp = inquiry_form_stamp()
    clock.shift(30)
    details = {
        "first_name": "Maria",
        "last_name": "Delgado",
        "date_of_birth": date(1985, 4, 23),
        "email": "maria.delgado@example.com",
        "mobile": "+15125550143",
        "preferred_contact": "sms",
        "concerns": [],
        "concern_details": "",
        "heard_about": "",
        "consent_to_contact": True,
        "website": "",
        "form_stamp": stamp,
    }

    with pytest.raises(ValidationError) as refused:
        inquiry_submit(details=details, client_ip=VISITOR_IP)

    assert "concerns" in refused.value.message_dict
    assert not ConsultationRequest.objects.exists()


# --- Spam -------------------------------------------------------------------------------------


def test_a_filled_in_honeypot_is_thanked_and_held_for_a_check(client, clock):
    """A password manager may fill in even a hidden field: held, never dropped."""
    response = send(client, clock, website="https://cheap-pills.example")

    assert response.status_code == 302
    assert response["Location"] == THANKS_URL
    inquiry = ConsultationRequest.objects.get()
    assert (inquiry.status, inquiry.held_reason) == (Status.HELD, "hidden_field")


@pytest.mark.parametrize(
    ("seconds", "status"),
    [
        (0, Status.HELD),
        (2, Status.HELD),
        (2.999, Status.HELD),
        (3, Status.NEW),
        (3.001, Status.NEW),
        (600, Status.NEW),
    ],
)
def test_a_request_sent_faster_than_a_person_types_is_held_not_dropped(
    client, clock, seconds, status
):
    response = send(client, clock, after=seconds)

    assert response["Location"] == THANKS_URL
    inquiry = ConsultationRequest.objects.get()
    assert inquiry.status == status
    assert inquiry.held_reason == ("too_fast" if status == Status.HELD else "")
    assert inquiry.full_name == "Maria Delgado"


@pytest.mark.parametrize("stamp", ["", "forged", "eyJzaG93biI6MH0:1tXyZ:abc"])
def test_a_missing_or_forged_form_stamp_is_dropped(client, clock, stamp):
    clock.shift(60)
    response = client.post(REQUEST_URL, {**MARIA, "form_stamp": stamp}, REMOTE_ADDR=VISITOR_IP)

    assert response["Location"] == THANKS_URL
    assert not ConsultationRequest.objects.exists()


def test_a_page_left_open_over_a_day_asks_to_send_again_keeping_the_answers(client, clock):
    stamp = open_form(client)
    clock.shift(timedelta(days=1, minutes=1))

    response = client.post(REQUEST_URL, {**MARIA, "form_stamp": stamp}, REMOTE_ADDR=VISITOR_IP)

    assert response.status_code == 200
    assert "Please send your request again" in response.text
    assert 'value="Maria"' in response.text
    assert not ConsultationRequest.objects.exists()
    fresh = STAMP.search(response.text).group(1)
    assert fresh != stamp

    clock.shift(20)  # they check their answers and send again
    response = client.post(REQUEST_URL, {**MARIA, "form_stamp": fresh}, REMOTE_ADDR=VISITOR_IP)
    assert response["Location"] == THANKS_URL
    assert ConsultationRequest.objects.count() == 1


# --- The rate limit ---------------------------------------------------------------------------


def test_the_sixth_request_in_an_hour_from_one_address_is_refused_until_the_window_slides(
    client, clock, settings
):
    assert settings.CLINIC_INQUIRY_RATE_PER_HOUR == 5
    for _ in range(5):  # one every ten minutes: 10:01, 10:11, ... 10:41
        assert send(client, clock, after=60)["Location"] == THANKS_URL
        clock.shift(timedelta(minutes=9))
    assert ConsultationRequest.objects.count() == 5

    refused = send(client, clock, after=60)  # 10:51

    assert refused.status_code == 429
    assert "We could not send your request just now" in refused.text
    assert "try again in an hour, or call the clinic" in refused.text
    assert 'value="Maria"' in refused.text  # nothing typed is lost
    assert ConsultationRequest.objects.count() == 5

    # Someone else, elsewhere, is not affected.
    assert send(client, clock, ip=OTHER_IP, after=5)["Location"] == THANKS_URL
    assert ConsultationRequest.objects.count() == 6

    # An hour after the first request (10:01) one place is free again, and only one.
    clock.move_to(datetime(2026, 3, 2, 11, 1, 30, tzinfo=CLINIC_TZ))
    assert send(client, clock, after=5)["Location"] == THANKS_URL
    assert send(client, clock, after=5).status_code == 429
    assert ConsultationRequest.objects.count() == 7


def test_the_limit_counts_the_address_given_by_the_proxy(client, clock, settings):
    settings.CLINIC_INQUIRY_RATE_PER_HOUR = 1
    proxy = "10.0.0.2"
    settings.CLINIC_TRUSTED_PROXIES = [proxy]

    def via_proxy(visitor):
        stamp = open_form(client, proxy)
        clock.shift(10)
        return client.post(
            REQUEST_URL,
            {**MARIA, "form_stamp": stamp},
            REMOTE_ADDR=proxy,
            HTTP_X_FORWARDED_FOR=visitor,
        )

    assert via_proxy(VISITOR_IP).status_code == 302
    assert via_proxy(OTHER_IP).status_code == 302
    assert via_proxy(VISITOR_IP).status_code == 429


def test_the_address_itself_is_stored_nowhere(client, clock):
    send(client, clock)

    inquiry = ConsultationRequest.objects.get()
    row = ConsultationRequest.objects.filter(pk=inquiry.pk).values().get()
    assert not any(VISITOR_IP in str(value) for value in row.values())
    assert re.fullmatch(r"[0-9a-f]{64}", inquiry.client_fingerprint)
    assert inquiry.client_fingerprint == client_fingerprint(VISITOR_IP)
    # The audit trail records the new request, but not where it came from.
    [created] = LogEntry.objects.get_for_object(inquiry)
    assert created.action == LogEntry.Action.CREATE
    assert created.remote_addr is None
    assert VISITOR_IP not in str(created.changes)


def test_keeping_the_address_out_of_the_audit_trail_leaves_no_hooks_behind(client):
    """auditlog hooks each request's context onto a signal; replacing it for the public request
    must not strand the request's own hook (one more per request, for ever)."""
    # A ticking clock: auditlog tells the hooks apart by the time they were made.
    with time_machine.travel(datetime(2026, 3, 2, 10, 0, tzinfo=CLINIC_TZ), tick=True) as clock:
        send(client, clock, ip="10.0.0.1")
        hooks = len(pre_save.receivers)
        for n in range(2, 5):
            assert send(client, clock, ip=f"10.0.0.{n}")["Location"] == THANKS_URL

        assert len(pre_save.receivers) == hooks
    assert ConsultationRequest.objects.count() == 4


def test_fingerprints_are_keyed_and_group_an_ipv6_network(settings):
    assert client_fingerprint(VISITOR_IP) != client_fingerprint(OTHER_IP)
    # One household or phone holds a whole IPv6 /64.
    assert client_fingerprint("2001:db8:1:2::10") == client_fingerprint("2001:db8:1:2:ffff::1")
    assert client_fingerprint("2001:db8:1:2::10") != client_fingerprint("2001:db8:1:3::10")
    assert client_fingerprint("::ffff:203.0.113.45") == client_fingerprint(VISITOR_IP)
    before = client_fingerprint(VISITOR_IP)
    settings.SECRET_KEY = "another-secret-key-" + "x" * 40
    assert client_fingerprint(VISITOR_IP) != before


# --- The front desk's queue -------------------------------------------------------------------


def make_inquiries(clock):
    """Three new requests an hour apart (oldest: Okafor), one converted and one closed."""
    made = {}
    for name in ("Okafor", "Nguyen", "Brown"):
        made[name] = InquiryFactory(last_name=name, first_name="Sam")
        clock.shift(timedelta(hours=1))
    made["converted"] = InquiryFactory(last_name="Converted", status=Status.CONVERTED)
    made["closed"] = InquiryFactory(
        last_name="Closedman", status=Status.CLOSED, close_reason="spam"
    )
    return made


def queue_names(response) -> list[str]:
    return re.findall(r'<a href="/inquiries/\d+/">([^<]+)</a>', response.text)


def test_the_queue_shows_new_inquiries_oldest_first(front_desk, clock):
    make_inquiries(clock)

    response = front_desk.get(QUEUE_URL)

    assert response.status_code == 200
    assert queue_names(response) == ["Okafor, Sam", "Nguyen, Sam", "Brown, Sam"]
    assert "3 new inquiries" in response.text
    assert re.search(r"<time[^>]*>3\shours ago</time>", response.text)  # 10:00, now 13:00
    assert "Depression" in response.text
    assert "06/14/1988" in response.text


@pytest.mark.parametrize(
    ("status", "expected"), [("converted", "Converted"), ("closed", "Closedman")]
)
def test_the_queue_tabs_show_handled_inquiries(front_desk, clock, status, expected):
    make_inquiries(clock)

    response = front_desk.get(QUEUE_URL, {"status": status})

    [name] = queue_names(response)
    assert name.startswith(expected)


def test_the_navigation_links_the_queue_for_the_front_desk_only(front_desk, clinician_user):
    assert ">New inquiries</a>" in front_desk.get("/").text
    assert ">New inquiries</a>" not in sign_in(Client(), clinician_user).get("/").text


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_queue_query_count_is_constant(front_desk, django_assert_num_queries, how_many):
    InquiryFactory.create_batch(how_many)
    InquiryFactory.create_batch(2, status=Status.CLOSED, close_reason="spam")
    front_desk.get(QUEUE_URL)  # warm-up: the session's first-request bookkeeping

    # session, user, TOTP device, roles; then the counts per status and the page of inquiries
    with django_assert_num_queries(6):
        response = front_desk.get(QUEUE_URL)

    assert len(queue_names(response)) == min(how_many, QUEUE_PAGE_SIZE)


def test_the_queue_shows_20_new_inquiries_a_page_oldest_first(front_desk, clock):
    for minutes in range(25):
        clock.shift(timedelta(minutes=1))
        InquiryFactory(first_name=f"Person{minutes:02}")

    first = front_desk.get(QUEUE_URL)
    second = front_desk.get(f"{QUEUE_URL}?status=new&page=2")

    assert "25 new inquiries" in first.text
    assert [name.split(", ")[1] for name in queue_names(first)] == [
        f"Person{n:02}" for n in range(20)
    ]
    assert "Page 1 of 2" in first.text
    assert 'href="?status=new&amp;page=2">Next</a>' in first.text
    assert [name.split(", ")[1] for name in queue_names(second)] == [
        f"Person{n:02}" for n in range(20, 25)
    ]


def test_the_detail_shows_everything_sent_and_is_audited(front_desk, front_desk_user, clock):
    inquiry = InquiryFactory(
        first_name="Maria",
        last_name="Delgado",
        concerns=["ptsd", "other"],
        concern_details="Nightmares since the accident",
        heard_about="therapist",
        preferred_contact="phone",
    )

    response = front_desk.get(f"/inquiries/{inquiry.pk}/")

    text = response.text
    for shown in (
        "Inquiry from Maria Delgado",
        "06/14/1988",
        inquiry.email,
        "Phone call",
        "PTSD, Something else",
        "Nightmares since the accident",
        "My therapist",
        "Create patient",
        "Close inquiry",
    ):
        assert shown in text
    viewed = LogEntry.objects.get_for_object(inquiry).filter(action=LogEntry.Action.ACCESS)
    assert viewed.get().actor == front_desk_user


# --- Becoming a patient -----------------------------------------------------------------------


def register_from(client, inquiry, **changes):
    """Open "Create patient" and register with the prefilled form, adding sex at birth."""
    page = client.get(f"/inquiries/{inquiry.pk}/create-patient/")
    form = page.context["form"]
    data = {name: form[name].value() for name in form.fields}
    data = {name: value for name, value in data.items() if value not in (None, False)}
    data.update({"sex_at_birth": "female", **changes})
    return client.post(f"/inquiries/{inquiry.pk}/create-patient/", data)


def test_the_registration_form_is_prefilled_from_the_inquiry(front_desk, clock):
    inquiry = InquiryFactory(
        first_name="Maria", last_name="Delgado", mobile="+15125550143", preferred_contact="email"
    )

    text = front_desk.get(f"/inquiries/{inquiry.pk}/create-patient/").text

    assert 'name="legal_first_name" value="Maria"' in text
    assert 'name="legal_last_name" value="Delgado"' in text
    assert 'value="1988-06-14"' in text
    assert f'value="{inquiry.email}"' in text
    assert 'value="(512) 555-0143"' in text
    assert re.search(r'<option value="email" selected>', text)
    # They chose email and agreed to be contacted about the request: not to texts.
    assert not re.search(r'name="consent_sms"[^>]*checked', text)
    assert re.search(r'name="consent_email"[^>]*checked', text)


def test_creating_the_patient_converts_the_inquiry(front_desk, front_desk_user, clock):
    inquiry = InquiryFactory(first_name="Maria", last_name="Delgado", mobile="+15125550143")

    response = register_from(front_desk, inquiry, city="Austin")

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    assert (patient.legal_first_name, patient.legal_last_name) == ("Maria", "Delgado")
    assert patient.date_of_birth == inquiry.date_of_birth
    assert patient.email == inquiry.email
    assert patient.mobile == "+15125550143"
    # The request chose texts (the factory's default): that consent, and only that one.
    assert (patient.consent_sms, patient.consent_email) == (True, False)
    assert patient.city == "Austin"
    assert patient.created_by == front_desk_user
    inquiry.refresh_from_db()
    assert inquiry.status == Status.CONVERTED
    assert inquiry.patient == patient
    assert inquiry.handled_by == front_desk_user
    assert inquiry.handled_at is not None
    page = front_desk.get(response["Location"])
    assert f"Registered Maria Delgado, MRN {patient.mrn}, from their consultation request." in (
        page.text
    )


def test_a_possible_duplicate_is_shown_before_anything_is_created(front_desk, clock):
    existing = PatientFactory(legal_first_name="Mary", legal_last_name="Delgado-Ruiz")
    inquiry = InquiryFactory(first_name="Maria", last_name="Delgado", mobile=existing.mobile)

    response = register_from(front_desk, inquiry)

    assert response.status_code == 200
    text = response.text
    assert "This person may already be registered" in text
    assert f'href="/patients/{existing.pk}/"' in text
    assert existing.mrn in text
    assert "Link to this existing patient" in text
    assert "this is a different person" in text
    assert Patient.objects.count() == 1
    inquiry.refresh_from_db()
    assert inquiry.status == Status.NEW

    # They check, and it is a different person.
    response = register_from(front_desk, inquiry, confirm_new_patient="on")

    assert response.status_code == 302
    assert Patient.objects.count() == 2
    inquiry.refresh_from_db()
    assert inquiry.status == Status.CONVERTED
    assert inquiry.patient.legal_first_name == "Maria"


def test_an_inquiry_from_a_registered_patient_is_linked_to_them(front_desk, front_desk_user, clock):
    existing = PatientFactory(legal_first_name="Maria", legal_last_name="Delgado")
    inquiry = InquiryFactory(first_name="Maria", last_name="Delgado", email=existing.email)

    response = front_desk.post(f"/inquiries/{inquiry.pk}/link-patient/", {"patient": existing.pk})

    assert response["Location"] == f"/patients/{existing.pk}/"
    assert Patient.objects.count() == 1
    inquiry.refresh_from_db()
    assert inquiry.status == Status.CONVERTED
    assert inquiry.patient == existing
    assert inquiry.handled_by == front_desk_user
    page = front_desk.get(response["Location"])
    assert f"Linked the consultation request to Maria Delgado, MRN {existing.mrn}." in page.text


# --- Closing ----------------------------------------------------------------------------------


def test_closing_needs_a_reason(front_desk, clock):
    inquiry = InquiryFactory()

    response = front_desk.post(f"/inquiries/{inquiry.pk}/close/", {"close_note": "?"})

    assert response.status_code == 400
    assert "Choose why the inquiry is being closed." in response.text
    inquiry.refresh_from_db()
    assert inquiry.status == Status.NEW


def test_closing_with_a_reason_records_who_and_why(front_desk, front_desk_user, clock):
    inquiry = InquiryFactory(last_name="Brown")

    response = front_desk.post(
        f"/inquiries/{inquiry.pk}/close/",
        {"close_reason": "not_suitable", "close_note": "Referred to Dr Lee (psychiatry)"},
    )

    assert response["Location"] == QUEUE_URL
    inquiry.refresh_from_db()
    assert inquiry.status == Status.CLOSED
    assert inquiry.close_reason == "not_suitable"
    assert inquiry.close_note == "Referred to Dr Lee (psychiatry)"
    assert inquiry.handled_by == front_desk_user
    assert inquiry.handled_at == datetime(2026, 3, 2, 10, 0, tzinfo=CLINIC_TZ)
    assert "Brown" not in "".join(queue_names(front_desk.get(QUEUE_URL)))
    detail = front_desk.get(f"/inquiries/{inquiry.pk}/").text
    assert "Not suitable for the clinic" in detail
    assert "Close inquiry" not in detail


# --- Acting twice -----------------------------------------------------------------------------


def test_a_handled_inquiry_cannot_be_handled_again(front_desk, front_desk_user, clock):
    patient = PatientFactory()
    inquiry = InquiryFactory()
    url = f"/inquiries/{inquiry.pk}"
    front_desk.post(f"{url}/close/", {"close_reason": "unreachable"})
    front_desk.get(QUEUE_URL)  # shows (and so clears) the "Closed" message
    registration = {
        "legal_first_name": "Sam",
        "legal_last_name": "Brown",
        "date_of_birth": "1988-06-14",
        "sex_at_birth": "male",
        "preferred_contact": "phone",
        "mobile": "(512) 555-0100",
    }
    attempts = {
        "close again": lambda: front_desk.post(f"{url}/close/", {"close_reason": "spam"}),
        "link": lambda: front_desk.post(f"{url}/link-patient/", {"patient": patient.pk}),
        "open the form": lambda: front_desk.get(f"{url}/create-patient/"),
        "register": lambda: front_desk.post(f"{url}/create-patient/", registration),
    }

    for attempt, act in attempts.items():
        response = act()
        assert response.status_code == 302, attempt
        assert response["Location"] == f"{url}/", attempt
        page = front_desk.get(response["Location"])
        assert "This inquiry has already been handled: it was closed." in page.text, attempt
    inquiry.refresh_from_db()
    assert inquiry.status == Status.CLOSED
    assert inquiry.close_reason == "unreachable"
    assert inquiry.patient is None
    assert Patient.objects.count() == 1


def test_the_services_refuse_an_inquiry_that_is_not_new(db, front_desk_user):
    patient = PatientFactory()
    inquiry = InquiryFactory()
    inquiry_convert(inquiry=inquiry, patient=patient, user=front_desk_user)

    with pytest.raises(InquiryNotNew, match="it became a patient"):
        inquiry_convert(inquiry=inquiry, patient=PatientFactory(), user=front_desk_user)
    with pytest.raises(InquiryNotNew):
        inquiry_close(inquiry=inquiry, reason="spam", user=front_desk_user)

    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.patient) == (Status.CONVERTED, patient)


# --- Who may see the queue --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clinician", "clinic_admin", "outsider"])
def test_only_the_front_desk_sees_inquiries(db, request, persona):
    client = request.getfixturevalue(persona)
    inquiry = InquiryFactory()

    for url in (QUEUE_URL, f"/inquiries/{inquiry.pk}/", f"/inquiries/{inquiry.pk}/create-patient/"):
        assert client.get(url).status_code == 403
    assert (
        client.post(f"/inquiries/{inquiry.pk}/close/", {"close_reason": "spam"}).status_code == 403
    )
    inquiry.refresh_from_db()
    assert inquiry.status == Status.NEW


def test_an_anonymous_visitor_is_sent_to_sign_in(client, db):
    response = client.get(QUEUE_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


# --- The held requests ------------------------------------------------------------------------


def test_a_held_request_is_listed_apart_from_the_new_ones(front_desk, clock):
    InquiryFactory(last_name="Okafor", first_name="Sam")
    InquiryFactory(
        last_name="Autofill", first_name="Ada", status=Status.HELD, held_reason="too_fast"
    )

    response = front_desk.get(QUEUE_URL)

    text = response.text
    assert "1 new inquiry" in text
    new_list, held_list = text.split('id="held-heading"')
    assert "Okafor, Sam" in new_list and "Autofill, Ada" not in new_list
    assert "Held for a check: 1 request" in held_list
    assert "Autofill, Ada" in held_list
    assert "Sent too fast to be sure it was a person" in held_list
    assert "Release to new inquiries" in held_list
    assert "Discard as spam" in held_list
    assert '<a href="#held-heading">1 request held for a check</a>' in new_list
    # No tab of its own, and not among the new ones on the home page either.
    assert ">Held for a check <span" not in text
    home = front_desk.get("/").text
    assert re.search(r"Held for a check", home)


def test_releasing_a_held_request_makes_it_new_and_is_audited(front_desk, front_desk_user, clock):
    inquiry = InquiryFactory(last_name="Autofill", status=Status.HELD, held_reason="too_fast")
    clock.shift(timedelta(minutes=30))

    response = front_desk.post(f"/inquiries/{inquiry.pk}/release/")

    assert response["Location"] == QUEUE_URL
    inquiry.refresh_from_db()
    assert inquiry.status == Status.NEW
    assert inquiry.released_by == front_desk_user
    assert inquiry.released_at == datetime(2026, 3, 2, 10, 30, tzinfo=CLINIC_TZ)
    assert inquiry.held_reason == "too_fast"  # why it was held stays on the request
    entry = LogEntry.objects.get_for_object(inquiry).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == front_desk_user
    assert entry.changes_dict["status"] == ["held", "new"]
    page = front_desk.get(QUEUE_URL).text
    assert "Released the request from" in page
    assert "1 new inquiry" in page
    assert 'id="held-heading"' not in page
    detail = front_desk.get(f"/inquiries/{inquiry.pk}/").text
    assert "released to new inquiries by" in detail
    assert "Create patient" in detail


def test_discarding_a_held_request_closes_it_as_spam_and_is_audited(
    front_desk, front_desk_user, clock
):
    inquiry = InquiryFactory(status=Status.HELD, held_reason="hidden_field")

    response = front_desk.post(f"/inquiries/{inquiry.pk}/discard/")

    assert response["Location"] == QUEUE_URL
    inquiry.refresh_from_db()
    assert (inquiry.status, inquiry.close_reason) == (Status.CLOSED, "spam")
    assert inquiry.close_note == (
        "Discarded from the held requests: a field people cannot see was filled in."
    )
    assert (inquiry.handled_by, inquiry.handled_at) == (
        front_desk_user,
        datetime(2026, 3, 2, 10, 0, tzinfo=CLINIC_TZ),
    )
    entry = LogEntry.objects.get_for_object(inquiry).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == front_desk_user
    assert entry.changes_dict["status"] == ["held", "closed"]


def test_a_held_request_is_handled_only_after_its_release(front_desk, front_desk_user, clock):
    inquiry = InquiryFactory(status=Status.HELD, held_reason="too_fast")
    url = f"/inquiries/{inquiry.pk}"

    detail = front_desk.get(f"{url}/").text
    assert "Create patient" not in detail and "Close inquiry" not in detail
    assert "Release to new inquiries" in detail
    for act in (
        lambda: front_desk.get(f"{url}/create-patient/"),
        lambda: front_desk.post(f"{url}/close/", {"close_reason": "spam"}),
        lambda: front_desk.post(f"{url}/link-patient/", {"patient": PatientFactory().pk}),
    ):
        response = act()
        assert response["Location"] == f"{url}/"
        page = front_desk.get(f"{url}/").text
        assert "held for a check: release it to new inquiries first" in page
    inquiry.refresh_from_db()
    assert inquiry.status == Status.HELD

    # Released twice (two people at once): the second is told, nothing changes.
    front_desk.post(f"{url}/release/")
    response = front_desk.post(f"{url}/discard/")
    assert response["Location"] == f"{url}/"
    assert "no longer held for a check: it is new" in front_desk.get(f"{url}/").text
    inquiry.refresh_from_db()
    assert inquiry.status == Status.NEW


@pytest.mark.parametrize("persona", ["clinician", "outsider"])
def test_only_the_front_desk_releases_or_discards(request, db, persona):
    client = request.getfixturevalue(persona)
    inquiry = InquiryFactory(status=Status.HELD, held_reason="too_fast")

    for action in ("release", "discard"):
        assert client.post(f"/inquiries/{inquiry.pk}/{action}/").status_code == 403
    inquiry.refresh_from_db()
    assert inquiry.status == Status.HELD


def test_held_requests_count_toward_the_rate_limit(client, clock, settings):
    settings.CLINIC_INQUIRY_RATE_PER_HOUR = 2
    assert send(client, clock, after=0)["Location"] == THANKS_URL
    assert send(client, clock, after=1)["Location"] == THANKS_URL

    refused = send(client, clock, after=60)

    assert refused.status_code == 429
    assert "try again in an hour, or call the clinic" in refused.text
    assert list(ConsultationRequest.objects.values_list("status", flat=True)) == ["held"] * 2


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_queue_query_count_is_constant_with_held_requests(
    front_desk, django_assert_num_queries, how_many
):
    InquiryFactory.create_batch(how_many)
    InquiryFactory.create_batch(how_many, status=Status.HELD, held_reason="too_fast")
    front_desk.get(QUEUE_URL)

    # As without held requests, and one more for the held ones.
    with django_assert_num_queries(7):
        response = front_desk.get(QUEUE_URL)

    assert len(queue_names(response)) == 2 * min(how_many, QUEUE_PAGE_SIZE)


# --- Consents carried from the request to the patient record ----------------------------------


@pytest.mark.parametrize(
    ("preferred", "sms", "email"),
    [("sms", True, False), ("email", False, True), ("phone", False, False)],
)
def test_the_registration_form_ticks_only_the_consent_the_request_gave(
    front_desk, clock, preferred, sms, email
):
    inquiry = InquiryFactory(preferred_contact=preferred)

    form = front_desk.get(f"/inquiries/{inquiry.pk}/create-patient/").context["form"]

    assert (form["consent_sms"].value(), form["consent_email"].value()) == (sms, email)


def test_a_consent_from_the_request_keeps_its_source_and_time(front_desk, clock):
    inquiry = InquiryFactory(preferred_contact="email")  # sent at 10:00
    clock.shift(timedelta(hours=26))
    clock.shift(-timedelta(minutes=1))  # the front desk calls back the next morning (11:59)

    # On the phone, the person also agrees to texts: the front desk ticks that box.
    response = register_from(front_desk, inquiry, consent_sms="on")

    patient = Patient.objects.get()
    assert patient.consent_email and patient.consent_sms
    assert patient.email_consent_source == f"consultation request #{inquiry.pk}"
    assert patient.email_consent_at == datetime(2026, 3, 2, 10, 0, tzinfo=CLINIC_TZ)
    assert patient.sms_consent_source == "registration by front desk"
    assert patient.sms_consent_at == datetime(2026, 3, 3, 11, 59, tzinfo=CLINIC_TZ)
    page = front_desk.get(response["Location"]).text
    assert f"Email: yes, given 03/02/2026 10:00 through consultation request #{inquiry.pk}" in (
        page
    )
    assert "Texts: yes, given 03/03/2026 11:59 through registration by front desk" in page


# --- Finding the form -------------------------------------------------------------------------


def test_a_visitor_to_the_home_address_finds_the_consultation_form(client, db):
    page = client.get("/", follow=True)

    assert "Staff sign in" in page.text
    assert re.search(r'<a [^>]*href="/consultation/"[^>]*>Request a consultation</a>', page.text)
