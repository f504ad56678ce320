"""Six months of treatment history for the demo clinic.

Eight patients who started treatment between about six months and five weeks ago: an induction
series (six sessions over three weeks), then, for some, maintenance sessions every four weeks.
Each completed session has its reminders, its check-in surveys (most answered, some not, one
re-sent into a phone call) and the scores that go with them, so the patient chart, the
outcomes page, the communication log and the worklists all have something to show. Scores
follow a believable course: a drop within a day of the first session for most, a return of
symptoms after two to three weeks for some (which is what maintenance is for), no response for
one.

Rows are written in bulk (this is history, not a replay of the services), with fixed random
seeds so every run draws the same clinic.
"""

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

from followups.models import OutboxEntry, Survey
from intake.models import Assessment, Patient
from intake.scoring import gad7_band, phq9_band
from treatments.limits import observation_minutes
from treatments.models import PlanVersion, TreatmentChair, TreatmentPlan, TreatmentSession
from treatments.models.sessions import record_session_locations


@dataclass(frozen=True)
class Course:
    route: str
    days_ago: int  # first session
    baseline_gad7: int
    baseline_phq9: int
    day1_drop: float  # share of the baseline gone a day after the first session
    relapse_after_days: int | None  # the effect wears off after this long (None: it lasts)
    maintenance: bool


COURSES = (
    Course("iv", 175, 17, 15, 0.6, 18, True),
    Course("iv", 150, 14, 12, 0.55, None, False),
    Course("esketamine_in", 130, 16, 19, 0.4, 21, True),
    Course("iv", 110, 12, 10, 0.7, 16, False),
    Course("im", 90, 18, 16, 0.1, None, False),  # did not respond
    Course("iv", 70, 15, 14, 0.5, 20, True),
    Course("esketamine_in", 55, 13, 11, 0.45, None, False),
    Course("iv", 38, 19, 17, 0.65, 17, False),
)
DOSES = {
    "iv": (Decimal("0.5"), "mg/kg", 40),
    "im": (Decimal("0.5"), "mg/kg", None),
    "esketamine_in": (Decimal("56"), "mg", None),
}
INDUCTION_DAYS = (0, 2, 4, 7, 9, 11)
MAINTENANCE_EVERY_DAYS = 28
SIDE_EFFECTS = ("nausea", "dizziness", "headache", "dissociation", "drowsiness")


def _score(baseline: int, days: float, course: Course, rng: random.Random) -> int:
    """The total ``days`` after the first session: the drop, then a drift back once the effect
    wears off, reset by each maintenance session."""
    drop = course.day1_drop
    if course.relapse_after_days is not None:
        cycle = days if not course.maintenance else days % MAINTENANCE_EVERY_DAYS
        if days > 14 and cycle > course.relapse_after_days:
            drop *= max(0.0, 1 - (cycle - course.relapse_after_days) / 10)
    total = round(baseline * (1 - drop)) + rng.choice((-1, 0, 0, 1))
    return max(0, min(total, 21 if baseline <= 21 else 27))


def _answers(total: int, items: int) -> list[int]:
    """Item answers (0-3) adding up to ``total``, spread evenly."""
    answers = [0] * items
    for index in range(total):
        answers[index % items] = min(3, answers[index % items] + 1)
    return answers


