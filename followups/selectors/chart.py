"""Reads for the patient chart: the GAD-7/PHQ-9 course with baseline, response and remission,
and a timeline of everything that happened to the patient, newest first.

The same few queries whatever the size of the record: the patient, the scores, the sessions,
and every other timeline source in one statement. The chart page shows the latest
``TIMELINE_LIMIT`` events merged across the sources, so each source reads that many rows (and
one more, to tell whether there are older ones); the full timeline reads up to ``SOURCE_LIMIT``
rows of each. The sessions serve the timeline, the chart's session lines and when treatment
started (the first completed session), so they are read up to ``SOURCE_LIMIT`` either way.

Rows are read as tuples, not model instances, which cost more than the query here; only the
events shown are put into words, with the models' display methods on unsaved instances.

Response and remission are the outcomes report's rules (``followups.outcomes.score_outcome``):
the baseline is the last score before the first completed session, a response a total at least
50% below it, a remission a total below 5, both counted from the first completed session on, and
only from a symptomatic baseline (``CLINIC_OUTCOME_BASELINE_MIN`` or more). The 24-hour
check-in's anxiety questions ("since your treatment") have their own line, with no bands,
baseline, response or remission: they are not the GAD-7.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache, partial
from operator import attrgetter
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import DateTimeField, Value
from django.utils import timezone
from django.utils.functional import cached_property  # no lock, unlike functools (3.11)

from clinic.dates import day, day_text, day_time_text
from clinic.links import url_for_pk
from clinic.prepared import Prepared, run_sql
from intake.models import Assessment, ConsultationRequest, Intake, Patient
from intake.scoring import GAD7_BANDS, GAD7_MAX, PHQ9_BANDS, PHQ9_MAX
from treatments.dosing import ROUTE_LABELS
from treatments.models import (
    PlanVersion,
    Screening,
    ScreeningDetermination,
    TreatmentPlan,
    TreatmentSession,
)

from ..models import FollowUpCall, OutboxEntry, Survey
from ..models.outbox import message_description, with_channel
from ..outcomes import ScoreOutcome, score_outcome
from .worklists import SURVEY_SOURCE, score_texts

TIMELINE_LIMIT = 25  # latest events on the chart page, across every source
SOURCE_LIMIT = 200  # rows per source on the full timeline, and sessions drawn
SCORES_LIMIT = 500  # latest scores drawn and listed
NO_SCORE = (None, None)  # (total, band) of a scale not taken
SOURCE_LABELS = {"intake": "Intake", "survey": "Check-in survey", "session": "Session"}
SESSION_STATUSES = dict(TreatmentSession.Status.choices)
SURVEY_STATUSES = dict(Survey.Status.choices)


@dataclass(frozen=True)
class Instrument:
    code: str
    label: str
    maximum: int
    bands: tuple[tuple[int, str], ...]
    # Baseline, response and remission: only for the validated instruments.
    has_outcomes: bool = True


INSTRUMENTS = (
    Instrument(Assessment.Instrument.GAD7, "GAD-7", GAD7_MAX, GAD7_BANDS),
    Instrument(Assessment.Instrument.PHQ9, "PHQ-9", PHQ9_MAX, PHQ9_BANDS),
    Instrument(
        Assessment.Instrument.ANXIETY_CHECKIN,
        "24-hour anxiety check-in",
        GAD7_MAX,
        (),
        has_outcomes=False,
    ),
)
VALIDATED_INSTRUMENTS = tuple(instrument for instrument in INSTRUMENTS if instrument.has_outcomes)


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

    # Cached: the table, the chart's point notes and its summary each ask for them.
    @cached_property
    def date_text(self) -> str:
        return day_text(self.at)

    @cached_property
    def iso(self) -> str:
        return self.at.isoformat()

    @property
    def total_text(self) -> str:
        """ "16 (Severe)"; the total alone for an instrument without bands."""
        return f"{self.total} ({self.band})" if self.band else str(self.total)

    @cached_property  # the table and the chart's point notes both ask
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
    symptomatic: bool = True  # a baseline at or above the cut-off (or none yet)
    baseline_min: int = 0

    @property
    def latest(self) -> ScorePoint | None:
        return self.points[-1] if self.points else None

    @property
    def statements(self) -> list[str]:
        """ "Response at 03/02/2026", "Remission at ..." (the first time), or that none yet."""
        if not self.points or not self.instrument.has_outcomes:
            return []
        if not self.symptomatic:
            return [
                f"No response or remission shown: the baseline {self.baseline.total} is below "
                f"{self.baseline_min}, the clinic's cut-off for a symptomatic start"
            ]
        return [
            f"{word} at {day(moment)}" if moment else f"No {word.lower()} yet"
            for word, moment in (("Response", self.response_at), ("Remission", self.remission_at))
        ]


def _status(
    points: list[ScorePoint],
    outcome: ScoreOutcome,
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
    if not outcome.symptomatic:
        state = "Response and remission not counted (baseline below the cut-off)"
    elif latest.is_remission:
        state = "In remission"
    elif latest.is_response:
        state = "Responding"
    elif baseline is None:
        state = "Response unknown"
    else:
        state = "Not responding"
    return f"Current status: {state} (latest {latest.total} on {day(latest.at)}, {comparison})."


_SCORE_ROWS = Prepared(
    lambda patient: (
        Assessment.objects.filter(patient_id=patient)
        .order_by("-taken_at", "-id")
        .values_list("instrument", "taken_at", "total", "band", "source_kind", "source_id")[
            :SCORES_LIMIT
        ]
    ),
    patient=int,
)


def _score_rows(patient: Patient) -> list[tuple]:
    """(instrument, taken_at, total, band, source_kind, source_id) of the latest
    ``SCORES_LIMIT`` scores, in time order. One query."""
    rows = _SCORE_ROWS.all(patient=patient.pk)
    rows.reverse()
    return rows


def _checkin_status(points: list[ScorePoint]) -> str:
    if not points:
        return "No 24-hour check-in answered."
    latest = points[-1]
    return (
        f"Latest {latest.total} of {GAD7_MAX} on {day(latest.at)}: the GAD-7's items asked "
        "since the treatment, not the GAD-7 (no severity band, response or remission)."
    )


def _courses(rows: list[tuple], *, treatment_start: datetime | None) -> list[Course]:
    zone = timezone.get_current_timezone()  # once: a few hundred points may need it
    baseline_min = settings.CLINIC_OUTCOME_BASELINE_MIN
    courses = []
    for instrument in INSTRUMENTS:
        mine = [row[1:5] for row in rows if row[0] == instrument.code]
        outcome = score_outcome(
            [(taken_at, total) for taken_at, total, *_ in mine],
            treatment_start=treatment_start if instrument.has_outcomes else None,
            baseline_min=baseline_min,
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
                status=(
                    _status(points, outcome, treatment_start=treatment_start)
                    if instrument.has_outcomes
                    else _checkin_status(points)
                ),
                symptomatic=outcome.symptomatic,
                baseline_min=baseline_min,
            )
        )
    return courses


# --- The timeline --------------------------------------------------------------------------------


@dataclass
class TimelineEntry:
    at: datetime  # in the clinic's zone once ``_entries`` has made it
    kind: str
    summary: str
    # (URL name, argument) of the record it opens: reversed into ``url`` for the entries shown.
    link: tuple[str, int] | None = None
    url: str = ""

    @cached_property
    def when(self) -> str:
        """ "03/09/2026 08:30", in the clinic's zone."""
        return day_time_text(self.at)

    @property
    def iso(self) -> str:
        return self.at.isoformat()

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


