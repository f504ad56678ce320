"""Treatment plans: the dose and its guardrails on every route, the weight a mg/kg dose needs,
activation only for an approved patient, amendments that keep every version and the plan as it
stood on any date, stopping with a reason, the dates a series proposes, and the pages (the
front desk reads the schedule, never the dose; wrong roles are refused; constant cost)."""

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import PatientFactory
from tests.treatments.plans import (
    IV_INDUCTION,
    active_plan,
    approved_patient,
    draft_plan,
    record_weight,
)
from tests.treatments.screenings import screening_row
from treatments.models import PlanVersion, Screening, TreatmentPlan
from treatments.screening_rules import Result
from treatments.selectors.plans import frequency_text, plan_as_of, plan_proposed_dates
from treatments.services.plans import (
    plan_activate,
    plan_amend,
    plan_complete,
    plan_create,
    plan_stop,
    plan_update_draft,
)

pytestmark = pytest.mark.clinic_day

CLINIC_TZ = ZoneInfo("America/Chicago")
Status = TreatmentPlan.Status


def field_errors(refused) -> dict[str, list[str]]:
    return refused.value.message_dict


def version_1(plan: TreatmentPlan) -> PlanVersion:
    return plan.versions.get(number=1)


def detail_url(plan) -> str:
    return reverse("treatments:plan_detail", args=[plan.pk])


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Dose and guardrails, route by route ---------------------------------------------------


@pytest.mark.parametrize(
    ("route", "amount", "weight", "expected_mg", "unit"),
    [
        ("iv", "0.5", "80.0", "40.0", "mg/kg"),
        ("iv", "0.75", "72.4", "54.3", "mg/kg"),
        ("im", "0.5", "64.0", "32.0", "mg/kg"),
        ("esketamine_in", "56", "80.0", "56", "mg"),
        ("ketamine_in", "50", "80.0", "50", "mg"),
        ("oral", "150", "80.0", "150", "mg"),
    ],
)
def test_the_dose_in_mg_for_each_route(clinician_user, route, amount, weight, expected_mg, unit):
    patient = approved_patient(weight_kg=weight)

    plan = draft_plan(clinician_user, patient=patient, route=route, dose_amount=Decimal(amount))

    version = version_1(plan)
    assert version.dose_unit == unit
    assert version.dose_mg == Decimal(expected_mg)
    if unit == "mg/kg":
        assert version.weight_kg_used == Decimal(weight)
    else:
        assert version.weight_kg_used is None
    assert version.dose_outside_usual_reason == ""


def test_the_latest_weight_is_the_one_used(clinician_user):
    patient = approved_patient(weight_kg=None)
    record_weight(patient, "90.0", when=datetime(2026, 1, 5, 9, tzinfo=CLINIC_TZ))
    record_weight(patient, "84.0", when=datetime(2026, 2, 5, 9, tzinfo=CLINIC_TZ))

    version = version_1(draft_plan(clinician_user, patient=patient, dose_amount=Decimal("0.5")))

    assert version.weight_kg_used == Decimal("84.0")
    assert version.dose_mg == Decimal("42.0")


@pytest.mark.parametrize("route", ["iv", "im"])
def test_a_weight_based_dose_without_a_recorded_weight_is_refused(clinician_user, route):
    patient = approved_patient(weight_kg=None)

    with pytest.raises(ValidationError) as refused:
        draft_plan(clinician_user, patient=patient, route=route)

    [message] = field_errors(refused)["dose_amount"]
    assert "record a weight" in message
    assert not TreatmentPlan.objects.filter(patient=patient).exists()


def test_a_fixed_dose_needs_no_weight(clinician_user):
    patient = approved_patient(weight_kg=None)

    plan = draft_plan(clinician_user, patient=patient, route="oral", dose_amount=Decimal("100"))

    assert version_1(plan).dose_mg == Decimal("100")


@pytest.mark.parametrize(
    ("route", "amount"),
    [
        ("ketamine_in", "20"),
        ("iv", "0.3"),
        ("iv", "1.2"),
        ("im", "0.2"),
        ("ketamine_in", "150"),
        ("oral", "400"),
    ],
)
def test_a_dose_outside_the_usual_range_needs_a_confirmation_and_a_reason(
    clinician_user, route, amount
):
    patient = approved_patient()
    dose = {"route": route, "dose_amount": Decimal(amount)}

    with pytest.raises(ValidationError) as unconfirmed:
        draft_plan(clinician_user, patient=patient, **dose)
    [message] = field_errors(unconfirmed)["dose_amount"]
    assert "outside the usual range" in message
    assert unconfirmed.value.error_dict["dose_amount"][0].code == "outside_usual"

    with pytest.raises(ValidationError) as no_reason:
        draft_plan(clinician_user, patient=patient, confirm_outside_usual=True, **dose)
    assert set(field_errors(no_reason)) == {"outside_usual_reason"}
    assert not TreatmentPlan.objects.filter(patient=patient).exists()

    plan = draft_plan(
        clinician_user,
        patient=patient,
        confirm_outside_usual=True,
        outside_usual_reason="  Sensitive to dissociation at 56 mg last year.  ",
        **dose,
    )
    assert version_1(plan).dose_outside_usual_reason == (
        "Sensitive to dissociation at 56 mg last year."
    )


