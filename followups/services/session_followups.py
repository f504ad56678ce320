"""The follow-ups that sessions and plans cause (reminders, check-in surveys, staff tasks), written
to the outbox in the same transaction as the change that causes them.

The treatments app calls these hooks inside its own transactions: booking, rescheduling,
cancelling (and no-shows) move the appointment reminders; completing a session schedules its
check-in surveys and the front desk's booking tasks, and, at the end of an induction series, the
clinician's maintenance review; completing or stopping a plan ends its series where it stands.

The 24-hour check-in follows every session. The questionnaires over the last two weeks (GAD-7
and PHQ-9) follow the last infusion of an induction series and each maintenance session: sent
after every infusion of a series, six infusions would ask eighteen overlapping two-week
questionnaires about one course of treatment.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from treatments.models import PlanVersion, TreatmentPlan, TreatmentSession

from .. import timing_rules, timing_settings
from ..models import OutboxEntry, Survey
from .outbox import outbox_cancel, outbox_schedule, task_entry

Purpose = OutboxEntry.Purpose
TaskKind = OutboxEntry.TaskKind


def _key_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _session_zone(session: TreatmentSession) -> ZoneInfo:
    """The clock of the session's location (in a chain; the clinic's otherwise): its reminders,
    quiet hours, surveys and tasks keep that clock's times across a daylight-saving change."""
    return timing_settings.location_zone(timing_settings.session_location(session))


def _reminders(session: TreatmentSession, now: datetime) -> list[OutboxEntry]:
    zone, quiet = _session_zone(session), timing_settings.quiet_hours()
    entries = []
    for offset in timing_settings.reminder_offsets():
        due = timing_rules.reminder_time(session.starts_at, offset, quiet, zone)
        if due <= now:
            continue  # booked too late for this one (the shorter ones still go)
        entries.append(
            OutboxEntry(
                patient_id=session.patient_id,
                purpose=Purpose.APPOINTMENT_REMINDER,
                offset_label=offset.label,
                session=session,
                idempotency_key=(
                    f"reminder:{session.pk}:{offset.label}:{_key_time(session.starts_at)}"
                ),
                due_at=due,
            )
        )
    return entries


def reminders_on_booked(*, session: TreatmentSession, user) -> None:
    outbox_schedule(entries=_reminders(session, timezone.now()))


def reminders_on_rescheduled(*, session: TreatmentSession, user, previous_starts_at) -> None:
    outbox_cancel(
        entries=OutboxEntry.objects.filter(session=session, purpose=Purpose.APPOINTMENT_REMINDER),
        reason="The appointment was moved",
    )
    outbox_schedule(entries=_reminders(session, timezone.now()))


def reminders_on_cancelled(*, session: TreatmentSession, user) -> None:
    reason = (
        "The patient did not come"
        if session.status == TreatmentSession.Status.NO_SHOW
        else "The appointment was cancelled"
    )
    outbox_cancel(
        entries=OutboxEntry.objects.filter(session=session, purpose=Purpose.APPOINTMENT_REMINDER),
        reason=reason,
    )


def _days_after(session: TreatmentSession, moment: datetime, days: int) -> datetime:
    """The same clock time ``days`` later on the calendar of the session's location."""
    return timing_rules.after(
        moment, timing_rules.Offset(f"{days}d", days * 24 * 60), _session_zone(session)
    )


def _series_finished(session: TreatmentSession) -> bool:
    planned = session.plan_version.sessions_planned
    done = TreatmentSession.objects.filter(
        plan_id=session.plan_id, status=TreatmentSession.Status.COMPLETED
    ).count()
    return done >= planned


def _survey_timings(
    session: TreatmentSession, *, series_finished: bool
) -> tuple[timing_rules.SurveyTiming, ...]:
    """Every timing after a maintenance session or the last infusion of an induction series;
    only those that follow every session (the check-in) after the other infusions."""
    timings = timing_settings.survey_schedule()
    if series_finished or session.plan_version.phase != PlanVersion.Phase.INDUCTION:
        return timings
    return tuple(timing for timing in timings if timing.every_session)