# The timeline sources other than the sessions, in one statement (one query costs less to
# send, plan and read than eight): a UNION ALL with a branch per source reading its latest
# ``read`` rows as (kind, id, at, ordered_at, details). ``at`` places an event on the
# timeline; ``ordered_at`` and ``id`` order a source's rows, in its branch (for the LIMIT) and
# in the result. ``details`` packs what the entry says into a JSON array, so that every source
# fits the same columns; JSON columns and decimals go in as text, which reads the same from
# SQLite and PostgreSQL. Each branch is a subquery as SQLite takes no ORDER BY or LIMIT on a
# bare branch of a UNION. The determinations are those of the screenings read: each follows
# its screening's entry. The tables are named by their models (``_timeline_sql``), and
# ``{json_array}`` is the one function the two databases spell differently; every value is a
# parameter.
TIMELINE_SQL = """
SELECT * FROM (
    SELECT 'inquiry' AS kind, id, created_at AS at, created_at AS ordered_at,
        {json_array}(status, CAST(concerns AS text)) AS details
    FROM {inquiry}
    WHERE patient_id = %(patient)s
    ORDER BY created_at DESC, id DESC LIMIT %(read)s
) AS inquiries
UNION ALL SELECT * FROM (
    SELECT 'intake' AS kind, id, submitted_at AS at, submitted_at AS ordered_at,
        {json_array}(gad7_total, gad7_band, phq9_total, phq9_band, CAST(flags AS text)) AS details
    FROM {intake}
    WHERE patient_id = %(patient)s AND status = %(intake_submitted)s
    ORDER BY submitted_at DESC, id DESC LIMIT %(read)s
) AS intakes
UNION ALL SELECT * FROM (
    SELECT 'screening' AS kind, id, created_at AS at, created_at AS ordered_at,
        {json_array}(result, status) AS details
    FROM {screening}
    WHERE patient_id = %(patient)s
    ORDER BY created_at DESC, id DESC LIMIT %(read)s
) AS screenings
UNION ALL SELECT * FROM (
    SELECT 'determination' AS kind, determination.screening_id AS id,
        determination.signed_at AS at, determination.signed_at AS ordered_at,
        {json_array}(
            determination.decision, determination.is_override,
            signer.first_name, signer.last_name, signer.username
        ) AS details
    FROM {determination} AS determination
    JOIN {user} AS signer ON signer.id = determination.signed_by_id
    WHERE determination.screening_id IN (
        SELECT id FROM {screening}
        WHERE patient_id = %(patient)s
        ORDER BY created_at DESC, id DESC LIMIT %(read)s
    )
) AS determinations
UNION ALL SELECT * FROM (
    SELECT 'plan' AS kind, version.id, version.effective_at AS at,
        version.effective_at AS ordered_at,
        {json_array}(
            version.plan_id, version.number, version.phase, version.route, version.dose_unit,
            CAST(version.dose_amount AS text), CAST(version.dose_mg AS text),
            version.sessions_planned, version.amendment_reason
        ) AS details
    FROM {plan_version} AS version
    JOIN {plan} AS plan ON plan.id = version.plan_id
    WHERE plan.patient_id = %(patient)s
    ORDER BY version.effective_at DESC, version.id DESC LIMIT %(read)s
) AS plan_versions
UNION ALL SELECT * FROM (
    SELECT 'survey' AS kind, id,
        CASE WHEN status = %(survey_completed)s AND completed_at IS NOT NULL
            THEN completed_at ELSE due_at END AS at,
        due_at AS ordered_at,
        {json_array}(status, offset_label, CAST(escalations AS text)) AS details
    FROM {survey}
    WHERE patient_id = %(patient)s
    ORDER BY due_at DESC, id DESC LIMIT %(read)s
) AS surveys
UNION ALL SELECT * FROM (
    SELECT 'message' AS kind, id, COALESCE(sent_at, due_at) AS at, due_at AS ordered_at,
        {json_array}(purpose, offset_label, status, channel, last_error) AS details
    FROM {outbox}
    WHERE patient_id = %(patient)s AND status IN (%(message_sent)s, %(message_failed)s)
        AND purpose <> %(message_task)s
    ORDER BY due_at DESC, id DESC LIMIT %(read)s
) AS messages
UNION ALL SELECT * FROM (
    SELECT 'call' AS kind, call.id, call.called_at AS at, call.called_at AS ordered_at,
        {json_array}(call.outcome, call.note, caller.first_name, caller.last_name, caller.username)
        AS details
    FROM {call} AS call
    JOIN {user} AS caller ON caller.id = call.called_by_id
    WHERE call.patient_id = %(patient)s
    ORDER BY call.called_at DESC, call.id DESC LIMIT %(read)s
) AS calls
ORDER BY ordered_at DESC, id DESC
"""
JSON_ARRAY = {"postgresql": "jsonb_build_array"}  # else the standard's json_array (SQLite)
MOMENT = Value(None, output_field=DateTimeField())