@pytest.mark.parametrize(
    ("route", "amount", "maximum"),
    [
        ("iv", "1.6", "1.5 mg/kg"),
        ("im", "2", "1.5 mg/kg"),
        ("ketamine_in", "250", "200 mg"),
        ("oral", "600", "500 mg"),
    ],
)
def test_a_dose_above_the_maximum_is_refused_even_when_confirmed(
    clinician_user, route, amount, maximum
):
    patient = approved_patient()

    with pytest.raises(ValidationError) as refused:
        draft_plan(
            clinician_user,
            patient=patient,
            route=route,
            dose_amount=Decimal(amount),
            confirm_outside_usual=True,
            outside_usual_reason="I insist",
        )

    [message] = field_errors(refused)["dose_amount"]
    assert f"above the maximum of {maximum}" in message
    assert not TreatmentPlan.objects.filter(patient=patient).exists()


def test_the_guardrails_are_settings(clinician_user, settings):
    settings.CLINIC_DOSE_GUARDRAILS = {
        **settings.CLINIC_DOSE_GUARDRAILS,
        "ketamine_in": {"unit": "mg", "usual": [20, 100], "max": 200},
    }

    plan = draft_plan(clinician_user, route="ketamine_in", dose_amount=Decimal("20"))

    assert version_1(plan).dose_mg == Decimal("20")


def test_an_iv_infusion_lasts_40_minutes_unless_given(clinician_user):
    assert version_1(draft_plan(clinician_user)).infusion_minutes == 40
    assert version_1(draft_plan(clinician_user, infusion_minutes=60)).infusion_minutes == 60
    oral = draft_plan(clinician_user, route="oral", dose_amount=Decimal("100"), infusion_minutes=40)
    assert version_1(oral).infusion_minutes is None


def test_each_phase_needs_its_frequency(clinician_user):
    patient = approved_patient()
    with pytest.raises(ValidationError) as induction:
        draft_plan(clinician_user, patient=patient, span_weeks=None)
    assert set(field_errors(induction)) == {"span_weeks"}

    with pytest.raises(ValidationError) as maintenance:
        draft_plan(clinician_user, patient=patient, phase="maintenance", span_weeks=None)
    assert set(field_errors(maintenance)) == {"every_weeks"}

    plan = draft_plan(clinician_user, patient=patient, phase="maintenance", every_weeks=3)
    version = version_1(plan)
    assert (version.span_weeks, version.every_weeks) == (None, 3)


def test_every_missing_field_is_named_at_once(clinician_user):
    with pytest.raises(ValidationError) as refused:
        plan_create(
            patient=approved_patient(),
            created_by=clinician_user,
            prescriber=None,
            indication="other",
            indication_other=" ",
            route="iv",
            dose_amount=None,
            phase="",
            sessions_planned=None,
            start_date=None,
        )

    assert set(field_errors(refused)) == {
        "indication_other",
        "dose_amount",
        "phase",
        "sessions_planned",
        "start_date",
        "prescriber",
    }


def test_the_prescriber_must_be_a_clinician(clinician_user, front_desk_user):
    with pytest.raises(ValidationError) as refused:
        plan_create(
            patient=approved_patient(),
            created_by=clinician_user,
            prescriber=front_desk_user,
            **IV_INDUCTION,
        )

    assert set(field_errors(refused)) == {"prescriber"}


# --- Activation -------------------------------------------------------------------------------


def test_a_new_plan_is_a_draft_with_version_1(clinician_user):
    plan = draft_plan(clinician_user)

    assert plan.status == Status.DRAFT
    [version] = plan.versions.all()
    assert version.number == 1
    assert version.created_by == clinician_user
    assert version.prescriber == clinician_user


