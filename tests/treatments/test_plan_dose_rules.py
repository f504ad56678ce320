"""A plan's dose against the esketamine label and the clinic's absolute caps: intranasal
esketamine in whole 28 mg devices (56 or 84 mg), a first course starting at 56 mg, an absolute
mg cap per route whatever the weight, and esketamine for anything but depression shown as
off-label with the prescriber's reason. The admin cannot go around them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.treatments.plans import active_plan, approved_patient, draft_plan
from treatments.dosing import Route
from treatments.models import (
    AssessmentFinding,
    PlanVersion,
    Screening,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
)
from treatments.services.plans import plan_amend, plan_update_draft

pytestmark = pytest.mark.clinic_day

ESKETAMINE = {"route": "esketamine_in"}
OFF_LABEL_REASON = "GAD with no response to 3 SSRIs and an SNRI; discussed off-label use."


def field_errors(refused) -> dict[str, list[str]]:
    return refused.value.message_dict


def version_1(plan: TreatmentPlan) -> PlanVersion:
    return plan.versions.get(number=1)


def given_esketamine(plan: TreatmentPlan, *, by) -> TreatmentSession:
    """A session of the plan in which esketamine was given (a row: the session services are
    tested elsewhere)."""
    version = plan.versions.order_by("-number").first()
    chair, _ = TreatmentChair.objects.get_or_create(name="Chair 1")
    starts_at = timezone.now() - timedelta(days=3)
    return TreatmentSession.objects.create(
        patient=plan.patient,
        plan=plan,
        plan_version=version,
        chair=chair,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=3),
        booked_by=by,
        status=TreatmentSession.Status.COMPLETED,
        drug="esketamine",
        route_given=Route.ESKETAMINE_NASAL,
        dose_given_mg=Decimal("56"),
        administration_started_at=starts_at + timedelta(minutes=10),
    )


# --- Intranasal esketamine: whole devices, 56 mg first ------------------------------------------


def test_a_first_course_at_56_mg_is_accepted(clinician_user):
    plan = draft_plan(clinician_user, dose_amount=Decimal("56"), **ESKETAMINE)

    version = version_1(plan)
    assert (version.dose_mg, version.dose_unit) == (Decimal("56"), "mg")


def test_a_first_course_at_84_mg_is_refused_start_at_56_and_amend(clinician_user):
    patient = approved_patient()

    with pytest.raises(ValidationError) as refused:
        draft_plan(clinician_user, patient=patient, dose_amount=Decimal("84"), **ESKETAMINE)

    [message] = field_errors(refused)["dose_amount"]
    assert "The first intranasal esketamine session is 56 mg (two devices)" in message
    assert "start the plan at 56 mg and amend it to 84 mg after the first session" in message
    assert not TreatmentPlan.objects.filter(patient=patient).exists()


@pytest.mark.parametrize("amount", ["28", "70", "112", "56.5", "168"])
def test_a_dose_that_is_not_two_or_three_devices_is_refused(clinician_user, amount):
    patient = approved_patient()

    with pytest.raises(ValidationError) as refused:
        draft_plan(
            clinician_user,
            patient=patient,
            dose_amount=Decimal(amount),
            confirm_outside_usual=True,
            outside_usual_reason="I insist",
            **ESKETAMINE,
        )

    [message] = field_errors(refused)["dose_amount"]
    assert "whole 28 mg devices: 56 mg (two) or 84 mg (three)" in message
    assert f"not {Decimal(amount).normalize():f} mg" in message
    assert not TreatmentPlan.objects.filter(patient=patient).exists()


def test_after_the_first_session_the_plan_is_amended_to_84_mg(clinician_user):
    plan = active_plan(clinician_user, dose_amount=Decimal("56"), **ESKETAMINE)
    with pytest.raises(ValidationError, match="first intranasal esketamine session is 56 mg"):
        plan_amend(plan=plan, user=clinician_user, reason="Too early", dose_amount=Decimal("84"))

    given_esketamine(plan, by=clinician_user)
    version = plan_amend(
        plan=plan, user=clinician_user, reason="Little effect at 56 mg", dose_amount=Decimal("84")
    )

    assert (version.number, version.dose_mg) == (2, Decimal("84"))


def test_a_patient_given_esketamine_before_may_start_a_new_plan_at_84_mg(clinician_user):
    earlier = active_plan(clinician_user, dose_amount=Decimal("56"), **ESKETAMINE)
    given_esketamine(earlier, by=clinician_user)
    TreatmentPlan.objects.filter(pk=earlier.pk).update(status=TreatmentPlan.Status.COMPLETED)

    plan = draft_plan(
        clinician_user, patient=earlier.patient, dose_amount=Decimal("84"), **ESKETAMINE
    )

    assert version_1(plan).dose_mg == Decimal("84")


@pytest.mark.parametrize(("amount", "accepted"), [("70", False), ("84", True), ("112", False)])
def test_an_amendment_after_the_first_session_keeps_to_whole_devices(
    clinician_user, amount, accepted
):
    plan = active_plan(clinician_user, dose_amount=Decimal("56"), **ESKETAMINE)
    given_esketamine(plan, by=clinician_user)
    amend = {"plan": plan, "user": clinician_user, "reason": "x", "dose_amount": Decimal(amount)}

    if accepted:
        assert plan_amend(**amend).dose_mg == Decimal(amount)
    else:
        with pytest.raises(ValidationError, match="whole 28 mg devices"):
            plan_amend(**amend)
        assert plan.versions.count() == 1


def test_editing_a_draft_keeps_to_the_label_too(clinician_user):
    plan = draft_plan(clinician_user, dose_amount=Decimal("56"), **ESKETAMINE)

    with pytest.raises(ValidationError, match="first intranasal esketamine session is 56 mg"):
        plan_update_draft(plan=plan, user=clinician_user, dose_amount=Decimal("84"))

    assert version_1(plan).dose_mg == Decimal("56")


# --- The absolute cap in mg, by route ------------------------------------------------------------


@pytest.mark.parametrize(
    ("weight", "amount", "refused"),
    [
        ("150.0", "1.33", False),  # 199.5 mg
        ("125.0", "1.6", None),  # above the 1.5 mg/kg maximum: the guardrail's refusal
        ("150.0", "1.34", True),  # 201 mg
        ("140.0", "1.5", True),  # 210 mg: the mg/kg maximum, but above the 200 mg cap
    ],
)
def test_an_iv_dose_above_the_absolute_cap_is_refused_whatever_the_weight(
    clinician_user, weight, amount, refused
):
    patient = approved_patient(weight_kg=weight)
    confirmed = {"confirm_outside_usual": True, "outside_usual_reason": "Heavy patient"}

    if refused is False:
        plan = draft_plan(clinician_user, patient=patient, dose_amount=Decimal(amount), **confirmed)
        assert version_1(plan).dose_mg == Decimal("199.5")
        return
    with pytest.raises(ValidationError) as refusal:
        draft_plan(clinician_user, patient=patient, dose_amount=Decimal(amount), **confirmed)
    [message] = field_errors(refusal)["dose_amount"]
    if refused:
        assert "above the clinic's absolute maximum of 200 mg" in message
        assert "It cannot be prescribed." in message
    else:
        assert "above the maximum of 1.5 mg/kg" in message
    assert not TreatmentPlan.objects.filter(patient=patient).exists()


def test_the_cap_refuses_before_asking_to_confirm_an_outside_usual_dose(clinician_user):
    patient = approved_patient(weight_kg="160.0")

    with pytest.raises(ValidationError) as refused:
        draft_plan(clinician_user, patient=patient, dose_amount=Decimal("1.3"))  # 208 mg

    [message] = field_errors(refused)["dose_amount"]
    assert "absolute maximum of 200 mg" in message
    assert refused.value.error_dict["dose_amount"][0].code != "outside_usual"


def test_the_cap_is_a_setting(clinician_user, settings):
    settings.CLINIC_DOSE_ABSOLUTE_MAX_MG = {**settings.CLINIC_DOSE_ABSOLUTE_MAX_MG, "oral": 250}

    with pytest.raises(ValidationError, match="absolute maximum of 250 mg"):
        draft_plan(clinician_user, route="oral", dose_amount=Decimal("300"))

    assert version_1(
        draft_plan(clinician_user, route="oral", dose_amount=Decimal("250"))
    ).dose_mg == Decimal("250")


def test_an_amendment_that_recomputes_above_the_cap_is_refused(clinician_user):
    plan = active_plan(
        clinician_user,
        dose_amount=Decimal("1.2"),
        confirm_outside_usual=True,
        outside_usual_reason="Partial response at 1.0 mg/kg",
    )  # 96 mg at 80 kg
    patient = plan.patient
    patient.measurements.create(weight_kg=Decimal("175.0"), recorded_at=timezone.now())

    with pytest.raises(ValidationError, match="absolute maximum of 200 mg"):
        plan_amend(plan=plan, user=clinician_user, reason="New weight")

    assert plan.versions.count() == 1


# --- Off-label esketamine ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("indication", "words"),
    [
        ("gad", "generalized anxiety disorder"),
        ("social_anxiety", "social anxiety disorder"),
        ("ptsd", "PTSD"),
        ("other", "obsessive-compulsive disorder"),
    ],
)
def test_esketamine_for_anything_but_depression_needs_an_off_label_reason(
    clinician_user, indication, words
):
    patient = approved_patient()
    plan_fields = {
        "dose_amount": Decimal("56"),
        "indication": indication,
        "indication_other": "Obsessive-compulsive disorder" if indication == "other" else "",
        **ESKETAMINE,
    }

    with pytest.raises(ValidationError) as refused:
        draft_plan(clinician_user, patient=patient, **plan_fields)
    [message] = field_errors(refused)["off_label_reason"]
    assert "labelled for treatment-resistant depression" in message
    assert f"for {words} it is off-label" in message
    assert not TreatmentPlan.objects.filter(patient=patient).exists()

    plan = draft_plan(
        clinician_user, patient=patient, off_label_reason=f"  {OFF_LABEL_REASON} ", **plan_fields
    )
    assert version_1(plan).off_label_reason == OFF_LABEL_REASON


def test_esketamine_for_depression_is_on_label_and_keeps_no_reason(clinician_user):
    plan = draft_plan(
        clinician_user,
        dose_amount=Decimal("56"),
        indication="depression",
        off_label_reason="Not needed",
        **ESKETAMINE,
    )

    assert version_1(plan).off_label_reason == ""


def test_other_routes_for_anxiety_are_not_off_label_here(clinician_user):
    plan = draft_plan(clinician_user, indication="gad")  # IV ketamine

    assert version_1(plan).off_label_reason == ""


def test_the_off_label_reason_is_kept_by_an_amendment_that_changes_something_else(
    clinician_user,
):
    plan = active_plan(
        clinician_user,
        dose_amount=Decimal("56"),
        indication="gad",
        off_label_reason=OFF_LABEL_REASON,
        **ESKETAMINE,
    )

    version = plan_amend(plan=plan, user=clinician_user, reason="New goal", goals="Back at work")

    assert version.off_label_reason == OFF_LABEL_REASON


def test_amending_an_iv_plan_to_esketamine_for_anxiety_asks_for_the_reason(clinician_user):
    plan = active_plan(clinician_user, indication="gad")

    with pytest.raises(ValidationError) as refused:
        plan_amend(
            plan=plan, user=clinician_user, reason="Switch", dose_amount=Decimal("56"), **ESKETAMINE
        )

    assert set(field_errors(refused)) == {"off_label_reason"}


def test_the_plan_form_asks_for_the_off_label_reason_and_the_page_shows_it(
    clinician, clinician_user
):
    patient = approved_patient()
    url = reverse("treatments:plan_new", args=[patient.pk])
    typed = {
        "indication": "gad",
        "route": "esketamine_in",
        "dose_amount": "56",
        "phase": "induction",
        "sessions_planned": "8",
        "span_weeks": "4",
        "start_date": "2026-12-01",
        "prescriber": clinician_user.pk,
    }

    first = clinician.post(url, typed)

    page = first.content.decode()
    assert first.status_code == 400
    assert "Reason for prescribing esketamine off-label" in page
    assert "for generalized anxiety disorder it is off-label" in page
    assert not TreatmentPlan.objects.filter(patient=patient).exists()

    second = clinician.post(url, {**typed, "off_label_reason": OFF_LABEL_REASON})

    assert second.status_code == 302
    plan = TreatmentPlan.objects.get(patient=patient)
    detail = clinician.get(reverse("treatments:plan_detail", args=[plan.pk])).content.decode()
    assert "Off-label esketamine" in detail
    assert OFF_LABEL_REASON in detail


def test_the_plan_form_does_not_ask_for_a_reason_on_label(clinician, clinician_user):
    patient = approved_patient()

    page = clinician.get(reverse("treatments:plan_new", args=[patient.pk])).content.decode()

    assert "Reason for prescribing esketamine off-label" not in page


def test_the_front_desk_never_sees_the_off_label_reason(front_desk, clinician_user):
    plan = active_plan(
        clinician_user,
        dose_amount=Decimal("56"),
        indication="gad",
        off_label_reason=OFF_LABEL_REASON,
        **ESKETAMINE,
    )

    page = front_desk.get(reverse("treatments:plan_detail", args=[plan.pk])).content.decode()

    assert OFF_LABEL_REASON not in page
    assert "Off-label" not in page


# --- The admin cannot go around the rules --------------------------------------------------------


@pytest.mark.parametrize(
    "model", [TreatmentPlan, PlanVersion, Screening, AssessmentFinding], ids=lambda m: m.__name__
)
def test_the_admin_cannot_add_or_change_plans_or_screenings(client, clinician_user, model):
    # A superuser holds every permission: only the admin classes themselves can refuse.
    clinic_admin = sign_in(client, UserFactory(username="root", is_superuser=True, is_staff=True))
    plan = active_plan(clinician_user)
    screening = Screening.objects.get(patient=plan.patient, is_current=True)
    objects = {
        TreatmentPlan: plan,
        PlanVersion: version_1(plan),
        Screening: screening,
        AssessmentFinding: None,
    }
    name = f"admin:treatments_{model._meta.model_name}"

    assert clinic_admin.get(reverse(f"{name}_changelist")).status_code == 200
    assert clinic_admin.get(reverse(f"{name}_add")).status_code == 403
    assert clinic_admin.post(reverse(f"{name}_add"), {}).status_code == 403
    if objects[model] is not None:
        change = reverse(f"{name}_change", args=[objects[model].pk])
        response = clinic_admin.post(change, {"dose_amount": "84", "result": "eligible"})
        assert response.status_code == 403
    assert version_1(plan).dose_amount == Decimal("0.5")
