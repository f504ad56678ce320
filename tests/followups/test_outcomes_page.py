"""The clinic outcomes page and its CSV: the hand cohort of ``test_outcomes_rules`` written to the
database shows the figures computed by hand there."""

import csv
import io
import itertools
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from followups.models import Survey
from followups.selectors.outcomes import outcome_data
from intake.models import Assessment
from tests.conftest import sign_in
from tests.factories import PatientFactory
from tests.followups.test_outcomes_rules import COHORT, HandPatient
from tests.treatments.sessions import booked_session
from treatments.dosing import Route
from treatments.models import PlanVersion, SessionEvent, TreatmentPlan, TreatmentSession

pytestmark = pytest.mark.clinic_day

PAGE = reverse("followups:outcomes")
CSV = reverse("followups:outcomes_csv")
PERIOD = {"start": "2026-05-01", "end": "2026-06-30"}
BASE = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
_source_ids = itertools.count(1)


# --- Writing the cohort -------------------------------------------------------------------------


def _score(patient, instrument: str, taken_at: datetime, total: int) -> None:
    Assessment.objects.create(
        patient=patient,
        instrument=instrument,
        answers={},
        total=total,
        band="",
        taken_at=taken_at,
        source_kind="test",
        source_id=next(_source_ids),
    )


def _another_session(first: TreatmentSession, *, starts_at: datetime, status: str, by):
    return TreatmentSession.objects.create(
        patient=first.patient,
        plan=first.plan,
        plan_version=first.plan_version,
        chair=first.chair,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        status=status,
        booked_by=by,
    )


def _event(session: TreatmentSession, kind: str, *, by) -> None:
    SessionEvent.objects.create(
        session=session, kind=kind, occurred_at=session.starts_at + timedelta(minutes=30),
        recorded_by=by,
    )  # fmt: skip


def _patient(hand: HandPatient, *, starts_at: datetime, by) -> TreatmentSession:
    """One hand patient: the first session (completed), its 24-hour check-in, and the scores."""
    session = booked_session(by=by, route=Route(hand.route), starts_at=starts_at)
    session.status = TreatmentSession.Status.COMPLETED
    session.save(update_fields=["status"])
    for instrument, series in (("gad7", hand.gad7), ("phq9", hand.phq9)):
        for offset, total in series:
            _score(session.patient, instrument, starts_at + offset, total)
    if hand.side_effects is not None:
        Survey.objects.create(
            patient=session.patient,
            session=session,
            offset_label="24h",
            content=Survey.Content.CHECKIN,
            status=Survey.Status.COMPLETED,
            due_at=starts_at + timedelta(hours=24),
            completed_at=starts_at + timedelta(hours=25),
            side_effects=[{"effect": e, "severity": s} for e, s in hand.side_effects],
        )
    for kind in hand.events:
        _event(session, kind, by=by)
    return session


def write_cohort(by, cohort=COHORT, *, base: datetime = BASE) -> dict[str, TreatmentSession]:
    """The hand cohort, each first session 3 hours after the last (one chair, no overlap), and
    the sessions that are not first sessions: A's second (two side effects logged), B's cancelled
    one, and H, first treated before the period, with one session in it."""
    first = {
        hand.name: _patient(hand, starts_at=base + index * timedelta(hours=3), by=by)
        for index, hand in enumerate(cohort)
    }
    if "A" in first:
        again = _another_session(
            first["A"], starts_at=base + timedelta(days=3), status="completed", by=by
        )
        _event(again, "side_effect", by=by)
        _event(again, "side_effect", by=by)
    if "B" in first:
        _another_session(first["B"], starts_at=base + timedelta(days=5), status="cancelled", by=by)
    # H: first session before the period; were the in-period one taken as first, H's scores
    # (baseline 20, then 2 a day later) would add a 24-hour responder.
    h_first = booked_session(by=by, starts_at=base - timedelta(days=40))
    h_first.status = TreatmentSession.Status.COMPLETED
    h_first.save(update_fields=["status"])
    in_period = _another_session(
        h_first, starts_at=base + timedelta(days=2), status="completed", by=by
    )
    _score(h_first.patient, "gad7", in_period.starts_at - timedelta(days=1), 20)
    _score(h_first.patient, "gad7", in_period.starts_at + timedelta(days=1), 2)
    # A patient booked in the period but not treated yet.
    booked_session(by=by, starts_at=base + timedelta(days=8), patient=PatientFactory())
    return first