@pytest.mark.parametrize(
    "status",
    [Screening.Status.PENDING, Screening.Status.DECLINED, Screening.Status.MORE_INFO],
)
def test_activation_is_refused_without_an_approved_screening(clinician_user, status):
    screening = screening_row(result=Result.ELIGIBLE, status=status)
    record_weight(screening.patient, "80.0")
    plan = draft_plan(clinician_user, patient=screening.patient)

    with pytest.raises(ValidationError, match="screening is not approved"):
        plan_activate(plan=plan, user=clinician_user)

    plan.refresh_from_db()
    assert plan.status == Status.DRAFT


def test_activation_is_refused_for_an_unscreened_patient(clinician_user):
    patient = PatientFactory()
    record_weight(patient, "80.0")
    plan = draft_plan(clinician_user, patient=patient)

    with pytest.raises(ValidationError, match="screening is not approved"):
        plan_activate(plan=plan, user=clinician_user)


def test_an_approval_on_an_older_screening_does_not_count(clinician_user):
    old = screening_row(result=Result.ELIGIBLE, status=Screening.Status.APPROVED)
    old.is_current = False
    old.save(update_fields=["is_current"])
    Screening.objects.create(
        patient=old.patient,
        intake=old.intake,
        result=Result.NEEDS_REVIEW,
        ruleset_version=old.ruleset_version,
        created_at=old.created_at + timedelta(days=1),
    )
    record_weight(old.patient, "80.0")
    plan = draft_plan(clinician_user, patient=old.patient)

    with pytest.raises(ValidationError, match="screening is not approved"):
        plan_activate(plan=plan, user=clinician_user)


def test_activation_with_an_approved_screening(clinician_user):
    plan = draft_plan(clinician_user)

    plan_activate(plan=plan, user=clinician_user)

    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE
    assert plan.activated_at is not None


def test_a_patient_has_one_active_plan_at_a_time(clinician_user):
    first = active_plan(clinician_user)
    second = draft_plan(clinician_user, patient=first.patient)

    with pytest.raises(ValidationError, match="already has an active plan"):
        plan_activate(plan=second, user=clinician_user)

    plan_complete(plan=first, user=clinician_user)
    plan_activate(plan=second, user=clinician_user)
    assert second.status == Status.ACTIVE


# --- Amendments and the plan as of a date ------------------------------------------------------


def test_an_amendment_adds_a_version_and_keeps_the_earlier_ones(clinician_user):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=CLINIC_TZ), tick=False):
        plan = active_plan(clinician_user)
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=CLINIC_TZ), tick=False):
        v2 = plan_amend(
            plan=plan,
            user=clinician_user,
            reason="Little response at 0.5 mg/kg",
            dose_amount=Decimal("0.75"),
        )

    v1 = version_1(plan)
    assert (v1.number, v1.dose_amount, v1.dose_mg, v1.amendment_reason) == (
        1,
        Decimal("0.50"),
        Decimal("40.0"),
        "",
    )
    assert v2.number == 2
    assert v2.dose_mg == Decimal("60.0")
    assert v2.amendment_reason == "Little response at 0.5 mg/kg"
    assert v2.effective_at == datetime(2026, 3, 10, 10, tzinfo=CLINIC_TZ)
    # Everything not amended is carried over.
    assert (v2.route, v2.phase, v2.sessions_planned, v2.start_date, v2.goals) == (
        v1.route,
        v1.phase,
        v1.sessions_planned,
        v1.start_date,
        v1.goals,
    )


def test_plan_as_of_before_between_and_after_amendments(clinician_user):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=CLINIC_TZ), tick=False):
        plan = active_plan(clinician_user)
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=CLINIC_TZ), tick=False):
        plan_amend(plan=plan, user=clinician_user, reason="Dose up", dose_amount=Decimal("0.75"))
    with time_machine.travel(datetime(2026, 4, 2, 10, tzinfo=CLINIC_TZ), tick=False):
        plan_amend(
            plan=plan,
            user=clinician_user,
            reason="Into maintenance",
            phase="maintenance",
            every_weeks=3,
            sessions_planned=4,
            start_date=date(2026, 4, 6),
        )

    def number_as_of(*args) -> int | None:
        version = plan_as_of(plan=plan, when=datetime(*args, tzinfo=CLINIC_TZ))
        return version and version.number

    assert number_as_of(2026, 2, 28, 12) is None
    assert number_as_of(2026, 3, 1, 9, 59) is None
    assert number_as_of(2026, 3, 1, 10) == 1
    assert number_as_of(2026, 3, 9, 23) == 1
    assert number_as_of(2026, 3, 10, 10) == 2
    assert number_as_of(2026, 3, 20) == 2
    assert number_as_of(2026, 4, 2, 10) == 3
    assert number_as_of(2027, 1, 1) == 3


