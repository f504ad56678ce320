"""Reads for the patient chart: the GAD-7/PHQ-9 course with baseline, response and remission,
and a timeline of everything that happened to the patient, newest first.

One query per source, whatever the size of the record: the patient (with when treatment
started, as a subquery), the scores, then each timeline source capped at ``SOURCE_LIMIT`` rows
(the sessions serve both the chart's session lines and the timeline).

Response and remission follow the clinic's usual definitions: the baseline is the last score
before the first completed session (as ``followups.services.results`` compares with), a
response is a total at least 50% below it, a remission a total below 5, both counted from the
first completed session on.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import dateformat, timezone

from intake.models import Assessment, ConsultationRequest, Intake, Patient
from intake.scoring import GAD7_BANDS, GAD7_MAX, PHQ9_BANDS, PHQ9_MAX
from treatments.dosing import ROUTE_LABELS
from treatments.models import PlanVersion, Screening, TreatmentSession

from ..models import FollowUpCall, OutboxEntry, Survey
from .worklists import with_scores

SOURCE_LIMIT = 200  # timeline rows per source
SCORES_LIMIT = 500  # latest scores drawn and listed
REMISSION_BELOW = 5
SOURCE_LABELS = {"intake": "Intake", "survey": "Check-in survey", "session": "Session"}


@dataclass(frozen=True)
class Instrument:
    code: str
    label: str
    maximum: int
    bands: tuple[tuple[int, str], ...]


INSTRUMENTS = (
    Instrument(Assessment.Instrument.GAD7, "GAD-7", GAD7_MAX, GAD7_BANDS),
    Instrument(Assessment.Instrument.PHQ9, "PHQ-9", PHQ9_MAX, PHQ9_BANDS),
)


def local_date(moment: datetime) -> str:
    return dateformat.format(timezone.localtime(moment), "m/d/Y")


# --- Response and remission: plain rules on (when, total) ---------------------------------------


@dataclass(frozen=True)
class Outcome:
    """Where each score of one instrument stands against the baseline (indexes in time order)."""

    baseline: int | None  # index of the baseline score, None without one
    responses: frozenset[int]
    remissions: frozenset[int]
    after_start: frozenset[int]  # scores taken from the first completed session on


def is_response(total: int, baseline_total: int) -> bool:
    """At least 50% below the baseline."""
    return baseline_total > 0 and total * 2 <= baseline_total


def score_outcome(
    totals: Sequence[tuple[datetime, int]], *, treatment_start: datetime | None
) -> Outcome:
    """``totals`` in time order. Before treatment starts nothing is a response or a remission."""
    if treatment_start is None:
        return Outcome(None, frozenset(), frozenset(), frozenset())
    before = [index for index, (at, _) in enumerate(totals) if at < treatment_start]
    baseline = before[-1] if before else None
    after = frozenset(index for index, (at, _) in enumerate(totals) if at >= treatment_start)
    responses = frozenset(
        index
        for index in after
        if baseline is not None and is_response(totals[index][1], totals[baseline][1])
    )
    remissions = frozenset(index for index in after if totals[index][1] < REMISSION_BELOW)
    return Outcome(baseline, responses, remissions, after)


# --- The scores ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorePoint:
    instrument: str
    instrument_label: str
    at: datetime
    total: int
    band: str
    source_kind: str
    is_baseline: bool = False
    is_response: bool = False
    is_remission: bool = False

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source_kind, self.source_kind.capitalize())

    @property
    def outcome_label(self) -> str:
        """What this score is: "Baseline", "Response", "Remission", "Response, remission"."""
        words = [
            word
            for word, applies in (
                ("Baseline", self.is_baseline),
                ("Response", self.is_response),
                ("Remission", self.is_remission),
            )
            if applies
        ]
        return ", ".join(words)


@dataclass
class Course:
    """One instrument's scores in time order, and what they add up to."""

    instrument: Instrument
    points: list[ScorePoint]
    baseline: ScorePoint | None
    response_at: datetime | None
    remission_at: datetime | None
    status: str

    @property
    def latest(self) -> ScorePoint | None:
        return self.points[-1] if self.points else None

    @property
    def statements(self) -> list[str]:
        """ "Response at 03/02/2026", "Remission at ..." (the first time), or that none yet."""
        if not self.points:
            return []
        return [
            f"{word} at {local_date(moment)}" if moment else f"No {word.lower()} yet"
            for word, moment in (("Response", self.response_at), ("Remission", self.remission_at))
        ]


