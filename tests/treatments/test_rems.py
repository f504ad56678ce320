"""The esketamine REMS: the patient's enrollment, each session's Patient Monitoring Form status
and the forms due (within 7 days of the session, urgent within 2 days of that)."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from clinic.roles import user_roles
from tests.conftest import sign_in
from tests.factories import PatientFactory
from tests.treatments.ledger import stocked
from tests.treatments.sessions import booked_session, completed_session
from treatments import patient_panels
from treatments.dosing import Route
from treatments.models import LedgerEntry, RemsEnrollment, RemsFormSubmission, TreatmentSession
from treatments.selectors.rems import patient_rems_enrolled
from treatments.services import rems as services

CHICAGO = ZoneInfo("America/Chicago")
# Late on the Saturday before daylight saving time ends (Sunday 2026-11-01, 02:00): already
# Sunday in UTC.
SATURDAY_NIGHT = datetime(2026, 10, 31, 22, 30, tzinfo=CHICAGO)
NOON = datetime(2026, 11, 4, 12, 0, tzinfo=CHICAGO)
FORMS_DUE_URL = reverse("treatments:rems_forms_due")
HOME_URL = reverse("home")


def enroll_url(patient) -> str:
    return reverse("treatments:rems_enroll", args=[patient.pk])


def patient_url(patient) -> str:
    return reverse("intake:patient_detail", args=[patient.pk])


def rems_url(session) -> str:
    return reverse("treatments:session_rems", args=[session.pk])


def submit_url(session) -> str:
    return reverse("treatments:rems_form_submit", args=[session.pk])


def esketamine_done(*, by, given_at: datetime, patient=None, **changes) -> TreatmentSession:
    """A discharged esketamine session dosed at ``given_at``: the rows as the session services
    leave them (written directly: this module is about what follows a session)."""
    session = booked_session(
        by=by,
        route=Route.ESKETAMINE_NASAL,
        dose_mg="56",
        starts_at=given_at - timedelta(minutes=15),
        patient=patient,
    )
    fields = {
        "status": TreatmentSession.Status.COMPLETED,
        "drug": "esketamine",
        "route_given": Route.ESKETAMINE_NASAL,
        "dose_given_mg": 56,
        "lot_number": "TYPED-LOT",
        "administration_started_at": given_at,
        "discharged_at": given_at + timedelta(minutes=105),
        **changes,
    }
    TreatmentSession.objects.filter(pk=session.pk).update(**fields)
    session.refresh_from_db()
    return session


def enrolled(patient, *, by, on=date(2026, 10, 1)) -> RemsEnrollment:
    return RemsEnrollment.objects.create(
        patient=patient,
        patient_signed_on=on,
        prescriber=by,
        prescriber_signed_on=on,
        enrolled_on=on,
        recorded_by=by,
    )


def rows(page: str) -> list[str]:
    """The forms-due table's rows, in order, as text."""
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in body.split("<tr")[1:]
    ]


def home_panel(page: str) -> str:
    start = page.index(">REMS monitoring forms due</h2>")
    return page[start : page.index("</section>", start)]


# --- Enrollment -----------------------------------------------------------------------------------


def test_a_patient_with_an_esketamine_plan_is_shown_as_not_enrolled(clinician, clinician_user):
    session = booked_session(
        by=clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56", rems_enrolled=False
    )

    page = clinician.get(patient_url(session.patient)).content.decode()

    assert "Esketamine REMS" in page
    assert (
        "Not enrolled: an esketamine session cannot be dosed until the enrollment is recorded."
        in page
    )
    assert f'href="{enroll_url(session.patient)}"' in page


def test_a_patient_without_esketamine_gets_no_rems_card(clinician, clinician_user):
    session = booked_session(by=clinician_user, route=Route.IV)

    page = clinician.get(patient_url(session.patient)).content.decode()

    assert "Esketamine REMS" not in page


def test_recording_the_enrollment(clinician, clinician_user, second_clinician_user):
    with time_machine.travel(NOON, tick=False):
        session = booked_session(
            by=clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56", rems_enrolled=False
        )
        patient = session.patient
        form = clinician.get(enroll_url(patient))
        assert form.status_code == 200
        # The prescriber defaults to the clinician recording it.
        assert form.context["form"]["prescriber"].value() == clinician_user.pk

        response = clinician.post(
            enroll_url(patient),
            {
                "patient_signed_on": "2026-11-02",
                "prescriber": second_clinician_user.pk,
                "prescriber_signed_on": "2026-11-03",
                "enrolled_on": "2026-11-04",
            },
        )

        assert response.status_code == 302
        assert response["Location"] == patient_url(patient)
        enrollment = RemsEnrollment.objects.get(patient=patient)
        assert enrollment.prescriber == second_clinician_user
        assert enrollment.recorded_by == clinician_user
        assert patient_rems_enrolled(patient.pk)
        page = clinician.get(patient_url(patient)).content.decode()
        again = clinician.get(enroll_url(patient)).content.decode()
    assert "REMS enrollment recorded." in page
    assert "Not enrolled" not in page
    assert "11/04/2026" in page
    assert "Rosa Osei" in page
    # The enrollment page now shows it and offers no second one.
    assert "Record the enrollment" not in again
    assert "Enrolled in the REMS on" in again
    assert LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS).exists()