def test_an_amendment_needs_a_reason(clinician_user):
    plan = active_plan(clinician_user)

    with pytest.raises(ValidationError) as refused:
        plan_amend(plan=plan, user=clinician_user, reason="  ", dose_amount=Decimal("0.75"))

    assert set(field_errors(refused)) == {"reason"}
    assert plan.versions.count() == 1


def test_an_amendment_goes_through_the_guardrails(clinician_user):
    plan = active_plan(clinician_user)

    with pytest.raises(ValidationError) as refused:
        plan_amend(plan=plan, user=clinician_user, reason="More", dose_amount=Decimal("2"))

    assert "above the maximum" in field_errors(refused)["dose_amount"][0]
    assert plan.versions.count() == 1


def test_an_amendment_uses_the_latest_weight(clinician_user):
    plan = active_plan(clinician_user)
    record_weight(plan.patient, "70.0")

    version = plan_amend(plan=plan, user=clinician_user, reason="Lost weight: recompute")

    assert (version.weight_kg_used, version.dose_mg) == (Decimal("70.0"), Decimal("35.0"))


def test_a_confirmed_outside_usual_dose_stays_confirmed_when_other_things_change(clinician_user):
    plan = active_plan(
        clinician_user,
        route="ketamine_in",
        dose_amount=Decimal("20"),
        confirm_outside_usual=True,
        outside_usual_reason="Elderly patient",
    )

    version = plan_amend(plan=plan, user=clinician_user, reason="New goal", goals="Back at work")

    assert (version.dose_mg, version.dose_outside_usual_reason) == (
        Decimal("20"),
        "Elderly patient",
    )


@pytest.mark.parametrize("status", [Status.DRAFT, Status.COMPLETED, Status.STOPPED])
def test_only_an_active_plan_is_amended(clinician_user, status):
    plan = draft_plan(clinician_user)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=status)

    with pytest.raises(ValidationError, match="Only an active plan"):
        plan_amend(plan=plan, user=clinician_user, reason="x", dose_amount=Decimal("0.6"))


# --- Completing and stopping ------------------------------------------------------------------


def test_stopping_needs_a_reason(clinician_user):
    plan = active_plan(clinician_user)

    with pytest.raises(ValidationError) as refused:
        plan_stop(plan=plan, user=clinician_user, reason=" ")

    assert set(field_errors(refused)) == {"reason"}
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE

    plan_stop(plan=plan, user=clinician_user, reason="Raised blood pressure at every session")
    plan.refresh_from_db()
    assert (plan.status, plan.stop_reason) == (
        Status.STOPPED,
        "Raised blood pressure at every session",
    )
    assert plan.ended_at is not None


def test_a_completed_plan_cannot_be_stopped_or_completed_again(clinician_user):
    plan = active_plan(clinician_user)
    plan_complete(plan=plan, user=clinician_user)

    with pytest.raises(ValidationError):
        plan_complete(plan=plan, user=clinician_user)
    with pytest.raises(ValidationError):
        plan_stop(plan=plan, user=clinician_user, reason="x")
    plan.refresh_from_db()
    assert plan.status == Status.COMPLETED


# --- Proposed dates ------------------------------------------------------------------------------


def test_an_induction_spreads_its_sessions_over_its_weeks(clinician_user):
    version = version_1(draft_plan(clinician_user))  # 6 over 3 weeks from Monday 03/02/2026

    dates = plan_proposed_dates(version)

    assert dates == [
        date(2026, 3, 2),
        date(2026, 3, 5),
        date(2026, 3, 9),
        date(2026, 3, 12),
        date(2026, 3, 16),
        date(2026, 3, 19),
    ]
    assert [day.strftime("%a") for day in dates] == ["Mon", "Thu"] * 3


def test_six_sessions_over_two_weeks(clinician_user):
    version = version_1(draft_plan(clinician_user, span_weeks=2))

    assert [day.strftime("%a") for day in plan_proposed_dates(version)] == [
        "Mon",
        "Wed",
        "Fri",
    ] * 2


def test_maintenance_is_one_session_every_n_weeks(clinician_user):
    version = version_1(
        draft_plan(
            clinician_user,
            phase="maintenance",
            every_weeks=3,
            sessions_planned=4,
            start_date=date(2026, 4, 7),
        )
    )

    assert plan_proposed_dates(version) == [
        date(2026, 4, 7),
        date(2026, 4, 28),
        date(2026, 5, 19),
        date(2026, 6, 9),
    ]


def test_maintenance_can_be_n_sessions_a_month(clinician_user):
    version = version_1(
        draft_plan(
            clinician_user,
            phase="maintenance",
            per_month=2,
            sessions_planned=3,
            start_date=date(2026, 4, 1),
        )
    )

    assert plan_proposed_dates(version) == [date(2026, 4, 1), date(2026, 4, 16), date(2026, 5, 1)]
    assert frequency_text(version) == "3 sessions, 2 a month"


