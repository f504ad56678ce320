"""Treatment plan pages: a patient's plans, writing a plan, editing a draft, one plan with its
versions and status actions, amendments, and the plan as it stood on a date.

Clinicians write plans and read everything. The front desk reads the schedule only (route,
phase, sessions, frequency, start date, proposed dates): its queries never load the dose,
the goals or the indication.
"""

from datetime import datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.audit import record_access
from clinic.roles import CLINICIAN, FRONT_DESK, has_role, role_required
from intake.access import patient_visible, visible_patients

from ..forms_plans import AmendForm, AsOfForm, PlanForm, StopForm
from ..models import PlanVersion, TreatmentPlan
from ..patient_panels import PLAN_STATUS_STYLES
from ..selectors import plans as selectors
from ..services import plans as services

STATUS_STYLES = PLAN_STATUS_STYLES


def _schedule(version: PlanVersion | None) -> dict | None:
    if version is None:
        return None
    return {
        "frequency": selectors.frequency_text(version),
        "dates": selectors.plan_proposed_dates(version),
    }


def _plan_or_404(request, pk: int) -> TreatmentPlan:
    plan = selectors.plan_for_page(pk=pk)
    if plan is None or not patient_visible(request, plan.patient_id):
        raise Http404
    return plan


# --- A patient's plans and a new plan ----------------------------------------------------------


@role_required(CLINICIAN, FRONT_DESK)
@require_GET
def plan_list(request, pk: int):
    patient = get_object_or_404(visible_patients(request), pk=pk)
    record_access(request, patient)
    plans = selectors.patient_plans(patient=patient)
    for plan in plans:
        plan.status_style = STATUS_STYLES[plan.status]
        plan.frequency = selectors.frequency_text(plan.current) if plan.current else ""
    return render(
        request,
        "treatments/plans/plan_list.html",
        {
            "patient": patient,
            "plans": plans,
            "can_write": has_role(request.user, [CLINICIAN]),
        },
    )


@role_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def plan_new(request, pk: int):
    patient = get_object_or_404(visible_patients(request), pk=pk)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                plan = services.plan_create(
                    patient=patient, created_by=request.user, **form.plan_kwargs()
                )
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Plan saved as a draft.")
                return redirect("treatments:plan_detail", pk=plan.pk)
        status = 400
    else:
        form = PlanForm(initial={"prescriber": request.user, "infusion_minutes": None})
        status = 200
    return render(
        request,
        "treatments/plans/plan_form.html",
        {"patient": patient, "form": form, "plan": None},
        status=status,
    )


# --- One plan ------------------------------------------------------------------------------------


def _as_of(request) -> tuple[AsOfForm, datetime | None]:
    """The ?as_of=YYYY-MM-DD date as the end of that day in the clinic's zone."""
    if "as_of" not in request.GET:
        return AsOfForm(), None
    form = AsOfForm(request.GET)
    if not form.is_valid():
        return form, None
    day = form.cleaned_data["as_of"]
    return form, timezone.make_aware(datetime.combine(day, time.max))


def _render_plan(
    request, plan: TreatmentPlan, *, stop_form: StopForm | None = None, status: int = 200
):
    record_access(request, plan)
    as_of_form, as_of = _as_of(request)
    clinician = has_role(request.user, [CLINICIAN])
    if clinician:
        versions = selectors.plan_versions(plan=plan)
        for version in versions:
            version.dose_text = selectors.dose_text(version)
    else:
        versions = selectors.plan_schedule_versions(plan=plan)
    current = versions[-1] if versions else None
    as_of_version = selectors.version_as_of(versions, as_of) if as_of else None
    context = {
        "plan": plan,
        "patient": plan.patient,
        "status_style": STATUS_STYLES[plan.status],
        "current": current,
        "schedule": _schedule(current),
        "versions": versions,
        "as_of_form": as_of_form,
        "as_of": as_of,
        "as_of_version": as_of_version,
        "as_of_schedule": _schedule(as_of_version),
        "show_dose": clinician,
    }
    if not clinician:
        return render(request, "treatments/plans/plan_schedule.html", context, status=status)
    weight_at = None
    if current is not None and current.weight_kg_used is not None:
        weight_at = selectors.weight_measured_at(version=current)
    return render(
        request,
        "treatments/plans/plan_detail.html",
        {
            **context,
            "weight_measured_at": weight_at,
            "stop_form": stop_form or StopForm(),
            "Status": TreatmentPlan.Status,
        },
        status=status,
    )


