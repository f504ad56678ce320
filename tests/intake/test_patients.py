"""The patient record as the front desk and clinicians use it: register, check for duplicates,
open the summary, edit, record weight and height."""

import re
from datetime import date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.urls import reverse

from intake import selectors
from intake.models import MRN_ALPHABET, Patient, PatientMeasurement
from intake.services.patients import patient_record_measurement, patient_register
from tests.conftest import sign_in
from tests.factories import PatientFactory

pytestmark = pytest.mark.clinic_day

CLINIC_TZ = ZoneInfo("America/Chicago")
REGISTER_URL = "/patients/new/"
ONE_MB = "x" * (1024 * 1024)

MARIA = {
    "legal_first_name": "Maria",
    "legal_last_name": "Delgado",
    "preferred_name": "Mari",
    "date_of_birth": "1985-04-23",
    "sex_at_birth": "female",
    "gender": "Woman",
    "pronouns": "she/her",
    "mobile": "(512) 555-0143",
    "email": "maria.delgado@example.com",
    "preferred_contact": "sms",
    "consent_sms": "on",
    "consent_email": "on",
    "address_line1": "1200 Congress Ave",
    "address_line2": "Apt 4",
    "city": "Austin",
    "state": "TX",
    "postal_code": "78701",
    "emergency_contact_name": "Luis Delgado",
    "emergency_contact_relationship": "Brother",
    "emergency_contact_phone": "512-555-0199",
    "weight_lb": "154",
    "height_in": "66",
}


class _ElementFinder(HTMLParser):
    """Finds the source of the element with a given id (crispy wraps each field in one)."""

    VOID = {"input", "br", "img", "meta", "link", "hr", "source", "col", "area", "wbr"}

    def __init__(self, element_id: str):
        super().__init__(convert_charrefs=True)
        self.element_id = element_id
        self.start = self.end = None
        self.depth = 0

    def handle_starttag(self, tag, attrs):
        if self.end is not None:
            return
        if self.start is None:
            if dict(attrs).get("id") == self.element_id:
                self.start = self.getpos()
                self.depth = 0 if tag in self.VOID else 1
                if tag in self.VOID:
                    self.end = self.getpos()
        elif tag not in self.VOID:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.start is not None and self.end is None and tag not in self.VOID:
            self.depth -= 1
            if self.depth == 0:
                self.end = self.getpos()


def element(html: str, element_id: str) -> str:
    """The HTML of one element (by id), to check what sits beside a field."""
    finder = _ElementFinder(element_id)
    finder.feed(html)
    assert finder.start is not None, f"no element with id {element_id!r} on the page"
    # HTMLParser counts lines by "\n" only.
    line_starts = [0]
    for line in html.split("\n")[:-1]:
        line_starts.append(line_starts[-1] + len(line) + 1)

    def offset(pos):
        line, column = pos
        return line_starts[line - 1] + column

    end = offset(finder.end) if finder.end else len(html)
    return html[offset(finder.start) : end + 1]


def field_block(response, name: str) -> str:
    return element(response.content.decode(), f"div_id_{name}")


