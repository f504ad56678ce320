"""Reads for the follow-up pages: the staff worklist, the patient's communication log and their
check-in surveys with scores.

Every read costs a fixed number of queries however many rows it returns: related rows come by
``select_related``/``Prefetch`` and the GAD-7/PHQ-9 scores of a survey (``intake.Assessment``
rows with ``source_kind="survey"``) as subqueries of the survey query.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from intake.models import Assessment, ClinicalAlert, Patient
from treatments.models import StaffTask

from .. import policy
from ..models import FollowUpCall, OutboxEntry, Survey

TASK_SOURCE = "outbox"  # StaffTask.source_kind of the tasks the outbox sweep makes
SURVEY_SOURCE = "survey"  # Assessment/ClinicalAlert.source_kind of a check-in survey's rows
DONE_DAYS = 7
SECTION_LIMIT = 200
LOG_LIMIT = 200
SURVEYS_SHOWN = 50
PANEL_SURVEYS = 3

ESCALATION_LABELS = {
    "item9": "Thoughts of self-harm (PHQ-9 item 9 answered above “Not at all”)",
    "gad7_worse": "GAD-7 worse than before treatment",
    "phq9_worse": "PHQ-9 worse than before treatment",
    "severe_side_effect": "Severe side effect reported",
}


def escalation_reasons(survey: Survey) -> list[str]:
    """Why this answer needs a clinician first, in words, in the order the survey raised them."""
    return [ESCALATION_LABELS.get(code, code) for code in survey.escalations or []]


# --- Scores -------------------------------------------------------------------------------------


def _score(instrument: str, column: str) -> Subquery:
    return Subquery(
        Assessment.objects.filter(
            source_kind=SURVEY_SOURCE, source_id=OuterRef("pk"), instrument=instrument
        ).values(column)[:1]
    )


def with_scores(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    """Each survey with ``gad7_total``, ``gad7_band``, ``phq9_total``, ``phq9_band`` (None when
    the survey did not ask or was not answered), in the same query."""
    return surveys.annotate(
        gad7_total=_score(Assessment.Instrument.GAD7, "total"),
        gad7_band=_score(Assessment.Instrument.GAD7, "band"),
        phq9_total=_score(Assessment.Instrument.PHQ9, "total"),
        phq9_band=_score(Assessment.Instrument.PHQ9, "band"),
    )


# --- The worklist -------------------------------------------------------------------------------


@dataclass
class WorklistItem:
    """One line of the worklist: a task to do or a survey to review."""

    task: StaffTask | None = None
    survey: Survey | None = None

    @property
    def patient(self) -> Patient:
        return self.task.patient if self.task else self.survey.patient

    @property
    def when(self) -> datetime | None:
        """When it fell due (a task) or was answered (a survey); when it was done (Done)."""
        if self.task:
            return self.task.completed_at or self.task.due_at
        return self.survey.reviewed_at or self.survey.completed_at


@dataclass
class WorklistSection:
    slug: str
    title: str
    description: str
    items: list[WorklistItem] = field(default_factory=list)
    truncated: bool = False


@dataclass
class Worklist:
    role: str  # StaffTask.Role value whose tasks are listed
    today: date
    clinical: bool  # surveys and their scores are shown (clinicians' own list only)
    sections: list[WorklistSection]

    def section(self, slug: str) -> WorklistSection:
        return next(section for section in self.sections if section.slug == slug)


def day_bounds(now: datetime) -> tuple[date, datetime, datetime]:
    """Today in the clinic's zone, and when it starts and ends (DST-safe: each from its date)."""
    zone = policy.clinic_zone()
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return today, start, end


def _open_tasks(role: str, before: datetime) -> QuerySet[StaffTask]:
    return (
        StaffTask.objects.filter(
            role=role, source_kind=TASK_SOURCE, status=StaffTask.Status.OPEN, due_at__lt=before
        )
        .select_related("patient")
        .prefetch_related(
            Prefetch(
                "calls",
                queryset=FollowUpCall.objects.select_related("called_by").order_by(
                    "-called_at", "-id"
                ),
            )
        )
        .order_by("due_at", "id")
    )


def _capped(items: list, section: WorklistSection) -> None:
    section.truncated = len(items) > SECTION_LIMIT
    section.items = items[:SECTION_LIMIT]