@role_required(CLINICIAN, FRONT_DESK)
@require_GET
def plan_detail(request, pk: int):
    return _render_plan(request, _plan_or_404(request, pk))


def _status_action(request, pk: int, action, done: str):
    plan = _plan_or_404(request, pk)
    try:
        action(plan=plan, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("treatments:plan_detail", pk=plan.pk)


@role_required(CLINICIAN)
@require_POST
def plan_activate(request, pk: int):
    return _status_action(request, pk, services.plan_activate, "The plan is active.")


@role_required(CLINICIAN)
@require_POST
def plan_complete(request, pk: int):
    return _status_action(request, pk, services.plan_complete, "The plan is completed.")


@role_required(CLINICIAN)
@require_POST
def plan_stop(request, pk: int):
    plan = _plan_or_404(request, pk)
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            services.plan_stop(plan=plan, user=request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.error(request, " ".join(error.messages))
                return redirect("treatments:plan_detail", pk=plan.pk)
            for field, field_errors in error.error_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, "The plan is stopped.")
            return redirect("treatments:plan_detail", pk=plan.pk)
    return _render_plan(request, plan, stop_form=form, status=400)


def _version_initial(version: PlanVersion) -> dict:
    """A plan form's initial values: the version's content and its outside-usual reason."""
    initial = {name: getattr(version, name) for name in services.CONTENT_FIELDS}
    if version.dose_outside_usual_reason:
        initial |= {
            "confirm_outside_usual": True,
            "outside_usual_reason": version.dose_outside_usual_reason,
        }
    return initial


@role_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk: int):
    """Edit a draft plan: version 1 is rewritten (an active plan is amended instead)."""
    plan = _plan_or_404(request, pk)
    if plan.status != TreatmentPlan.Status.DRAFT:
        messages.error(request, "Only a draft plan can be edited; an active plan is amended.")
        return redirect("treatments:plan_detail", pk=plan.pk)
    if request.method == "POST":
        form = PlanForm(request.POST)
        if form.is_valid():
            try:
                services.plan_update_draft(plan=plan, user=request.user, **form.plan_kwargs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, "Draft plan saved.")
                return redirect("treatments:plan_detail", pk=plan.pk)
        status = 400
    else:
        version = plan.versions.select_related("prescriber").get(number=1)
        form = PlanForm(initial=_version_initial(version))
        status = 200
    return render(
        request,
        "treatments/plans/plan_form.html",
        {"patient": plan.patient, "form": form, "plan": plan, "editing_draft": True},
        status=status,
    )


@role_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def plan_amend(request, pk: int):
    plan = _plan_or_404(request, pk)
    if plan.status != TreatmentPlan.Status.ACTIVE:
        messages.error(request, "Only an active plan is amended.")
        return redirect("treatments:plan_detail", pk=plan.pk)
    if request.method == "POST":
        form = AmendForm(request.POST)
        if form.is_valid():
            try:
                version = services.plan_amend(plan=plan, user=request.user, **form.plan_kwargs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Plan amended: version {version.number}.")
                return redirect("treatments:plan_detail", pk=plan.pk)
        status = 400
    else:
        current = plan.versions.select_related("prescriber").order_by("-number").first()
        form = AmendForm(initial=_version_initial(current))
        status = 200
    return render(
        request,
        "treatments/plans/plan_form.html",
        {"patient": plan.patient, "form": form, "plan": plan},
        status=status,
    )