def test_an_enrolled_patient_without_a_plan_still_shows_the_enrollment(
    clinician, clinician_user, patient
):
    enrolled(patient, by=clinician_user)

    page = clinician.get(patient_url(patient)).content.decode()

    assert "Esketamine REMS" in page
    assert "10/01/2026" in page
    assert "Casey Carter" in page


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        ({"enrolled_on": "2026-11-05"}, "enrolled_on", "This date is in the future."),
        ({"patient_signed_on": "2026-11-05"}, "patient_signed_on", "This date is in the future."),
        (
            {"prescriber_signed_on": "2026-11-04", "enrolled_on": "2026-11-03"},
            "enrolled_on",
            "The enrollment cannot be before either signature of the enrollment form.",
        ),
        (
            {"patient_signed_on": "2026-11-04", "enrolled_on": "2026-11-02"},
            "enrolled_on",
            "The enrollment cannot be before either signature of the enrollment form.",
        ),
    ],
)
def test_bad_dates_are_refused_beside_their_field(
    clinician, clinician_user, patient, typed, field, message
):
    data = {
        "patient_signed_on": "2026-11-01",
        "prescriber": clinician_user.pk,
        "prescriber_signed_on": "2026-11-01",
        "enrolled_on": "2026-11-02",
        **typed,
    }
    with time_machine.travel(NOON, tick=False):
        response = clinician.post(enroll_url(patient), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    page = response.content.decode()
    assert message in page
    # What was typed is kept.
    for name in ("patient_signed_on", "prescriber_signed_on", "enrolled_on"):
        assert f'value="{data[name]}"' in page
    assert not RemsEnrollment.objects.exists()


def test_the_prescriber_must_be_a_clinician(clinician, front_desk_user, patient):
    with time_machine.travel(NOON, tick=False):
        response = clinician.post(
            enroll_url(patient),
            {
                "patient_signed_on": "2026-11-01",
                "prescriber": front_desk_user.pk,
                "prescriber_signed_on": "2026-11-01",
                "enrolled_on": "2026-11-02",
            },
        )

    assert response.status_code == 400
    assert "prescriber" in response.context["form"].errors
    assert not RemsEnrollment.objects.exists()


def test_a_patient_is_enrolled_once(clinician_user, patient):
    enrolled(patient, by=clinician_user)

    with pytest.raises(ValidationError, match="already recorded"):
        services.rems_enrollment_record(
            patient=patient,
            patient_signed_on=date(2026, 10, 2),
            prescriber=clinician_user,
            prescriber_signed_on=date(2026, 10, 2),
            enrolled_on=date(2026, 10, 2),
            recorded_by=clinician_user,
        )

    assert RemsEnrollment.objects.get(patient=patient).enrolled_on == date(2026, 10, 1)


def test_the_rems_card_costs_one_query(clinician_user, patient, django_assert_num_queries):
    enrolled(patient, by=clinician_user)
    request = RequestFactory().get("/")
    request.user = clinician_user
    user_roles(clinician_user)  # read once per request, by the page

    with django_assert_num_queries(1):
        card = patient_panels.rems_panel(request, patient)

    assert card["rows"][1] == {"label": "Prescriber", "value": "Casey Carter"}


# --- Forms due, across the end of daylight saving time --------------------------------------------


def test_a_form_is_due_seven_clinic_days_after_a_session_on_the_night_before_dst_ends(
    client, clinician_user
):
    with time_machine.travel(SATURDAY_NIGHT - timedelta(hours=1), tick=False):
        session = esketamine_done(by=clinician_user, given_at=SATURDAY_NIGHT)

    with time_machine.travel(datetime(2026, 11, 4, 12, tzinfo=CHICAGO), tick=False):
        sign_in(client, clinician_user)
        listed = rows(client.get(FORMS_DUE_URL).content.decode())
        home = home_panel(client.get(HOME_URL).content.decode())
        form_page = client.get(rems_url(session)).content.decode()
    # Due on Saturday 2026-11-07 (the session's day in Chicago plus 7), not 11-08 (its UTC day).
    assert len(listed) == 1
    assert "10/31/2026 22:30" in listed[0]
    assert "11/07/2026" in listed[0]
    assert "3 days left" in listed[0]
    assert "Urgent" not in listed[0]
    assert "Urgent" not in home
    assert "11/07/2026" in form_page
    assert "Needs action now" not in home

    with time_machine.travel(datetime(2026, 11, 5, 12, tzinfo=CHICAGO), tick=False):
        sign_in(client, clinician_user)
        listed = rows(client.get(FORMS_DUE_URL).content.decode())
        home = home_panel(client.get(HOME_URL).content.decode())
    assert "2 days left" in listed[0]
    assert "Urgent" in listed[0]
    assert "Urgent" in home
    assert session.patient.full_name in home


def test_the_forms_due_list_is_oldest_due_first_and_only_completed_esketamine(
    clinician, clinician_user
):
    with time_machine.travel(NOON - timedelta(days=10), tick=False):
        older = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=9))
        newer = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=2))
        # Not listed: a session still in the chair, an IV session, a submitted form.
        esketamine_done(
            by=clinician_user,
            given_at=NOON - timedelta(days=1),
            status=TreatmentSession.Status.IN_PROGRESS,
            discharged_at=None,
        )
        esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=3), route_given="iv")
        submitted = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=4))
        RemsFormSubmission.objects.create(
            session=submitted, submitted_on=NOON.date(), submitted_by=clinician_user
        )

    with time_machine.travel(NOON, tick=False):
        page = clinician.get(FORMS_DUE_URL).content.decode()

    listed = rows(page)
    assert len(listed) == 2
    assert older.patient.legal_last_name in listed[0]
    assert "2 days overdue" in listed[0]
    assert "Urgent" in listed[0]
    assert newer.patient.legal_last_name in listed[1]
    assert "5 days left" in listed[1]
    assert "Urgent" not in listed[1]
    # Each patient listed is in the audit trail.
    for session in (older, newer):
        assert (
            LogEntry.objects.get_for_object(session).filter(action=LogEntry.Action.ACCESS).exists()
        )


