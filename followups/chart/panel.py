"""The "Scores over time" card on the patient page: the latest GAD-7 and PHQ-9 and the link to
the patient chart. Clinicians only (the chart is theirs); one query.

``register()`` is called from ``FollowupsConfig.ready``.
"""

from django.http import HttpRequest
from django.urls import reverse

from clinic.dates import day
from clinic.roles import CLINICIAN, has_role
from intake.models import Patient
from intake.patient_panels import register as register_patient_panel

from . import scores


def chart_panel(request: HttpRequest, patient: Patient) -> dict | None:
    if not has_role(request.user, [CLINICIAN]):
        return None
    latest = scores.latest_scores(patient=patient)
    panel = {
        "title": "Scores over time",
        "link": {
            "label": "Open the chart",
            "url": reverse("followups:patient_chart", args=[patient.pk]),
        },
    }
    rows = [
        {
            "label": f"Latest {instrument.label}",
            "value": f"{assessment.total} ({assessment.band}), {day(assessment.taken_at)}",
        }
        for instrument in scores.VALIDATED_INSTRUMENTS
        if (assessment := latest.get(instrument.code)) is not None
    ]
    if rows:
        panel["rows"] = rows
    else:
        panel["text"] = "No GAD-7 or PHQ-9 recorded yet."
    return panel


def register() -> None:
    register_patient_panel("followups-chart", chart_panel, order=35)
