"""This app's card on the patient summary page (registered in ``TreatmentsConfig.ready``).

The front desk sees the screening's status only, never the result or its reasons; clinicians
see the result too, with a link to the screening.
"""

from django.http import HttpRequest
from django.urls import reverse

from clinic.dates import day, day_time
from clinic.roles import CLINICIAN, FRONT_DESK, has_role
from intake.models import Patient
from intake.patient_panels import register as register_patient_panel

from .models import Screening, TreatmentPlan
from .screening_rules import RESULT_LABELS, Result
from .selectors import plans as plan_selectors
from .selectors import rems as rems_selectors
from .selectors import screening as selectors
from .services.booking_tasks import TITLE

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
PLAN_STATUS_STYLES = {
    TreatmentPlan.Status.DRAFT: "text-bg-secondary",
    TreatmentPlan.Status.ACTIVE: "text-bg-success",
    TreatmentPlan.Status.COMPLETED: "text-bg-primary",
    TreatmentPlan.Status.STOPPED: "text-bg-dark",
}
NOT_SCREENED = "Not screened yet: the screening is made when the patient submits their intake."


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
                {"label": "Screened", "value": day_time(screening.created_at)},
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
        if status == Screening.Status.APPROVED.label:
            panel.update(_booking_next(patient))
        return panel
    return None


def _booking_next(patient: Patient) -> dict:
    """What the front desk does for an approved patient: wait for the clinician's plan, then
    book its sessions (while the booking task is open). One query."""
    plan = plan_selectors.patient_active_plan_booking(patient=patient)
    if plan is None:
        return {"text": "Approved: waiting for the clinician's plan."}
    if not plan["booking_open"]:
        return {"text": "The treatment plan's sessions are booked."}
    return {
        "text": "The treatment plan is active: book its sessions.",
        "link": {
            "label": TITLE,
            "url": reverse("treatments:plan_book", args=[plan["pk"]]),
        },
    }


def plan_panel(request: HttpRequest, patient: Patient) -> dict | None:
    """The active plan (else the newest): the schedule for the front desk, the dose too for
    clinicians. One query."""
    clinician = has_role(request.user, [CLINICIAN])
    if not clinician and not has_role(request.user, [FRONT_DESK]):
        return None
    version = plan_selectors.patient_plan_for_panel(patient=patient, schedule_only=not clinician)
    link = {"label": "Open the plans", "url": reverse("treatments:plan_list", args=[patient.pk])}
    if version is None:
        panel = {"title": "Treatment plan", "text": "No treatment plan yet."}
        if clinician:
            panel["link"] = {
                "label": "Write a plan",
                "url": reverse("treatments:plan_new", args=[patient.pk]),
            }
        return panel
    plan = version.plan
    rows = [{"label": "Route", "value": version.get_route_display()}]
    if clinician:
        rows.append({"label": "Dose", "value": plan_selectors.dose_text(version)})
    rows += [
        {"label": "Phase", "value": version.get_phase_display()},
        {"label": "Sessions", "value": plan_selectors.frequency_text(version)},
        {"label": "Start date", "value": day(version.start_date)},
    ]
    return {
        "title": "Treatment plan",
        "badge": {"label": plan.get_status_display(), "style": PLAN_STATUS_STYLES[plan.status]},
        "rows": rows,
        "link": link,
    }


REMS_NOT_ENROLLED = (
    "Not enrolled: an esketamine session cannot be dosed until the enrollment is recorded."
)


def rems_panel(request: HttpRequest, patient: Patient) -> dict | None:
    """Clinicians: the patient's esketamine REMS enrollment, for a patient with an esketamine
    plan or already enrolled. One query."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    card = rems_selectors.patient_rems_card(patient_id=patient.pk)
    if card.enrolled_on is None and not card.esketamine_planned:
        return None
    link = {"url": reverse("treatments:rems_enroll", args=[patient.pk])}
    if card.enrolled_on is None:
        return {
            "title": "Esketamine REMS",
            "badge": {"label": "Not enrolled", "style": "text-bg-warning"},
            "text": REMS_NOT_ENROLLED,
            "link": {**link, "label": "Record the REMS enrollment"},
        }
    return {
        "title": "Esketamine REMS",
        "badge": {"label": "Enrolled", "style": "text-bg-success"},
        "rows": [
            {"label": "Enrolled on", "value": day(card.enrolled_on)},
            {"label": "Prescriber", "value": card.prescriber_name},
        ],
        "link": {**link, "label": "Open the enrollment"},
    }


def register() -> None:
    register_patient_panel("treatments-screening", screening_panel, order=10)
    register_patient_panel("treatments-plan", plan_panel, order=20)
    register_patient_panel("treatments-rems", rems_panel, order=25)
