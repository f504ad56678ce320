"""Reads for the follow-up pages: the staff worklist, the patient's communication log and their
check-in surveys with scores.

Every read costs a fixed number of queries however many rows it returns: related rows come by
``select_related``/``Prefetch`` and the GAD-7/PHQ-9 scores of a survey (``intake.Assessment``
rows with ``source_kind="survey"``) as subqueries of the survey query.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import (
    Count,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.utils import timezone

from clinic import show_more
from intake.access import at_location
from intake.models import Assessment, ClinicalAlert, Patient
from treatments.models import StaffTask

from ..models import FollowUpCall, OutboxEntry, Survey

TASK_SOURCE = "outbox"  # StaffTask.source_kind of the tasks the outbox sweep makes
SURVEY_SOURCE = "survey"  # Assessment/ClinicalAlert.source_kind of a check-in survey's rows
DONE_DAYS = 7
LOG_LIMIT = 200
SURVEYS_SHOWN = 50
PANEL_SURVEYS = 3

ESCALATION_LABELS = {
    "item9": "Thoughts of self-harm (PHQ-9 item 9 answered above “Not at all”)",
    "gad7_worse": "GAD-7 worse than before treatment",  # never from the 24-hour check-in
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
    """Each survey with ``gad7_total``, ``gad7_band``, ``phq9_total``, ``phq9_band`` and
    ``checkin_anxiety_total`` (the 24-hour check-in's, no band) (None when the survey did not
    ask or was not answered), in the same query."""
    return surveys.annotate(
        gad7_total=_score(Assessment.Instrument.GAD7, "total"),
        gad7_band=_score(Assessment.Instrument.GAD7, "band"),
        phq9_total=_score(Assessment.Instrument.PHQ9, "total"),
        phq9_band=_score(Assessment.Instrument.PHQ9, "band"),
        checkin_anxiety_total=_score(Assessment.Instrument.ANXIETY_CHECKIN, "total"),
    )


# --- The worklist -------------------------------------------------------------------------------

# Each section shows its first SECTION_PAGE rows; "Show more" adds a page at a time up to
# SECTION_MAX, past which the list says how many there are rather than render thousands of forms.
SECTION_PAGE = show_more.PAGE
SECTION_MAX = show_more.MAX
SECTION_SLUGS = ("escalations", "due-today", "overdue", "done")


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
    nouns: tuple[str, str]  # what a row is, one and many: "Show 20 more overdue follow-ups"
    size: int = SECTION_PAGE  # how many rows were asked for
    items: list[WorklistItem] = field(default_factory=list)
    total: int = 0  # rows in the section, shown or not

    @property
    def more(self) -> int:
        """How many rows the section has beyond those shown."""
        return max(self.total - len(self.items), 0)

    @property
    def at_most(self) -> bool:
        """Shown to SECTION_MAX rows with more left: no "Show more" any further."""
        return bool(self.more) and self.size >= SECTION_MAX


@dataclass
class Worklist:
    role: str  # StaffTask.Role value whose tasks are listed
    today: date
    clinical: bool  # surveys and their scores are shown (clinicians' own list only)
    sections: list[WorklistSection]

    def section(self, slug: str) -> WorklistSection:
        return next(section for section in self.sections if section.slug == slug)


def day_bounds(now: datetime) -> tuple[date, datetime, datetime]:
    """Today in the zone the request shows (the working location's in a chain, the clinic's
    otherwise), and when it starts and ends (DST-safe: each from its date)."""
    zone = timezone.get_current_timezone()
    today = now.astimezone(zone).date()
    start = datetime.combine(today, time.min, tzinfo=zone)
    end = datetime.combine(today + timedelta(days=1), time.min, tzinfo=zone)
    return today, start, end


# Each section and each count is one index range scan however long the backlog, the counts
# reading the index only: open tasks by task_worklist (role, status, due_at; it includes
# source_kind), tasks done by an index on (role, completed_at) of the outbox's done tasks, surveys
# to review by survey_review_queue (completed_at, escalations) and, escalated, survey_escalated,
# surveys reviewed by survey_reviewed. The filters below are those indexes' conditions.


# ``location_id`` (a chain): the rows of that location's patients only (``intake.access``).


def _open_tasks(role: str, location_id: int | None = None) -> QuerySet[StaffTask]:
    tasks = StaffTask.objects.filter(
        role=role, source_kind=TASK_SOURCE, status=StaffTask.Status.OPEN
    )
    return at_location(tasks, location_id)


def _done_tasks(role: str, since: datetime, location_id: int | None) -> QuerySet[StaffTask]:
    tasks = StaffTask.objects.filter(
        role=role, source_kind=TASK_SOURCE, status=StaffTask.Status.DONE, completed_at__gte=since
    )
    return at_location(tasks, location_id)


def _to_review(location_id: int | None, *, escalated: bool | None = None) -> QuerySet[Survey]:
    """Answered surveys no clinician has reviewed yet: escalated ones, calm ones, or all."""
    surveys = at_location(
        Survey.objects.filter(status=Survey.Status.COMPLETED, reviewed_at__isnull=True),
        location_id,
    )
    if escalated is None:
        return surveys
    return surveys.exclude(escalations=[]) if escalated else surveys.filter(escalations=[])


def _reviewed(since: datetime, location_id: int | None) -> QuerySet[Survey]:
    return at_location(Survey.objects.filter(reviewed_at__gte=since), location_id)


# The columns a worklist row shows, not whole records: a patient's phone numbers are parsed as
# they load (only tasks show the mobile), and a survey's answers are not shown here.
_PATIENT_COLUMNS = ("patient__mrn", "patient__legal_first_name", "patient__legal_last_name")


def _staff_columns(relation: str) -> tuple[str, ...]:
    return tuple(f"{relation}__{name}" for name in ("username", "first_name", "last_name"))


def _task_rows(tasks: QuerySet[StaffTask]) -> QuerySet[StaffTask]:
    return tasks.select_related("patient", "completed_by").only(
        *("patient", "role", "title", "details", "status", "due_at", "completed_at", "outcome"),
        *_PATIENT_COLUMNS,
        "patient__mobile",
        *_staff_columns("completed_by"),
    )


def _survey_rows(surveys: QuerySet[Survey]) -> QuerySet[Survey]:
    return surveys.select_related("patient", "reviewed_by").only(
        *("patient", "offset_label", "status", "completed_at", "escalations"),
        *("reviewed_at", "review_note"),
        *_PATIENT_COLUMNS,
        *_staff_columns("reviewed_by"),
    )


def _attach_scores(surveys: list[Survey]) -> None:
    """``gad7_total``, ``gad7_band``, ``phq9_total``, ``phq9_band`` on each survey, as
    ``with_scores`` gives them, in one query for the whole page (none when no survey)."""
    if not surveys:
        return
    scores = {
        (source_id, instrument): (total, band)
        for source_id, instrument, total, band in Assessment.objects.filter(
            source_kind=SURVEY_SOURCE,
            source_id__in=[survey.pk for survey in surveys],
        )
        .order_by()  # one per survey and instrument (a constraint): no sort needed
        .values_list("source_id", "instrument", "total", "band")
    }
    for survey in surveys:
        survey.gad7_total, survey.gad7_band = scores.get(
            (survey.pk, Assessment.Instrument.GAD7), (None, None)
        )
        survey.phq9_total, survey.phq9_band = scores.get(
            (survey.pk, Assessment.Instrument.PHQ9), (None, None)
        )
        survey.checkin_anxiety_total, _no_band = scores.get(
            (survey.pk, Assessment.Instrument.ANXIETY_CHECKIN), (None, None)
        )
        survey.score_summary = score_summary(survey)


def score_texts(
    gad7_total: int | None,
    gad7_band: str | None,
    phq9_total: int | None,
    phq9_band: str | None,
    checkin_anxiety_total: int | None = None,
) -> list[str]:
    """["GAD-7 7 (Mild)", "PHQ-9 12 (Moderate)"], without the scales not taken; the 24-hour
    check-in's anxiety total with no band ("24-hour anxiety check-in 9 of 21")."""
    texts = [
        f"{label} {total} ({band})"
        for label, total, band in (
            ("GAD-7", gad7_total, gad7_band),
            ("PHQ-9", phq9_total, phq9_band),
        )
        if total is not None
    ]
    if checkin_anxiety_total is not None:
        texts.append(f"24-hour anxiety check-in {checkin_anxiety_total} of 21")
    return texts