# --- Registration -----------------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 10, 9, 30, tzinfo=CLINIC_TZ), tick=False)
def test_front_desk_registers_a_patient_and_lands_on_the_summary(front_desk, front_desk_user):
    response = front_desk.post(REGISTER_URL, MARIA)

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("intake:patient_detail", args=[patient.pk])
    assert patient.legal_first_name == "Maria"
    assert patient.preferred_name == "Mari"
    assert str(patient.date_of_birth) == "1985-04-23"
    assert patient.mobile == "+15125550143"
    assert patient.emergency_contact_phone == "+15125550199"
    assert patient.email == "maria.delgado@example.com"
    assert (patient.consent_sms, patient.consent_email) == (True, True)
    assert (patient.city, patient.state, patient.postal_code) == ("Austin", "TX", "78701")
    assert patient.emergency_contact_name == "Luis Delgado"
    assert patient.created_by == front_desk_user
    measurement = patient.measurements.get()
    assert measurement.weight_kg == Decimal("69.9")  # 154 lb
    assert measurement.height_cm == Decimal("167.6")  # 66 in
    assert measurement.recorded_by == front_desk_user

    page = front_desk.get(response["Location"])
    text = page.content.decode()
    assert page.status_code == 200
    assert f"Registered Maria Delgado, MRN {patient.mrn}." in text
    assert "Maria (Mari) Delgado" in text
    assert f"MRN {patient.mrn} · born 04/23/1985 (40)" in text
    assert "69.9 kg (154 lb), 03/10/2026" in text
    assert "167.6 cm" in text
    assert "(512) 555-0143" in text
    assert "Luis Delgado (Brother)" in text
    assert "Registered 03/10/2026 09:30 by Frances Desk." in text


def test_registration_with_only_the_required_fields(front_desk):
    response = front_desk.post(
        REGISTER_URL,
        {
            "legal_first_name": "Sam",
            "legal_last_name": "Ortiz",
            "date_of_birth": "1990-01-02",
            "sex_at_birth": "male",
            "preferred_contact": "phone",
            "mobile": "512-555-0120",
        },
    )

    patient = Patient.objects.get()
    assert response.status_code == 302
    assert not patient.measurements.exists()
    page = front_desk.get(response["Location"]).content.decode()
    assert page.count("Not recorded") == 2  # no weight, no height yet


def test_clinician_may_register_and_view(clinician, clinician_user):
    response = clinician.post(REGISTER_URL, MARIA)

    patient = Patient.objects.get()
    assert patient.created_by == clinician_user
    assert clinician.get(response["Location"]).status_code == 200


def test_mrn_is_generated_unique_and_easy_to_read_aloud(front_desk):
    for number in range(5):
        front_desk.post(
            REGISTER_URL,
            {
                **MARIA,
                "legal_first_name": f"Maria{number}",
                "mobile": f"512-555-01{number:02d}",
                "email": f"m{number}@example.com",
            },
        )

    mrns = list(Patient.objects.values_list("mrn", flat=True))
    assert len(mrns) == 5
    assert len(set(mrns)) == 5
    for mrn in mrns:
        assert re.fullmatch(rf"KC-[{MRN_ALPHABET}]{{7}}", mrn)
    assert not set("01OIL") & set(MRN_ALPHABET)


def test_an_mrn_collision_draws_a_new_mrn(front_desk_user, monkeypatch):
    PatientFactory(mrn="KC-2222222")
    drawn = iter(["KC-2222222", "KC-3333333"])
    monkeypatch.setattr(Patient._meta.get_field("mrn"), "_get_default", lambda: next(drawn))

    patient = patient_register(
        created_by=front_desk_user,
        details={
            "legal_first_name": "Maria",
            "legal_last_name": "Delgado",
            "date_of_birth": date(1985, 4, 23),
            "sex_at_birth": "female",
        },
    )

    assert patient.mrn == "KC-3333333"
    assert Patient.objects.count() == 2


