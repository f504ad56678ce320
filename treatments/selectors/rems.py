"""Reads of the esketamine REMS: whether a patient is enrolled, their enrollment, a session's
Patient Monitoring Form status, the forms still to submit."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from clinic.locations import chain_enabled
from clinic.models import Location
from intake.models import Patient

from .. import ledger_rules
from ..dosing import Route
from ..models import LedgerEntry, PlanVersion, RemsEnrollment, RemsFormSubmission, TreatmentSession

Status = TreatmentSession.Status


def patient_rems_enrolled(patient_id: int) -> bool:
    """Whether the patient's REMS enrollment is recorded (the gate before an esketamine dose)."""
    return RemsEnrollment.objects.filter(patient_id=patient_id).exists()


def patient_rems_enrollment(*, patient_id: int) -> RemsEnrollment | None:
    return RemsEnrollment.objects.select_related("prescriber").filter(patient_id=patient_id).first()


@dataclass(frozen=True)
class PatientRems:
    """What the patient page's REMS card shows."""

    esketamine_planned: bool
    enrolled_on: date | None
    prescriber_name: str


def patient_rems_card(*, patient_id: int) -> PatientRems:
    """The patient's enrollment (if any) and whether any plan of theirs is for esketamine, in
    one query (the patient page costs one query per card)."""
    row = (
        Patient.objects.filter(pk=patient_id)
        .annotate(
            esketamine_planned=Exists(
                PlanVersion.objects.filter(
                    plan__patient=OuterRef("pk"), route=Route.ESKETAMINE_NASAL
                )
            ),
            enrolled_on=F("rems_enrollment__enrolled_on"),
            prescriber_first=F("rems_enrollment__prescriber__first_name"),
            prescriber_last=F("rems_enrollment__prescriber__last_name"),
            prescriber_username=F("rems_enrollment__prescriber__username"),
        )
        .values(
            "esketamine_planned",
            "enrolled_on",
            "prescriber_first",
            "prescriber_last",
            "prescriber_username",
        )
        .first()
    ) or {}
    name = f"{row.get('prescriber_first') or ''} {row.get('prescriber_last') or ''}".strip()
    return PatientRems(
        esketamine_planned=bool(row.get("esketamine_planned")),
        enrolled_on=row.get("enrolled_on"),
        prescriber_name=name or row.get("prescriber_username") or "",
    )


# --- A session's Patient Monitoring Form --------------------------------------------------------


def form_day(session: TreatmentSession) -> date:
    """The session's day in the clinic's zone: the day of the dose (of the booking, before it)."""
    return timezone.localdate(session.administration_started_at or session.starts_at)


def form_due(session: TreatmentSession) -> date:
    return ledger_rules.rems_form_due(form_day(session))


def session_form_submission(*, session_id: int) -> RemsFormSubmission | None:
    return (
        RemsFormSubmission.objects.select_related("submitted_by")
        .filter(session_id=session_id)
        .first()
    )


def session_lots(*, session_id: int) -> list[str]:
    """The lots of the containers the session's dose was given from (entries not reversed), in
    the order they were drawn: the REMS form's lot number."""
    lots = (
        LedgerEntry.objects.filter(
            session_id=session_id,
            kind=LedgerEntry.Kind.ADMINISTERED,
            reversed_by__isnull=True,
        )
        .order_by("sequence")
        .values_list("container__lot", flat=True)
    )
    return list(dict.fromkeys(lots))


# --- The forms still to submit ------------------------------------------------------------------


def forms_to_submit(*, location_id: int | None = None) -> QuerySet[TreatmentSession]:
    """Completed (discharged) esketamine sessions whose form is not submitted, oldest due first
    (in a chain, those at the location's chairs: its setting number submits them).

    Read through the partial index on completed esketamine sessions in the order their forms
    fall due (``session_rems_forms``): the anti-join with the submissions (unique on the
    session) is then over those sessions only, not over every session of the clinic."""
    sessions = TreatmentSession.objects.filter(
        route_given=Route.ESKETAMINE_NASAL, status=Status.COMPLETED
    )
    if location_id is not None:
        sessions = sessions.filter(chair__location_id=location_id)
    return sessions.exclude(
        Exists(RemsFormSubmission.objects.filter(session=OuterRef("pk")))
    ).order_by("administration_started_at", "id")


def forms_to_submit_count(*, location_id: int | None = None) -> int:
    return forms_to_submit(location_id=location_id).count()


def forms_to_submit_rows(*, limit: int, location_id: int | None = None) -> list[TreatmentSession]:
    """The first ``limit`` forms to submit with their patients, each with ``due``."""
    sessions = list(forms_to_submit(location_id=location_id).select_related("patient")[:limit])
    for session in sessions:
        session.due = form_due(session)
    return sessions


def forms_to_submit_first(
    *, limit: int, location_id: int | None = None
) -> tuple[int, list[TreatmentSession]]:
    """How many forms are to submit and the first ``limit`` with their patients (each with
    ``due``): two queries, both on the partial index ``session_rems_forms``. The first rows are
    read in the index's order and the scan stops at the ``limit``-th; the count reads the
    sessions from the index alone (an index-only scan, anti-joined with the submissions). A
    window total over the first rows made PostgreSQL fetch every completed esketamine
    session, with its patient, to return five."""
    return (
        forms_to_submit_count(location_id=location_id),
        forms_to_submit_rows(limit=limit, location_id=location_id),
    )


def rems_setting_number(*, location: Location | None) -> str:
    """The esketamine REMS healthcare setting number forms are submitted under: the location's
    (a chain), else the setting."""
    if location is not None and location.rems_setting_number:
        return location.rems_setting_number
    return settings.CLINIC_REMS_SETTING_NUMBER


def session_rems_location(session: TreatmentSession) -> Location | None:
    """The location a session's form is submitted from: its chair's, in a chain (one query at
    most); None with one clinic."""
    if not chain_enabled() or session.chair_id is None:
        return None
    return Location.objects.filter(chairs__pk=session.chair_id).first()