def test_an_esketamine_induction_reads_as_the_label_s_schedule_not_a_span():
    version = PlanVersion(
        route="esketamine_in", phase="induction", sessions_planned=12, span_weeks=8
    )
    assert frequency_text(version) == (
        "12 sessions per the label: twice a week in weeks 1-4, then once a week"
    )
    version.route = "iv"
    assert frequency_text(version) == "12 sessions over 8 weeks"


@pytest.mark.parametrize(("every_weeks", "per_month"), [(None, None), (2, 2)])
def test_maintenance_needs_exactly_one_frequency(clinician_user, every_weeks, per_month):
    with pytest.raises(ValidationError) as error:
        draft_plan(
            clinician_user,
            phase="maintenance",
            every_weeks=every_weeks,
            per_month=per_month,
            sessions_planned=3,
        )
    assert "one of the two" in str(error.value.message_dict["every_weeks"])


# --- The pages -------------------------------------------------------------------------------


NEW_PLAN = {
    "indication": "gad",
    "indication_other": "",
    "route": "iv",
    "dose_amount": "0.5",
    "infusion_minutes": "",
    "phase": "induction",
    "sessions_planned": "6",
    "span_weeks": "3",
    "every_weeks": "",
    "start_date": "2026-03-02",
    "goals": "Sleep through the night",
}


def test_a_clinician_writes_a_plan_on_its_page(clinician, clinician_user):
    patient = approved_patient(weight_kg="72.0")
    url = reverse("treatments:plan_new", args=[patient.pk])
    assert clinician.get(url).status_code == 200

    response = clinician.post(url, {**NEW_PLAN, "prescriber": clinician_user.pk})

    plan = TreatmentPlan.objects.get(patient=patient)
    assert response.status_code == 302
    assert response["Location"] == detail_url(plan)
    assert version_1(plan).dose_mg == Decimal("36.0")


def test_an_outside_usual_dose_asks_for_the_confirmation_and_keeps_what_was_typed(
    clinician, clinician_user
):
    patient = approved_patient()
    url = reverse("treatments:plan_new", args=[patient.pk])
    typed = {
        **NEW_PLAN,
        "route": "ketamine_in",
        "dose_amount": "20",
        "prescriber": clinician_user.pk,
    }

    first = clinician.post(url, typed)

    page = first.content.decode()
    assert first.status_code == 400
    assert "outside the usual range" in page
    assert "I confirm this dose outside the usual range" in page
    assert 'value="20"' in page
    assert 'value="Sleep through the night"' in page or "Sleep through the night</textarea>" in page
    assert not TreatmentPlan.objects.filter(patient=patient).exists()

    second = clinician.post(
        url,
        {**typed, "confirm_outside_usual": "on", "outside_usual_reason": "Started low on purpose"},
    )

    assert second.status_code == 302
    assert version_1(TreatmentPlan.objects.get(patient=patient)).dose_outside_usual_reason == (
        "Started low on purpose"
    )


def test_the_new_plan_form_shows_no_confirmation_for_a_usual_dose(clinician, clinician_user):
    patient = approved_patient()
    response = clinician.get(reverse("treatments:plan_new", args=[patient.pk]))

    assert "I confirm this dose outside the usual range" not in response.content.decode()


def test_a_missing_weight_is_shown_beside_the_dose(clinician, clinician_user):
    patient = approved_patient(weight_kg=None)

    response = clinician.post(
        reverse("treatments:plan_new", args=[patient.pk]),
        {**NEW_PLAN, "prescriber": clinician_user.pk},
    )

    assert response.status_code == 400
    assert "record a weight" in response.content.decode()


def test_the_plan_page_shows_the_dose_with_the_weight_and_its_date(clinician, clinician_user):
    patient = approved_patient(weight_kg=None)
    record_weight(patient, "80.0", when=datetime(2026, 2, 14, 9, tzinfo=CLINIC_TZ))
    plan = draft_plan(clinician_user, patient=patient)

    response = clinician.get(detail_url(plan))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<strong>0.5 mg/kg \N{MULTIPLICATION SIGN} 80.0 kg = 40 mg</strong>" in page
    assert "80.0 kg, recorded 02/14/2026" in page
    assert "Sleep through" not in page  # the helper's goals are "GAD-7 below 10"
    assert "GAD-7 below 10" in page
    assert "Mon 03/02/2026, Thu 03/05/2026" in page


