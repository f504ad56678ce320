"""What an answered survey means: scores on the server, alerts, escalations for the worklist,
and a maintenance review when the anxiety score climbs back.

- PHQ-9 item 9 (or the check-in's safety question, the same item) above 0: an urgent alert,
  emailed to clinicians, and the survey is escalated.
- A GAD-7 or PHQ-9 ``CLINIC_WORSENING_POINTS`` or more above the pre-treatment score (the last
  one before the first completed session): escalated, with an alert.
- A severe side effect: escalated, with an alert.
- A GAD-7 ``CLINIC_MAINTENANCE_RISE_POINTS`` or more above the patient's best score since
  treatment began: a "maintenance review due" task for the clinician (one open at a time).

The 24-hour check-in's anxiety questions ("since your treatment") are recorded as their own
instrument, with a total and no band, and take no part in either comparison: a score over
another recall period is not a GAD-7.
"""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from intake.models import Assessment, ClinicalAlert
from intake.scoring import score_gad7, score_phq9
from intake.services.questionnaires import alert_raise
from treatments.models import StaffTask, TreatmentSession

from ..models import OutboxEntry, Survey
from ..survey_questions import checkin_anxiety_total
from .outbox import TASK_SOURCE, outbox_cancel, outbox_schedule, task_entry

SOURCE = "survey"
ITEM9 = "item9"
SEVERE_SIDE_EFFECT = "severe_side_effect"

ANSWERED_FIELDS = [
    "status", "completed_at", "started_at", "feeling", "side_effects", "safety_answer",
    "escalations",
]  # fmt: skip


class SurveyAlreadyAnswered(Exception):
    """The survey was answered already: answers are not changed afterwards."""


def _treatment_start(patient_id: int) -> datetime | None:
    return (
        TreatmentSession.objects.filter(
            patient_id=patient_id, status=TreatmentSession.Status.COMPLETED
        )
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )


def _baseline_total(patient_id: int, instrument: str, before: datetime) -> int | None:
    return (
        Assessment.objects.filter(patient_id=patient_id, instrument=instrument, taken_at__lt=before)
        .order_by("-taken_at", "-id")
        .values_list("total", flat=True)
        .first()
    )


def _best_gad7_since(patient_id: int, since: datetime, exclude_source_id: int) -> int | None:
    totals = (
        Assessment.objects.filter(
            patient_id=patient_id, instrument=Assessment.Instrument.GAD7, taken_at__gte=since
        )
        .exclude(source_kind=SOURCE, source_id=exclude_source_id)
        .order_by("total")
        .values_list("total", flat=True)
    )
    return totals.first()


def _maintenance_review_open(patient_id: int) -> bool:
    kind = OutboxEntry.TaskKind.MAINTENANCE_REVIEW
    if OutboxEntry.objects.filter(
        patient_id=patient_id,
        purpose=OutboxEntry.Purpose.TASK,
        task_kind=kind,
        status__in=(OutboxEntry.Status.SCHEDULED, OutboxEntry.Status.SENDING),
    ).exists():
        return True
    return StaffTask.objects.filter(
        patient_id=patient_id,
        status=StaffTask.Status.OPEN,
        source_kind=TASK_SOURCE,
        title=OutboxEntry.TaskKind(kind).label,
    ).exists()