# --- Likely duplicates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "existing",
    [
        pytest.param(
            {
                "legal_first_name": "MARIA",
                "legal_last_name": "delgado",
                "date_of_birth": "1985-04-23",
                "mobile": "+15125550177",
                "email": "other@example.com",
            },
            id="same-name-and-date-of-birth",
        ),
        pytest.param(
            {
                "legal_first_name": "Mary",
                "legal_last_name": "Stone",
                "date_of_birth": "1970-01-01",
                "mobile": "+15125550143",
                "email": "other@example.com",
            },
            id="same-mobile-typed-differently",
        ),
        pytest.param(
            {
                "legal_first_name": "Mary",
                "legal_last_name": "Stone",
                "date_of_birth": "1970-01-01",
                "mobile": "+15125550177",
                "email": "Maria.Delgado@Example.com",
            },
            id="same-email-other-case",
        ),
    ],
)
def test_likely_duplicate_is_shown_and_nothing_created_until_confirmed(front_desk, existing):
    earlier = PatientFactory(**existing)

    response = front_desk.post(REGISTER_URL, MARIA)

    text = response.content.decode()
    assert response.status_code == 200
    assert Patient.objects.count() == 1
    assert "This patient may already be registered" in text
    assert earlier.mrn in text
    assert reverse("intake:patient_detail", args=[earlier.pk]) in text
    # The typed details are still there, and the confirmation box is part of the form that
    # is submitted again (a box outside the <form> would never reach the server).
    assert 'value="Delgado"' in field_block(response, "legal_last_name")
    form_html = element(text, "registration-form")
    assert 'name="confirm_new_patient"' in form_html

    confirmed = front_desk.post(REGISTER_URL, {**MARIA, "confirm_new_patient": "on"})

    assert confirmed.status_code == 302
    assert Patient.objects.count() == 2


def test_different_person_is_registered_without_a_warning(front_desk):
    PatientFactory(
        legal_first_name="Maria",
        legal_last_name="Delgado",
        date_of_birth="1985-04-24",
        mobile="+15125550177",
        email="another@example.com",
    )

    response = front_desk.post(REGISTER_URL, MARIA)

    assert response.status_code == 302
    assert Patient.objects.count() == 2


# --- Bad input: a clear message beside the field, what was typed kept, nothing saved ---------


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("date_of_birth", "2023-02-30", "Enter a real date, e.g. 1985-04-23."),
        ("date_of_birth", "2999-01-01", "Date of birth cannot be in the future."),
        ("date_of_birth", "1850-06-01", "Enter a date of birth after 1900."),
        ("mobile", "555-01", "Enter a valid phone number, e.g. (512) 555-0143."),
        ("mobile", "call me", "Enter a valid phone number, e.g. (512) 555-0143."),
        ("emergency_contact_phone", "12345", "Enter a valid phone number, e.g. (512) 555-0143."),
        ("email", "maria@", "Enter a valid email address, e.g. name@example.com."),
        ("email", "maria.example.com", "Enter a valid email address, e.g. name@example.com."),
        ("postal_code", "7870", "Enter a 5-digit ZIP code, e.g. 78701."),
        ("postal_code", "ABCDE", "Enter a 5-digit ZIP code, e.g. 78701."),
        ("legal_first_name", ONE_MB, "Ensure this value has at most 100 characters"),
        ("address_line1", ONE_MB, "Ensure this value has at most 200 characters"),
        ("emergency_contact_name", ONE_MB, "Ensure this value has at most 200 characters"),
        ("weight_lb", "heavy", "Enter the weight in pounds as a number, e.g. 154."),
        ("weight_lb", "5000", "Enter a weight between 70 and 700 lb"),
        ("height_in", "170", "Enter a height between 48 and 90 in"),
    ],
    ids=lambda value: value[:20] if isinstance(value, str) else value,
)
def test_bad_input_is_explained_beside_the_field_and_kept(front_desk, field, typed, message):
    response = front_desk.post(REGISTER_URL, {**MARIA, field: typed})

    assert response.status_code == 200
    assert not Patient.objects.exists()
    assert not PatientMeasurement.objects.exists()
    block = field_block(response, field)
    assert message in block
    assert f'value="{typed}"' in block
    assert 'aria-invalid="true"' in block
    # The summary at the top names the field too, and everything else typed is still there.
    assert "Please correct the error below." in response.content.decode()
    assert 'value="Delgado"' in field_block(response, "legal_last_name")
    assert 'value="maria.delgado@example.com"' in field_block(response, "email") or (
        field == "email"
    )


def test_required_fields_left_empty(front_desk):
    response = front_desk.post(REGISTER_URL, {"preferred_contact": "email"})

    assert response.status_code == 200
    assert not Patient.objects.exists()
    for name in ("legal_first_name", "legal_last_name", "date_of_birth", "sex_at_birth"):
        assert "This field is required." in field_block(response, name)
    assert "An email address is needed for the preferred contact." in field_block(response, "email")