def _status(
    points: list[ScorePoint],
    outcome: Outcome,
    *,
    treatment_start: datetime | None,
) -> str:
    if not points:
        return "No scores recorded."
    if treatment_start is None:
        return "No completed session yet: response and remission count from the first one."
    if not outcome.after_start:
        return "No score since treatment started."
    latest = points[max(outcome.after_start)]
    baseline = points[outcome.baseline] if outcome.baseline is not None else None
    if baseline is None:
        comparison = "no score before the first session to compare with"
    elif baseline.total == 0:
        comparison = "baseline 0"
    else:
        change = round((baseline.total - latest.total) / baseline.total * 100)
        direction = "below" if change >= 0 else "above"
        comparison = f"{abs(change)}% {direction} baseline {baseline.total}"
    if latest.is_remission:
        state = "In remission"
    elif latest.is_response:
        state = "Responding"
    elif baseline is None:
        state = "Response unknown"
    else:
        state = "Not responding"
    return (
        f"Current status: {state} (latest {latest.total} on {local_date(latest.at)}, {comparison})."
    )


def score_courses(*, patient: Patient, treatment_start: datetime | None) -> list[Course]:
    """GAD-7 and PHQ-9, each with baseline, responses and remissions marked. One query."""
    rows = list(
        Assessment.objects.filter(patient=patient)
        .only("id", "instrument", "total", "band", "taken_at", "source_kind")
        .order_by("-taken_at", "-id")[:SCORES_LIMIT]
    )
    rows.reverse()
    courses = []
    for instrument in INSTRUMENTS:
        mine = [row for row in rows if row.instrument == instrument.code]
        outcome = score_outcome(
            [(row.taken_at, row.total) for row in mine], treatment_start=treatment_start
        )
        points = [
            ScorePoint(
                instrument=instrument.code,
                instrument_label=instrument.label,
                at=row.taken_at,
                total=row.total,
                band=row.band,
                source_kind=row.source_kind,
                is_baseline=index == outcome.baseline,
                is_response=index in outcome.responses,
                is_remission=index in outcome.remissions,
            )
            for index, row in enumerate(mine)
        ]
        first_response = min(outcome.responses, default=None)
        first_remission = min(outcome.remissions, default=None)
        courses.append(
            Course(
                instrument=instrument,
                points=points,
                baseline=points[outcome.baseline] if outcome.baseline is not None else None,
                response_at=points[first_response].at if first_response is not None else None,
                remission_at=points[first_remission].at if first_remission is not None else None,
                status=_status(points, outcome, treatment_start=treatment_start),
            )
        )
    return courses


# --- The timeline --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    summary: str
    url: str = ""


@dataclass
class PatientChart:
    patient: Patient
    treatment_start: datetime | None
    courses: list[Course]
    completed_sessions: list[datetime]
    timeline: list[TimelineEntry]
    truncated: list[str] = field(default_factory=list)  # kinds with more than SOURCE_LIMIT rows

    @property
    def scores(self) -> list[ScorePoint]:
        """Every score, newest first (the table under the charts)."""
        return sorted(
            (point for course in self.courses for point in course.points),
            key=lambda point: (point.at, point.instrument),
            reverse=True,
        )


def chart_patient(*, pk: int) -> Patient | None:
    """The patient, with ``treatment_start`` (their first completed session's start). One
    query."""
    first_completed = (
        TreatmentSession.objects.filter(
            patient=OuterRef("pk"), status=TreatmentSession.Status.COMPLETED
        )
        .order_by("starts_at")
        .values("starts_at")[:1]
    )
    return Patient.objects.annotate(treatment_start=Subquery(first_completed)).filter(pk=pk).first()


def _capped(queryset, kind: str, truncated: list[str]) -> list:
    rows = list(queryset[: SOURCE_LIMIT + 1])
    if len(rows) > SOURCE_LIMIT:
        truncated.append(kind)
    return rows[:SOURCE_LIMIT]


def _score_text(label: str, total: int | None, band: str | None) -> str | None:
    return None if total is None else f"{label} {total} ({band})"


