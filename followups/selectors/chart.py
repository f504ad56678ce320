"""Reads for the patient chart: the GAD-7/PHQ-9 course with baseline, response and remission,
and a timeline of everything that happened to the patient, newest first.

One query per source, whatever the size of the record: the patient, the scores, then each
timeline source. The chart page shows the latest ``TIMELINE_LIMIT`` events merged across the
sources, so each source reads that many rows (and one more, to tell whether there are older
ones); the full timeline reads up to ``SOURCE_LIMIT`` rows of each. The sessions serve the
timeline, the chart's session lines and when treatment started (the first completed session),
so they are read up to ``SOURCE_LIMIT`` either way.

The sources with many rows per patient (scores, sessions, surveys, intakes) are read as tuples
(``values_list``): model instances cost more than the query there. The rare ones (inquiries,
screenings, plan versions, calls) keep their models and their display methods.

Response and remission follow the clinic's usual definitions: the baseline is the last score
before the first completed session (as ``followups.services.results`` compares with), a
response is a total at least 50% below it, a remission a total below 5, both counted from the
first completed session on.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from django.urls import reverse
from django.utils import timezone

from intake.models import Assessment, ConsultationRequest, Intake, Patient
from intake.scoring import GAD7_BANDS, GAD7_MAX, PHQ9_BANDS, PHQ9_MAX
from treatments.dosing import ROUTE_LABELS
from treatments.models import PlanVersion, Screening, TreatmentSession

from ..models import FollowUpCall, OutboxEntry, Survey
from .worklists import SURVEY_SOURCE, score_texts

TIMELINE_LIMIT = 25  # latest events on the chart page, across every source
SOURCE_LIMIT = 200  # rows per source on the full timeline, and sessions drawn
SCORES_LIMIT = 500  # latest scores drawn and listed
REMISSION_BELOW = 5
NO_SCORE = (None, None)  # (total, band) of a scale not taken
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
    """ "03/09/2026", in the clinic's zone."""
    return timezone.localtime(moment).strftime("%m/%d/%Y")


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
    at: datetime  # in the clinic's zone
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
    def date_text(self) -> str:
        return self.at.strftime("%m/%d/%Y")

    @property
    def iso(self) -> str:
        return self.at.isoformat()

    @property
    def total_text(self) -> str:
        """ "16 (Severe)"."""
        return f"{self.total} ({self.band})"

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

    @property
    def outcome_text(self) -> str:
        """The table's cell: the outcome, or a dash for none."""
        return self.outcome_label or "—"


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


def _score_rows(patient: Patient) -> list[tuple]:
    """(instrument, taken_at, total, band, source_kind, source_id) of the latest
    ``SCORES_LIMIT`` scores, in time order. One query."""
    rows = list(
        Assessment.objects.filter(patient=patient)
        .order_by("-taken_at", "-id")
        .values_list("instrument", "taken_at", "total", "band", "source_kind", "source_id")[
            :SCORES_LIMIT
        ]
    )
    rows.reverse()
    return rows


def score_courses(*, patient: Patient, treatment_start: datetime | None) -> list[Course]:
    """GAD-7 and PHQ-9, each with baseline, responses and remissions marked. One query."""
    return _courses(_score_rows(patient), treatment_start=treatment_start)


