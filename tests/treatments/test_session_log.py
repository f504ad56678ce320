"""The session log: from check-in to the signed note, through the services and the page."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import sign_in
from tests.treatments.ledger import exact_draw
from tests.treatments.sessions import (
    FULL_ALDRETE,
    administered,
    booked_session,
    checked_in,
    completed_session,
    monitored,
    next_session,
    pre_dose,
)
from treatments.dosing import Route
from treatments.models import PlanVersion, SessionEvent, TreatmentSession, VitalsReading
from treatments.services import sessions as services

pytestmark = pytest.mark.django_db


def _page(client, session):
    return client.get(reverse("treatments:session_detail", args=[session.pk]))


def _post(client, session, name, data):
    return client.post(reverse(f"treatments:{name}", args=[session.pk]), data)


# --- Check-in --------------------------------------------------------------------------------


def test_check_in_needs_an_escort_and_fasting(clinician_user):
    session = booked_session(by=clinician_user)

    with pytest.raises(ValidationError) as error:
        services.session_check_in(
            session=session, by=clinician_user, arrived_at=timezone.now(),
            escort_name="", escort_phone="", fasting_confirmed=False,
        )  # fmt: skip

    assert set(error.value.message_dict) == {"escort_name", "escort_phone", "fasting_confirmed"}
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.BOOKED


def test_the_front_desk_checks_in_on_a_page_without_clinical_data(
    client, front_desk_user, clinician_user
):
    # 10:30 in the clinic, so an arrival at 09:05 is in the past whenever the suite runs.
    ten_thirty = timezone.localtime().replace(hour=10, minute=30, second=0, microsecond=0)
    with time_machine.travel(ten_thirty, tick=False):
        _check_in_at_the_front_desk(sign_in(client, front_desk_user), clinician_user)


def _check_in_at_the_front_desk(front_desk, clinician_user):
    session = booked_session(by=clinician_user)

    response = _post(
        front_desk, session, "session_check_in",
        {"arrived_at": "09:05", "escort_name": "Sam Rivera", "escort_phone": "512-555-0199",
         "fasting_confirmed": "on"},
    )  # fmt: skip

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.CHECKED_IN
    assert timezone.localtime(session.arrived_at).strftime("%H:%M") == "09:05"
    page = _page(front_desk, session).content.decode()
    assert "Sam Rivera" in page
    assert "Before the dose" not in page and "Baseline" not in page
    # The clinical stages are the clinician's.
    assert _post(front_desk, session, "session_pre_dose", {}).status_code == 403
    assert front_desk.get(reverse("treatments:session_rems", args=[session.pk])).status_code == 403


# --- The BP gate -----------------------------------------------------------------------------


def test_a_baseline_bp_above_the_gate_blocks_dosing_until_a_decision(clinician, clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user, systolic=152, diastolic=88)

    with pytest.raises(ValidationError, match="blocked until a clinician records a decision"):
        administered(session, by=clinician_user)
    page = _page(clinician, session).content.decode()
    assert "Dosing is blocked: baseline blood pressure 152/88 is above 140/90" in page
    response = _post(
        clinician, session, "session_administer",
        {"drug": "ketamine", "route": "iv", "dose_given_mg": "35.0", "lot_number": "L1",
         "started_at": "09:30"},
    )  # fmt: skip
    assert response.status_code == 400
    assert "dosing is blocked until a clinician records a decision" in response.content.decode()

    services.session_decide_bp(
        session=session, by=clinician_user, decision="proceed", note="Anxious; repeat was 138/86"
    )
    administered(session, by=clinician_user)

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.IN_PROGRESS
    assert session.bp_gate_by == clinician_user


def test_at_the_threshold_no_decision_is_needed(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user, systolic=140, diastolic=90)

    administered(session, by=clinician_user)

    with pytest.raises(ValidationError):
        services.session_decide_bp(session=session, by=clinician_user, decision="proceed", note="x")


def test_postponing_for_raised_bp_cancels_the_session(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user, systolic=165, diastolic=102)

    services.session_decide_bp(
        session=session, by=clinician_user, decision="postpone", note="Refer to GP"
    )

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.CANCELLED
    assert "Refer to GP" in session.cancel_reason
    with pytest.raises(ValidationError):
        administered(session, by=clinician_user)


def test_pre_dose_needs_current_consent_and_scores_the_gad7(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    kwargs = {
        "session": session, "by": clinician_user, "fasting_hours": Decimal(6),
        "clear_liquids_hours": Decimal(2), "pregnancy_test": "", "sedatives_today": False,
        "sedatives_today_detail": "", "systolic": 120, "diastolic": 80, "heart_rate": 70,
        "spo2": 98, "respiratory_rate": 14,
    }  # fmt: skip

    with pytest.raises(ValidationError) as error:
        services.session_record_pre_dose(consent_current=False, gad7_answers=None, **kwargs)
    assert "consent_current" in error.value.message_dict

    baseline = services.session_record_pre_dose(
        consent_current=True, gad7_answers=[1, 2, 1, 0, 3, 1, 2], **kwargs
    )
    assert baseline.kind == VitalsReading.Kind.BASELINE
    session.refresh_from_db()
    assert session.pre_dose_gad7["total"] == 10
    assert session.pre_dose_gad7["band"] == "Moderate"


@pytest.mark.parametrize(
    ("sex", "age", "needed"),
    [("female", 30, True), ("intersex", 30, True), ("female", 60, False), ("male", 30, False)],
)
def test_a_pregnancy_test_is_needed_where_pregnancy_is_possible(clinician_user, sex, age, needed):
    session = booked_session(by=clinician_user)
    patient = session.patient
    patient.sex_at_birth = sex
    patient.date_of_birth = timezone.localdate().replace(day=1) - timedelta(days=365 * age + 40)
    patient.save(update_fields=["sex_at_birth", "date_of_birth"])
    checked_in(session, by=clinician_user)

    if needed:
        with pytest.raises(ValidationError) as error:
            pre_dose(session, by=clinician_user)
        assert "pregnancy_test" in error.value.message_dict
    else:
        pre_dose(session, by=clinician_user)  # no pregnancy test asked for


# --- Administration --------------------------------------------------------------------------


def _administer(session, by, **overrides):
    values = {
        "drug": "ketamine", "dose_given_mg": Decimal("35.0"), "dose_difference_reason": "",
        "route": Route.IV, "started_at": timezone.now(), "stopped_at": None,
    }  # fmt: skip
    values.update(overrides)
    values.setdefault(
        "draws", exact_draw(drug=values["drug"], dose_mg=values["dose_given_mg"], by=by)
    )
    return services.session_administer(session=session, by=by, **values)


def test_a_dose_different_from_the_plan_needs_a_reason(clinician_user):
    session = booked_session(by=clinician_user, dose_mg="35.0")
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)

    # 40 mg at the plan's 70 kg is 0.57 mg/kg: in the usual range, but not the plan's dose.
    with pytest.raises(ValidationError) as error:
        _administer(session, clinician_user, dose_given_mg=Decimal("40.0"))
    assert "The plan's dose is 35.0 mg" in error.value.message_dict["dose_difference_reason"][0]

    _administer(
        session, clinician_user, dose_given_mg=Decimal("40.0"),
        dose_difference_reason="Little effect at 35 mg last week",
    )  # fmt: skip
    session.refresh_from_db()
    assert session.dose_given_mg == Decimal("40.0")


def test_administration_needs_the_container_drawn_from(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)

    with pytest.raises(ValidationError) as error:
        _administer(session, clinician_user, draws=[])

    assert error.value.message_dict["draws"] == ["Choose the container the dose was drawn from."]
    session.refresh_from_db()
    assert session.administration_started_at is None


def test_the_dose_and_its_lot_come_from_the_container_picked(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)

    _administer(session, clinician_user)

    session.refresh_from_db()
    [entry] = session.ledger_entries.all()
    assert (entry.kind, entry.quantity) == ("administered", Decimal("-35.0"))
    assert session.lot_number == entry.container.lot


# --- Monitoring ------------------------------------------------------------------------------


def test_out_of_range_vitals_are_flagged_and_highlighted(clinician, clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    administered(session, by=clinician_user)

    response = _post(
        clinician, session, "session_vitals_add",
        {"taken_at": timezone.localtime().strftime("%H:%M"), "systolic": "168",
         "diastolic": "96", "heart_rate": "80", "spo2": "92", "respiratory_rate": "14",
         "sedation_moaa_s": "2"},
    )  # fmt: skip

    assert response.status_code == 302
    reading = session.vitals.get(kind=VitalsReading.Kind.MONITORING)
    assert reading.flags == [
        "Systolic BP high (168)",
        "SpO2 low (92)",
        "Moderate sedation (MOAA/S 2)",
    ]
    page = _page(clinician, session).content.decode()
    assert '<tr class="table-danger">' in page
    assert "SpO2 low (92)" in page


def test_an_adverse_event_is_escalated_and_shown_at_the_top(clinician, clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    administered(session, by=clinician_user)

    event = services.session_event_record(
        session=session, by=clinician_user, kind=SessionEvent.Kind.ADVERSE_EVENT, effect="",
        severity="severe", description="Hypertensive episode 190/110", occurred_at=timezone.now(),
        escalated=False,
    )  # fmt: skip

    assert event.escalated
    page = _page(clinician, session).content.decode()
    assert page.index("Escalated events") < page.index("Check-in")
    assert "Hypertensive episode 190/110" in page


def test_a_side_effect_needs_its_severity(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    administered(session, by=clinician_user)

    with pytest.raises(ValidationError) as error:
        services.session_event_record(
            session=session, by=clinician_user, kind=SessionEvent.Kind.SIDE_EFFECT,
            effect="nausea", severity="", description="", occurred_at=timezone.now(),
            escalated=False,
        )  # fmt: skip

    assert "severity" in error.value.message_dict


# --- Discharge -------------------------------------------------------------------------------

# A Monday morning in the clinic: the IV infusion runs 10:00-10:40.
TEN = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("America/Chicago"))
STOPPED = TEN + timedelta(minutes=40)


def _in_monitoring(by, **kwargs):
    session = booked_session(by=by, **kwargs)
    checked_in(session, by=by)
    pre_dose(session, by=by)
    administered(session, by=by)
    monitored(session, by=by)
    return session


def _dosed_at_ten(by, *, route=Route.IV, **kwargs):
    """A session dosed at 10:00 (the infusion's stop time not recorded yet)."""
    with time_machine.travel(TEN, tick=False):
        session = booked_session(
            by=by, route=route, starts_at=TEN - timedelta(minutes=15), **kwargs
        )
        checked_in(session, by=by)
        pre_dose(session, by=by)
        administered(session, by=by, started_at=TEN)
    return session


def _infused(by, **kwargs):
    """An IV session whose 40-minute infusion ran 10:00-10:40, the stop recorded as it ended."""
    session = _dosed_at_ten(by, **kwargs)
    with time_machine.travel(STOPPED, tick=False):
        services.session_record_stop(session=session, by=by, stopped_at=STOPPED)
    return session


def _after_stop(minutes: int):
    return time_machine.travel(STOPPED + timedelta(minutes=minutes), tick=False)


def _discharge(session, by, **overrides):
    values = {
        "aldrete": FULL_ALDRETE, "escort_present": True, "discharged_at": timezone.now(),
        "instructions_given": True,
    }  # fmt: skip
    return services.session_discharge(session=session, by=by, **{**values, **overrides})


def test_discharge_needs_the_aldrete_minimum_and_the_escort(clinician_user):
    session = _in_monitoring(clinician_user)

    with pytest.raises(ValidationError, match="discharge needs 9 or more"):
        _discharge(session, clinician_user, aldrete={**FULL_ALDRETE, "activity": 0})
    with pytest.raises(ValidationError, match="escort must be present"):
        _discharge(session, clinician_user, escort_present=False)
    with pytest.raises(ValidationError) as error:
        _discharge(session, clinician_user, instructions_given=False)
    assert "instructions_given" in error.value.message_dict

    _discharge(session, clinician_user, aldrete={**FULL_ALDRETE, "activity": 1})  # 9 of 10

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.COMPLETED
    assert session.aldrete_total == 9


@pytest.mark.parametrize("criterion", ["consciousness", "oxygen"])
def test_a_total_of_9_is_not_enough_without_consciousness_and_oxygen_at_2(
    clinician_user, criterion
):
    session = _in_monitoring(clinician_user)

    with pytest.raises(ValidationError) as error:
        _discharge(session, clinician_user, aldrete={**FULL_ALDRETE, criterion: 1})

    assert "discharge needs 2" in error.value.message_dict[f"aldrete_{criterion}"][0]
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.IN_PROGRESS


def test_an_iv_discharge_is_refused_30_minutes_after_the_infusion_and_allowed_at_60(
    clinician_user,
):
    session = _infused(clinician_user)

    with _after_stop(30):
        monitored(session, by=clinician_user)
        with pytest.raises(ValidationError) as error:
            _discharge(session, clinician_user)
    assert error.value.message_dict["__all__"] == [
        "An IV infusion needs at least 60 minutes of observation after it ends "
        "(about 30 minutes left)."
    ]
    with _after_stop(60):
        monitored(session, by=clinician_user)
        _discharge(session, clinician_user)

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.COMPLETED
    assert session.discharged_at - session.administration_stopped_at == timedelta(minutes=60)


def test_an_iv_discharge_waits_for_the_infusion_s_stop_time(clinician, clinician_user):
    session = _dosed_at_ten(clinician_user)

    with _after_stop(90):
        monitored(session, by=clinician_user)
        page = _page(clinician, session).content.decode()
        assert "Earliest discharge: not known until the infusion's stop time" in page
        refused = _post(clinician, session, "session_discharge", _discharge_form())
        assert refused.status_code == 400
        assert "Record when the infusion stopped" in refused.content.decode()

        response = _post(clinician, session, "session_stop_time", {"stopped_at": "10:40"})
        assert response.status_code == 302
        page = _page(clinician, session).content.decode()
        assert "Earliest discharge 11:40" in page
        assert "An IV infusion needs at least 60 minutes of observation after it ends" in page
        assert _post(clinician, session, "session_discharge", _discharge_form()).status_code == 302


def test_the_stop_time_is_after_the_start_and_recorded_once(clinician_user):
    session = _dosed_at_ten(clinician_user)

    with _after_stop(0):
        with pytest.raises(ValidationError) as error:
            services.session_record_stop(
                session=session, by=clinician_user, stopped_at=TEN - timedelta(minutes=1)
            )
        assert "stopped_at" in error.value.message_dict
        services.session_record_stop(session=session, by=clinician_user, stopped_at=STOPPED)
        with pytest.raises(ValidationError, match="already recorded"):
            services.session_record_stop(session=session, by=clinician_user, stopped_at=STOPPED)


@pytest.mark.parametrize(
    ("route", "observation", "words"),
    [
        (Route.IM, 60, "An intramuscular dose needs at least 60 minutes"),
        (Route.KETAMINE_NASAL, 90, "Intranasal ketamine needs at least 90 minutes"),
        (Route.ORAL, 90, "An oral or sublingual dose needs at least 90 minutes"),
    ],
)
def test_every_route_waits_its_minimum_observation(clinician_user, route, observation, words):
    dose_mg = "100.0" if route == Route.ORAL else "35.0"
    session = _dosed_at_ten(clinician_user, route=route, dose_mg=dose_mg)
    dosed = TEN

    with time_machine.travel(dosed + timedelta(minutes=observation - 1), tick=False):
        monitored(session, by=clinician_user)
        with pytest.raises(ValidationError, match=words):
            _discharge(session, clinician_user)
    with time_machine.travel(dosed + timedelta(minutes=observation), tick=False):
        _discharge(session, clinician_user)


def test_vitals_taken_before_the_infusion_ended_do_not_count(clinician_user):
    session = _dosed_at_ten(clinician_user)
    with time_machine.travel(TEN + timedelta(minutes=20), tick=False):
        monitored(session, by=clinician_user)
    with _after_stop(0):
        services.session_record_stop(session=session, by=clinician_user, stopped_at=STOPPED)

    with _after_stop(61), pytest.raises(ValidationError) as error:
        _discharge(session, clinician_user)

    assert error.value.messages == ["Record a set of vitals taken after administration ended."]


def test_last_vitals_out_of_range_are_accepted_only_with_a_note(clinician_user):
    session = _infused(clinician_user)

    with _after_stop(61):
        monitored(session, by=clinician_user, systolic=166, diastolic=92)
        with pytest.raises(ValidationError) as error:
            _discharge(session, clinician_user)
        assert "Systolic BP high (166)" in error.value.message_dict["vitals_accepted_note"][0]
        _discharge(
            session, clinician_user, vitals_accepted_note="His usual BP; 158/90 on a repeat."
        )

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.COMPLETED
    assert session.discharge_vitals_accepted_note == "His usual BP; 158/90 on a repeat."
    assert session.discharge_vitals_accepted_by == clinician_user


def test_a_low_spo2_cannot_score_2_on_oxygen_and_the_form_says_why(clinician, clinician_user):
    session = _infused(clinician_user)
    why = (
        "The last SpO2 is 92%, below the normal range (94% or more): O2 saturation cannot score 2."
    )

    with _after_stop(61):
        monitored(session, by=clinician_user, spo2=92)
        page = _page(clinician, session).content.decode()
        assert why in page
        assert page.index("O2 saturation</legend>") < page.index(why)
        response = _post(
            clinician, session, "session_discharge",
            {**_discharge_form(), "vitals_accepted_note": "Smoker; 93-94 usual."},
        )  # fmt: skip

    assert response.status_code == 400
    assert why in response.content.decode()
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.IN_PROGRESS


def test_sedation_and_dissociation_must_have_resolved(clinician_user):
    session = _infused(clinician_user)

    with _after_stop(61):
        monitored(session, by=clinician_user, sedation_moaa_s=4, dissociation=2)
        with pytest.raises(ValidationError) as error:
            _discharge(session, clinician_user)
        monitored(session, by=clinician_user)  # resolved: MOAA/S 5, CADSS-6 0
        _discharge(session, clinician_user)

    assert error.value.messages == [
        "Sedation has not resolved: the last MOAA/S is 4 (minimal sedation); discharge needs 5 "
        "(responds readily to name spoken in normal tone).",
        "Dissociation has not resolved: the last CADSS-6 is 2; discharge needs 0 (no "
        "dissociative symptoms left).",
    ]


def test_intranasal_esketamine_is_discharged_only_two_hours_after_the_dose(clinician_user):
    session = _dosed_at_ten(clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56")
    ready = TEN + timedelta(minutes=95)

    with time_machine.travel(TEN + timedelta(minutes=119), tick=False):
        monitored(session, by=clinician_user)
        with pytest.raises(ValidationError, match=r"from the first device \(REMS\) \(about 1 "):
            _discharge(session, clinician_user, ready_to_leave_at=ready)
    with time_machine.travel(TEN + timedelta(minutes=120), tick=False):
        with pytest.raises(ValidationError) as error:
            _discharge(session, clinician_user)  # when would the patient have been ready?
        assert "ready_to_leave_at" in error.value.message_dict
        _discharge(session, clinician_user, ready_to_leave_at=ready)

    session.refresh_from_db()
    assert session.discharged_at - session.administration_started_at == timedelta(hours=2)
    assert session.ready_to_leave_at == ready  # not the discharge time


def test_the_esketamine_session_asks_for_the_40_minute_blood_pressure(clinician, clinician_user):
    session = _dosed_at_ten(clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56")

    with time_machine.travel(TEN + timedelta(minutes=20), tick=False):
        page = _page(clinician, session).content.decode()
        assert "Take the blood pressure at about 40 minutes after the first device: at 10:40" in (
            page
        )
    with time_machine.travel(TEN + timedelta(minutes=35), tick=False):
        assert "The blood pressure at about 40 minutes is due now (10:40)" in (
            _page(clinician, session).content.decode()
        )
    with time_machine.travel(TEN + timedelta(minutes=41), tick=False):
        monitored(session, by=clinician_user, systolic=148, diastolic=90)
        assert "blood pressure at about 40 minutes" not in (
            _page(clinician, session).content.decode()
        )
    iv = _infused(clinician_user)
    with _after_stop(5):
        assert "blood pressure at about 40 minutes" not in _page(clinician, iv).content.decode()


def test_the_admin_cannot_change_a_session(client, admin_user, clinician_user):
    session = _in_monitoring(clinician_user)
    admin = sign_in(client, admin_user)
    url = reverse("admin:treatments_treatmentsession_change", args=[session.pk])

    response = admin.post(url, {"status": "completed", "discharged_at_0": "2026-11-23"})

    assert response.status_code == 403
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.IN_PROGRESS
    assert session.discharged_at is None


def _discharge_form() -> dict:
    """The discharge form as a clinician fills it: every criterion at 2, now."""
    return {
        **{f"aldrete_{name}": "2" for name in FULL_ALDRETE},
        "escort_present": "on",
        "instructions_given": "on",
        "discharged_at": timezone.localtime().strftime("%H:%M"),
    }


# --- Signing, the lock and addenda -----------------------------------------------------------


def test_signing_is_refused_with_the_list_of_what_is_missing(clinician, clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    administered(session, by=clinician_user)

    response = _post(clinician, session, "session_sign", {})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Missing: At least one vitals reading during monitoring." in page
    assert "Missing: Discharge." in page
    assert "Missing: Check-in" not in page
    session.refresh_from_db()
    assert session.signed_at is None


def test_a_raised_bp_without_a_decision_is_missing_from_the_note(clinician_user):
    session = booked_session(by=clinician_user)
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user, systolic=150)

    with pytest.raises(ValidationError) as error:
        services.session_sign(session=session, by=clinician_user)

    assert "Missing: A decision on the raised baseline blood pressure." in error.value.messages


def test_signing_locks_the_note_and_addenda_keep_the_original(clinician, clinician_user):
    session = completed_session(by=clinician_user)

    response = _post(clinician, session, "session_sign", {})

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.signed_by == clinician_user
    signed_lot = session.lot_number
    with pytest.raises(ValidationError, match="signed and locked"):
        monitored(session, by=clinician_user)
    with pytest.raises(ValidationError, match="signed and locked"):
        checked_in(session, by=clinician_user)
    with pytest.raises(ValidationError, match="signed and locked"):
        services.session_sign(session=session, by=clinician_user)
    response = _post(
        clinician, session, "session_vitals_add", {"taken_at": "10:00", "heart_rate": "70"}
    )
    assert response.status_code == 400
    assert "signed and locked" in response.content.decode()

    response = _post(
        clinician, session, "session_addendum_add", {"text": "Lot number was LOT-124."}
    )

    assert response.status_code == 302
    session.refresh_from_db()
    assert session.lot_number == signed_lot
    assert session.vitals.filter(kind=VitalsReading.Kind.MONITORING).count() == 1
    page = _page(clinician, session).content.decode()
    assert "Lot number was LOT-124." in page
    assert "Casey Carter" in page
    assert page.index("Signed and locked") < page.index("Lot number was LOT-124.")


def test_an_addendum_needs_a_signed_note(clinician_user):
    session = completed_session(by=clinician_user)

    with pytest.raises(ValidationError):
        services.session_addendum_add(session=session, author=clinician_user, text="Too early")


def test_the_clinician_home_shows_sessions_to_sign(clinician, clinician_user):
    session = completed_session(by=clinician_user)

    page = clinician.get(reverse("home")).content.decode()

    assert "Sessions to sign" in page
    assert reverse("treatments:sessions_to_sign") in page
    assert reverse("treatments:session_detail", args=[session.pk]) not in page


# --- The REMS page ---------------------------------------------------------------------------


def test_the_rems_page_assembles_the_monitoring_form(clinician, clinician_user):
    with time_machine.travel(TEN, tick=False):
        session = booked_session(
            by=clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56",
            starts_at=TEN - timedelta(minutes=15),
        )  # fmt: skip
        checked_in(session, by=clinician_user)
        pre_dose(session, by=clinician_user, systolic=152, diastolic=88)
        services.session_decide_bp(
            session=session, by=clinician_user, decision="proceed", note="Repeat 146/86"
        )
        administered(session, by=clinician_user, started_at=TEN)
    TreatmentSession.objects.filter(pk=session.pk).update(
        sedatives_today=True, sedatives_today_detail="Lorazepam 0.5 mg at 07:00"
    )
    with time_machine.travel(TEN + timedelta(minutes=41), tick=False):
        monitored(session, by=clinician_user, systolic=148, diastolic=90)
    with time_machine.travel(TEN + timedelta(minutes=120), tick=False):
        monitored(session, by=clinician_user, systolic=128, diastolic=80)
    with time_machine.travel(TEN + timedelta(minutes=125), tick=False):
        _discharge(session, clinician_user, ready_to_leave_at=TEN + timedelta(minutes=95))

    response = clinician.get(reverse("treatments:session_rems", args=[session.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert "125 minutes" in page
    assert "56.0 mg" in page
    session.refresh_from_db()
    assert session.lot_number.startswith("LOT-E-") and session.lot_number in page
    assert "Benzodiazepines" in page
    assert "Yes: Lorazepam 0.5 mg at 07:00" in page
    # Blood pressure before dosing, at about 40 minutes and before discharge.
    assert "152/88 at 09:45" in page or "152/88 at 10:00" in page
    assert "148/90 at 10:41" in page
    assert "128/80 at 12:00" in page
    # Acceptable before dosing follows the BP gate and the clinician's decision.
    assert "Yes: BP 152/88 above 140/90, the clinician decided to proceed (Repeat 146/86)" in page
    assert "Yes: within the normal ranges at 12:00" in page
    # Ready to leave is the clinician's time, not the discharge time.
    assert "11:35 (recorded by the clinician; discharged 12:05)" in page
    iv = completed_session(by=clinician_user)
    assert clinician.get(reverse("treatments:session_rems", args=[iv.pk])).status_code == 404


def test_the_rems_page_of_an_older_session_says_sedatives_were_not_asked(clinician, clinician_user):
    with time_machine.travel(TEN, tick=False):
        session = _in_monitoring(clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56")
    TreatmentSession.objects.filter(pk=session.pk).update(sedatives_today=None)

    page = clinician.get(reverse("treatments:session_rems", args=[session.pk])).content.decode()

    assert "Not asked at this session" in page
    assert "Yes: BP 122/78, not above 140/90" in page


def test_opening_the_session_page_is_audited(front_desk, front_desk_user, clinician_user):
    session = booked_session(by=clinician_user)

    _page(front_desk, session)

    entry = LogEntry.objects.get_for_object(session).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == front_desk_user


# --- The page's cost -------------------------------------------------------------------------

# The user and the clinic's session, the roles, the OTP device, the session with its patient,
# plan version and chair, the staff it names, then its vitals, events and addenda, what the dose
# took from the controlled-substance stock (the ledger's entries of the session), and the
# audit entry.
QUERIES = 11


def test_the_session_page_costs_the_same_with_2_or_20_vitals_rows(
    clinician, clinician_user, django_assert_num_queries
):
    session = completed_session(by=clinician_user, vitals_rows=2)
    _page(clinician, session)  # warm-up: the session, the roles and the device are cached

    with django_assert_num_queries(QUERIES, info="2 rows") as two:
        assert _page(clinician, session).status_code == 200
    VitalsReading.objects.bulk_create(
        VitalsReading(
            session=session,
            taken_at=timezone.now(),
            heart_rate=70 + n,
            flags=[],
            recorded_by=clinician_user,
        )
        for n in range(18)
    )
    with django_assert_num_queries(QUERIES):
        page = _page(clinician, session).content.decode()

    assert page.count("<tr") - 1 == 20  # the header row, then one row per reading
    assert len(two) == QUERIES


def test_the_check_in_correction_form_starts_from_what_was_saved(front_desk, front_desk_user):
    session = booked_session(by=front_desk_user)
    checked_in(session, by=front_desk_user)
    session.refresh_from_db()

    page = front_desk.get(reverse("treatments:session_detail", args=[session.pk])).content.decode()

    assert re.search(r'<input[^>]*name="fasting_confirmed"[^>]*checked', page)
    arrived = timezone.localtime(session.arrived_at).strftime("%H:%M")
    assert f'value="{arrived}"' in page


# --- Pre-dose checks: fasting, pregnancy test, sedatives today ---------------------------------


def _checked_in(by, **kwargs):
    session = booked_session(by=by, **kwargs)
    checked_in(session, by=by)
    return session


def test_fasting_shorter_than_the_clinics_hours_blocks_dosing_until_a_decision(
    clinician, clinician_user
):
    session = _checked_in(clinician_user)
    pre_dose(session, by=clinician_user, fasting_hours=Decimal("5.9"))

    with pytest.raises(ValidationError) as error:
        administered(session, by=clinician_user)
    assert error.value.messages == [
        "Fasting is short (5.9 hours since food, less than the clinic's 6 hours): dosing is "
        "blocked until a clinician records a decision to proceed."
    ]
    page = _page(clinician, session).content.decode()
    assert "Dosing is blocked: fasting is short (5.9 hours since food, less than the" in page
    assert "Record the fasting decision" in page

    response = _post(
        clinician, session, "session_fasting_decision",
        {"fasting-decision": "proceed", "fasting-note": "Ate two crackers at 6am"},
    )  # fmt: skip
    assert response.status_code == 302
    administered(session, by=clinician_user)

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.IN_PROGRESS
    assert session.fasting_decision_by == clinician_user
    assert session.fasting_decision_note == "Ate two crackers at 6am"


def test_exactly_the_clinics_fasting_hours_need_no_decision(clinician_user):
    session = _checked_in(clinician_user)
    pre_dose(session, by=clinician_user, fasting_hours=Decimal(6), clear_liquids_hours=Decimal(2))

    administered(session, by=clinician_user)

    with pytest.raises(ValidationError, match="No fasting decision is needed"):
        services.session_decide_fasting(
            session=session, by=clinician_user, decision="proceed", note="x"
        )


def test_clear_liquids_too_recent_block_dosing_and_postponing_cancels(clinician_user):
    session = _checked_in(clinician_user)
    pre_dose(session, by=clinician_user, clear_liquids_hours=Decimal("1.9"))
    with pytest.raises(ValidationError, match=r"1\.9 hours since clear liquids"):
        administered(session, by=clinician_user)

    services.session_decide_fasting(
        session=session, by=clinician_user, decision="postpone", note="Drank coffee at 8:30"
    )

    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.CANCELLED
    assert session.cancel_reason == "Postponed: fasting. Drank coffee at 8:30"


def test_recording_the_checks_again_asks_for_a_new_fasting_decision(clinician_user):
    session = _checked_in(clinician_user)
    pre_dose(session, by=clinician_user, fasting_hours=Decimal(4))
    services.session_decide_fasting(
        session=session, by=clinician_user, decision="proceed", note="Light breakfast"
    )

    pre_dose(session, by=clinician_user, fasting_hours=Decimal(3))

    session.refresh_from_db()
    assert session.fasting_decision == ""
    with pytest.raises(ValidationError, match="3 hours since food"):
        administered(session, by=clinician_user)


def test_the_fasting_hours_and_the_sedatives_question_are_required(clinician_user):
    session = _checked_in(clinician_user)

    with pytest.raises(ValidationError) as error:
        pre_dose(
            session, by=clinician_user, fasting_hours=None, clear_liquids_hours=None,
            sedatives_today=None,
        )  # fmt: skip

    assert set(error.value.message_dict) == {
        "fasting_hours", "clear_liquids_hours", "sedatives_today",
    }  # fmt: skip
    assert not session.vitals.exists()  # nothing half-saved


def test_sedatives_taken_today_need_what_and_when(clinician_user):
    session = _checked_in(clinician_user)
    with pytest.raises(ValidationError) as error:
        pre_dose(session, by=clinician_user, sedatives_today=True, sedatives_today_detail=" ")
    assert "sedatives_today_detail" in error.value.message_dict

    pre_dose(
        session, by=clinician_user, sedatives_today=True,
        sedatives_today_detail="Lorazepam 0.5 mg at 7am",
    )  # fmt: skip
    session.refresh_from_db()
    assert session.sedatives_today is True
    assert session.sedatives_today_detail == "Lorazepam 0.5 mg at 7am"
    # Answered "no" later: the detail goes with it.
    pre_dose(session, by=clinician_user, sedatives_today=False, sedatives_today_detail="x")
    session.refresh_from_db()
    assert (session.sedatives_today, session.sedatives_today_detail) == (False, "")


def test_a_session_checked_before_the_sedatives_question_is_blocked_until_it_is_asked(
    clinician_user,
):
    session = _checked_in(clinician_user)
    pre_dose(session, by=clinician_user)
    TreatmentSession.objects.filter(pk=session.pk).update(sedatives_today=None)

    with pytest.raises(ValidationError, match="benzodiazepine or other sedative"):
        administered(session, by=clinician_user)


def test_the_pre_dose_form_asks_about_sedatives_in_a_fieldset_and_keeps_what_was_typed(
    clinician, clinician_user
):
    session = _checked_in(clinician_user)
    page = _page(clinician, session).content.decode()
    assert re.search(
        r"<fieldset>\s*<legend[^>]*>\s*Benzodiazepine or other sedative taken today", page
    )

    response = _post(
        clinician, session, "session_pre_dose",
        {"consent_current": "on", "fasting_hours": "7", "clear_liquids_hours": "3",
         "sedatives_today": "yes", "systolic": "124", "diastolic": "80", "heart_rate": "72",
         "spo2": "98", "respiratory_rate": "14"},
    )  # fmt: skip

    assert response.status_code == 400
    page = response.content.decode()
    assert "Say what was taken, how much and when." in page
    assert 'value="124"' in page and 'value="yes"' in page
    assert re.search(r'<input[^>]*value="yes"[^>]*checked|<input[^>]*checked[^>]*value="yes"', page)
    assert not session.vitals.exists()


@pytest.mark.parametrize(("sex", "age", "accepted"), [("female", 30, False), ("female", 60, True)])
def test_pregnancy_test_not_applicable_only_where_no_test_is_expected(
    clinician, clinician_user, sex, age, accepted
):
    session = booked_session(by=clinician_user)
    patient = session.patient
    patient.sex_at_birth = sex
    patient.date_of_birth = timezone.localdate().replace(day=1) - timedelta(days=365 * age + 40)
    patient.save(update_fields=["sex_at_birth", "date_of_birth"])
    checked_in(session, by=clinician_user)

    if accepted:
        pre_dose(session, by=clinician_user, pregnancy_test="not_applicable")
        return
    with pytest.raises(ValidationError) as error:
        pre_dose(session, by=clinician_user, pregnancy_test="not_applicable")
    assert "Screening expects a pregnancy test" in error.value.message_dict["pregnancy_test"][0]
    response = _post(
        clinician, session, "session_pre_dose",
        {"consent_current": "on", "fasting_hours": "7", "clear_liquids_hours": "3",
         "pregnancy_test": "not_applicable", "sedatives_today": "no", "systolic": "124",
         "diastolic": "80", "heart_rate": "72", "spo2": "98", "respiratory_rate": "14"},
    )  # fmt: skip
    assert response.status_code == 400
    field = re.search(r'id="div_id_pregnancy_test".*?</fieldset>', response.content.decode(), re.S)
    assert "Screening expects a pregnancy test for this patient" in field[0]


@pytest.mark.clinic_day  # the home page lists today's sessions: not one booked before midnight
def test_a_fasting_decision_waiting_is_on_the_clinician_home(clinician, clinician_user):
    session = _checked_in(clinician_user)
    pre_dose(session, by=clinician_user, fasting_hours=Decimal("4.5"))

    page = clinician.get(reverse("home")).content.decode()

    assert "Fasting shorter than the clinic&#x27;s hours: decision waiting" in page
    waiting = page[page.index('id="fasting-decisions"') :]
    assert "4.5 hours since food, less than the clinic&#x27;s 6 hours" in waiting


# --- The dose actually given -----------------------------------------------------------------


def _ready(by, **kwargs):
    session = _checked_in(by, **kwargs)
    pre_dose(session, by=by)
    return session


def test_a_route_other_than_the_plans_needs_a_plan_amendment(clinician_user):
    session = _ready(clinician_user)

    with pytest.raises(ValidationError) as error:
        _administer(session, clinician_user, route=Route.IM, dose_difference_reason="Poor veins")

    assert error.value.message_dict["route"] == [
        "The plan's route is IV infusion, not Intramuscular: a different route needs a plan "
        "amendment first, not a note."
    ]
    session.refresh_from_db()
    assert session.status == TreatmentSession.Status.CHECKED_IN
    assert session.dose_given_mg is None


def test_an_amendment_after_the_booking_is_the_plan_the_dose_is_given_under(clinician_user):
    session = _ready(clinician_user)
    booked_version = session.plan_version
    amended = PlanVersion.objects.create(
        **{
            field.name: getattr(booked_version, field.name)
            for field in PlanVersion._meta.concrete_fields
            if field.name
            not in ("id", "number", "route", "infusion_minutes", "created_at", "amendment_reason")
        },
        number=2,
        route=Route.IM,
        amendment_reason="Poor venous access",
    )

    _administer(session, clinician_user, route=Route.IM)

    session.refresh_from_db()
    assert session.route_given == Route.IM
    assert session.plan_version == amended


def test_an_iv_dose_exactly_at_the_maximum_is_confirmed_and_above_it_refused(clinician_user):
    # The plan: 0.5 mg/kg at 70 kg (35 mg); the maximum 1.5 mg/kg is 105 mg.
    session = _ready(clinician_user)
    reason = {"dose_difference_reason": "Escalation after two sessions without effect"}

    with pytest.raises(ValidationError) as error:
        _administer(session, clinician_user, dose_given_mg=Decimal("105.1"), **reason)
    assert "above the maximum for IV infusion" in error.value.message_dict["dose_given_mg"][0]
    with pytest.raises(ValidationError) as error:
        _administer(session, clinician_user, dose_given_mg=Decimal("105.0"), **reason)
    assert [e.code for e in error.value.error_dict["dose_given_mg"]] == ["outside_usual"]
    with pytest.raises(ValidationError) as error:
        _administer(
            session, clinician_user, dose_given_mg=Decimal("105.0"), confirm_outside_usual=True,
            **reason,
        )  # fmt: skip
    assert "outside_usual_reason" in error.value.message_dict

    _administer(
        session, clinician_user, dose_given_mg=Decimal("105.0"), confirm_outside_usual=True,
        outside_usual_reason="Prescriber's escalation, discussed today", **reason,
    )  # fmt: skip
    session.refresh_from_db()
    assert session.dose_given_mg == Decimal("105.0")
    assert session.dose_outside_usual_reason == "Prescriber's escalation, discussed today"


def test_the_absolute_cap_refuses_a_dose_the_weight_would_allow(clinician_user):
    session = _ready(clinician_user)
    PlanVersion.objects.filter(pk=session.plan_version_id).update(weight_kg_used=Decimal(140))
    confirmed = {
        "dose_difference_reason": "Escalation", "confirm_outside_usual": True,
        "outside_usual_reason": "Escalation",
    }  # fmt: skip

    with pytest.raises(ValidationError) as error:
        _administer(session, clinician_user, dose_given_mg=Decimal("200.1"), **confirmed)

    assert (
        "200.1 mg is above the clinic's absolute maximum of 200 mg"
        in (error.value.message_dict["dose_given_mg"][0])
    )
    _administer(session, clinician_user, dose_given_mg=Decimal("200.0"), **confirmed)


def test_a_plans_own_dose_confirmed_outside_the_usual_range_is_not_asked_again(clinician_user):
    session = _ready(clinician_user, dose_mg="84.0")  # 1.2 mg/kg at 70 kg
    PlanVersion.objects.filter(pk=session.plan_version_id).update(
        dose_amount=Decimal("1.2"), dose_outside_usual_reason="Partial response at 1.0 mg/kg"
    )

    _administer(session, clinician_user, dose_given_mg=Decimal("84.0"))

    session.refresh_from_db()
    assert session.dose_outside_usual_reason == ""


def _esketamine_ready(by):
    return _ready(by, route=Route.ESKETAMINE_NASAL, dose_mg="56")


def _give_esketamine(session, by, dose):
    return _administer(
        session, by, drug="esketamine", route=Route.ESKETAMINE_NASAL,
        dose_given_mg=Decimal(dose), dose_difference_reason="Titration per label",
    )  # fmt: skip


def test_the_first_esketamine_session_is_56_mg_and_later_ones_may_be_84(clinician_user):
    first = _esketamine_ready(clinician_user)
    with pytest.raises(ValidationError) as error:
        _give_esketamine(first, clinician_user, "84")
    assert error.value.message_dict["dose_given_mg"] == [
        "The first intranasal esketamine session is 56 mg (two devices), per the label."
    ]
    _give_esketamine(first, clinician_user, "56")

    with time_machine.travel(first.ends_at + timedelta(days=3), tick=False):
        later = next_session(first, by=clinician_user)
        checked_in(later, by=clinician_user)
        pre_dose(later, by=clinician_user)
        with pytest.raises(ValidationError, match="whole 28 mg devices"):
            _give_esketamine(later, clinician_user, "70")
        _give_esketamine(later, clinician_user, "84")

    later.refresh_from_db()
    assert later.dose_given_mg == Decimal("84")


def test_the_page_asks_to_confirm_a_dose_outside_the_usual_range_and_keeps_it(
    clinician, clinician_user
):
    session = _ready(clinician_user)
    [draw] = exact_draw(drug="ketamine", dose_mg=30, by=clinician_user)
    data = {
        "drug": "ketamine", "route": "iv", "dose_given_mg": "30.0",
        "container_1": str(draw.container_id), "drawn_1": "30",
        "started_at": timezone.localtime().strftime("%H:%M"),
        "dose_difference_reason": "Nausea at the last session",
    }  # fmt: skip

    response = _post(clinician, session, "session_administer", data)

    assert response.status_code == 400
    page = response.content.decode()
    assert (
        "30 mg is outside the usual range for IV infusion (0.5-1 mg/kg at 70 kg, 35-70 mg)" in page
    )
    assert "I confirm this dose outside the usual range" in page
    assert 'value="30.0"' in page and 'value="30"' in page
    response = _post(
        clinician, session, "session_administer",
        {**data, "confirm_outside_usual": "on", "outside_usual_reason": "Nausea last time"},
    )  # fmt: skip
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.dose_outside_usual_reason == "Nausea last time"


def test_the_admin_cannot_change_a_sessions_dose_or_route(clinic_admin, clinician_user):
    session = completed_session(by=clinician_user)
    url = reverse("admin:treatments_treatmentsession_change", args=[session.pk])

    response = clinic_admin.post(url, {"dose_given_mg": "500", "route_given": "im"})

    assert response.status_code == 403
    session.refresh_from_db()
    assert (session.dose_given_mg, session.route_given) == (Decimal("35.0"), Route.IV)


# --- What each stage waits for -----------------------------------------------------------------


@pytest.mark.clinic_day
def test_dosing_waits_for_says_what_is_missing_in_the_order_it_is_done(clinician_user):
    session = booked_session(by=clinician_user, starts_at=timezone.now())

    assert services.dosing_waits_for(session, None) == [
        "the check-in",
        "consent confirmed as current",
        "the baseline vitals",
    ]

    checked_in(session, by=clinician_user)
    baseline = pre_dose(session, by=clinician_user, fasting_hours=Decimal("2"), systolic=172)
    session.refresh_from_db()

    assert services.dosing_waits_for(session, baseline) == [
        "a decision on the raised blood pressure",
        "a decision on the fasting",
    ]
    # The refusal says the same in sentences, one per gap.
    assert len(services.administration_blockers(session, baseline)) == 2


@pytest.mark.clinic_day
def test_discharge_waits_for_the_stop_time_the_observation_and_resolved_vitals(clinician_user):
    session = booked_session(by=clinician_user, starts_at=timezone.now())
    checked_in(session, by=clinician_user)
    pre_dose(session, by=clinician_user)
    started = timezone.now() - timedelta(minutes=5)
    administered(session, by=clinician_user, started_at=started)

    assert services.discharge_waits_for(session, [], now=timezone.now()) == [
        "the infusion's stop time",
        "a full set of vitals after the dose",
    ]

    services.session_record_stop(session=session, by=clinician_user, stopped_at=timezone.now())
    reading = monitored(session, by=clinician_user, spo2=88, sedation_moaa_s=4)

    assert services.discharge_waits_for(session, [reading], now=timezone.now()) == [
        f"the end of the observation, at {timezone.localtime() + timedelta(minutes=60):%H:%M}",
        "vitals within the normal ranges (or accepted with a note)",
        "sedation resolved (MOAA/S 5)",
    ]

    later = timezone.now() + timedelta(minutes=61)
    with time_machine.travel(later, tick=False):
        resolved = monitored(session, by=clinician_user)
        assert services.discharge_waits_for(session, [reading, resolved], now=later) == []