def survey_results_record(
    *,
    survey: Survey,
    gad7: list[int] | None,
    phq9: list[int] | None,
    checkin_anxiety: list[int] | None = None,
    phq9_difficulty: str = "",
    safety_answer: int | None = None,
    feeling: int | None = None,
    side_effects: list[dict] | None = None,
    now: datetime | None = None,
) -> Survey:
    """Record a survey's validated answers (the caller's forms have checked them)."""
    now = now or timezone.now()
    side_effects = side_effects or []
    with transaction.atomic():
        locked = Survey.objects.select_for_update().get(pk=survey.pk)
        if locked.status == Survey.Status.COMPLETED:
            raise SurveyAlreadyAnswered
        if locked.status == Survey.Status.CANCELLED:
            raise SurveyAlreadyAnswered
        patient_id = locked.patient_id
        totals: dict[str, int] = {}
        for instrument, answers, scorer in (
            (Assessment.Instrument.GAD7, gad7, score_gad7),
            (Assessment.Instrument.PHQ9, phq9, score_phq9),
        ):
            if not answers:
                continue
            score = scorer(answers)
            Assessment.objects.create(
                patient_id=patient_id,
                instrument=instrument,
                answers=list(answers),
                total=score.total,
                band=score.band,
                difficulty=phq9_difficulty if instrument == Assessment.Instrument.PHQ9 else "",
                taken_at=now,
                source_kind=SOURCE,
                source_id=locked.pk,
            )
            totals[instrument] = score.total
        if checkin_anxiety:
            # Not in ``totals``: nothing is compared with it.
            Assessment.objects.create(
                patient_id=patient_id,
                instrument=Assessment.Instrument.ANXIETY_CHECKIN,
                answers=list(checkin_anxiety),
                total=checkin_anxiety_total(checkin_anxiety),
                band="",
                taken_at=now,
                source_kind=SOURCE,
                source_id=locked.pk,
            )

        escalations: list[str] = []
        item9 = phq9[8] if phq9 else safety_answer
        if item9:
            escalations.append(ITEM9)
        start = _treatment_start(patient_id)
        if start is not None:
            for instrument, total in totals.items():
                baseline = _baseline_total(patient_id, instrument, start)
                if baseline is not None and total - baseline >= settings.CLINIC_WORSENING_POINTS:
                    escalations.append(f"{instrument}_worse")
        if any(effect.get("severity") == "severe" for effect in side_effects):
            escalations.append(SEVERE_SIDE_EFFECT)

        for code, kind, urgent in (
            (ITEM9, ClinicalAlert.Kind.PHQ9_ITEM9, True),
            (SEVERE_SIDE_EFFECT, ClinicalAlert.Kind.SEVERE_SIDE_EFFECT, False),
        ):
            if code in escalations:
                alert_raise(
                    patient_id=patient_id,
                    kind=kind,
                    source_kind=SOURCE,
                    source_id=locked.pk,
                    urgent=urgent,
                )
        if any(code.endswith("_worse") for code in escalations):
            alert_raise(
                patient_id=patient_id,
                kind=ClinicalAlert.Kind.SCORE_WORSE,
                source_kind=SOURCE,
                source_id=locked.pk,
                urgent=False,
            )

        gad7_total = totals.get(Assessment.Instrument.GAD7)
        if gad7_total is not None and start is not None:
            best = _best_gad7_since(patient_id, start, locked.pk)
            rise = settings.CLINIC_MAINTENANCE_RISE_POINTS
            if (
                best is not None
                and gad7_total - best >= rise
                and not _maintenance_review_open(patient_id)
            ):
                outbox_schedule(
                    entries=[
                        task_entry(
                            patient_id=patient_id,
                            kind=OutboxEntry.TaskKind.MAINTENANCE_REVIEW,
                            key=f"survey:{locked.pk}:maintenance",
                            due_at=now,
                            session=locked.session,
                            survey=locked,
                        )
                    ]
                )

        locked.status = Survey.Status.COMPLETED
        locked.completed_at = now
        locked.started_at = locked.started_at or now
        locked.feeling = feeling
        locked.side_effects = side_effects
        locked.safety_answer = safety_answer if not phq9 else phq9[8]
        locked.escalations = escalations
        locked.save(update_fields=ANSWERED_FIELDS)
        outbox_cancel(
            entries=OutboxEntry.objects.filter(survey=locked).exclude(
                purpose=OutboxEntry.Purpose.TASK, task_kind=OutboxEntry.TaskKind.MAINTENANCE_REVIEW
            ),
            reason="The survey was answered",
        )
    return locked