class _Event(NamedTuple):
    """A row of a timeline source, before it is worded: only the events shown are."""

    at: datetime
    kind: str
    pk: int
    details: list


# The sources in the order the timeline lists events of the same moment, and how the full
# timeline names those with more rows than it shows. A screening's determination follows it.
SOURCES = {
    "inquiry": "consultation requests",
    "intake": "intakes",
    "screening": "screenings",
    "plan": "plan versions",
    "session": "sessions",
    "survey": "check-in surveys",
    "message": "messages",
    "call": "calls",
}


def _moment_reader() -> Callable[[object], datetime]:
    """Turns a datetime from a raw cursor into what the ORM gives, an aware one: SQLite
    returns text or a naive UTC time, PostgreSQL an aware one already."""
    converters = connection.ops.get_db_converters(MOMENT)

    def read(value):
        for converter in converters:
            value = converter(value, MOMENT, connection)
        return value

    return read


@cache
def _timeline_sql(vendor: str) -> str:
    """``TIMELINE_SQL`` for a database: each table as its model names it, quoted. Made once."""
    tables = {
        "inquiry": ConsultationRequest,
        "intake": Intake,
        "screening": Screening,
        "determination": ScreeningDetermination,
        "user": get_user_model(),
        "plan_version": PlanVersion,
        "plan": TreatmentPlan,
        "survey": Survey,
        "outbox": OutboxEntry,
        "call": FollowUpCall,
    }
    return TIMELINE_SQL.format(
        json_array=JSON_ARRAY.get(vendor, "json_array"),
        **{name: connection.ops.quote_name(model._meta.db_table) for name, model in tables.items()},
    )