def worklist(*, role: str, now: datetime) -> Worklist:
    """The follow-up worklist of one role (a ``StaffTask.Role`` value), escalations first.

    Clinicians' list also holds answered check-in surveys: escalated ones first (they need a
    clinician before anything else), the others to review today or, answered before today,
    overdue. The front desk's list holds its tasks only: no survey, score or clinical detail.
    Queries: the front desk's 3 (open tasks, their calls, done tasks), clinicians' 5 (and the
    surveys to review, the surveys reviewed), whatever the number of rows.
    """
    clinical = role == StaffTask.Role.CLINICIAN
    today, start, end = day_bounds(now)
    escalations = WorklistSection(
        "escalations",
        "Escalations",
        "Answers a clinician must look at first.",
    )
    due_today = WorklistSection("due-today", "Due today", "Tasks due today.")
    overdue = WorklistSection("overdue", "Overdue", "Tasks that were due before today.")
    done = WorklistSection("done", "Done", f"Done in the last {DONE_DAYS} days, latest first.")
    if clinical:
        due_today.description = "Tasks due today and answered surveys to review."
        overdue.description = "Tasks due before today and surveys answered before today."

    tasks = list(_open_tasks(role, end)[: SECTION_LIMIT * 2 + 1])
    due_items = [WorklistItem(task=task) for task in tasks if task.due_at >= start]
    overdue_items = [WorklistItem(task=task) for task in tasks if task.due_at < start]
    done_items = [
        WorklistItem(task=task)
        for task in StaffTask.objects.filter(
            role=role,
            source_kind=TASK_SOURCE,
            status=StaffTask.Status.DONE,
            completed_at__gte=now - timedelta(days=DONE_DAYS),
        )
        .select_related("patient", "completed_by")
        .order_by("-completed_at", "-id")[: SECTION_LIMIT + 1]
    ]
    escalated_items: list[WorklistItem] = []
    if clinical:
        to_review = with_scores(
            Survey.objects.filter(status=Survey.Status.COMPLETED, reviewed_at__isnull=True)
            .select_related("patient")
            .order_by("completed_at", "id")
        )[: SECTION_LIMIT * 3 + 1]
        for survey in to_review:
            item = WorklistItem(survey=survey)
            if survey.escalated:
                survey.escalation_reasons = escalation_reasons(survey)
                escalated_items.append(item)
            elif survey.completed_at and survey.completed_at < start:
                overdue_items.append(item)
            else:
                due_items.append(item)
        done_items += [
            WorklistItem(survey=survey)
            for survey in with_scores(
                Survey.objects.filter(reviewed_at__gte=now - timedelta(days=DONE_DAYS))
                .select_related("patient", "reviewed_by")
                .order_by("-reviewed_at", "-id")
            )[: SECTION_LIMIT + 1]
        ]
    oldest_first = _sort_key(datetime.max.replace(tzinfo=UTC))
    overdue_items.sort(key=oldest_first)
    due_items.sort(key=oldest_first)
    done_items.sort(key=_sort_key(datetime.min.replace(tzinfo=UTC)), reverse=True)
    for section, items in (
        (escalations, escalated_items),
        (due_today, due_items),
        (overdue, overdue_items),
        (done, done_items),
    ):
        _capped(items, section)
    sections = [escalations] if clinical else []
    return Worklist(
        role=role,
        today=today,
        clinical=clinical,
        sections=[*sections, due_today, overdue, done],
    )


def _sort_key(missing: datetime):
    def key(item: WorklistItem):
        return (item.when or missing, item.task is None, (item.task or item.survey).pk)

    return key


def worklist_counts(*, role: str, now: datetime) -> dict[str, int]:
    """The home panel's numbers: escalations (clinicians), due today, overdue. One aggregate
    on tasks, and one on surveys for clinicians."""
    _, start, end = day_bounds(now)
    counts = StaffTask.objects.filter(
        role=role, source_kind=TASK_SOURCE, status=StaffTask.Status.OPEN, due_at__lt=end
    ).aggregate(
        due_today=Count("id", filter=Q(due_at__gte=start)),
        overdue=Count("id", filter=Q(due_at__lt=start)),
    )
    counts["escalations"] = 0
    if role == StaffTask.Role.CLINICIAN:
        surveys = Survey.objects.filter(
            status=Survey.Status.COMPLETED, reviewed_at__isnull=True
        ).aggregate(
            # Named apart from the field: an aggregate named "escalations" would shadow it.
            escalated=Count("id", filter=~Q(escalations=[])),
            calm_today=Count("id", filter=Q(escalations=[]) & Q(completed_at__gte=start)),
            calm_overdue=Count("id", filter=Q(escalations=[]) & Q(completed_at__lt=start)),
        )
        counts["escalations"] = surveys["escalated"]
        counts["due_today"] += surveys["calm_today"]
        counts["overdue"] += surveys["calm_overdue"]
    return counts


