"""This app's card on the patient summary page (registered in ``TreatmentsConfig.ready``).

The front desk sees the screening's status only, never the result or its reasons; clinicians
see the result too, with a link to the screening.
"""

from django.http import HttpRequest
from django.urls import reverse
from django.utils import dateformat, timezone

from clinic.roles import CLINICIAN, FRONT_DESK, has_role
from intake.models import Patient
from intake.patient_panels import register as register_patient_panel

from .models import Screening
from .screening_rules import RESULT_LABELS, Result
from .selectors import screening as selectors

STATUS_STYLES = {
    Screening.Status.PENDING: "text-bg-secondary",
    Screening.Status.APPROVED: "text-bg-success",
    Screening.Status.DECLINED: "text-bg-dark",
    Screening.Status.MORE_INFO: "text-bg-info",
}
# What the front desk does next, by status: nothing clinical.
FRONT_DESK_NEXT = {
    Screening.Status.PENDING.label: "A clinician will review the patient's forms.",
    Screening.Status.APPROVED.label: "The patient can be booked for treatment.",
    Screening.Status.DECLINED.label: "If the patient calls, put them through to a clinician.",
    Screening.Status.MORE_INFO.label: "See the task list for anything the front desk needs to do.",
}
NOT_SCREENED = "Not screened yet: the screening is made when the patient submits their intake."


def _when(moment) -> str:
    return dateformat.format(timezone.localtime(moment), "m/d/Y H:i")


def _badge(status: str) -> dict:
    status = Screening.Status(status)
    return {"label": status.label, "style": STATUS_STYLES[status]}


def screening_panel(request: HttpRequest, patient: Patient) -> dict | None:
    if has_role(request.user, [CLINICIAN]):
        screening = selectors.patient_current_screening(patient=patient)
        if screening is None:
            return {"title": "Screening", "text": NOT_SCREENED}
        return {
            "title": "Screening",
            "badge": _badge(screening.status),
            "rows": [
                {"label": "Result", "value": RESULT_LABELS[Result(screening.result)]},
                {"label": "Screened", "value": _when(screening.created_at)},
            ],
            "link": {
                "label": "Open the screening",
                "url": reverse("treatments:screening_detail", args=[screening.pk]),
            },
        }
    if has_role(request.user, [FRONT_DESK]):
        # The status label only: the query does not even read the result or the reasons.
        status = selectors.current_screening_status(patient=patient)
        if status is None:
            return {"title": "Screening", "text": NOT_SCREENED}
        style = STATUS_STYLES[next(s for s in Screening.Status if s.label == status)]
        panel = {
            "title": "Screening",
            "badge": {"label": status, "style": style},
            "text": FRONT_DESK_NEXT[status],
        }
        if status == Screening.Status.MORE_INFO.label:
            panel["link"] = {"label": "Open the task list", "url": reverse("treatments:task_list")}
        return panel
    return None


def register() -> None:
    register_patient_panel("treatments-screening", screening_panel, order=10)