def test_viewing_a_plan_is_audited(clinician, clinician_user):
    plan = draft_plan(clinician_user)

    clinician.get(detail_url(plan))

    assert LogEntry.objects.filter(
        action=LogEntry.Action.ACCESS,
        content_type__model="treatmentplan",
        object_pk=str(plan.pk),
    ).exists()


@pytest.mark.parametrize("persona", ["clinician", "front_desk"])
def test_opening_a_patients_plans_is_audited(db, request, clinician_user, persona):
    client = request.getfixturevalue(persona)
    patient = draft_plan(clinician_user).patient
    accesses = LogEntry.objects.get_for_object(patient).filter(action=LogEntry.Action.ACCESS)
    before = accesses.count()

    response = client.get(reverse("treatments:plan_list", args=[patient.pk]))

    assert response.status_code == 200
    assert accesses.count() == before + 1
    assert accesses.latest("pk").actor == request.getfixturevalue(f"{persona}_user")


def test_the_front_desk_sees_the_schedule_but_no_dose(front_desk, clinician_user):
    plan = active_plan(clinician_user, route="esketamine_in", dose_amount=Decimal("56"))

    response = front_desk.get(detail_url(plan))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Intranasal esketamine (Spravato)" in page
    assert "Induction" in page
    assert "6 sessions per the label: twice a week in weeks 1-4" in page
    assert "03/02/2026" in page
    assert not re.search(r"\b56\b", page)
    assert " mg" not in page
    assert "GAD-7 below 10" not in page  # the goals
    assert "Depression" not in page  # the indication


def test_the_front_desk_sees_no_dose_on_the_plan_as_of_a_date(front_desk, clinician_user):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=CLINIC_TZ), tick=False):
        plan = active_plan(clinician_user)

    response = front_desk.get(detail_url(plan), {"as_of": "2026-03-05"})

    page = response.content.decode()
    assert "As of 03/05/2026: version 1" in page
    assert " mg" not in page
    assert "mg/kg" not in page


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "outsider"])
def test_only_clinicians_write_plans(db, request, clinician_user, persona):
    client = request.getfixturevalue(persona)
    plan = active_plan(clinician_user)
    patient = plan.patient

    for url in [
        reverse("treatments:plan_new", args=[patient.pk]),
        reverse("treatments:plan_amend", args=[plan.pk]),
    ]:
        assert client.get(url).status_code == 403
    for name in ["plan_activate", "plan_complete", "plan_stop", "plan_amend"]:
        url = reverse(f"treatments:{name}", args=[plan.pk])
        assert client.post(url, {"reason": "x"}).status_code == 403
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE
    assert plan.versions.count() == 1


@pytest.mark.parametrize("persona", ["clinic_admin", "outsider"])
def test_other_roles_cannot_read_plans(db, request, clinician_user, persona):
    client = request.getfixturevalue(persona)
    plan = draft_plan(clinician_user)

    assert client.get(detail_url(plan)).status_code == 403
    assert client.get(reverse("treatments:plan_list", args=[plan.patient_id])).status_code == 403


def test_activation_refused_on_the_page_says_why(clinician, clinician_user):
    screening = screening_row(result=Result.ELIGIBLE)  # pending review
    record_weight(screening.patient, "80.0")
    plan = draft_plan(clinician_user, patient=screening.patient)

    response = clinician.post(reverse("treatments:plan_activate", args=[plan.pk]))

    assert response.status_code == 302
    assert any("screening is not approved" in message for message in flash(response))
    plan.refresh_from_db()
    assert plan.status == Status.DRAFT


def test_a_clinician_activates_amends_and_stops_on_the_pages(clinician, clinician_user):
    plan = draft_plan(clinician_user)

    clinician.post(reverse("treatments:plan_activate", args=[plan.pk]))
    plan.refresh_from_db()
    assert plan.status == Status.ACTIVE

    amend_url = reverse("treatments:plan_amend", args=[plan.pk])
    form = clinician.get(amend_url)
    assert form.status_code == 200
    assert 'value="0.50"' in form.content.decode()
    typed = {**NEW_PLAN, "dose_amount": "0.7", "prescriber": clinician_user.pk}
    refused = clinician.post(amend_url, typed)
    assert refused.status_code == 400
    assert "Give the reason for the amendment." in refused.content.decode()
    assert clinician.post(amend_url, {**typed, "reason": "Dose up"}).status_code == 302
    assert plan.versions.count() == 2

    stop_url = reverse("treatments:plan_stop", args=[plan.pk])
    no_reason = clinician.post(stop_url, {"reason": ""})
    assert no_reason.status_code == 400
    assert "Give the reason for stopping the plan." in no_reason.content.decode()
    clinician.post(stop_url, {"reason": "Moved away"})
    plan.refresh_from_db()
    assert (plan.status, plan.stop_reason) == (Status.STOPPED, "Moved away")


