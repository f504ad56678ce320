"""This app's card on the patient summary page (registered in ``FollowupsConfig.ready``).

Clinicians see the latest check-in surveys with their scores; the front desk sees whether they
were answered, never the scores. Both get the link to the communication log. One query.
"""

from django.http import HttpRequest
from django.urls import reverse

from clinic.dates import day
from clinic.roles import CLINICIAN, FRONT_DESK, has_role
from intake.models import Patient
from intake.patient_panels import register as register_patient_panel

from . import selectors
from .models import Survey
from .selectors.worklists import score_texts


def _survey_value(survey: Survey, *, clinician: bool) -> str:
    when = survey.completed_at or survey.due_at
    value = f"{survey.get_status_display()} {day(when)}"
    if not clinician or survey.status != Survey.Status.COMPLETED:
        return value
    scores = score_texts(
        survey.gad7_total,
        survey.gad7_band,
        survey.phq9_total,
        survey.phq9_band,
        survey.checkin_anxiety_total,
    )
    if survey.escalated and survey.reviewed_at is None:
        scores.append("escalated, not reviewed yet")
    return "; ".join([value, *scores])


def followups_panel(request: HttpRequest, patient: Patient) -> dict | None:
    clinician = has_role(request.user, [CLINICIAN])
    if not clinician and not has_role(request.user, [FRONT_DESK]):
        return None
    surveys = selectors.panel_surveys(patient=patient, scores=clinician)
    panel = {
        "title": "Follow-ups",
        "link": {
            "label": "Open the communication log",
            "url": reverse("followups:communication_log", args=[patient.pk]),
        },
    }
    if not surveys:
        panel["text"] = "No check-in surveys yet."
        return panel
    panel["rows"] = [
        {
            "label": f"Survey {survey.offset_label} after",
            "value": _survey_value(survey, clinician=clinician),
        }
        for survey in surveys
    ]
    if clinician and any(s.escalated and s.reviewed_at is None for s in surveys):
        panel["badge"] = {"label": "Escalated survey to review", "style": "text-bg-danger"}
    return panel


def register() -> None:
    register_patient_panel("followups-surveys", followups_panel, order=30)