def _source_events(patient: Patient, *, limit: int) -> dict[str, list[_Event]]:
    """{kind: events, newest first as the source orders them}: the latest ``limit`` + 1 rows of
    each timeline source but the sessions, and the determinations of the screenings among
    them. One query."""
    rows = run_sql(
        _timeline_sql(connection.vendor),
        {
            "patient": patient.pk,
            "read": limit + 1,
            "intake_submitted": Intake.Status.SUBMITTED,
            "survey_completed": Survey.Status.COMPLETED,
            "message_sent": OutboxEntry.Status.SENT,
            "message_failed": OutboxEntry.Status.FAILED,
            "message_task": OutboxEntry.Purpose.TASK,
        },
    )
    moment = _moment_reader()
    events: dict[str, list[_Event]] = {kind: [] for kind in (*SOURCES, "determination")}
    for kind, pk, at, _, details in rows:
        events[kind].append(_Event(moment(at), kind, pk, json.loads(details)))
    return events


def _timeline_events(
    patient: Patient, sessions: list[tuple], every_session: bool, *, limit: int
) -> tuple[list[_Event], list[str]]:
    """The latest ``limit`` events of each source in the order the timeline lists them: newest
    first, the events of one moment in the order of ``SOURCES``. And the names of the sources
    with older events than those (the sessions first, as they are read first)."""
    read = _source_events(patient, limit=limit)
    read["session"] = [
        _Event(starts_at, "session", pk, [status, cancel_reason, chair])
        for pk, starts_at, status, cancel_reason, chair in sessions[:limit]
    ]
    truncated = ["sessions"] if len(sessions) > limit or not every_session else []
    determinations = {event.pk: event for event in read["determination"]}
    events = []
    for kind, name in SOURCES.items():
        if kind != "session" and len(read[kind]) > limit:
            truncated.append(name)
        for event in read[kind][:limit]:
            events.append(event)
            if kind == "screening" and event.pk in determinations:
                events.append(determinations[event.pk])
    events.sort(key=attrgetter("at"), reverse=True)  # stable: a moment's events keep their order
    return events, truncated


def _with_details(summary: str, details: list[str]) -> str:
    return f"{summary}: {', '.join(details)}" if details else summary


def _staff_name(first_name: str, last_name: str, username: str) -> str:
    """As ``User.get_full_name``, else the username."""
    return f"{first_name} {last_name}".strip() or username


def _inquiry_entry(event: _Event) -> TimelineEntry:
    status, concerns = event.details
    inquiry = ConsultationRequest(status=status, concerns=json.loads(concerns))
    return TimelineEntry(
        at=event.at,
        kind="Consultation request",
        summary=(
            f"Asked for help with {', '.join(inquiry.concern_labels()) or 'nothing stated'}"
            f" ({inquiry.get_status_display()})"
        ),
    )


def _intake_entry(event: _Event) -> TimelineEntry:
    *scores, flags = event.details
    details = score_texts(*scores)
    if flag_count := len(json.loads(flags)):
        details.append(f"{flag_count} flag{'s' if flag_count != 1 else ''}")
    return TimelineEntry(
        at=event.at,
        kind="Intake",
        summary=_with_details("Submitted", details),
        link=("intake:intake_detail", event.pk),
    )


def _screening_entry(event: _Event) -> TimelineEntry:
    result, status = event.details
    screening = Screening(result=result, status=status)
    return TimelineEntry(
        at=event.at,
        kind="Screening",
        summary=f"{screening.get_result_display()} ({screening.get_status_display()})",
        link=("treatments:screening_detail", event.pk),
    )