def seed_history(
    *,
    clinician,
    front_desk,
    patients: list[Patient],
    chairs: list[TreatmentChair] | None = None,
    zone: ZoneInfo | None = None,
    courses: tuple[Course, ...] = COURSES,
) -> int:
    """Write the history for ``patients`` (one of ``courses`` each) on ``chairs`` (every active
    chair by default) at hours of ``zone`` (the clinic's by default: a location's chairs, its
    zone); returns how many were treated."""
    if TreatmentPlan.objects.filter(patient__in=patients).exists():
        return 0
    now = timezone.now()
    zone = zone or timezone.get_current_timezone()
    if chairs is None:
        chairs = list(TreatmentChair.objects.filter(active=True).order_by("display_order"))
    sessions: list[TreatmentSession] = []
    plans_versions = []
    for index, (patient, course) in enumerate(zip(patients, courses, strict=False)):
        amount, unit, infusion = DOSES[course.route]
        weight = Decimal("75.0")
        dose_mg = amount * weight if unit == "mg/kg" else amount
        start_day = timezone.localdate(timezone=zone) - timedelta(days=course.days_ago)
        last_day = timezone.localdate(timezone=zone) - timedelta(days=3)
        plan = TreatmentPlan.objects.create(
            patient=patient,
            status=TreatmentPlan.Status.ACTIVE
            if course.maintenance
            else TreatmentPlan.Status.COMPLETED,
            created_by=clinician,
            activated_at=datetime.combine(start_day - timedelta(days=7), time(9), tzinfo=zone),
            ended_at=None
            if course.maintenance
            else datetime.combine(start_day + timedelta(days=12), time(17), tzinfo=zone),
        )
        version = PlanVersion.objects.create(
            plan=plan,
            number=1,
            effective_at=plan.activated_at,
            indication="gad",
            route=course.route,
            # Esketamine for anxiety is off-label: the prescriber's reason is part of the plan.
            off_label_reason=(
                "Treatment-resistant anxiety with depressive symptoms; off-label use discussed."
                if course.route == "esketamine_in"
                else ""
            ),
            dose_amount=amount,
            dose_unit=unit,
            dose_mg=dose_mg,
            weight_kg_used=weight if unit == "mg/kg" else None,
            infusion_minutes=infusion,
            phase="induction",
            sessions_planned=len(INDUCTION_DAYS),
            span_weeks=3,
            start_date=start_day,
            goals="Less worry; sleep through the night.",
            prescriber=clinician,
            created_by=clinician,
        )
        days = list(INDUCTION_DAYS)
        if course.maintenance:
            day = INDUCTION_DAYS[-1] + MAINTENANCE_EVERY_DAYS
            while start_day + timedelta(days=day) <= last_day:
                days.append(day)
                day += MAINTENANCE_EVERY_DAYS
        # Each patient has a chair and an hour of their own: no two sessions overlap.
        chair = chairs[index % len(chairs)]
        hour = 8 + 3 * (index // len(chairs))  # 08:00, 11:00, 14:00; done by 16:30
        # Dosed at +15 and stopped at +55; discharged once the route's minimum observation
        # after the end has passed (esketamine: 2 hours from the first device, within 150).
        minutes = 150 if course.route == "esketamine_in" else 60 + observation_minutes(course.route)
        for number, day in enumerate(days):
            starts = datetime.combine(start_day + timedelta(days=day), time(hour), tzinfo=zone)
            sessions.append(
                TreatmentSession(
                    patient=patient,
                    plan=plan,
                    plan_version=version,
                    chair=chair,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=minutes),
                    status=TreatmentSession.Status.COMPLETED,
                    booked_by=front_desk,
                    arrived_at=starts - timedelta(minutes=10),
                    escort_name="Family member",
                    fasting_confirmed=True,
                    consent_current=True,
                    drug="esketamine" if course.route == "esketamine_in" else "ketamine",
                    route_given=course.route,
                    dose_given_mg=dose_mg,
                    lot_number=f"LOT-{2400 + number}",
                    administration_started_at=starts + timedelta(minutes=15),
                    administration_stopped_at=starts + timedelta(minutes=55),
                    aldrete_activity=2,
                    aldrete_respiration=2,
                    aldrete_circulation=2,
                    aldrete_consciousness=2,
                    aldrete_oxygen=2,
                    escort_present=True,
                    ready_to_leave_at=starts + timedelta(minutes=minutes - 5),
                    discharged_at=starts + timedelta(minutes=minutes),
                    discharge_instructions_given=True,
                    signed_by=clinician,
                    signed_at=starts + timedelta(minutes=minutes + 20),
                )
            )
        plans_versions.append((patient, course, plan, version))
    sessions = TreatmentSession.objects.bulk_create(sessions)
    record_session_locations(sessions)  # bulk_create bypasses the session's save
    by_patient: dict[int, list[TreatmentSession]] = {}
    for session in sessions:
        by_patient.setdefault(session.patient_id, []).append(session)

    assessments, surveys, outbox = [], [], []
    for index, (patient, course, _plan, _version) in enumerate(plans_versions):
        rng = random.Random(1000 + index)
        patient_sessions = by_patient[patient.pk]
        first = patient_sessions[0].starts_at
        baseline_at = first - timedelta(days=12)
        for instrument, total, items, band in (
            ("gad7", course.baseline_gad7, 7, gad7_band),
            ("phq9", course.baseline_phq9, 9, phq9_band),
        ):
            assessments.append(
                Assessment(
                    patient=patient,
                    instrument=instrument,
                    answers=_answers(total, items),
                    total=total,
                    band=band(total),
                    taken_at=baseline_at,
                    source_kind="history",
                    source_id=patient.pk,
                )
            )
        for number, session in enumerate(patient_sessions):
            # The two-week questionnaires follow the induction series' last infusion and each
            # maintenance session; the check-in every session.
            two_week = number >= len(INDUCTION_DAYS) - 1
            for offset, label in ((timedelta(hours=24), "48h"), (timedelta(hours=2), "2h")):
                outbox.append(
                    OutboxEntry(
                        patient=patient,
                        purpose=OutboxEntry.Purpose.APPOINTMENT_REMINDER,
                        offset_label=label,
                        session=session,
                        idempotency_key=f"demo:reminder:{session.pk}:{label}",
                        status=OutboxEntry.Status.SENT,
                        due_at=session.starts_at - (offset * (2 if label == "48h" else 1)),
                        sent_at=session.starts_at - (offset * (2 if label == "48h" else 1)),
                        attempts=1,
                        channel="sms" if patient.consent_sms else "email",
                    )
                )
            for label, after, content in (
                ("24h", timedelta(days=1), Survey.Content.CHECKIN),
                ("7d", timedelta(days=7), Survey.Content.SCORES),
                ("14d", timedelta(days=14), Survey.Content.SCORES),
            ):
                due = session.discharged_at + after
                if content == Survey.Content.SCORES and not two_week:
                    continue
                if due > now - timedelta(hours=6):
                    continue  # still to come: the live schedule owns it
                answered = rng.random() > 0.15
                days = (due - first).total_seconds() / 86400
                gad7 = _score(course.baseline_gad7, days, course, rng)
                phq9 = _score(course.baseline_phq9, days, course, rng)
                effects = []
                if content == Survey.Content.CHECKIN and rng.random() < 0.45:
                    effects = [
                        {
                            "effect": rng.choice(SIDE_EFFECTS),
                            "severity": rng.choice(("mild", "mild", "moderate")),
                        }
                    ]
                surveys.append(
                    (
                        Survey(
                            patient=patient,
                            session=session,
                            offset_label=label,
                            content=content,
                            status=Survey.Status.COMPLETED if answered else Survey.Status.INVITED,
                            due_at=due,
                            invited_at=due,
                            expires_at=due + timedelta(days=5),
                            started_at=due + timedelta(hours=2) if answered else None,
                            completed_at=due + timedelta(hours=2) if answered else None,
                            feeling=min(10, max(0, 10 - gad7 // 2))
                            if content == Survey.Content.CHECKIN and answered
                            else None,
                            side_effects=effects if answered else [],
                            safety_answer=0 if answered else None,
                            reviewed_at=due + timedelta(hours=6) if answered else None,
                            reviewed_by=clinician if answered else None,
                            review_note="Reviewed; no action needed." if answered else "",
                        ),
                        answered,
                        gad7,
                        phq9,
                    )
                )
    Assessment.objects.bulk_create(assessments)
    made = Survey.objects.bulk_create([row[0] for row in surveys])
    later = []
    for survey, (_, answered, gad7, phq9) in zip(made, surveys, strict=True):
        outbox.append(
            OutboxEntry(
                patient_id=survey.patient_id,
                purpose=OutboxEntry.Purpose.SURVEY_INVITATION,
                offset_label=survey.offset_label,
                session_id=survey.session_id,
                survey=survey,
                idempotency_key=f"survey:{survey.pk}:invite",
                status=OutboxEntry.Status.SENT,
                due_at=survey.due_at,
                sent_at=survey.due_at,
                attempts=1,
                channel="sms",
            )
        )
        if not answered:
            continue
        # The check-in asks the GAD-7's items since the treatment: its own instrument, no band.
        instruments = (
            [("gad7", gad7, 7, gad7_band), ("phq9", phq9, 9, phq9_band)]
            if survey.content == Survey.Content.SCORES
            else [("anx_24h", gad7, 7, lambda total: "")]
        )
        for instrument, total, items, band in instruments:
            later.append(
                Assessment(
                    patient_id=survey.patient_id,
                    instrument=instrument,
                    answers=_answers(total, items),
                    total=total,
                    band=band(total),
                    taken_at=survey.completed_at,
                    source_kind="survey",
                    source_id=survey.pk,
                )
            )
    Assessment.objects.bulk_create(later)
    OutboxEntry.objects.bulk_create(outbox)
    return len(plans_versions)