def test_the_plan_as_of_a_date_on_the_page(clinician, clinician_user):
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=CLINIC_TZ), tick=False):
        plan = active_plan(clinician_user)
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=CLINIC_TZ), tick=False):
        plan_amend(plan=plan, user=clinician_user, reason="Dose up", dose_amount=Decimal("0.75"))

    before = clinician.get(detail_url(plan), {"as_of": "2026-02-27"}).content.decode()
    between = clinician.get(detail_url(plan), {"as_of": "2026-03-09"}).content.decode()
    on_the_day = clinician.get(detail_url(plan), {"as_of": "2026-03-10"}).content.decode()

    assert "this plan had not been written yet" in before
    assert "As of 03/09/2026: version 1" in between
    assert "= 40 mg</strong>" in between
    assert "As of 03/10/2026: version 2" in on_the_day
    assert bad_date_is_an_error(clinician, plan)


def bad_date_is_an_error(client, plan) -> bool:
    response = client.get(detail_url(plan), {"as_of": "not-a-date"})
    return response.status_code == 200 and "Enter a valid date." in response.content.decode()


@pytest.mark.parametrize("amendments", [0, 8])
def test_the_plan_page_query_count_is_constant(
    clinician, clinician_user, django_assert_num_queries, amendments
):
    plan = active_plan(clinician_user)
    for number in range(amendments):
        plan_amend(
            plan=plan,
            user=clinician_user,
            reason=f"Amendment {number}",
            dose_amount=Decimal("0.5") + Decimal("0.05") * (number % 5),
        )
    clinician.get(detail_url(plan))  # warm-up: session bookkeeping and content-type cache

    # session, user, TOTP device, roles, the plan with its patient and author, the ACCESS audit
    # entry, the versions with their prescribers and authors, the weight's date
    with django_assert_num_queries(8):
        response = clinician.get(detail_url(plan), {"as_of": "2026-03-05"})

    assert response.status_code == 200


@pytest.mark.parametrize("amendments", [0, 8])
def test_the_front_desk_plan_page_query_count_is_constant(
    front_desk, clinician_user, django_assert_num_queries, amendments
):
    plan = active_plan(clinician_user)
    for number in range(amendments):
        plan_amend(plan=plan, user=clinician_user, reason=f"Amendment {number}", goals=str(number))
    front_desk.get(detail_url(plan))

    # session, user, TOTP device, roles, the plan, the ACCESS audit entry, the versions' schedule
    with django_assert_num_queries(7):
        response = front_desk.get(detail_url(plan))

    assert response.status_code == 200


def test_the_patient_summary_has_a_treatment_plan_card(clinician, clinician_user):
    plan = active_plan(clinician_user, route="oral", dose_amount=Decimal("150"))
    url = reverse("intake:patient_detail", args=[plan.patient_id])

    clinician_page = clinician.get(url).content.decode()
    assert "Treatment plan" in clinician_page
    assert "150 mg" in clinician_page
    assert reverse("treatments:plan_list", args=[plan.patient_id]) in clinician_page


def test_the_front_desk_card_on_the_patient_summary_has_no_dose(front_desk, clinician_user):
    plan = active_plan(clinician_user, route="oral", dose_amount=Decimal("150"))

    page = front_desk.get(reverse("intake:patient_detail", args=[plan.patient_id])).content.decode()

    assert "Treatment plan" in page
    assert "6 sessions over 3 weeks" in page
    assert "150" not in page


# --- Editing a draft plan ---------------------------------------------------------------------


def test_editing_a_draft_rewrites_version_1_and_keeps_one_version(clinician_user):
    plan = draft_plan(clinician_user)
    record_weight(plan.patient, "70.0")

    version = plan_update_draft(
        plan=plan, user=clinician_user, dose_amount=Decimal("0.75"), goals="Back at work"
    )

    assert plan.versions.count() == 1
    stored = version_1(plan)
    assert stored.pk == version.pk
    assert (stored.dose_amount, stored.weight_kg_used, stored.dose_mg) == (
        Decimal("0.75"),
        Decimal("70.0"),
        Decimal("52.5"),
    )
    assert stored.goals == "Back at work"
    assert stored.sessions_planned == 6  # carried over
    assert LogEntry.objects.filter(
        action=LogEntry.Action.UPDATE,
        content_type__model="planversion",
        object_pk=str(stored.pk),
    ).exists()