def _determination_entry(event: _Event) -> TimelineEntry:
    """``event.pk`` is the screening's: the entry opens the screening."""
    decision, is_override, *signer = event.details
    summary = (
        f"{ScreeningDetermination(decision=decision).get_decision_display()}, signed by "
        f"{_staff_name(*signer)}"
    )
    if is_override:
        summary += " (overrides the screening)"
    return TimelineEntry(
        at=event.at,
        kind="Screening determination",
        summary=summary,
        link=("treatments:screening_detail", event.pk),
    )


def _dose(text: str, field_name: str) -> Decimal:
    """A dose read as text, to the places its field keeps (SQLite may give 40 for 40.0)."""
    places = PlanVersion._meta.get_field(field_name).decimal_places
    return Decimal(text).quantize(Decimal(1).scaleb(-places))


def _dose_text(version: PlanVersion) -> str:
    if version.dose_unit == "mg":
        return f"{version.dose_mg} mg"
    return f"{version.dose_amount} {version.dose_unit} ({version.dose_mg} mg)"


def _plan_entry(event: _Event) -> TimelineEntry:
    (
        plan_id,
        number,
        phase,
        route,
        dose_unit,
        dose_amount,
        dose_mg,
        sessions_planned,
        amendment_reason,
    ) = event.details
    version = PlanVersion(
        phase=phase,
        dose_unit=dose_unit,
        dose_amount=_dose(dose_amount, "dose_amount"),
        dose_mg=_dose(dose_mg, "dose_mg"),
    )
    summary = (
        f"Version {number}: {version.get_phase_display()}, {ROUTE_LABELS.get(route, route)}, "
        f"{_dose_text(version)}, {sessions_planned} sessions planned"
    )
    if amendment_reason:
        summary += f"; reason: {amendment_reason}"
    return TimelineEntry(
        at=event.at,
        kind="Treatment plan",
        summary=summary,
        link=("treatments:plan_detail", plan_id),
    )


def _session_entry(event: _Event) -> TimelineEntry:
    status, cancel_reason, chair = event.details
    summary = f"{SESSION_STATUSES.get(status, status)}, {chair}"
    if status == TreatmentSession.Status.CANCELLED and cancel_reason:
        summary += f": {cancel_reason}"
    return TimelineEntry(
        at=event.at,
        kind="Session",
        summary=summary,
        link=("treatments:session_detail", event.pk),
    )


def _survey_entry(event: _Event, *, scores: dict[int, dict[str, tuple[int, str]]]) -> TimelineEntry:
    status, offset_label, escalations = event.details
    answered = status == Survey.Status.COMPLETED
    if answered:
        mine = scores.get(event.pk, {})
        summary = _with_details(
            "Answered",
            score_texts(
                *mine.get(Assessment.Instrument.GAD7, NO_SCORE),
                *mine.get(Assessment.Instrument.PHQ9, NO_SCORE),
                mine.get(Assessment.Instrument.ANXIETY_CHECKIN, NO_SCORE)[0],
            ),
        )
        if json.loads(escalations):
            summary += "; escalated"
    elif status == Survey.Status.CANCELLED:
        summary = "Cancelled"
    else:
        summary = f"Not answered ({SURVEY_STATUSES.get(status, status).lower()})"
    return TimelineEntry(
        at=event.at,
        kind=f"Check-in survey ({offset_label} after)",
        summary=summary,
        link=("followups:survey_detail", event.pk) if answered else None,
    )


def _message_entry(event: _Event, *, link: tuple[str, int]) -> TimelineEntry:
    purpose, offset_label, status, channel, last_error = event.details
    description = message_description(purpose, offset_label)
    outcome = "sent" if status == OutboxEntry.Status.SENT else "failed"
    summary = with_channel(f"{description}: {outcome}", channel)
    if status != OutboxEntry.Status.SENT and last_error:
        summary += f" ({last_error})"
    return TimelineEntry(at=event.at, kind="Message", summary=summary, link=link)


def _call_entry(event: _Event, *, link: tuple[str, int]) -> TimelineEntry:
    outcome, note, *caller = event.details
    summary = f"{FollowUpCall(outcome=outcome).get_outcome_display()} (by {_staff_name(*caller)})"
    if note:
        summary += f": {note}"
    return TimelineEntry(at=event.at, kind="Follow-up call", summary=summary, link=link)