def _inquiry_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    inquiries = _capped(
        ConsultationRequest.objects.filter(patient=patient).order_by("-created_at", "-id"),
        "consultation requests",
        truncated,
    )
    return [
        TimelineEntry(
            at=inquiry.created_at,
            kind="Consultation request",
            summary=(
                f"Asked for help with {', '.join(inquiry.concern_labels()) or 'nothing stated'}"
                f" ({inquiry.get_status_display()})"
            ),
        )
        for inquiry in inquiries
    ]


def _intake_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    intakes = _capped(
        Intake.objects.filter(patient=patient, status=Intake.Status.SUBMITTED)
        .only("id", "submitted_at", "gad7_total", "gad7_band", "phq9_total", "phq9_band", "flags")
        .order_by("-submitted_at", "-id"),
        "intakes",
        truncated,
    )
    entries = []
    for intake in intakes:
        scores = [
            text
            for text in (
                _score_text("GAD-7", intake.gad7_total, intake.gad7_band),
                _score_text("PHQ-9", intake.phq9_total, intake.phq9_band),
            )
            if text
        ]
        flags = len(intake.flags or [])
        if flags:
            scores.append(f"{flags} flag{'s' if flags != 1 else ''}")
        entries.append(
            TimelineEntry(
                at=intake.submitted_at,
                kind="Intake",
                summary="Submitted" + (f": {', '.join(scores)}" if scores else ""),
                url=reverse("intake:intake_detail", args=[intake.pk]),
            )
        )
    return entries


def _screening_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    screenings = _capped(
        Screening.objects.filter(patient=patient)
        .select_related("determination__signed_by")
        .order_by("-created_at", "-id"),
        "screenings",
        truncated,
    )
    entries = []
    for screening in screenings:
        url = reverse("treatments:screening_detail", args=[screening.pk])
        entries.append(
            TimelineEntry(
                at=screening.created_at,
                kind="Screening",
                summary=f"{screening.get_result_display()} ({screening.get_status_display()})",
                url=url,
            )
        )
        determination = getattr(screening, "determination", None)
        if determination is not None:
            signer = determination.signed_by
            summary = (
                f"{determination.get_decision_display()}, signed by "
                f"{signer.get_full_name() or signer.username}"
            )
            if determination.is_override:
                summary += " (overrides the screening)"
            entries.append(
                TimelineEntry(
                    at=determination.signed_at,
                    kind="Screening determination",
                    summary=summary,
                    url=url,
                )
            )
    return entries


def _dose_text(version: PlanVersion) -> str:
    if version.dose_unit == "mg":
        return f"{version.dose_mg} mg"
    return f"{version.dose_amount} {version.dose_unit} ({version.dose_mg} mg)"


def _plan_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    versions = _capped(
        PlanVersion.objects.filter(plan__patient=patient).order_by("-effective_at", "-id"),
        "plan versions",
        truncated,
    )
    entries = []
    for version in versions:
        route = ROUTE_LABELS.get(version.route, version.route)
        summary = (
            f"Version {version.number}: {version.get_phase_display()}, {route}, "
            f"{_dose_text(version)}, {version.sessions_planned} sessions planned"
        )
        if version.amendment_reason:
            summary += f"; reason: {version.amendment_reason}"
        entries.append(
            TimelineEntry(
                at=version.effective_at,
                kind="Treatment plan",
                summary=summary,
                url=reverse("treatments:plan_detail", args=[version.plan_id]),
            )
        )
    return entries


def _sessions(patient: Patient, truncated: list[str]) -> list[TreatmentSession]:
    return _capped(
        TreatmentSession.objects.filter(patient=patient)
        .select_related("chair")
        .only("id", "starts_at", "status", "cancel_reason", "chair__name")
        .order_by("-starts_at", "-id"),
        "sessions",
        truncated,
    )


def _session_entries(sessions: list[TreatmentSession]) -> list[TimelineEntry]:
    entries = []
    for session in sessions:
        summary = f"{session.get_status_display()}, {session.chair.name}"
        if session.status == TreatmentSession.Status.CANCELLED and session.cancel_reason:
            summary += f": {session.cancel_reason}"
        entries.append(
            TimelineEntry(
                at=session.starts_at,
                kind="Session",
                summary=summary,
                url=reverse("treatments:session_detail", args=[session.pk]),
            )
        )
    return entries


