"""Reads of a patient's timeline for the chart: everything that happened to them, newest first.

One query per source, each reading only the patient's latest rows it may show (and one more, to
tell whether there are older ones), from the source's index on the patient: the consultation
requests, submitted intakes, screenings (with their determination and who signed it), plan
versions, sessions, check-in surveys, messages sent or failed and follow-up calls. The rows
are merged and sorted in Python, a few hundred at most; only the events shown are put into
words, with the models' display methods on unsaved instances. The page shows the latest
``TIMELINE_LIMIT`` events across the sources; the full timeline up to ``SOURCE_LIMIT`` of each.

The sessions are read up to ``SOURCE_LIMIT`` either way: they also draw the charts' session
lines and tell when treatment started (the first completed session).
"""

from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import NamedTuple

from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property  # no lock, unlike functools (3.11)

from clinic.dates import day_time_text
from intake.models import Assessment, ConsultationRequest, Intake, Patient
from treatments.dosing import ROUTE_LABELS
from treatments.models import PlanVersion, Screening, ScreeningDetermination, TreatmentSession

from ..models import FollowUpCall, OutboxEntry, Survey
from ..models.outbox import message_description, with_channel
from ..selectors.worklists import SURVEY_SOURCE, score_texts

TIMELINE_LIMIT = 25  # latest events on the chart page, across every source
SOURCE_LIMIT = 200  # rows per source on the full timeline, and sessions drawn
NO_SCORE = (None, None)  # (total, band) of a scale not taken
SESSION_STATUSES = dict(TreatmentSession.Status.choices)
SURVEY_STATUSES = dict(Survey.Status.choices)

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


class Event(NamedTuple):
    """A row of a timeline source, before it is put into words: only the events shown are.
    ``details`` are the row's other columns, as its source reads them."""

    at: datetime
    kind: str
    pk: int
    details: tuple


@dataclass
class TimelineEntry:
    at: datetime  # in the clinic's zone once ``entries`` has made it
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


# --- The reads: one query per source --------------------------------------------------------------


def _events(kind: str, rows: QuerySet) -> list[Event]:
    """``rows`` as (id, at, *details) tuples -> events."""
    return [Event(at, kind, pk, tuple(details)) for pk, at, *details in rows]


def _inquiries(patient: Patient, read: int) -> list[Event]:
    return _events(
        "inquiry",
        ConsultationRequest.objects.filter(patient=patient)
        .order_by("-created_at", "-id")
        .values_list("id", "created_at", "status", "concerns")[:read],
    )