def test_text_messages_need_a_mobile_number(front_desk):
    response = front_desk.post(REGISTER_URL, {**MARIA, "mobile": ""})

    assert response.status_code == 200
    assert not Patient.objects.exists()
    assert "A mobile number is needed for the preferred contact." in field_block(response, "mobile")

    response = front_desk.post(
        REGISTER_URL, {**MARIA, "mobile": "", "preferred_contact": "email", "consent_sms": "on"}
    )
    assert "A mobile number is needed to send text messages." in field_block(response, "mobile")
    assert not Patient.objects.exists()


# --- Editing ----------------------------------------------------------------------------------


def test_edit_changes_only_what_was_typed(front_desk, patient):
    page = front_desk.get(reverse("intake:patient_edit", args=[patient.pk]))
    assert 'value="Rivera"' in field_block(page, "legal_last_name")

    data = _form_data(patient, email="jane.rivera@example.org", city="Round Rock")
    response = front_desk.post(reverse("intake:patient_edit", args=[patient.pk]), data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.email == "jane.rivera@example.org"
    assert patient.city == "Round Rock"
    assert patient.legal_last_name == "Rivera"
    summary = front_desk.get(response["Location"]).content.decode()
    assert "Patient details saved." in summary
    assert "jane.rivera@example.org" in summary


def test_opening_the_edit_page_is_audited_and_so_is_a_refused_save(front_desk, patient):
    url = reverse("intake:patient_edit", args=[patient.pk])
    accesses = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)

    assert front_desk.get(url).status_code == 200
    assert accesses.count() == 1
    assert accesses.get().actor.username == "frances"
    # The form shown again with its errors still shows the record.
    assert front_desk.post(url, {"legal_first_name": ""}).status_code == 200
    assert accesses.count() == 2


def test_edit_with_an_error_keeps_what_was_typed_and_saves_nothing(front_desk, patient):
    url = reverse("intake:patient_edit", args=[patient.pk])
    data = _form_data(patient, legal_first_name="Janet", email="not-an-email", postal_code="7")

    response = front_desk.post(url, data)

    assert response.status_code == 200
    assert "Enter a valid email address" in field_block(response, "email")
    assert 'value="not-an-email"' in field_block(response, "email")
    assert "Enter a 5-digit ZIP code" in field_block(response, "postal_code")
    assert 'value="Janet"' in field_block(response, "legal_first_name")
    # The heading names the record as stored, not the unsaved edit.
    assert "Edit details: Jane Rivera" in response.content.decode()
    patient.refresh_from_db()
    assert patient.legal_first_name == "Jane"
    assert patient.email != "not-an-email"


def _form_data(patient: Patient, **changes) -> dict:
    data = {
        "legal_first_name": patient.legal_first_name,
        "legal_last_name": patient.legal_last_name,
        "preferred_name": patient.preferred_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex_at_birth": patient.sex_at_birth,
        "mobile": str(patient.mobile),
        "email": patient.email,
        "preferred_contact": patient.preferred_contact,
        "consent_sms": "on" if patient.consent_sms else "",
        "consent_email": "on" if patient.consent_email else "",
        "city": patient.city,
        "state": patient.state,
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value != ""}


# --- Weight and height ------------------------------------------------------------------------


def test_recording_a_measurement_updates_the_latest_weight(front_desk, patient):
    patient_record_measurement(
        patient=patient,
        recorded_by=None,
        weight_kg=Decimal("90.0"),
        height_cm=Decimal("170.0"),
        recorded_at=datetime(2025, 1, 5, 10, tzinfo=CLINIC_TZ),
    )
    url = reverse("intake:measurement_add", args=[patient.pk])

    response = front_desk.post(url, {"weight_lb": "176.4"})

    assert response.status_code == 302
    page = front_desk.get(response["Location"]).content.decode()
    assert "Measurement recorded." in page
    assert "80.0 kg" in page  # the new weight, converted from pounds
    assert "90.0 kg" not in page
    assert "170.0 cm (5 ft 7 in), 01/05/2025" in page  # the height still comes from the older row