def score_summary(survey: Survey) -> str:
    """The survey's scores in words, as "GAD-7 6 (Mild) · PHQ-9 4 (Minimal)"; empty if none."""
    return " · ".join(
        score_texts(
            survey.gad7_total,
            survey.gad7_band,
            survey.phq9_total,
            survey.phq9_band,
            survey.checkin_anxiety_total,
        )
    )


def worklist_counts(
    *, role: str, now: datetime, done: bool = False, location_id: int | None = None
) -> dict[str, int]:
    """How many rows each worklist section has: ``escalations`` (clinicians' list only, else
    0), ``due_today``, ``overdue``, and with ``done=True`` also ``done`` (the last DONE_DAYS).
    The home panel's numbers. Queries: one on tasks, and one on surveys for clinicians; with
    ``done``, one more on each."""
    _, start, end = day_bounds(now)
    counts = (
        _open_tasks(role, location_id)
        .filter(due_at__lt=end)
        .aggregate(
            due_today=Count("due_at", filter=Q(due_at__gte=start)),
            overdue=Count("due_at", filter=Q(due_at__lt=start)),
        )
    )
    counts["escalations"] = 0
    clinical = role == StaffTask.Role.CLINICIAN
    if clinical:
        # Counted columns are the index's (not "id"), so the counts read the index only.
        surveys = _to_review(location_id).aggregate(
            # Named apart from the field: an aggregate named "escalations" would shadow it.
            escalated=Count("escalations", filter=~Q(escalations=[])),
            calm_today=Count("completed_at", filter=Q(escalations=[], completed_at__gte=start)),
            calm_overdue=Count("completed_at", filter=Q(escalations=[], completed_at__lt=start)),
        )
        counts["escalations"] = surveys["escalated"]
        counts["due_today"] += surveys["calm_today"]
        counts["overdue"] += surveys["calm_overdue"]
    if done:
        since = now - timedelta(days=DONE_DAYS)
        counts["done"] = _done_tasks(role, since, location_id).count()
        if clinical:
            counts["done"] += _reviewed(since, location_id).count()
    return counts