# --- Submitting a form ----------------------------------------------------------------------------


def test_the_form_status_and_marking_it_submitted(client, clinician_user, second_clinician_user):
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        session = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=2))

    with time_machine.travel(NOON, tick=False):
        sign_in(client, clinician_user)
        page = client.get(rems_url(session)).content.decode()
        assert "HCS-0000000" in page  # the REMS healthcare setting number (settings)
        assert "To submit" in page
        assert "11/09/2026" in page  # due: the session's day (11/02) plus 7
        assert "Mark as submitted" in page
        assert 'value="2026-11-04"' in page  # the date defaults to today
        assert session.patient.full_name in home_panel(client.get(HOME_URL).content.decode())

        sign_in(client, second_clinician_user)
        response = client.post(submit_url(session), {"submitted_on": "2026-11-03"})
        assert response.status_code == 302
        assert response["Location"] == rems_url(session)
        page = client.get(rems_url(session)).content.decode()
        listed = client.get(FORMS_DUE_URL).content.decode()
        home = home_panel(client.get(HOME_URL).content.decode())

    assert "Monitoring form marked as submitted." in page
    assert "Submitted on 11/03/2026 by Rosa Osei" in page
    assert "Mark as submitted" not in page
    assert "No monitoring forms are waiting to be submitted." in listed
    assert session.patient.full_name not in home
    submission = RemsFormSubmission.objects.get(session=session)
    assert submission.submitted_by == second_clinician_user


def test_a_form_is_submitted_once(clinician, clinician_user):
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        session = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=2))
    RemsFormSubmission.objects.create(
        session=session, submitted_on=date(2026, 11, 3), submitted_by=clinician_user
    )

    with time_machine.travel(NOON, tick=False):
        response = clinician.post(submit_url(session), {"submitted_on": "2026-11-04"}, follow=True)

    assert "already marked as submitted" in response.content.decode()
    assert RemsFormSubmission.objects.get(session=session).submitted_on == date(2026, 11, 3)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-11-01", "The form cannot be submitted before the session."),
        ("2026-11-05", "This date is in the future."),
    ],
)
def test_a_submission_date_outside_the_session_to_today_is_refused_beside_the_field(
    clinician, clinician_user, typed, message
):
    with time_machine.travel(NOON - timedelta(days=2), tick=False):
        session = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=2))

    with time_machine.travel(NOON, tick=False):
        response = clinician.post(submit_url(session), {"submitted_on": typed})

    assert response.status_code == 400
    assert response.context["submit_form"].errors == {"submitted_on": [message]}
    page = response.content.decode()
    assert f'value="{typed}"' in page
    assert "Esketamine REMS: Patient Monitoring Form data" in page
    assert not RemsFormSubmission.objects.exists()