def test_the_latest_height_is_found_behind_many_weights(front_desk, patient):
    """The page reads the latest few measurements; a height older than all of them is still
    the latest height."""
    patient_record_measurement(
        patient=patient,
        recorded_by=None,
        height_cm=Decimal("170.0"),
        recorded_at=datetime(2025, 1, 2, 10, tzinfo=CLINIC_TZ),
    )
    for day in range(selectors.MEASUREMENTS_READ + 2):
        patient_record_measurement(
            patient=patient,
            recorded_by=None,
            weight_kg=Decimal("70.0") + day,
            recorded_at=datetime(2025, 2, 1 + day, 10, tzinfo=CLINIC_TZ),
        )

    page = front_desk.get(reverse("intake:patient_detail", args=[patient.pk])).content.decode()

    assert "170.0 cm (5 ft 7 in), 01/02/2025" in page
    assert "81.0 kg" in page
    assert selectors.patient_latest_measurements(patient=patient)["weight"] == {
        "weight_kg": Decimal("81.0"),
        "recorded_at": datetime(2025, 2, 12, 10, tzinfo=CLINIC_TZ),
    }


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"weight_lb": "a lot"}, "weight_lb", "Enter the weight in pounds as a number, e.g. 154."),
        ({"weight_lb": "3"}, "weight_lb", "Enter a weight between 70 and 700 lb"),
        ({"weight_lb": "154.25"}, "weight_lb", "Enter the weight to one decimal place at most"),
        ({"height_in": "250"}, "height_in", "Enter a height between 48 and 90 in"),
    ],
)
def test_measurement_errors_keep_the_patient_page(front_desk, patient, data, field, message):
    response = front_desk.post(reverse("intake:measurement_add", args=[patient.pk]), data)

    assert response.status_code == 400
    assert "Jane Rivera" in response.content.decode()
    block = field_block(response, field)
    assert message in block
    assert f'value="{data[field]}"' in block
    assert not PatientMeasurement.objects.exists()


def test_an_empty_measurement_is_refused(front_desk, patient):
    response = front_desk.post(reverse("intake:measurement_add", args=[patient.pk]), {})

    assert response.status_code == 400
    assert "Enter a weight, a height, or both." in response.content.decode()
    assert not PatientMeasurement.objects.exists()


# --- Who may open the record ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["front_desk", "clinician"])
def test_front_desk_and_clinicians_open_the_summary(request, persona, patient):
    client = request.getfixturevalue(persona)

    response = client.get(reverse("intake:patient_detail", args=[patient.pk]))

    assert response.status_code == 200
    assert patient.mrn in response.content.decode()