# --- Reading the page ---------------------------------------------------------------------------


class _Tables(HTMLParser):
    """Each table's caption -> its rows of cell texts, as seen (visually hidden text left out)."""

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._rows: list[list[str]] | None = None
        self._caption: list[str] | None = None
        self._cell: list[str] | None = None
        self._hidden = 0
        self._head = False

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if self._hidden or "visually-hidden" in classes:
            self._hidden += tag not in ("br", "input")
        elif tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if self._hidden:
            self._hidden -= 1
        elif tag == "thead" and self._rows is not None:
            del self._rows[:]  # the header rows (one or two)
            self._head = False
        elif tag == "caption":
            self._caption_text = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None:
            self._rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[self._caption_text] = self._rows
            self._rows = None

    def handle_data(self, data):
        if self._hidden:
            return
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def tables_of(response) -> dict[str, dict[str, list[str]]]:
    """Caption (its start) -> first cell of each body row -> the other cells."""
    parser = _Tables()
    parser.feed(response.content.decode())
    return {caption: {row[0]: row[1:] for row in rows} for caption, rows in parser.tables.items()}


def table(response, caption_start: str) -> dict[str, list[str]]:
    found = [
        rows for caption, rows in tables_of(response).items() if caption.startswith(caption_start)
    ]
    assert len(found) == 1, f"no single table captioned {caption_start!r}"
    return found[0]


def csv_of(response) -> dict[tuple[str, str, str], list[str]]:
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["route", "measure", "time_point", "numerator", "denominator", "rate"]
    return {(route, measure, point): rest for route, measure, point, *rest in rows[1:]}


# --- The page -----------------------------------------------------------------------------------


def test_the_hand_cohort_shows_the_hand_computed_figures(clinician, clinician_user):
    write_cohort(clinician_user)

    response = clinician.get(PAGE, PERIOD)

    assert response.status_code == 200
    treated = table(response, "Patients whose first completed session")
    assert treated["All routes"] == ["7", "9"]
    assert treated["IV infusion"] == ["4", "6"]
    assert treated["Intranasal esketamine (Spravato)"] == ["2", "2"]
    assert treated["Intramuscular"] == ["1", "1"]
    assert treated["Oral / sublingual"] == ["0", "0"]

    gad7_response = table(response, "GAD-7 response")
    # After the first session, then after the end of the induction series (no cohort plan has
    # ended its series: dashes). D (baseline 0) and B's PHQ-9 (baseline 9) are below the
    # symptomatic cut-off of 10: left out.
    end = ["—", "—", "—"]
    assert gad7_response["All routes"] == ["75% (3 of 4)", "50% (2 of 4)", "50% (1 of 2)", *end]
    assert gad7_response["IV infusion"] == ["100% (2 of 2)", "67% (2 of 3)", "50% (1 of 2)", *end]
    assert gad7_response["Intranasal esketamine (Spravato)"][:3] == [
        "0% (0 of 1)",
        "0% (0 of 1)",
        "—",
    ]
    assert gad7_response["Oral / sublingual"] == ["—"] * 6
    gad7_remission = table(response, "GAD-7 remission")
    assert gad7_remission["All routes"] == ["0% (0 of 4)", "50% (2 of 4)", "50% (1 of 2)", *end]
    assert gad7_remission["IV infusion"][0] == "0% (0 of 2)"
    assert table(response, "PHQ-9 response")["All routes"][:3] == [
        "100% (1 of 1)",
        "100% (1 of 1)",
        "—",
    ]
    assert table(response, "PHQ-9 remission")["All routes"][:3] == [
        "0% (0 of 1)",
        "100% (1 of 1)",
        "—",
    ]

    lasting = table(response, "Among patients whose GAD-7 responded")
    # responders, median days to response, lost, median days lasted, still responding
    assert lasting["All routes"] == ["4", "0.9 (n = 4)", "2", "8.3 (n = 2)", "2"]
    assert lasting["Intramuscular"] == ["1", "2.0 (n = 1)", "0", "—", "1"]

    effects = table(response, "Side effects reported in the 24-hour check-in")
    assert effects["Nausea or vomiting"] == ["50% (2 of 4)", "0% (0 of 4)"]
    assert effects["Headache"] == ["25% (1 of 4)", "25% (1 of 4)"]
    assert effects["Dizziness or unsteadiness"] == ["25% (1 of 4)", "25% (1 of 4)"]
    assert effects["Blurred or double vision"] == ["0% (0 of 4)", "0% (0 of 4)"]
    logged = table(response, "Completed sessions with a side effect or an adverse event")
    assert logged == {"Side effect": ["22% (2 of 9)"], "Adverse event": ["11% (1 of 9)"]}
    text = response.content.decode()
    assert "4 of 9 completed sessions in the period had an answered 24-hour check-in" in text
    assert "still responding" in text and "5 or more points above the best" in text