# --- Tasks, surveys -----------------------------------------------------------------------------


def followup_task(*, pk: int, roles: list[str]) -> StaffTask | None:
    """A task the outbox made, for one of ``roles``, with its patient and the calls logged."""
    return (
        StaffTask.objects.filter(pk=pk, role__in=roles, source_kind=TASK_SOURCE)
        .select_related("patient", "completed_by")
        .prefetch_related(
            Prefetch(
                "calls",
                queryset=FollowUpCall.objects.select_related("called_by").order_by(
                    "-called_at", "-id"
                ),
            )
        )
        .first()
    )


def survey_for_review(*, pk: int) -> Survey | None:
    return Survey.objects.select_related("patient", "session", "reviewed_by").filter(pk=pk).first()


@dataclass
class SurveyScores:
    """The survey's GAD-7 and PHQ-9 (Assessment rows) and the patient's scores before
    treatment (their intake's), to compare."""

    survey: dict[str, Assessment]
    baseline: dict[str, Assessment]


def survey_scores(*, survey: Survey) -> SurveyScores:
    """One query: this survey's assessments and the patient's intake ones."""
    scores = SurveyScores(survey={}, baseline={})
    for assessment in Assessment.objects.filter(
        Q(source_kind=SURVEY_SOURCE, source_id=survey.pk)
        | Q(patient_id=survey.patient_id, source_kind="intake")
    ).order_by("taken_at", "id"):
        if assessment.source_kind == SURVEY_SOURCE:
            scores.survey[assessment.instrument] = assessment
        else:
            # The first intake's scores are the ones treatment started from.
            scores.baseline.setdefault(assessment.instrument, assessment)
    return scores


def survey_alerts(*, survey: Survey) -> list[ClinicalAlert]:
    return list(
        ClinicalAlert.objects.filter(source_kind=SURVEY_SOURCE, source_id=survey.pk)
        .select_related("acknowledged_by")
        .order_by("created_at", "id")
    )


def patient_surveys(*, patient: Patient, limit: int = SURVEYS_SHOWN) -> list[Survey]:
    """The patient's check-in surveys, newest first, with their scores. One query."""
    return list(
        with_scores(
            Survey.objects.filter(patient=patient)
            .select_related("session")
            .order_by("-due_at", "-id")
        )[:limit]
    )


def patient_survey_statuses(*, patient: Patient, limit: int = SURVEYS_SHOWN) -> list[Survey]:
    """What the front desk may see of the surveys: when and whether answered, never answers,
    scores or escalations (the query does not read them)."""
    return list(
        Survey.objects.filter(patient=patient)
        .only("id", "patient_id", "offset_label", "status", "due_at", "completed_at")
        .order_by("-due_at", "-id")[:limit]
    )


# --- The communication log ----------------------------------------------------------------------


def communication_log(*, patient: Patient, limit: int = LOG_LIMIT) -> list[OutboxEntry]:
    """What was (or will be) sent to the patient, newest first: each message's channel,
    status, attempts and last error. A task row is shown as the task it created."""
    entries = list(OutboxEntry.objects.filter(patient=patient).order_by("-due_at", "-id")[:limit])
    for entry in entries:
        entry.is_task = entry.purpose == OutboxEntry.Purpose.TASK
        entry.when = entry.sent_at or entry.cancelled_at or entry.due_at
        if entry.is_task:
            entry.status_label = {
                OutboxEntry.Status.SENT: "Task created",
                OutboxEntry.Status.SCHEDULED: "Task scheduled",
                OutboxEntry.Status.SENDING: "Task scheduled",
            }.get(entry.status, entry.get_status_display())
            entry.channel_label = OutboxEntry.Channel.WORKLIST.label
        else:
            entry.status_label = entry.get_status_display()
            entry.channel_label = entry.get_channel_display()
        entry.can_send_again = entry.status == OutboxEntry.Status.FAILED and not entry.is_task
    return entries


def patient_calls(*, patient: Patient, limit: int = LOG_LIMIT) -> list[FollowUpCall]:
    return list(
        FollowUpCall.objects.filter(patient=patient)
        .select_related("called_by")
        .order_by("-called_at", "-id")[:limit]
    )


def outbox_entry(*, pk: int) -> OutboxEntry | None:
    return OutboxEntry.objects.select_related("patient").filter(pk=pk).first()