def _entries(
    events: list[_Event], *, patient: Patient, survey_scores: dict[int, dict[str, tuple[int, str]]]
) -> list[TimelineEntry]:
    """The events in words, with the URL of the record each opens."""
    communication_log = ("followups:communication_log", patient.pk)
    wording = {
        "inquiry": _inquiry_entry,
        "intake": _intake_entry,
        "screening": _screening_entry,
        "determination": _determination_entry,
        "plan": _plan_entry,
        "session": _session_entry,
        "survey": partial(_survey_entry, scores=survey_scores),
        "message": partial(_message_entry, link=communication_log),
        "call": partial(_call_entry, link=communication_log),
    }
    entries = [wording[event.kind](event) for event in events]
    zone = timezone.get_current_timezone()  # once, not a localtime() per entry
    # One reverse() per kind of page opened, not per entry.
    url_makers: dict[str, Callable[[int], str]] = {}
    for entry in entries:
        entry.at = entry.at.astimezone(zone)
        if entry.link is not None:
            viewname, pk = entry.link
            if viewname not in url_makers:
                url_makers[viewname] = url_for_pk(viewname)
            entry.url = url_makers[viewname](pk)
    return entries


_SESSION_ROWS = Prepared(
    lambda patient: (
        TreatmentSession.objects.filter(patient_id=patient)
        .order_by("-starts_at", "-id")
        .values_list("id", "starts_at", "status", "cancel_reason", "chair__name")[
            : SOURCE_LIMIT + 1
        ]
    ),
    patient=int,
)


def _sessions(patient: Patient) -> tuple[list[tuple], bool]:
    """(id, starts_at, status, cancel_reason, chair name), newest first: up to SOURCE_LIMIT
    whatever the timeline shows, as they also draw the charts' session lines and tell when
    treatment started. And whether those are every session of the patient."""
    rows = _SESSION_ROWS.all(patient=patient.pk)
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


def patient_chart(*, patient: Patient, full_timeline: bool = False) -> PatientChart:
    """The chart of a patient.

    The timeline holds the latest ``TIMELINE_LIMIT`` events across every source, or with
    ``full_timeline`` up to ``SOURCE_LIMIT`` rows of each. Three queries either way, whatever
    the size of the record: the scores, the sessions, and the other timeline sources together,
    each reading only the rows it may show (and one more, to tell whether there are older ones);
    a fourth for when treatment started only for a record of more than ``SOURCE_LIMIT``
    sessions."""
    score_rows = _score_rows(patient)
    sessions, every_session = _sessions(patient)
    treatment_start = _treatment_start(patient, sessions, every_session)
    events, truncated = _timeline_events(
        patient,
        sessions,
        every_session,
        limit=SOURCE_LIMIT if full_timeline else TIMELINE_LIMIT,
    )
    # A source with more rows than it read has older events, as do more events than shown.
    more = not full_timeline and bool(truncated or len(events) > TIMELINE_LIMIT)
    if not full_timeline:
        del events[TIMELINE_LIMIT:]
    completed = TreatmentSession.Status.COMPLETED
    return PatientChart(
        patient=patient,
        treatment_start=treatment_start,
        courses=_courses(score_rows, treatment_start=treatment_start),
        completed_sessions=sorted(
            starts_at for _, starts_at, status, *_ in sessions if status == completed
        ),
        timeline=_entries(events, patient=patient, survey_scores=_survey_scores(score_rows)),
        full_timeline=full_timeline,
        timeline_more=more,
        truncated=truncated if full_timeline else [],
    )


LATEST_SCORES_READ = 10  # the latest scores latest_scores reads at first


def latest_scores(*, patient: Patient) -> dict[str, Assessment]:
    """The latest GAD-7 and PHQ-9 of a patient, by instrument code.

    One query for the patient's latest ``LATEST_SCORES_READ`` scores, which nearly always hold
    both scales (an intake asks both, a survey the GAD-7 and often the PHQ-9); a second one
    only for a scale none of them is. Cheaper to compile and plan than picking each scale's
    latest with a subquery."""
    columns = ("id", "instrument", "total", "band", "taken_at")
    rows = (
        Assessment.objects.filter(
            patient=patient,
            instrument__in=[instrument.code for instrument in VALIDATED_INSTRUMENTS],
        )
        .order_by("-taken_at", "-id")
        .only(*columns)
    )
    latest: dict[str, Assessment] = {}
    read = list(rows[:LATEST_SCORES_READ])
    for row in read:
        latest.setdefault(row.instrument, row)
    if len(read) == LATEST_SCORES_READ:
        for instrument in VALIDATED_INSTRUMENTS:
            if instrument.code not in latest:
                row = rows.filter(instrument=instrument.code).first()
                if row is not None:
                    latest[row.instrument] = row
    return latest