def test_the_csv_has_the_same_figures_and_no_patient(clinic_admin, admin_user):
    first = write_cohort(admin_user)

    response = clinic_admin.get(CSV, PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="outcomes_2026-05-01_to_2026-06-30.csv"'
    )
    rows = csv_of(response)
    assert rows[("All routes", "patients_treated", "")] == ["7", "", ""]
    assert rows[("All routes", "sessions", "")] == ["9", "", ""]
    assert rows[("All routes", "gad7_response", "24h")] == ["3", "4", "0.7500"]
    assert rows[("All routes", "gad7_remission", "24h")] == ["0", "4", "0.0000"]
    assert rows[("IV infusion", "gad7_remission", "24h")] == ["0", "2", "0.0000"]
    assert rows[("All routes", "gad7_response", "end_of_induction_7d")] == ["0", "0", ""]
    assert rows[("All routes", "phq9_response", "14d")] == ["0", "0", ""]
    assert rows[("All routes", "gad7_time_to_response_median_days", "")] == ["", "4", "0.92"]
    assert rows[("All routes", "gad7_still_responding", "")] == ["2", "4", "0.5000"]
    assert rows[("All routes", "side_effect_nausea", "24h")] == ["2", "4", "0.5000"]
    assert rows[("All routes", "session_log_side_effect", "session")] == ["2", "9", "0.2222"]
    text = response.content.decode()
    for session in first.values():
        assert session.patient.mrn not in text
        assert session.patient.legal_last_name not in text


def test_the_route_filter_keeps_one_route(clinician, clinician_user):
    write_cohort(clinician_user)

    response = clinician.get(PAGE, {**PERIOD, "route": "iv"})

    gad7_response = table(response, "GAD-7 response")
    assert list(gad7_response) == ["IV infusion"]
    assert gad7_response["IV infusion"][:3] == ["100% (2 of 2)", "67% (2 of 3)", "50% (1 of 2)"]
    assert table(response, "Patients whose first completed session") == {"IV infusion": ["4", "6"]}
    # Side effects of the IV sessions only: A, B and D answered (nausea A and B).
    effects = table(response, "Side effects reported in the 24-hour check-in")
    assert effects["Nausea or vomiting"] == ["67% (2 of 3)", "0% (0 of 3)"]

    exported = clinician.get(CSV, {**PERIOD, "route": "iv"})
    rows = csv_of(exported)
    assert {route for route, _measure, _point in rows} == {"IV infusion"}
    assert rows[("IV infusion", "gad7_response", "24h")] == ["2", "2", "1.0000"]
    assert exported["Content-Disposition"].endswith('_to_2026-06-30_iv.csv"')