def _intakes(patient: Patient, read: int) -> list[Event]:
    return _events(
        "intake",
        Intake.objects.filter(patient=patient, status=Intake.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
        .values_list(
            "id", "submitted_at", "gad7_total", "gad7_band", "phq9_total", "phq9_band", "flags"
        )[:read],
    )


def _screenings(patient: Patient, read: int) -> list[Event]:
    """Each screening with its determination, if signed, and who signed it (a screening has
    one at most): the determination's columns are None for a screening without one."""
    return _events(
        "screening",
        Screening.objects.filter(patient=patient)
        .order_by("-created_at", "-id")
        .values_list(
            "id",
            "created_at",
            "result",
            "status",
            "determination__signed_at",
            "determination__decision",
            "determination__is_override",
            "determination__signed_by__first_name",
            "determination__signed_by__last_name",
            "determination__signed_by__username",
        )[:read],
    )


def _plan_versions(patient: Patient, read: int) -> list[Event]:
    return _events(
        "plan",
        PlanVersion.objects.filter(plan__patient=patient)
        .order_by("-effective_at", "-id")
        .values_list(
            "id",
            "effective_at",
            "plan_id",
            "number",
            "phase",
            "route",
            "dose_unit",
            "dose_amount",
            "dose_mg",
            "sessions_planned",
            "amendment_reason",
        )[:read],
    )


def _surveys(patient: Patient, read: int) -> list[Event]:
    """In the order they were due; an answered survey is placed when it was answered."""
    rows = (
        Survey.objects.filter(patient=patient)
        .order_by("-due_at", "-id")
        .values_list("id", "due_at", "completed_at", "status", "offset_label", "escalations")[:read]
    )
    completed = Survey.Status.COMPLETED
    return [
        Event(
            completed_at if status == completed and completed_at is not None else due_at,
            "survey",
            pk,
            (status, offset_label, escalations),
        )
        for pk, due_at, completed_at, status, offset_label, escalations in rows
    ]


def _messages(patient: Patient, read: int) -> list[Event]:
    """The messages sent or failed (not the phone tasks), in the order they were due; each is
    placed when it was sent, if it was."""
    rows = (
        OutboxEntry.objects.filter(
            patient=patient, status__in=(OutboxEntry.Status.SENT, OutboxEntry.Status.FAILED)
        )
        .exclude(purpose=OutboxEntry.Purpose.TASK)
        .order_by("-due_at", "-id")
        .values_list(
            "id", "due_at", "sent_at", "purpose", "offset_label", "status", "channel", "last_error"
        )[:read]
    )
    return [
        Event(sent_at or due_at, "message", pk, tuple(details))
        for pk, due_at, sent_at, *details in rows
    ]


def _calls(patient: Patient, read: int) -> list[Event]:
    return _events(
        "call",
        FollowUpCall.objects.filter(patient=patient)
        .order_by("-called_at", "-id")
        .values_list(
            "id",
            "called_at",
            "outcome",
            "note",
            "called_by__first_name",
            "called_by__last_name",
            "called_by__username",
        )[:read],
    )


READERS = {
    "inquiry": _inquiries,
    "intake": _intakes,
    "screening": _screenings,
    "plan": _plan_versions,
    "survey": _surveys,
    "message": _messages,
    "call": _calls,
}


def patient_sessions(*, patient: Patient) -> tuple[list[tuple], bool]:
    """(id, starts_at, status, cancel_reason, chair name), newest first: up to SOURCE_LIMIT
    whatever the timeline shows, as they also draw the charts' session lines and tell when
    treatment started. And whether those are every session of the patient. One query."""
    rows = list(
        TreatmentSession.objects.filter(patient=patient)
        .order_by("-starts_at", "-id")
        .values_list("id", "starts_at", "status", "cancel_reason", "chair__name")[
            : SOURCE_LIMIT + 1
        ]
    )
    return rows[:SOURCE_LIMIT], len(rows) <= SOURCE_LIMIT


def treatment_start(
    *, patient: Patient, sessions: list[tuple], every_session: bool
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


def _determination(screening: Event) -> Event | None:
    """The screening's determination, as an event that opens the screening."""
    signed_at, *determination = screening.details[2:]
    if signed_at is None:
        return None
    return Event(signed_at, "determination", screening.pk, tuple(determination))


def timeline_events(
    *, patient: Patient, sessions: list[tuple], every_session: bool, limit: int
) -> tuple[list[Event], list[str]]:
    """The latest ``limit`` events of each source in the order the timeline lists them: newest
    first, the events of one moment in the order of ``SOURCES``, a screening's determination
    after it. And the names of the sources with older events than those (the sessions first, as
    they are read first). One query per source but the sessions (read already)."""
    read = {kind: reader(patient, limit + 1) for kind, reader in READERS.items()}
    read["session"] = [
        Event(starts_at, "session", pk, (status, cancel_reason, chair))
        for pk, starts_at, status, cancel_reason, chair in sessions[:limit]
    ]
    truncated = ["sessions"] if len(sessions) > limit or not every_session else []
    events = []
    for kind, name in SOURCES.items():
        if kind != "session" and len(read[kind]) > limit:
            truncated.append(name)
        for event in read[kind][:limit]:
            events.append(event)
            if kind == "screening" and (determination := _determination(event)) is not None:
                events.append(determination)
    events.sort(key=attrgetter("at"), reverse=True)  # stable: a moment's events keep their order
    return events, truncated


def survey_scores(score_rows: list[tuple]) -> dict[int, dict[str, tuple[int, str]]]:
    """{survey id: {instrument: (total, band)}} from the scores the charts read
    (``scores.score_rows``), which saves the surveys' query a lookup per survey and scale. The
    latest surveys' scores are among the latest ``SCORES_LIMIT``; only the full timeline of a
    record with hundreds of scores could show a survey older than those, as answered without
    its totals."""
    scores: dict[int, dict[str, tuple[int, str]]] = {}
    for instrument, _, total, band, source_kind, source_id in score_rows:
        if source_kind == SURVEY_SOURCE:
            scores.setdefault(source_id, {})[instrument] = (total, band)
    return scores


# --- The events in words ---------------------------------------------------------------------


def _with_details(summary: str, details: list[str]) -> str:
    return f"{summary}: {', '.join(details)}" if details else summary


def _staff_name(first_name: str, last_name: str, username: str) -> str:
    """As ``User.get_full_name``, else the username."""
    return f"{first_name} {last_name}".strip() or username


def _inquiry_entry(event: Event) -> TimelineEntry:
    status, concerns = event.details
    inquiry = ConsultationRequest(status=status, concerns=concerns)
    return TimelineEntry(
        at=event.at,
        kind="Consultation request",
        summary=(
            f"Asked for help with {', '.join(inquiry.concern_labels()) or 'nothing stated'}"
            f" ({inquiry.get_status_display()})"
        ),
    )


def _intake_entry(event: Event) -> TimelineEntry:
    *scores, flags = event.details
    details = score_texts(*scores)
    if flag_count := len(flags or ()):
        details.append(f"{flag_count} flag{'s' if flag_count != 1 else ''}")
    return TimelineEntry(
        at=event.at,
        kind="Intake",
        summary=_with_details("Submitted", details),
        link=("intake:intake_detail", event.pk),
    )


def _screening_entry(event: Event) -> TimelineEntry:
    result, status, *_ = event.details
    screening = Screening(result=result, status=status)
    return TimelineEntry(
        at=event.at,
        kind="Screening",
        summary=f"{screening.get_result_display()} ({screening.get_status_display()})",
        link=("treatments:screening_detail", event.pk),
    )


def _determination_entry(event: Event) -> TimelineEntry:
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


def _dose_text(version: PlanVersion) -> str:
    if version.dose_unit == "mg":
        return f"{version.dose_mg} mg"
    return f"{version.dose_amount} {version.dose_unit} ({version.dose_mg} mg)"


def _plan_entry(event: Event) -> TimelineEntry:
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
        phase=phase, dose_unit=dose_unit, dose_amount=dose_amount, dose_mg=dose_mg
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


def _session_entry(event: Event) -> TimelineEntry:
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


def _survey_entry(event: Event, scores: dict[int, dict[str, tuple[int, str]]]) -> TimelineEntry:
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
        if escalations:
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


def _message_entry(event: Event, link: tuple[str, int]) -> TimelineEntry:
    purpose, offset_label, status, channel, last_error = event.details
    description = message_description(purpose, offset_label)
    outcome = "sent" if status == OutboxEntry.Status.SENT else "failed"
    summary = with_channel(f"{description}: {outcome}", channel)
    if status != OutboxEntry.Status.SENT and last_error:
        summary += f" ({last_error})"
    return TimelineEntry(at=event.at, kind="Message", summary=summary, link=link)


def _call_entry(event: Event, link: tuple[str, int]) -> TimelineEntry:
    outcome, note, *caller = event.details
    summary = f"{FollowUpCall(outcome=outcome).get_outcome_display()} (by {_staff_name(*caller)})"
    if note:
        summary += f": {note}"
    return TimelineEntry(at=event.at, kind="Follow-up call", summary=summary, link=link)


def entries(
    events: list[Event], *, patient: Patient, survey_scores: dict[int, dict[str, tuple[int, str]]]
) -> list[TimelineEntry]:
    """The events in words, in the clinic's zone, with the URL of the record each opens."""
    communication_log = ("followups:communication_log", patient.pk)
    made = []
    for event in events:
        kind = event.kind
        if kind == "survey":
            made.append(_survey_entry(event, survey_scores))
        elif kind == "message":
            made.append(_message_entry(event, communication_log))
        elif kind == "call":
            made.append(_call_entry(event, communication_log))
        else:
            made.append(WORDING[kind](event))
    zone = timezone.get_current_timezone()  # once, not a localtime() per entry
    urls: dict[tuple[str, int], str] = {}  # the messages and calls all open the same log
    for entry in made:
        entry.at = entry.at.astimezone(zone)
        if entry.link is not None:
            if entry.link not in urls:
                viewname, pk = entry.link
                urls[entry.link] = reverse(viewname, args=[pk])
            entry.url = urls[entry.link]
    return made


WORDING = {
    "inquiry": _inquiry_entry,
    "intake": _intake_entry,
    "screening": _screening_entry,
    "determination": _determination_entry,
    "plan": _plan_entry,
    "session": _session_entry,
}