def _courses(rows: list[tuple], *, treatment_start: datetime | None) -> list[Course]:
    zone = timezone.get_current_timezone()  # once: a few hundred points may need it
    courses = []
    for instrument in INSTRUMENTS:
        mine = [row[1:5] for row in rows if row[0] == instrument.code]
        outcome = score_outcome(
            [(taken_at, total) for taken_at, total, *_ in mine], treatment_start=treatment_start
        )
        points = [
            ScorePoint(
                instrument=instrument.code,
                instrument_label=instrument.label,
                at=taken_at.astimezone(zone),
                total=total,
                band=band,
                source_kind=source_kind,
                is_baseline=index == outcome.baseline,
                is_response=index in outcome.responses,
                is_remission=index in outcome.remissions,
            )
            for index, (taken_at, total, band, source_kind) in enumerate(mine)
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


@dataclass
class TimelineEntry:
    at: datetime
    kind: str
    summary: str
    # (URL name, argument) of the record it opens: reversed into ``url`` for the entries shown.
    link: tuple[str, int] | None = None
    url: str = ""

    @cached_property
    def local_at(self) -> datetime:
        return timezone.localtime(self.at)

    @property
    def when(self) -> str:
        """ "03/09/2026 08:30", in the clinic's zone."""
        return self.local_at.strftime("%m/%d/%Y %H:%M")

    @property
    def iso(self) -> str:
        return self.local_at.isoformat()

    @property
    def open_label(self) -> str:
        """What its "Open" link opens, for a screen reader: "the session of 03/09/2026 08:30"."""
        return f"the {self.kind.lower()} of {self.when}"


@dataclass
class PatientChart:
    patient: Patient
    treatment_start: datetime | None
    courses: list[Course]
    completed_sessions: list[datetime]
    timeline: list[TimelineEntry]  # newest first
    full_timeline: bool = False  # every source up to SOURCE_LIMIT, not the latest events
    timeline_more: bool = False  # older events than those shown (the latest TIMELINE_LIMIT)
    truncated: list[str] = field(default_factory=list)  # full timeline: kinds past SOURCE_LIMIT

    @cached_property
    def scores(self) -> list[ScorePoint]:
        """Every score, newest first (the table under the charts)."""
        return sorted(
            (point for course in self.courses for point in course.points),
            key=lambda point: (point.at, point.instrument),
            reverse=True,
        )


def chart_patient(*, pk: int) -> Patient | None:
    """The patient. One query (when treatment started comes from the sessions the chart reads
    anyway: see ``patient_chart``)."""
    return Patient.objects.filter(pk=pk).first()


@dataclass
class _Sources:
    """How many rows each timeline source reads, and which had more."""

    limit: int
    truncated: list[str] = field(default_factory=list)

    def read(self, queryset, kind: str) -> list:
        rows = list(queryset[: self.limit + 1])
        if len(rows) > self.limit:
            self.truncated.append(kind)
        return rows[: self.limit]


def _with_details(summary: str, details: list[str]) -> str:
    return f"{summary}: {', '.join(details)}" if details else summary


def _inquiry_entries(patient: Patient, sources: _Sources) -> list[TimelineEntry]:
    inquiries = sources.read(
        ConsultationRequest.objects.filter(patient=patient).order_by("-created_at", "-id"),
        "consultation requests",
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


def _intake_entries(patient: Patient, sources: _Sources) -> list[TimelineEntry]:
    intakes = sources.read(
        Intake.objects.filter(patient=patient, status=Intake.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
        .values_list(
            "id", "submitted_at", "gad7_total", "gad7_band", "phq9_total", "phq9_band", "flags"
        ),
        "intakes",
    )
    entries = []
    for pk, submitted_at, *scores, flags in intakes:
        details = score_texts(*scores)
        if flags:
            details.append(f"{len(flags)} flag{'s' if len(flags) != 1 else ''}")
        entries.append(
            TimelineEntry(
                at=submitted_at,
                kind="Intake",
                summary=_with_details("Submitted", details),
                link=("intake:intake_detail", pk),
            )
        )
    return entries


def _screening_entries(patient: Patient, sources: _Sources) -> list[TimelineEntry]:
    screenings = sources.read(
        Screening.objects.filter(patient=patient)
        .select_related("determination__signed_by")
        .order_by("-created_at", "-id"),
        "screenings",
    )
    entries = []
    for screening in screenings:
        link = ("treatments:screening_detail", screening.pk)
        entries.append(
            TimelineEntry(
                at=screening.created_at,
                kind="Screening",
                summary=f"{screening.get_result_display()} ({screening.get_status_display()})",
                link=link,
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
                    link=link,
                )
            )
    return entries


def _dose_text(version: PlanVersion) -> str:
    if version.dose_unit == "mg":
        return f"{version.dose_mg} mg"
    return f"{version.dose_amount} {version.dose_unit} ({version.dose_mg} mg)"


def _plan_entries(patient: Patient, sources: _Sources) -> list[TimelineEntry]:
    versions = sources.read(
        PlanVersion.objects.filter(plan__patient=patient).order_by("-effective_at", "-id"),
        "plan versions",
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
                link=("treatments:plan_detail", version.plan_id),
            )
        )
    return entries


def _sessions(patient: Patient, sources: _Sources) -> tuple[list[tuple], bool]:
    """(id, starts_at, status, cancel_reason, chair name), newest first: up to SOURCE_LIMIT
    whatever the timeline shows, as they also draw the charts' session lines and tell when
    treatment started. And whether those are every session of the patient."""
    rows = list(
        TreatmentSession.objects.filter(patient=patient)
        .order_by("-starts_at", "-id")
        .values_list("id", "starts_at", "status", "cancel_reason", "chair__name")[
            : SOURCE_LIMIT + 1
        ]
    )
    if len(rows) > sources.limit:
        sources.truncated.append("sessions")
    return rows[:SOURCE_LIMIT], len(rows) <= SOURCE_LIMIT


def _treatment_start(
    patient: Patient, sessions: list[tuple], every_session: bool
) -> datetime | None:
    """When the first completed session started: from the sessions read when they are all of
    them (no query), else one more query (a record of more than ``SOURCE_LIMIT`` sessions)."""
    completed = TreatmentSession.Status.COMPLETED
    if every_session:
        return min(
            (starts_at for _, starts_at, status, *_ in sessions if status == completed),
            default=None,
        )
    return (
        TreatmentSession.objects.filter(patient=patient, status=completed)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )


def _session_entries(sessions: list[tuple], limit: int) -> list[TimelineEntry]:
    statuses = dict(TreatmentSession.Status.choices)
    entries = []
    for pk, starts_at, status, cancel_reason, chair in sessions[:limit]:
        summary = f"{statuses.get(status, status)}, {chair}"
        if status == TreatmentSession.Status.CANCELLED and cancel_reason:
            summary += f": {cancel_reason}"
        entries.append(
            TimelineEntry(
                at=starts_at,
                kind="Session",
                summary=summary,
                link=("treatments:session_detail", pk),
            )
        )
    return entries


def _survey_scores(score_rows: list[tuple]) -> dict[int, dict[str, tuple[int, str]]]:
    """{survey id: {instrument: (total, band)}} from the scores the charts read, which saves
    the surveys' query a lookup per survey and scale. The latest surveys' scores are among the
    latest ``SCORES_LIMIT``; only the full timeline of a record with hundreds of scores could
    show a survey older than those, as answered without its totals."""
    scores: dict[int, dict[str, tuple[int, str]]] = {}
    for instrument, _, total, band, source_kind, source_id in score_rows:
        if source_kind == SURVEY_SOURCE:
            scores.setdefault(source_id, {})[instrument] = (total, band)
    return scores


def _survey_entries(
    patient: Patient, sources: _Sources, scores: dict[int, dict[str, tuple[int, str]]]
) -> list[TimelineEntry]:
    statuses = dict(Survey.Status.choices)
    surveys = sources.read(
        Survey.objects.filter(patient=patient)
        .order_by("-due_at", "-id")
        .values_list("id", "status", "due_at", "completed_at", "offset_label", "escalations"),
        "check-in surveys",
    )
    gad7, phq9 = Assessment.Instrument.GAD7, Assessment.Instrument.PHQ9
    entries = []
    for pk, status, due_at, completed_at, offset_label, escalations in surveys:
        answered = status == Survey.Status.COMPLETED
        if answered:
            mine = scores.get(pk, {})
            summary = _with_details(
                "Answered", score_texts(*mine.get(gad7, NO_SCORE), *mine.get(phq9, NO_SCORE))
            )
            if escalations:
                summary += "; escalated"
        elif status == Survey.Status.CANCELLED:
            summary = "Cancelled"
        else:
            summary = f"Not answered ({statuses.get(status, status).lower()})"
        entries.append(
            TimelineEntry(
                at=completed_at if answered and completed_at else due_at,
                kind=f"Check-in survey ({offset_label} after)",
                summary=summary,
                link=("followups:survey_detail", pk) if answered else None,
            )
        )
    return entries


def _message_entries(patient: Patient, sources: _Sources) -> list[TimelineEntry]:
    messages = sources.read(
        OutboxEntry.objects.filter(
            patient=patient, status__in=(OutboxEntry.Status.SENT, OutboxEntry.Status.FAILED)
        )
        .exclude(purpose=OutboxEntry.Purpose.TASK)
        .order_by("-due_at", "-id")
        .only(
            "id", "purpose", "offset_label", "status", "due_at", "sent_at", "channel", "last_error"
        ),
        "messages",
    )
    link = ("followups:communication_log", patient.pk)
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
                at=message.sent_at or message.due_at, kind="Message", summary=summary, link=link
            )
        )
    return entries