def test_of_two_baselines_taken_at_the_same_time_the_one_recorded_last_counts(
    clinician, clinician_user
):
    # Recorded 20 then 12, both a day before: the baseline is 12, so 10 at 24 hours is no
    # response (from 20 it would have been one).
    tie = HandPatient("T", "iv", gad7=((-timedelta(days=1), 20), (-timedelta(days=1), 12),
                                        (timedelta(hours=24), 10)))  # fmt: skip
    write_cohort(clinician_user, (tie,))

    response = clinician.get(PAGE, PERIOD)

    assert table(response, "GAD-7 response")["All routes"][0] == "0% (0 of 1)"


def test_the_period_leaves_out_patients_first_treated_outside_it(clinician, clinician_user):
    write_cohort(clinician_user)
    # The first sessions run from June 1st 10:00 to June 2nd 04:00 (clinic time): a period from
    # June 3rd holds none of them, only A's second session (June 4th) and H's (June 3rd).
    response = clinician.get(PAGE, {"start": "2026-06-03", "end": "2026-06-30"})

    assert table(response, "Patients whose first completed session")["All routes"] == ["0", "2"]
    assert table(response, "GAD-7 response")["All routes"] == ["—"] * 6


def test_the_period_is_read_in_the_clinic_zone(clinician, clinician_user):
    # 04:00 UTC on June 1st is still May 31st in Chicago.
    write_cohort(clinician_user, COHORT[:1], base=datetime(2026, 6, 1, 4, 0, tzinfo=UTC))

    may = clinician.get(PAGE, {"start": "2026-05-01", "end": "2026-05-31"})
    june = clinician.get(PAGE, {"start": "2026-06-01", "end": "2026-06-30"})

    assert table(may, "Patients whose first completed session")["All routes"][0] == "1"
    assert table(june, "Patients whose first completed session")["All routes"][0] == "0"


def test_without_dates_the_period_is_the_last_six_months(client, clinician_user):
    write_cohort(clinician_user)

    # Six months before November 30th is May 30th: the cohort (June 1st-2nd) is in.
    with time_machine.travel(datetime(2026, 11, 30, 18, 0, tzinfo=UTC), tick=False):
        recent = sign_in(client, clinician_user).get(PAGE)
    # ... before December 5th, June 5th: it is out.
    with time_machine.travel(datetime(2026, 12, 5, 18, 0, tzinfo=UTC), tick=False):
        later = sign_in(client, clinician_user).get(PAGE)

    assert 'value="2026-05-30"' in recent.content.decode()
    assert 'value="2026-11-30"' in recent.content.decode()
    assert "outcomes.csv?start=2026-05-30&amp;end=2026-11-30&amp;route=" in recent.content.decode()
    assert table(recent, "Patients whose first completed session")["All routes"][0] == "7"
    assert table(later, "Patients whose first completed session")["All routes"][0] == "0"


def test_a_period_ending_before_it_starts_is_refused(clinician):
    response = clinician.get(PAGE, {"start": "2026-06-30", "end": "2026-06-01"})

    assert response.status_code == 200
    assert "The first day must be on or before the last day." in response.content.decode()
    assert tables_of(response) == {}
    assert clinician.get(CSV, {"start": "2026-06-30", "end": "2026-06-01"}).status_code == 400


def test_the_form_is_labelled(clinician):
    text = clinician.get(PAGE).content.decode()

    for name, label in (("start", "From"), ("end", "To"), ("route", "Route")):
        assert f'<label class="form-label" for="id_{name}">{label}</label>' in text
        assert f'id="id_{name}"' in text


@pytest.mark.parametrize("url", [PAGE, CSV])
def test_the_front_desk_may_not_see_outcomes(front_desk, url):
    assert front_desk.get(url).status_code == 403


# --- Queries ------------------------------------------------------------------------------------

# Signing in (session, user, TOTP device, role) then the outcomes: patients with their first
# session, their scores, the sessions in the period counted by route with their 24-hour
# check-ins, and the sessions with events logged counted by route.
QUERIES = 8