def worklist(
    *,
    role: str,
    now: datetime,
    sizes: Mapping[str, int] | None = None,
    location_id: int | None = None,
) -> Worklist:
    """The follow-up worklist of one role (a ``StaffTask.Role`` value), escalations first.

    Clinicians' list also holds answered check-in surveys: escalated ones first (they need a
    clinician before anything else), the others to review today or, answered before today,
    overdue. The front desk's list holds its tasks only: no survey, score or clinical detail.

    Each section lists its first ``sizes[slug]`` rows (SECTION_PAGE unless asked, at most
    SECTION_MAX), each source of rows read apart in the section's order, and knows its total.
    Queries: the front desk's 6 (the counts of open and done tasks; the tasks due today, overdue
    and done; the calls of the open ones), clinicians' 13 (and the counts of surveys to review
    and reviewed; the surveys escalated, to review today, overdue and reviewed; the scores of
    those shown), whatever the number of rows (calls and scores are not read when no row needs
    them). ``location_id`` (a chain): the tasks and surveys of that location's patients.
    """
    sizes = sizes or {}
    clinical = role == StaffTask.Role.CLINICIAN
    today, start, end = day_bounds(now)
    since = now - timedelta(days=DONE_DAYS)
    sections = {
        "escalations": WorklistSection(
            "escalations",
            "Escalations",
            "Answers a clinician must look at first.",
            ("escalated survey", "escalated surveys"),
        ),
        "due-today": WorklistSection(
            "due-today",
            "Due today",
            "Tasks due today and answered surveys to review." if clinical else "Tasks due today.",
            ("follow-up due today", "follow-ups due today"),
        ),
        "overdue": WorklistSection(
            "overdue",
            "Overdue",
            "Tasks due before today and surveys answered before today."
            if clinical
            else "Tasks that were due before today.",
            ("overdue follow-up", "overdue follow-ups"),
        ),
        "done": WorklistSection(
            "done",
            "Done",
            f"Done in the last {DONE_DAYS} days, latest first.",
            ("done follow-up", "done follow-ups"),
        ),
    }
    if not clinical:
        del sections["escalations"]
    for slug, section in sections.items():
        section.size = min(max(sizes.get(slug, SECTION_PAGE), 1), SECTION_MAX)
    counts = worklist_counts(role=role, now=now, done=True, location_id=location_id)
    for slug, key in (
        ("escalations", "escalations"),
        ("due-today", "due_today"),
        ("overdue", "overdue"),
        ("done", "done"),
    ):
        if slug in sections:
            sections[slug].total = counts[key]

    def first(slug: str, rows: QuerySet) -> list:
        # One row past the page tells "more" apart even if a count raced a change.
        return list(rows[: sections[slug].size + 1])

    open_tasks = _task_rows(_open_tasks(role, location_id)).order_by("due_at", "id")
    due_tasks = first("due-today", open_tasks.filter(due_at__gte=start, due_at__lt=end))
    overdue_tasks = first("overdue", open_tasks.filter(due_at__lt=start))
    # As a list on each task (to_attr): Django builds no queryset per task to hold its calls.
    prefetch_related_objects(
        [*due_tasks, *overdue_tasks],
        Prefetch(
            "calls",
            queryset=FollowUpCall.objects.select_related("called_by").order_by("-called_at", "-id"),
            to_attr="calls_logged",
        ),
    )
    done_tasks = first(
        "done", _task_rows(_done_tasks(role, since, location_id)).order_by("-completed_at", "-id")
    )
    rows = {
        "due-today": [WorklistItem(task=task) for task in due_tasks],
        "overdue": [WorklistItem(task=task) for task in overdue_tasks],
        "done": [WorklistItem(task=task) for task in done_tasks],
    }
    if clinical:
        escalated = first(
            "escalations",
            _survey_rows(_to_review(location_id, escalated=True)).order_by("completed_at", "id"),
        )
        for survey in escalated:
            survey.escalation_reasons = escalation_reasons(survey)
        calm = _survey_rows(_to_review(location_id, escalated=False)).order_by("completed_at", "id")
        reviewed = _survey_rows(_reviewed(since, location_id)).order_by("-reviewed_at", "-id")
        for slug, surveys in (
            ("escalations", escalated),
            ("due-today", first("due-today", calm.filter(completed_at__gte=start))),
            ("overdue", first("overdue", calm.filter(completed_at__lt=start))),
            ("done", first("done", reviewed)),
        ):
            rows.setdefault(slug, []).extend(WorklistItem(survey=survey) for survey in surveys)
    oldest_first = _sort_key(datetime.max.replace(tzinfo=UTC))
    for slug, section in sections.items():
        items = rows[slug]
        if slug == "done":
            items.sort(key=_sort_key(datetime.min.replace(tzinfo=UTC)), reverse=True)
        else:
            items.sort(key=oldest_first)
        section.items = items[: section.size]
        # The counts and the rows are separate reads: never claim fewer rows than were read.
        section.total = max(section.total, min(len(items), section.size + 1))
    if clinical:
        _attach_scores(
            [item.survey for section in sections.values() for item in section.items if item.survey]
        )
    return Worklist(role=role, today=today, clinical=clinical, sections=list(sections.values()))


