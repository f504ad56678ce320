import copy

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from clinic.audit import record_access
from clinic.locations import working_location
from clinic.roles import CLINICIAN, FRONT_DESK, role_required

from .. import patient_panels, selectors
from ..access import patient_scope, visible_patients
from ..forms import MeasurementForm, PatientForm, PatientRegistrationForm, PatientSearchForm
from ..models import Patient
from ..services import patients as services
from . import staff_intake

RECENT_PATIENTS = 20


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["GET", "POST"])
def patient_list(request):
    """Search (POSTed, so names and dates of birth stay out of URLs and access logs)."""
    form = PatientSearchForm(request.POST or None)
    searched = False
    if request.method == "POST" and form.is_valid() and form.cleaned_data["q"].strip():
        searched = True
        rows = selectors.patient_rows(
            selectors.patient_search_page(
                query=form.cleaned_data["q"],
                limit=selectors.SEARCH_RESULT_LIMIT + 1,
                location_ids=patient_scope(request),
            )
        )
    else:
        recent = selectors.recent_patients(
            limit=RECENT_PATIENTS, location_ids=patient_scope(request)
        )
        rows = selectors.patient_rows(selectors.row_values(recent))
    truncated = searched and len(rows) > selectors.SEARCH_RESULT_LIMIT
    return render(
        request,
        "intake/patient_list.html",
        {
            "form": form,
            "patients": rows[: selectors.SEARCH_RESULT_LIMIT],
            "searched": searched,
            "truncated": truncated,
            "limit": selectors.SEARCH_RESULT_LIMIT,
        },
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["GET", "POST"])
def patient_register(request):
    form = PatientRegistrationForm(request.POST or None)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        details = {name: form.cleaned_data[name] for name in PatientForm.Meta.fields}
        try:
            patient = services.patient_register(
                created_by=request.user,
                details=details,
                home_location=working_location(request),
                allow_duplicate=form.cleaned_data["confirm_new_patient"],
                **form.measurement_kwargs(),
            )
        except services.PossibleDuplicate as found:
            duplicates = found.candidates
        else:
            messages.success(request, f"Registered {patient.full_name}, MRN {patient.mrn}.")
            return redirect("intake:patient_detail", pk=patient.pk)
    return render(request, "intake/patient_register.html", {"form": form, "duplicates": duplicates})


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["GET"])
def patient_detail(request, pk: int):
    return _patient_page(request, _patient_or_404(request, pk), MeasurementForm())


def _patient_or_404(request, pk: int) -> Patient:
    patient = selectors.patient_record(pk=pk, location_ids=patient_scope(request))
    if patient is None:
        raise Http404
    return patient


def _patient_page(request, patient: Patient, measurement_form, *, status: int = 200):
    """The patient summary (a view of the record: audited), with the measurement form as
    given: empty, or as typed with its errors."""
    record_access(request, patient)
    return render(
        request,
        "intake/patient_detail.html",
        {
            "patient": patient,
            "age": services.age_on(patient.date_of_birth, timezone.localdate()),
            "latest": selectors.patient_latest_measurements(patient=patient),
            "measurement_form": measurement_form,
            **staff_intake.intake_card_context(request, patient),
            "patient_panels": patient_panels.panels_for(request, patient),
        },
        status=status,
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["GET", "POST"])
def patient_edit(request, pk: int):
    patient = get_object_or_404(visible_patients(request), pk=pk)
    # The form fills in a copy: the page keeps showing the stored record until it is saved,
    # and the service compares the typed values against what is stored.
    form = PatientForm(request.POST or None, instance=copy.copy(patient))
    if request.method == "POST" and form.is_valid():
        services.patient_update(
            patient=patient,
            details={name: form.cleaned_data[name] for name in PatientForm.Meta.fields},
        )
        messages.success(request, "Patient details saved.")
        return redirect("intake:patient_detail", pk=pk)
    # The form shows the stored record (a save is audited as the change itself).
    record_access(request, patient)
    return render(request, "intake/patient_edit.html", {"form": form, "patient": patient})


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["POST"])
def measurement_add(request, pk: int):
    patient = _patient_or_404(request, pk)
    form = MeasurementForm(request.POST)
    if form.is_valid():
        services.patient_record_measurement(
            patient=patient, recorded_by=request.user, **form.measurement_kwargs()
        )
        messages.success(request, "Measurement recorded.")
        return redirect("intake:patient_detail", pk=pk)
    return _patient_page(request, patient, form, status=400)