def _survey_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    surveys = _capped(
        with_scores(Survey.objects.filter(patient=patient).order_by("-due_at", "-id")),
        "check-in surveys",
        truncated,
    )
    entries = []
    for survey in surveys:
        answered = survey.status == Survey.Status.COMPLETED
        if answered:
            scores = [
                text
                for text in (
                    _score_text("GAD-7", survey.gad7_total, survey.gad7_band),
                    _score_text("PHQ-9", survey.phq9_total, survey.phq9_band),
                )
                if text
            ]
            summary = "Answered" + (f": {', '.join(scores)}" if scores else "")
            if survey.escalated:
                summary += "; escalated"
        elif survey.status == Survey.Status.CANCELLED:
            summary = "Cancelled"
        else:
            summary = f"Not answered ({survey.get_status_display().lower()})"
        entries.append(
            TimelineEntry(
                at=survey.completed_at if answered and survey.completed_at else survey.due_at,
                kind=f"Check-in survey ({survey.offset_label} after)",
                summary=summary,
                url=reverse("followups:survey_detail", args=[survey.pk]) if answered else "",
            )
        )
    return entries


def _message_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    messages = _capped(
        OutboxEntry.objects.filter(
            patient=patient, status__in=(OutboxEntry.Status.SENT, OutboxEntry.Status.FAILED)
        )
        .exclude(purpose=OutboxEntry.Purpose.TASK)
        .order_by("-due_at", "-id"),
        "messages",
        truncated,
    )
    url = reverse("followups:communication_log", args=[patient.pk])
    entries = []
    for message in messages:
        channel = message.get_channel_display() or "no channel"
        if message.status == OutboxEntry.Status.SENT:
            summary = f"{message.description}: sent by {channel.lower()}"
        else:
            summary = f"{message.description}: failed by {channel.lower()}"
            if message.last_error:
                summary += f" ({message.last_error})"
        entries.append(
            TimelineEntry(
                at=message.sent_at or message.due_at, kind="Message", summary=summary, url=url
            )
        )
    return entries


def _call_entries(patient: Patient, truncated: list[str]) -> list[TimelineEntry]:
    calls = _capped(
        FollowUpCall.objects.filter(patient=patient)
        .select_related("called_by")
        .order_by("-called_at", "-id"),
        "calls",
        truncated,
    )
    url = reverse("followups:communication_log", args=[patient.pk])
    entries = []
    for call in calls:
        caller = call.called_by.get_full_name() or call.called_by.username
        summary = f"{call.get_outcome_display()} (by {caller})"
        if call.note:
            summary += f": {call.note}"
        entries.append(
            TimelineEntry(at=call.called_at, kind="Follow-up call", summary=summary, url=url)
        )
    return entries


def patient_chart(*, patient: Patient) -> PatientChart:
    """The chart of a patient from ``chart_patient`` (which read ``treatment_start``).
    Ten queries: the scores and the nine timeline sources."""
    treatment_start = getattr(patient, "treatment_start", None)
    truncated: list[str] = []
    sessions = _sessions(patient, truncated)
    timeline = [
        *_inquiry_entries(patient, truncated),
        *_intake_entries(patient, truncated),
        *_screening_entries(patient, truncated),
        *_plan_entries(patient, truncated),
        *_session_entries(sessions),
        *_survey_entries(patient, truncated),
        *_message_entries(patient, truncated),
        *_call_entries(patient, truncated),
    ]
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    return PatientChart(
        patient=patient,
        treatment_start=treatment_start,
        courses=score_courses(patient=patient, treatment_start=treatment_start),
        completed_sessions=sorted(
            session.starts_at
            for session in sessions
            if session.status == TreatmentSession.Status.COMPLETED
        ),
        timeline=timeline,
        truncated=truncated,
    )


def latest_scores(*, patient: Patient) -> dict[str, Assessment]:
    """The latest GAD-7 and PHQ-9 of a patient, by instrument code. One query."""

    def latest(instrument: str) -> Subquery:
        return Subquery(
            Assessment.objects.filter(patient=patient, instrument=instrument)
            .order_by("-taken_at", "-id")
            .values("pk")[:1]
        )

    rows = Assessment.objects.filter(
        Q(pk=latest(Assessment.Instrument.GAD7)) | Q(pk=latest(Assessment.Instrument.PHQ9))
    ).only("id", "instrument", "total", "band", "taken_at")
    return {row.instrument: row for row in rows}
