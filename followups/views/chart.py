"""The patient chart for clinicians: GAD-7 and PHQ-9 over time (inline SVG with a table
alternative) and a timeline of everything that happened to the patient.

Opening it is a view of the patient's record: an ACCESS audit entry is written, as the patient
page does.
"""

from django.conf import settings
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.audit import record_access
from clinic.roles import CLINICIAN, role_required
from intake.access import patient_scope
from intake.selectors import patient_heading

from ..chart import page, timeline


@role_required(CLINICIAN)
@require_GET
def patient_chart(request, pk: int):
    # One query: when treatment started comes from the sessions the chart reads anyway.
    patient = patient_heading(pk=pk, location_ids=patient_scope(request))
    if patient is None:
        raise Http404
    record_access(request, patient)
    chart = page.patient_chart(patient=patient, full_timeline=request.GET.get("timeline") == "all")
    return render(
        request,
        "followups/chart/patient_chart.html",
        {
            "patient": patient,
            "chart": chart,
            "courses": page.course_drawings(chart),
            "limit": timeline.SOURCE_LIMIT,
            "baseline_min": settings.CLINIC_OUTCOME_BASELINE_MIN,
            "timeline_limit": timeline.TIMELINE_LIMIT,
        },
    )
