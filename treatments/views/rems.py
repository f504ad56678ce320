"""The esketamine REMS pages: the patient's enrollment, a session's Patient Monitoring Form
(its data, its due date and whether it was submitted) and the forms still to submit.

Clinicians only: every page names a patient and is audited like the patient's page.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinic.audit import record_access, record_accesses
from clinic.locations import current_location
from clinic.roles import CLINICIAN, role_required
from clinic.show_more import ShownRows, shown_sizes
from intake.access import patient_visible, visible_patients

from .. import ledger_rules, limits
from .. import session_rules as rules
from ..dosing import Route
from ..forms_rems import RemsEnrollmentForm, RemsFormSubmitForm
from ..models import SessionEvent, TreatmentSession, VitalsReading
from ..selectors import rems as selectors
from ..selectors import sessions as session_selectors
from ..services import rems as services
from ..services import sessions as session_services
from . import post_or_back

FORMS_DUE_SECTIONS = ("due",)


def days_left_text(days_left: int) -> str:
    """ "3 days left", "due today", "2 days overdue"."""
    if days_left == 0:
        return "due today"
    if days_left < 0:
        return f"{-days_left} day{'s' if days_left < -1 else ''} overdue"
    return f"{days_left} day{'s' if days_left > 1 else ''} left"


# --- The patient's enrollment --------------------------------------------------------------------


@role_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def rems_enroll(request, pk: int):
    """Record the patient's REMS enrollment (once); opened again, the page shows it."""
    patient = get_object_or_404(visible_patients(request), pk=pk)
    record_access(request, patient)
    enrollment = selectors.patient_rems_enrollment(patient_id=patient.pk)
    status = 200
    if enrollment is not None:
        form = None
    elif request.method == "POST":
        form = RemsEnrollmentForm(request.POST)
        if form.is_valid():
            try:
                services.rems_enrollment_record(
                    patient=patient, recorded_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "REMS enrollment recorded.")
                return redirect("intake:patient_detail", pk=patient.pk)
        status = 400
    else:
        form = RemsEnrollmentForm(initial={"prescriber": request.user})
    return render(
        request,
        "treatments/rems/enroll.html",
        {"patient": patient, "enrollment": enrollment, "form": form},
        status=status,
    )


# --- A session's Patient Monitoring Form ---------------------------------------------------------


def _esketamine_session_or_404(request, pk: int) -> TreatmentSession:
    session = session_selectors.session_for_page(pk=pk)
    if session is None or not patient_visible(request, session.patient_id):
        raise Http404
    if (session.route_given or session.plan_version.route) != Route.ESKETAMINE_NASAL:
        raise Http404("The REMS form is for intranasal esketamine sessions.")
    return session


def _form_data(session: TreatmentSession) -> dict:
    """The monitoring form's fields, assembled from the session log."""
    vitals = list(session.vitals.all())
    baseline = next((v for v in vitals if v.kind == VitalsReading.Kind.BASELINE), None)
    monitoring = [v for v in vitals if v.kind != VitalsReading.Kind.BASELINE]
    after = session_services.readings_after_administration(session, vitals)
    if session.discharged_at:
        after = [v for v in after if v.taken_at <= session.discharged_at]
    last = after[-1] if after else None
    before_discharge_bp = next((v for v in reversed(after) if v.systolic is not None), None)
    events = list(session.events.all())
    monitoring_minutes = None
    if session.administration_started_at and session.discharged_at:
        elapsed = session.discharged_at - session.administration_started_at
        monitoring_minutes = int(elapsed / timedelta(minutes=1))
    check_minutes = settings.CLINIC_ESKETAMINE_BP_CHECK_MINUTES
    at_check = None
    if session.administration_started_at:
        at_check = rules.bp_check_reading(
            session.administration_started_at, monitoring, check_minutes=check_minutes
        )
    bp = limits.blood_pressure()
    acceptable_before = None
    if baseline is not None:
        acceptable_before = rules.dosing_bp_acceptable(
            baseline.systolic,
            baseline.diastolic,
            gate_systolic=bp.gate_systolic,
            gate_diastolic=bp.gate_diastolic,
            decision=session.bp_gate_decision,
        )
    acceptable_after = None
    if last is not None:
        acceptable_after = not rules.range_flags(last) or bool(
            session.discharge_vitals_accepted_note
        )
    sedation = [v.sedation_moaa_s for v in monitoring if v.sedation_moaa_s is not None]
    dissociation = [v.dissociation for v in monitoring if v.dissociation is not None]
    deepest = min(sedation) if sedation else None
    return {
        "session": session,
        "patient": session.patient,
        "medications": session_selectors.rems_concomitant_medications(
            patient_id=session.patient_id
        ),
        "monitoring_minutes": monitoring_minutes,
        "baseline": baseline,
        "bp_gate": bp.gate_text,
        "bp_gated": baseline is not None
        and rules.bp_above_gate(
            baseline.systolic,
            baseline.diastolic,
            gate_systolic=bp.gate_systolic,
            gate_diastolic=bp.gate_diastolic,
        ),
        "bp_check_minutes": check_minutes,
        "bp_at_check": at_check,
        "bp_before_discharge": before_discharge_bp,
        "last_reading": last,
        "last_reading_flags": rules.range_flags(last) if last else [],
        "acceptable_before": acceptable_before,
        "acceptable_after": acceptable_after,
        "deepest_sedation": deepest,
        "deepest_sedation_depth": rules.sedation_depth(deepest) if deepest is not None else "",
        "highest_dissociation": max(dissociation) if dissociation else None,
        "adverse_events": [e for e in events if e.kind == SessionEvent.Kind.ADVERSE_EVENT],
        "side_effects": [e for e in events if e.kind == SessionEvent.Kind.SIDE_EFFECT],
    }