@pytest.mark.parametrize("persona", ["clinic_admin", "outsider"])
def test_other_staff_cannot_open_or_register_patients(request, persona, patient):
    client = request.getfixturevalue(persona)

    for url in (
        reverse("intake:patient_detail", args=[patient.pk]),
        reverse("intake:patient_edit", args=[patient.pk]),
        reverse("intake:patient_list"),
        REGISTER_URL,
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert patient.mrn not in response.content.decode()
    assert client.post(REGISTER_URL, MARIA).status_code == 403
    assert Patient.objects.count() == 1


def test_unknown_patient_is_a_404(front_desk):
    assert front_desk.get(reverse("intake:patient_detail", args=[999999])).status_code == 404


# --- Summary page cost ------------------------------------------------------------------------


@pytest.mark.parametrize("measurements", [1, 25])
def test_summary_page_query_count_does_not_grow_with_history(
    front_desk, patient, django_assert_num_queries, measurements
):
    PatientMeasurement.objects.bulk_create(
        PatientMeasurement(
            patient=patient,
            recorded_at=datetime(2025, 1, 1, tzinfo=CLINIC_TZ).replace(day=1 + number % 28),
            weight_kg=Decimal("70.0") + number,
            height_cm=Decimal("170.0"),
        )
        for number in range(measurements)
    )
    url = reverse("intake:patient_detail", args=[patient.pk])
    with time_machine.travel(datetime(2026, 3, 10, 9, tzinfo=CLINIC_TZ), tick=False):
        front_desk.get(url)  # warm-up: session bookkeeping and content-type cache
        # session, user, TOTP device, roles, patient with its creator, the ACCESS audit entry,
        # latest weight and height (one query: the latest rows hold both), newest intake with
        # its newest link (none here: see test_intake_staff.py), the screening status and the
        # treatment plan (treatments' panels), the surveys (followups' panel)
        with django_assert_num_queries(11):
            response = front_desk.get(url)
    assert response.status_code == 200


# --- Admin ------------------------------------------------------------------------------------


@pytest.fixture
def superuser_client(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x" * 16)
    return sign_in(client, root)


def test_patient_admin_searches_as_the_front_desk_does(superuser_client, patient):
    other = PatientFactory(legal_first_name="Omar", legal_last_name="Haddad", mobile="+15125550188")
    changelist = reverse("admin:intake_patient_changelist")

    for term, expected, absent in [
        ("Rivera, Jane", patient, other),
        (patient.mrn.lower().replace("-", ""), patient, other),
        ("(512) 555-0188", other, patient),
    ]:
        # POSTed: the list's URL carries a key for the term, not the term.
        found_at = superuser_client.post(reverse("admin:intake_patient_search"), {"q": term})
        assert set(parse_qs(urlparse(found_at["Location"]).query)) == {"qk"}
        response = superuser_client.get(found_at["Location"])
        assert response.status_code == 200
        assert response.request["PATH_INFO"] == changelist
        text = response.content.decode()
        assert expected.mrn in text, term
        assert absent.mrn not in text, term


def test_patients_are_registered_in_the_app_not_the_admin(superuser_client, patient):
    assert superuser_client.get(reverse("admin:intake_patient_add")).status_code == 403
    change = superuser_client.get(reverse("admin:intake_patient_change", args=[patient.pk]))
    assert change.status_code == 200
    assert f"?patient={patient.pk}" in change.content.decode()  # link to its audit trail


def test_an_admin_edit_goes_through_the_service(superuser_client, patient):
    url = reverse("admin:intake_patient_change", args=[patient.pk])
    data = {
        **_form_data(patient, city="Round Rock"),
        "measurements-TOTAL_FORMS": "0",
        "measurements-INITIAL_FORMS": "0",
    }

    response = superuser_client.post(url, data)

    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.city == "Round Rock"


def test_the_summary_shows_weight_and_height_in_both_units(front_desk, patient, front_desk_user):
    patient_record_measurement(
        patient=patient,
        recorded_by=front_desk_user,
        weight_kg=Decimal("69.9"),
        height_cm=Decimal("167.6"),
    )
    page = front_desk.get(f"/patients/{patient.pk}/").content.decode()
    assert "69.9 kg (154 lb)" in page
    assert "167.6 cm (5 ft 6 in)" in page


# --- Consent: where and when it was given -----------------------------------------------------


def consent_line(page: str, channel: str) -> str:
    """The patient page's line for one consent ("Texts: ..." or "Email: ...")."""
    return re.search(rf"<li>{channel}: ([^<]*)</li>", page).group(1)


def test_consents_ticked_at_registration_record_where_and_when(front_desk, front_desk_user):
    with time_machine.travel(datetime(2026, 11, 23, 9, 5, tzinfo=CLINIC_TZ), tick=False):
        response = front_desk.post(REGISTER_URL, {**MARIA, "consent_email": ""})

    patient = Patient.objects.get()
    at = datetime(2026, 11, 23, 9, 5, tzinfo=CLINIC_TZ)
    assert (patient.consent_sms, patient.sms_consent_at) == (True, at)
    assert patient.sms_consent_source == "registration by front desk"
    assert patient.sms_consent_withdrawn_at is None
    # Not ticked: nothing recorded as given.
    assert (patient.consent_email, patient.email_consent_at) == (False, None)
    assert (patient.email_consent_source, patient.email_consent_withdrawn_at) == ("", None)
    page = front_desk.get(response["Location"]).content.decode()
    assert consent_line(page, "Texts") == (
        "yes, given 11/23/2026 09:05 through registration by front desk"
    )
    assert consent_line(page, "Email") == "no"


def test_withdrawing_a_consent_clears_it_with_its_own_time_and_is_audited(
    front_desk, front_desk_user
):
    with time_machine.travel(datetime(2026, 11, 23, 9, 5, tzinfo=CLINIC_TZ), tick=False):
        front_desk.post(REGISTER_URL, MARIA)
    patient = Patient.objects.get()
    edit = reverse("intake:patient_edit", args=[patient.pk])

    withdrawn_at = datetime(2026, 11, 23, 9, 14, tzinfo=CLINIC_TZ)
    with time_machine.travel(withdrawn_at, tick=False):
        response = front_desk.post(edit, _form_data(patient, consent_sms=""))

    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.consent_sms, patient.sms_consent_at, patient.sms_consent_source) == (
        False,
        None,
        "",
    )
    assert patient.sms_consent_withdrawn_at == withdrawn_at
    # The other consent keeps its own time and source.
    assert patient.email_consent_at == datetime(2026, 11, 23, 9, 5, tzinfo=CLINIC_TZ)
    assert patient.email_consent_source == "registration by front desk"
    page = front_desk.get(response["Location"]).content.decode()
    assert consent_line(page, "Texts") == "no, withdrawn 11/23/2026 09:14"
    # The audit trail has who withdrew it and what it was before.
    entry = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.UPDATE).get()
    assert entry.actor == front_desk_user
    assert entry.changes_dict["consent_sms"] == ["True", "False"]
    assert entry.changes_dict["sms_consent_source"] == ["registration by front desk", ""]
    assert "sms_consent_withdrawn_at" in entry.changes_dict
    assert "email_consent_at" not in entry.changes_dict

    # Given again later: a new time and source, and the withdrawal is history (the audit's).
    given_again = datetime(2026, 11, 23, 9, 20, tzinfo=CLINIC_TZ)
    with time_machine.travel(given_again, tick=False):
        front_desk.post(edit, _form_data(patient, consent_sms="on"))
    patient.refresh_from_db()
    assert (patient.consent_sms, patient.sms_consent_at) == (True, given_again)
    assert patient.sms_consent_source == "patient record edited by staff"
    assert patient.sms_consent_withdrawn_at is None


def test_an_edit_that_leaves_consent_alone_keeps_its_time(front_desk):
    with time_machine.travel(datetime(2026, 11, 23, 9, 5, tzinfo=CLINIC_TZ), tick=False):
        front_desk.post(REGISTER_URL, MARIA)
    patient = Patient.objects.get()

    front_desk.post(
        reverse("intake:patient_edit", args=[patient.pk]), _form_data(patient, city="Round Rock")
    )

    patient.refresh_from_db()
    assert patient.city == "Round Rock"
    assert patient.sms_consent_at == datetime(2026, 11, 23, 9, 5, tzinfo=CLINIC_TZ)
    assert patient.sms_consent_source == "registration by front desk"


def test_a_consent_recorded_before_its_source_was_kept_says_so(front_desk, patient):
    page = front_desk.get(f"/patients/{patient.pk}/").content.decode()

    assert patient.consent_sms and patient.sms_consent_at is None  # the factory's patient
    assert consent_line(page, "Texts") == "yes (when and where not recorded)"