def _survey_entries(
    session: TreatmentSession,
    timings: tuple[timing_rules.SurveyTiming, ...],
    finished_at: datetime,
    *,
    not_before: datetime | None = None,
) -> list[OutboxEntry]:
    """The session's surveys at ``timings`` after ``finished_at`` (those not yet written, and
    none due before ``not_before``), and their invitations."""
    zone, quiet = _session_zone(session), timing_settings.quiet_hours()
    surveys = [
        Survey(
            patient_id=session.patient_id,
            session=session,
            offset_label=timing.offset.label,
            content=timing.content,
            due_at=timing_rules.patient_message_time(
                timing_rules.after(finished_at, timing.offset, zone), quiet, zone
            ),
        )
        for timing in timings
    ]
    existing = set(Survey.objects.filter(session=session).values_list("offset_label", flat=True))
    surveys = Survey.objects.bulk_create(
        [
            survey
            for survey in surveys
            if survey.offset_label not in existing
            and (not_before is None or survey.due_at > not_before)
        ]
    )
    return [
        OutboxEntry(
            patient_id=session.patient_id,
            purpose=Purpose.SURVEY_INVITATION,
            offset_label=survey.offset_label,
            session=session,
            survey=survey,
            idempotency_key=f"survey:{survey.pk}:invite",
            due_at=survey.due_at,
        )
        for survey in surveys
    ]


def followups_on_session_completed(*, session: TreatmentSession, user) -> None:
    """Surveys at the clinic's offsets after discharge (on the clock of the session's location),
    the front desk's booking tasks, and the maintenance review when an induction series ends."""
    finished_at = session.discharged_at or timezone.now()
    series_finished = _series_finished(session)
    entries = _survey_entries(
        session, _survey_timings(session, series_finished=series_finished), finished_at
    )
    if settings.CLINIC_INTEGRATION_BOOKING_DAYS >= 0:
        entries.append(
            task_entry(
                patient_id=session.patient_id,
                kind=TaskKind.INTEGRATION_BOOKING,
                key=f"session:{session.pk}:integration",
                due_at=_days_after(session, finished_at, settings.CLINIC_INTEGRATION_BOOKING_DAYS),
                session=session,
            )
        )
    if series_finished:
        entries.append(
            task_entry(
                patient_id=session.patient_id,
                kind=TaskKind.FOLLOWUP_BOOKING,
                key=f"plan:{session.plan_id}:followup_visit",
                due_at=_days_after(session, finished_at, settings.CLINIC_FOLLOWUP_VISIT_DAYS),
                session=session,
            )
        )
        if session.plan_version.phase == "induction":
            entries.append(
                task_entry(
                    patient_id=session.patient_id,
                    kind=TaskKind.MAINTENANCE_REVIEW,
                    key=f"plan:{session.plan_id}:series_end",
                    due_at=finished_at,
                    session=session,
                )
            )
    outbox_schedule(entries=entries)


def followups_on_plan_ended(*, plan: TreatmentPlan, user) -> None:
    """A plan completed or stopped before its induction series ran its course: its last
    infusion ended the series, so the two-week questionnaires follow it (those still ahead:
    one due already would ask about a fortnight long past)."""
    last = (
        TreatmentSession.objects.filter(plan=plan, status=TreatmentSession.Status.COMPLETED)
        .select_related("plan_version")
        .order_by("-starts_at")
        .first()
    )
    if last is None or last.plan_version.phase != PlanVersion.Phase.INDUCTION:
        return
    finished_at = last.discharged_at or last.starts_at
    outbox_schedule(
        entries=_survey_entries(
            last, timing_settings.survey_schedule(), finished_at, not_before=timezone.now()
        )
    )