def _sort_key(missing: datetime):
    def key(item: WorklistItem):
        return (item.when or missing, item.task is None, (item.task or item.survey).pk)

    return key


# --- Tasks, surveys -----------------------------------------------------------------------------


def followup_task(*, pk: int, roles: list[str]) -> StaffTask | None:
    """A task the outbox made, for one of ``roles``, with its patient (what the call page
    shows: the name, MRN and mobile) and the calls logged."""
    return (
        StaffTask.objects.filter(pk=pk, role__in=roles, source_kind=TASK_SOURCE)
        .select_related("patient", "completed_by")
        .only(
            *(field.name for field in StaffTask._meta.concrete_fields),
            *_PATIENT_COLUMNS,
            "patient__mobile",
            *_staff_columns("completed_by"),
        )
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
    """The survey with what its page shows of the patient, the session and the reviewer (not
    their whole records: the session alone has some fifty columns)."""
    return (
        Survey.objects.select_related("patient", "session", "reviewed_by")
        .only(
            *(field.name for field in Survey._meta.concrete_fields),
            *_PATIENT_COLUMNS,
            "session__starts_at",
            *_staff_columns("reviewed_by"),
        )
        .filter(pk=pk)
        .first()
    )


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
    # The patient too: read from the index on the patient's alerts, not a scan of every alert
    # (the unique index on the source leads with the alert's kind).
    return list(
        ClinicalAlert.objects.filter(
            patient_id=survey.patient_id, source_kind=SURVEY_SOURCE, source_id=survey.pk
        )
        .select_related("acknowledged_by")
        .order_by("created_at", "id")
    )


def patient_surveys(*, patient: Patient, limit: int = SURVEYS_SHOWN) -> list[Survey]:
    """The patient's check-in surveys, newest first, with their sessions and scores. One
    query."""
    surveys = Survey.objects.filter(patient=patient).select_related("session")
    return list(with_scores(surveys.order_by("-due_at", "-id"))[:limit])


# What the front desk may read of a survey: when, and whether it was answered.
STATUS_FIELDS = ("id", "patient_id", "offset_label", "status", "due_at", "completed_at")


def patient_survey_statuses(*, patient: Patient, limit: int = SURVEYS_SHOWN) -> list[Survey]:
    """What the front desk may see of the surveys: when and whether answered, never answers,
    scores or escalations (the query does not read them)."""
    return list(
        Survey.objects.filter(patient=patient)
        .only(*STATUS_FIELDS)
        .order_by("-due_at", "-id")[:limit]
    )


# What the patient summary's card reads of a survey: for a clinician, the scores too; for the
# front desk, when and whether it was answered only (STATUS_FIELDS).
PANEL_CLINICIAN_FIELDS = (*STATUS_FIELDS, "escalations", "reviewed_at")


def panel_surveys(*, patient: Patient, scores: bool) -> list[Survey]:
    """The latest ``PANEL_SURVEYS`` surveys for the patient summary, newest first. ``scores``:
    with escalations, review and scores (a clinician); else the status and dates only. One
    query; other fields load on access."""
    surveys = Survey.objects.filter(patient=patient).order_by("-due_at", "-id")
    if scores:
        surveys = with_scores(surveys).only(*PANEL_CLINICIAN_FIELDS)
    else:
        surveys = surveys.only(*STATUS_FIELDS)
    return list(surveys[:PANEL_SURVEYS])


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