def _form_status(session: TreatmentSession, submit_form: RemsFormSubmitForm | None) -> dict:
    """The form's status: the setting number, the due date (once the dose is given), submitted
    or to submit, and the "Mark as submitted" form for a completed session."""
    submission = selectors.session_form_submission(session_id=session.pk)
    lots = selectors.session_lots(session_id=session.pk)
    status = {
        "rems_setting_number": selectors.rems_setting_number(
            location=selectors.session_rems_location(session)
        ),
        "submission": submission,
        "lots": lots or ([session.lot_number] if session.lot_number else []),
        "due": None,
        "submit_form": None,
    }
    if session.administration_started_at is not None:
        due = selectors.form_due(session)
        today = timezone.localdate()
        status.update(
            due=due,
            days_left_text=days_left_text((due - today).days),
            urgent=submission is None and ledger_rules.rems_form_urgent(due, today),
        )
    if submission is None and services.form_submit_refusal(session) is None:
        status["submit_form"] = submit_form or RemsFormSubmitForm(
            initial={"submitted_on": timezone.localdate()}
        )
    return status


def monitoring_form_page(
    request,
    session: TreatmentSession,
    *,
    submit_form: RemsFormSubmitForm | None = None,
    status: int = 200,
):
    """The session's REMS page (``session_rems``, and a refused "Mark as submitted")."""
    return render(
        request,
        "treatments/sessions/rems.html",
        {**_form_data(session), **_form_status(session, submit_form)},
        status=status,
    )


@role_required(CLINICIAN)
@post_or_back("treatments:session_rems")
def rems_form_submit(request, pk: int):
    """Mark the session's monitoring form as submitted to the REMS."""
    session = _esketamine_session_or_404(request, pk)
    record_access(request, session)
    form = RemsFormSubmitForm(request.POST)
    if form.is_valid():
        try:
            services.rems_form_submit(
                session=session, submitted_on=form.cleaned_data["submitted_on"], by=request.user
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_service_errors(error)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("treatments:session_rems", pk=session.pk)
        else:
            messages.success(request, "Monitoring form marked as submitted.")
            return redirect("treatments:session_rems", pk=session.pk)
    return monitoring_form_page(request, session, submit_form=form, status=400)


# --- The forms still to submit -------------------------------------------------------------------


@role_required(CLINICIAN)
@require_GET
def rems_forms_due(request):
    """Completed esketamine sessions whose monitoring form is not submitted, oldest due first,
    20 at a time (``?due=40`` shows 40)."""
    sizes = shown_sizes(request.GET, FORMS_DUE_SECTIONS)
    due = ShownRows.asked("due", ("form", "forms"), sizes)
    location = current_location(request)
    location_id = location.pk if location is not None else None
    due.fill(
        selectors.forms_to_submit_rows(limit=due.size + 1, location_id=location_id),
        selectors.forms_to_submit_count(location_id=location_id),
    )
    due.link(reverse("treatments:rems_forms_due"), sizes)
    today = timezone.localdate()
    for session in due.rows:
        session.days_left_text = days_left_text((session.due - today).days)
        session.urgent = ledger_rules.rems_form_urgent(session.due, today)
    record_accesses(request, due.rows)
    return render(
        request,
        "treatments/rems/forms_due.html",
        {"due": due, "rems_setting_number": selectors.rems_setting_number(location=location)},
    )