def test_a_session_not_completed_has_no_submit_form_and_is_refused(clinician, clinician_user):
    with time_machine.travel(NOON - timedelta(hours=1), tick=False):
        session = esketamine_done(
            by=clinician_user,
            given_at=NOON - timedelta(minutes=30),
            status=TreatmentSession.Status.IN_PROGRESS,
            discharged_at=None,
        )

    with time_machine.travel(NOON, tick=False):
        page = clinician.get(rems_url(session)).content.decode()
        response = clinician.post(submit_url(session), {"submitted_on": "2026-11-04"}, follow=True)

    assert "To submit" in page
    assert "Mark as submitted" not in page
    assert "once the session is completed" in response.content.decode()
    assert not RemsFormSubmission.objects.exists()


def test_an_iv_session_has_no_rems_form(clinician, clinician_user):
    with time_machine.travel(NOON - timedelta(days=1), tick=False):
        session = esketamine_done(
            by=clinician_user, given_at=NOON - timedelta(days=1), route_given="iv"
        )
    with pytest.raises(ValidationError, match="intranasal esketamine"):
        services.rems_form_submit(session=session, submitted_on=NOON.date(), by=clinician_user)
    # The page of a session planned as esketamine but given IV is no REMS page either.
    assert clinician.post(submit_url(session), {"submitted_on": "2026-11-04"}).status_code == 404


# --- The lot number -------------------------------------------------------------------------------


def test_the_form_names_the_lots_of_the_containers_used(
    clinician, clinician_user, second_clinician_user
):
    patient = PatientFactory(sex_at_birth="male")
    enrolled(patient, by=clinician_user)  # the REMS gate before an esketamine dose
    stocked(
        by=clinician_user,
        checked_by=second_clinician_user,
        product="esketamine_3",
        labels=("E-900",),
    )
    session = completed_session(
        by=clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56", patient=patient
    )
    assert LedgerEntry.objects.filter(session=session, kind=LedgerEntry.Kind.ADMINISTERED).exists()
    # What the ledger says, not a typed lot number.
    TreatmentSession.objects.filter(pk=session.pk).update(lot_number="TYPED-LOT")

    page = clinician.get(rems_url(session)).content.decode()

    assert "LOT-E-900" in page
    assert "TYPED-LOT" not in page


def test_without_ledger_entries_the_form_shows_the_sessions_lot_number(clinician, clinician_user):
    session = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=1))

    assert "TYPED-LOT" in clinician.get(rems_url(session)).content.decode()


# --- Who ------------------------------------------------------------------------------------------


def test_the_front_desk_cannot_open_any_rems_page(front_desk, clinician_user, patient):
    session = esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=1))

    assert front_desk.get(enroll_url(patient)).status_code == 403
    assert front_desk.post(enroll_url(patient), {"enrolled_on": "2026-11-01"}).status_code == 403
    assert front_desk.get(FORMS_DUE_URL).status_code == 403
    assert front_desk.get(rems_url(session)).status_code == 403
    assert front_desk.post(submit_url(session), {"submitted_on": "2026-11-04"}).status_code == 403
    assert not RemsEnrollment.objects.filter(patient=patient).exists()
    assert not RemsFormSubmission.objects.exists()
    # Nor sees the card or the home panel.
    assert "Esketamine REMS" not in front_desk.get(patient_url(session.patient)).content.decode()
    assert "REMS monitoring forms due" not in front_desk.get(HOME_URL).content.decode()


# --- Cost -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("how_many", [2, 7])
def test_the_forms_due_list_costs_the_same_however_many_forms(
    clinician, clinician_user, django_assert_num_queries, how_many
):
    with time_machine.travel(NOON - timedelta(days=10), tick=False):
        for day in range(how_many):
            esketamine_done(by=clinician_user, given_at=NOON - timedelta(days=day + 1))
    with time_machine.travel(NOON, tick=False):
        clinician.get(FORMS_DUE_URL)  # warm-up: session bookkeeping and content-type cache

        # session, user, TOTP device, roles; the rows with their patients, their total; the
        # ACCESS audit entries (one statement)
        with django_assert_num_queries(7):
            response = clinician.get(FORMS_DUE_URL)

    assert len(rows(response.content.decode())) == how_many
