"""This app's card on the clinician's page of one intake (registered in
``TreatmentsConfig.ready``): the screening made from it, with a link to it."""

from django.http import HttpRequest
from django.urls import reverse

from clinic.dates import day_time
from clinic.roles import CLINICIAN, has_role
from intake.models import Intake
from intake.patient_panels import register_intake_panel

from .models import Screening
from .patient_panels import STATUS_STYLES
from .screening_rules import RESULT_LABELS, Result
from .selectors import screening as selectors


def intake_screening_panel(request: HttpRequest, intake: Intake) -> dict | None:
    """Clinicians only (the intake page is theirs); one query."""
    if not has_role(request.user, [CLINICIAN]) or not intake.is_submitted:
        return None
    screening = selectors.intake_latest_screening(intake_id=intake.pk)
    if screening is None:
        return {"title": "Screening", "text": "Not screened yet."}
    status = Screening.Status(screening.status)
    rows = [
        {"label": "Rules suggested", "value": RESULT_LABELS[Result(screening.result)]},
        {"label": "Screened", "value": day_time(screening.created_at)},
    ]
    return {
        "title": "Screening",
        "badge": {"label": status.label, "style": STATUS_STYLES[status]},
        "rows": rows,
        "text": "" if screening.is_current else "A newer screening of the patient exists.",
        "link": {
            "label": "Open the screening",
            "url": reverse("treatments:screening_detail", args=[screening.pk]),
        },
    }


def register() -> None:
    register_intake_panel("treatments-screening", intake_screening_panel, order=10)