@pytest.mark.parametrize("copies", [1, 6])
def test_the_page_and_csv_cost_the_same_queries_for_2_or_12_patients(
    clinician, clinician_user, django_assert_num_queries, copies
):
    two = COHORT[:2]
    for copy in range(copies):
        write_cohort(clinician_user, two, base=BASE + copy * timedelta(days=1, hours=7))
    clinician.get(PAGE, PERIOD)  # warm-up: the session, content types

    # Worked out afresh each time (a kept report costs only the sign-in's queries:
    # test_outcomes_report.py).
    cache.clear()
    with django_assert_num_queries(QUERIES):
        response = clinician.get(PAGE, PERIOD)
    cache.clear()
    with django_assert_num_queries(QUERIES):
        clinician.get(CSV, PERIOD)

    patients = table(response, "Patients whose first completed session")["All routes"][0]
    assert patients == str(2 * copies)


def _induction_of(by, *, planned: int, done: int, plan_status: str = "active"):
    """A patient's IV induction of ``planned`` infusions, ``done`` of them completed two days
    apart from BASE, with a GAD-7 baseline of 16 the day before. Returns the sessions."""
    first = _patient(
        HandPatient("I", "iv", gad7=((-timedelta(days=1), 16),)), starts_at=BASE, by=by
    )
    PlanVersion.objects.filter(pk=first.plan_version_id).update(sessions_planned=planned)
    sessions = [first]
    for number in range(1, done):
        sessions.append(
            _another_session(
                first, starts_at=BASE + timedelta(days=2 * number), status="completed", by=by
            )
        )
    TreatmentPlan.objects.filter(pk=first.plan_id).update(status=plan_status)
    return sessions


@pytest.mark.parametrize(
    ("done", "plan_status", "ended"),
    [(2, "active", False), (3, "active", True), (2, "stopped", True), (2, "completed", True)],
)
def test_the_end_of_induction_is_the_last_infusion_once_the_series_is_over(
    clinician_user, done, plan_status, ended
):
    sessions = _induction_of(clinician_user, planned=3, done=done, plan_status=plan_status)
    _score(sessions[-1].patient, "gad7", sessions[-1].starts_at + timedelta(days=7), 4)

    (course,) = outcome_data(start=BASE - timedelta(days=1), end=BASE + timedelta(days=1),
                             effects=[]).courses  # fmt: skip

    assert course.induction_end_at == (sessions[-1].starts_at if ended else None)


def test_the_page_shows_the_time_points_from_the_end_of_induction(clinician, clinician_user):
    sessions = _induction_of(clinician_user, planned=3, done=3)
    # The 7-day questionnaire after the last infusion (day 11 from the first: in no window of
    # the first session's 7d), and the 24-hour check-in's anxiety questions (not a GAD-7).
    _score(sessions[-1].patient, "gad7", sessions[-1].starts_at + timedelta(days=7), 4)
    _score(sessions[0].patient, "anx_24h", sessions[0].starts_at + timedelta(hours=24), 2)

    response = clinician.get(PAGE, PERIOD)

    remission = table(response, "GAD-7 remission")["All routes"]
    assert remission[:2] == ["—", "—"]  # the check-in's 2 at 24 hours is not a GAD-7
    assert remission[3:] == ["—", "100% (1 of 1)", "—"]
    assert "CLINIC_OUTCOME_BASELINE_MIN" in response.content.decode()


@pytest.mark.parametrize(("baseline", "counted"), [(9, False), (10, True)])
def test_the_page_counts_only_a_symptomatic_baseline(
    clinician, clinician_user, settings, baseline, counted
):
    settings.CLINIC_OUTCOME_BASELINE_MIN = 10
    symptoms = ((-timedelta(days=1), baseline), (timedelta(days=6), 2))
    write_cohort(clinician_user, (HandPatient("S", "iv", gad7=symptoms),))

    response = clinician.get(PAGE, PERIOD)

    expected = "100% (1 of 1)" if counted else "—"
    assert table(response, "GAD-7 remission")["All routes"][1] == expected
    assert table(response, "GAD-7 response")["All routes"][1] == expected
