"""The outcomes' session counts are made in SQL (followups.selectors.outcomes): on varied check-ins,
odd JSON included, they are those of the Python rules (``outcomes.tally_sessions``) over the
sessions read one by one, as the page read them before the counting moved to SQL."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from followups import outcomes
from followups.models import Survey
from followups.selectors.outcomes import outcome_data
from tests.treatments.sessions import booked_session
from treatments.dosing import Route
from treatments.models import SessionEvent

pytestmark = pytest.mark.clinic_day

START = datetime(2026, 6, 1, 5, 0, tzinfo=UTC)
END = datetime(2026, 7, 1, 5, 0, tzinfo=UTC)
EFFECTS = ["nausea", "dizziness", "headache", "vision", "other"]
NAUSEA_SEVERE = {"effect": "nausea", "severity": "severe"}


@dataclass(frozen=True)
class Spec:
    route: str
    side_effects: object = None  # the 24-hour check-in's JSON; None: no check-in
    checkin_status: str = "completed"
    offset_label: str = "24h"
    events: tuple[str, ...] = ()
    status: str = "completed"
    days_before_start: int = 0  # > 0: the session is before the period


SPECS = (
    Spec(
        "iv",
        [{"effect": "nausea", "severity": "mild"}, NAUSEA_SEVERE],  # nausea twice: counts once
        events=("side_effect", "side_effect", "intervention"),
    ),
    Spec("iv", []),
    Spec("iv", [{"effect": "headache", "severity": "severe"}], checkin_status="scheduled"),
    Spec("iv", [{"effect": "headache", "severity": "severe"}], offset_label="7d"),
    Spec(
        "im",
        [
            "nausea",
            5,
            {"severity": "severe"},
            {"effect": "dizziness", "severity": "severe"},
            {"effect": "other", "severity": "moderate"},
        ],
        events=("adverse_event",),
    ),
    Spec("im", {"effect": "nausea", "severity": "severe"}),  # an object, not a list
    Spec("esketamine_in", [[NAUSEA_SEVERE]], events=("adverse_event", "side_effect")),
    Spec(
        "esketamine_in",
        [
            {"effect": "vision", "severity": "severe", "note": "both eyes"},
            {"effect": "headache", "severity": "Severe"},
            {"effect": "unknown", "severity": "severe"},
        ],
    ),
    Spec("iv", [NAUSEA_SEVERE], status="cancelled", events=("side_effect",)),
    Spec("iv", [NAUSEA_SEVERE], days_before_start=5, events=("adverse_event",)),
    Spec("oral", None, events=("side_effect",)),
)


def _write(spec: Spec, *, starts_at: datetime, by) -> None:
    session = booked_session(by=by, route=Route(spec.route), starts_at=starts_at)
    session.status = spec.status
    session.save(update_fields=["status"])
    if spec.side_effects is not None:
        Survey.objects.create(
            patient=session.patient,
            session=session,
            offset_label=spec.offset_label,
            content=Survey.Content.CHECKIN,
            status=spec.checkin_status,
            due_at=starts_at + timedelta(hours=24),
            completed_at=starts_at + timedelta(hours=25),
            side_effects=spec.side_effects,
        )
    for kind in spec.events:
        SessionEvent.objects.create(
            session=session, kind=kind, occurred_at=starts_at + timedelta(minutes=30),
            recorded_by=by,
        )  # fmt: skip


def _as_read_one_by_one(spec: Spec) -> outcomes.SessionRecord:
    """The session as the selector read it before the counting moved to SQL."""
    answered = (
        spec.side_effects is not None
        and spec.checkin_status == "completed"
        and spec.offset_label == "24h"
    )
    return outcomes.SessionRecord(
        route=spec.route,
        side_effects=tuple(
            (str(item.get("effect", "")), str(item.get("severity", "")))
            for item in spec.side_effects or []
            if isinstance(item, dict)
        )
        if answered
        else None,
        event_kinds=frozenset(spec.events) & {"side_effect", "adverse_event"},
    )


@pytest.fixture
def varied_sessions(clinician_user):
    for index, spec in enumerate(SPECS):
        starts_at = START + timedelta(days=1, hours=3 * index - 24 * spec.days_before_start)
        _write(spec, starts_at=starts_at, by=clinician_user)
    return [spec for spec in SPECS if spec.status == "completed" and spec.days_before_start == 0]


def _counted(tallies: dict[str, outcomes.SideEffectTally]) -> dict:
    """The tallies with zero counts left out: SQL names every effect asked for, Python only the
    effects it met."""
    return {
        route: (
            tally.sessions,
            tally.answered,
            {effect: n for effect, n in tally.any_severity.items() if n and effect in EFFECTS},
            {effect: n for effect, n in tally.severe.items() if n and effect in EFFECTS},
            {kind: n for kind, n in tally.logged.items() if n},
        )
        for route, tally in tallies.items()
    }


def test_the_sql_counts_are_those_of_the_sessions_read_one_by_one(varied_sessions):
    counted = outcome_data(start=START, end=END, effects=EFFECTS).session_tallies

    expected = outcomes.tally_sessions(_as_read_one_by_one(spec) for spec in varied_sessions)
    assert _counted(counted) == _counted(expected)
    # ... and those are the figures a reader of the specs expects:
    assert _counted(counted) == {
        "iv": (4, 2, {"nausea": 1}, {"nausea": 1}, {"side_effect": 1}),
        "im": (2, 2, {"dizziness": 1, "other": 1}, {"dizziness": 1}, {"adverse_event": 1}),
        "esketamine_in": (
            2,
            2,
            {"vision": 1, "headache": 1},
            {"vision": 1},
            {"adverse_event": 1, "side_effect": 1},
        ),
        "oral": (1, 0, {}, {}, {"side_effect": 1}),
    }


def test_the_sql_counts_of_one_route(varied_sessions):
    counted = outcome_data(start=START, end=END, effects=EFFECTS, route="im").session_tallies

    assert _counted(counted) == {
        "im": (2, 2, {"dizziness": 1, "other": 1}, {"dizziness": 1}, {"adverse_event": 1})
    }


def test_every_effect_asked_for_is_counted_even_when_nobody_reported_it(varied_sessions):
    tally = outcome_data(start=START, end=END, effects=EFFECTS).session_tallies["oral"]

    assert tally.any_severity == dict.fromkeys(EFFECTS, 0)
    assert tally.rates(effects=EFFECTS).any_severity["nausea"] == outcomes.Rate(0, 0)
