"""Rows for the tests of the staff follow-up pages, written directly with the ORM: answered
surveys with their scores, the tasks the outbox sweep makes, and failed messages.

The tests travel to ``NOON`` (clinic time) so "today" and "overdue" do not depend on when the
suite runs."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from followups.models import OutboxEntry, Survey
from intake.models import Assessment, Patient
from intake.scoring import score_gad7, score_phq9
from tests.factories import PatientFactory
from tests.treatments.sessions import booked_session
from treatments.models import StaffTask, TreatmentChair, TreatmentSession

CLINIC_ZONE = ZoneInfo(settings.CLINIC_TIME_ZONE)
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=CLINIC_ZONE)
TaskKind = OutboxEntry.TaskKind
# Each survey's session on a chair and in a slot of its own: no chair or patient is booked
# twice at once (PostgreSQL refuses it).
_session_slots = itertools.count()


def _session(by, patient: Patient, starts_at: datetime) -> TreatmentSession:
    """A session of the patient's plan (one plan per patient: made with the first session)."""
    earlier = TreatmentSession.objects.filter(patient=patient).first()
    if earlier is None:
        session = booked_session(by=by, patient=patient, starts_at=starts_at)
        session.chair = TreatmentChair.objects.create(name=f"Survey chair {session.pk}")
        session.save(update_fields=["chair"])
        return session
    return TreatmentSession.objects.create(
        patient=patient,
        plan=earlier.plan,
        plan_version=earlier.plan_version,
        chair=earlier.chair,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        booked_by=by,
    )


def survey_scores(
    survey: Survey, *, gad7: list[int] | None = None, phq9: list[int] | None = None
) -> None:
    """The GAD-7 and PHQ-9 scores of an answered survey, as the survey's submission records
    them (``source_kind="survey"``), taken when it was completed."""
    for instrument, answers, score in (
        (Assessment.Instrument.GAD7, gad7, score_gad7),
        (Assessment.Instrument.PHQ9, phq9, score_phq9),
    ):
        if answers is not None:
            scored = score(answers)
            Assessment.objects.create(
                patient=survey.patient,
                instrument=instrument,
                answers=answers,
                total=scored.total,
                band=scored.band,
                taken_at=survey.completed_at,
                source_kind="survey",
                source_id=survey.pk,
            )


def answered_survey(
    *,
    by,
    patient: Patient | None = None,
    completed_at: datetime = NOON - timedelta(hours=1),
    escalations: tuple[str, ...] = (),
    gad7: list[int] | None = None,
    phq9: list[int] | None = None,
    side_effects: list[dict] | None = None,
    safety_answer: int | None = 0,
    feeling: int | None = 7,
    offset_label: str = "24h",
) -> Survey:
    """A check-in survey the patient has answered (not reviewed), after a session of its own."""
    patient = patient or PatientFactory()
    session = _session(
        by, patient, completed_at - timedelta(days=1, hours=3 * next(_session_slots))
    )
    survey = Survey.objects.create(
        patient=patient,
        session=session,
        offset_label=offset_label,
        content=Survey.Content.CHECKIN if phq9 is None else Survey.Content.SCORES,
        status=Survey.Status.COMPLETED,
        due_at=completed_at - timedelta(hours=2),
        invited_at=completed_at - timedelta(hours=2),
        completed_at=completed_at,
        feeling=feeling,
        side_effects=side_effects or [],
        safety_answer=safety_answer,
        escalations=list(escalations),
    )
    survey_scores(survey, gad7=gad7, phq9=phq9)
    return survey


def followup_task(
    *,
    patient: Patient | None = None,
    kind: str = TaskKind.PHONE_FOLLOWUP,
    due_at: datetime = NOON - timedelta(hours=2),
    role: str | None = None,
) -> StaffTask:
    """A task as the outbox sweep makes it: the task row of the outbox (sent) and the StaffTask
    pointing back at it."""
    patient = patient or PatientFactory()
    entry = OutboxEntry.objects.create(
        patient=patient,
        purpose=OutboxEntry.Purpose.TASK,
        task_kind=kind,
        idempotency_key=f"test-task:{patient.pk}:{kind}:{due_at.isoformat()}",
        status=OutboxEntry.Status.SENT,
        due_at=due_at,
        sent_at=due_at,
        attempts=1,
        channel=OutboxEntry.Channel.WORKLIST,
    )
    if role is None:
        role = (
            StaffTask.Role.CLINICIAN
            if kind == TaskKind.MAINTENANCE_REVIEW
            else StaffTask.Role.FRONT_DESK
        )
    return StaffTask.objects.create(
        patient=patient,
        role=role,
        title=entry.get_task_kind_display(),
        details="Call the patient and log the call.",
        due_at=due_at,
        source_kind="outbox",
        source_id=entry.pk,
    )


_bulk_task_sources = itertools.count(1_000_000)


def many_followup_tasks(
    count: int,
    *,
    first_due_at: datetime,
    role: str = StaffTask.Role.FRONT_DESK,
    patient: Patient | None = None,
) -> list[StaffTask]:
    """``count`` open outbox tasks of one patient, a minute apart from ``first_due_at``, oldest
    first: a long worklist in one insert (the worklist reads the tasks, not their outbox rows)."""
    patient = patient or PatientFactory()
    return StaffTask.objects.bulk_create(
        StaffTask(
            patient=patient,
            role=role,
            title=TaskKind.PHONE_FOLLOWUP.label,
            details="Call the patient and log the call.",
            due_at=first_due_at + timedelta(minutes=minutes),
            source_kind="outbox",
            source_id=next(_bulk_task_sources),
        )
        for minutes in range(count)
    )


def failed_message(
    *,
    patient: Patient,
    due_at: datetime = NOON - timedelta(hours=3),
    error: str = "provider unreachable",
    key: str = "",
) -> OutboxEntry:
    """An appointment reminder the sweep gave up on."""
    return OutboxEntry.objects.create(
        patient=patient,
        purpose=OutboxEntry.Purpose.APPOINTMENT_REMINDER,
        offset_label="48h",
        idempotency_key=key or f"test-reminder:{patient.pk}:{due_at.isoformat()}",
        status=OutboxEntry.Status.FAILED,
        due_at=due_at,
        attempts=3,
        last_error=error,
        channel=OutboxEntry.Channel.SMS,
    )


def sent_message(*, patient: Patient, due_at: datetime, key: str) -> OutboxEntry:
    return OutboxEntry.objects.create(
        patient=patient,
        purpose=OutboxEntry.Purpose.SURVEY_INVITATION,
        offset_label="24h",
        idempotency_key=key,
        status=OutboxEntry.Status.SENT,
        due_at=due_at,
        sent_at=due_at,
        attempts=1,
        channel=OutboxEntry.Channel.EMAIL,
    )