def test_editing_a_draft_goes_through_the_guardrails(clinician_user):
    plan = draft_plan(clinician_user)

    with pytest.raises(ValidationError) as refused:
        plan_update_draft(plan=plan, user=clinician_user, dose_amount=Decimal("2"))

    assert "above the maximum" in field_errors(refused)["dose_amount"][0]
    assert version_1(plan).dose_amount == Decimal("0.5")


def test_editing_a_draft_to_an_outside_usual_dose_needs_the_confirmation(clinician_user):
    plan = draft_plan(clinician_user)
    change = {"route": "ketamine_in", "dose_amount": Decimal("20")}

    with pytest.raises(ValidationError) as refused:
        plan_update_draft(plan=plan, user=clinician_user, **change)
    assert "outside the usual range" in field_errors(refused)["dose_amount"][0]

    plan_update_draft(
        plan=plan,
        user=clinician_user,
        confirm_outside_usual=True,
        outside_usual_reason="Elderly patient",
        **change,
    )
    stored = version_1(plan)
    assert (stored.dose_unit, stored.dose_mg, stored.weight_kg_used) == ("mg", Decimal("20"), None)
    assert stored.dose_outside_usual_reason == "Elderly patient"


@pytest.mark.parametrize("status", [Status.ACTIVE, Status.COMPLETED, Status.STOPPED])
def test_only_a_draft_plan_is_edited(clinician_user, status):
    plan = draft_plan(clinician_user)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status=status)

    with pytest.raises(ValidationError, match="Only a draft plan can be edited"):
        plan_update_draft(plan=plan, user=clinician_user, dose_amount=Decimal("0.6"))

    assert version_1(plan).dose_amount == Decimal("0.5")


def test_a_clinician_edits_a_draft_on_its_page(clinician, clinician_user):
    plan = draft_plan(clinician_user)
    assert "Edit the draft" in clinician.get(detail_url(plan)).content.decode()
    url = reverse("treatments:plan_edit", args=[plan.pk])

    form = clinician.get(url)
    assert form.status_code == 200
    assert 'value="0.50"' in form.content.decode()
    assert "GAD-7 below 10" in form.content.decode()

    response = clinician.post(
        url, {**NEW_PLAN, "dose_amount": "0.6", "prescriber": clinician_user.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(plan)
    stored = version_1(plan)
    assert (stored.dose_mg, stored.goals) == (Decimal("48.0"), "Sleep through the night")
    assert plan.versions.count() == 1


def test_the_edit_page_keeps_what_was_typed_on_an_error(clinician, clinician_user):
    plan = draft_plan(clinician_user)
    url = reverse("treatments:plan_edit", args=[plan.pk])
    typed = {**NEW_PLAN, "dose_amount": "2", "prescriber": clinician_user.pk}

    response = clinician.post(url, typed)

    page = response.content.decode()
    assert response.status_code == 400
    assert "above the maximum" in page
    assert 'value="2"' in page
    assert "Sleep through the night</textarea>" in page
    assert version_1(plan).dose_amount == Decimal("0.5")

    low = clinician.post(url, {**typed, "route": "ketamine_in", "dose_amount": "20"})
    assert low.status_code == 400
    assert "I confirm this dose outside the usual range" in low.content.decode()
    confirmed = clinician.post(
        url,
        {
            **typed,
            "route": "ketamine_in",
            "dose_amount": "20",
            "confirm_outside_usual": "on",
            "outside_usual_reason": "Started low on purpose",
        },
    )
    assert confirmed.status_code == 302
    assert version_1(plan).dose_outside_usual_reason == "Started low on purpose"


def test_an_active_plan_is_not_edited_on_the_edit_page(clinician, clinician_user):
    plan = active_plan(clinician_user)
    url = reverse("treatments:plan_edit", args=[plan.pk])

    assert "Edit the draft" not in clinician.get(detail_url(plan)).content.decode()
    response = clinician.post(
        url, {**NEW_PLAN, "dose_amount": "0.6", "prescriber": clinician_user.pk}
    )

    assert response.status_code == 302
    assert response["Location"] == detail_url(plan)
    assert any("Only a draft plan can be edited" in message for message in flash(response))
    assert clinician.get(url).status_code == 302
    assert version_1(plan).dose_amount == Decimal("0.5")


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "outsider"])
def test_only_clinicians_edit_a_draft(db, request, clinician_user, persona):
    client = request.getfixturevalue(persona)
    plan = draft_plan(clinician_user)
    url = reverse("treatments:plan_edit", args=[plan.pk])

    assert client.get(url).status_code == 403
    response = client.post(url, {**NEW_PLAN, "dose_amount": "0.6", "prescriber": clinician_user.pk})

    assert response.status_code == 403
    assert version_1(plan).dose_amount == Decimal("0.5")