def _call_entries(patient: Patient, sources: _Sources) -> list[TimelineEntry]:
    calls = sources.read(
        FollowUpCall.objects.filter(patient=patient)
        .select_related("called_by")
        .order_by("-called_at", "-id"),
        "calls",
    )
    link = ("followups:communication_log", patient.pk)
    entries = []
    for call in calls:
        caller = call.called_by.get_full_name() or call.called_by.username
        summary = f"{call.get_outcome_display()} (by {caller})"
        if call.note:
            summary += f": {call.note}"
        entries.append(
            TimelineEntry(at=call.called_at, kind="Follow-up call", summary=summary, link=link)
        )
    return entries


def patient_chart(*, patient: Patient, full_timeline: bool = False) -> PatientChart:
    """The chart of a patient.

    The timeline holds the latest ``TIMELINE_LIMIT`` events across every source, or with
    ``full_timeline`` up to ``SOURCE_LIMIT`` rows of each. Nine queries either way: the scores
    and the eight timeline sources, each reading only the rows it may show (and one more, to
    tell whether there are older ones); a tenth for when treatment started only for a record
    of more than ``SOURCE_LIMIT`` sessions."""
    score_rows = _score_rows(patient)
    sources = _Sources(limit=SOURCE_LIMIT if full_timeline else TIMELINE_LIMIT)
    sessions, every_session = _sessions(patient, sources)
    treatment_start = _treatment_start(patient, sessions, every_session)
    timeline = [
        *_inquiry_entries(patient, sources),
        *_intake_entries(patient, sources),
        *_screening_entries(patient, sources),
        *_plan_entries(patient, sources),
        *_session_entries(sessions, sources.limit),
        *_survey_entries(patient, sources, _survey_scores(score_rows)),
        *_message_entries(patient, sources),
        *_call_entries(patient, sources),
    ]
    timeline.sort(key=lambda entry: entry.at, reverse=True)
    # A source with more rows than it read has older events, as do more events than shown.
    more = not full_timeline and bool(sources.truncated or len(timeline) > TIMELINE_LIMIT)
    if not full_timeline:
        del timeline[TIMELINE_LIMIT:]
    urls: dict[tuple[str, int], str] = {}  # many entries open the same page (the message log)
    for entry in timeline:
        if entry.link is not None:
            if entry.link not in urls:
                urls[entry.link] = reverse(entry.link[0], args=[entry.link[1]])
            entry.url = urls[entry.link]
    completed = TreatmentSession.Status.COMPLETED
    return PatientChart(
        patient=patient,
        treatment_start=treatment_start,
        courses=_courses(score_rows, treatment_start=treatment_start),
        completed_sessions=sorted(
            starts_at for _, starts_at, status, *_ in sessions if status == completed
        ),
        timeline=timeline,
        full_timeline=full_timeline,
        timeline_more=more,
        truncated=sources.truncated if full_timeline else [],
    )


LATEST_SCORES_READ = 10  # the latest scores latest_scores reads at first


def latest_scores(*, patient: Patient) -> dict[str, Assessment]:
    """The latest GAD-7 and PHQ-9 of a patient, by instrument code.

    One query for the patient's latest ``LATEST_SCORES_READ`` scores, which nearly always hold
    both scales (an intake asks both, a survey the GAD-7 and often the PHQ-9); a second one
    only for a scale none of them is. Cheaper to compile and plan than picking each scale's
    latest with a subquery."""
    columns = ("id", "instrument", "total", "band", "taken_at")
    rows = Assessment.objects.filter(patient=patient).order_by("-taken_at", "-id").only(*columns)
    latest: dict[str, Assessment] = {}
    read = list(rows[:LATEST_SCORES_READ])
    for row in read:
        latest.setdefault(row.instrument, row)
    if len(read) == LATEST_SCORES_READ:
        for instrument in INSTRUMENTS:
            if instrument.code not in latest:
                row = rows.filter(instrument=instrument.code).first()
                if row is not None:
                    latest[row.instrument] = row
    return latest
