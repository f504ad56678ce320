"""The outcome rules (followups.outcomes) against a small cohort computed by hand.

The hand cohort (GAD-7 unless said; offsets from the patient's first completed session; the
maintenance rise is 5 points):

  A  IV   baseline 16 (2 days before). 24h: 6 (response, no remission). 7d (day 6): 4 (response,
          remission). 14d (day 13): 10 (no response: 20 > 16). First response at 1.0 day; the
          score rises 6 above its best (4) at day 13: the response lasted 12 days.
          PHQ-9 baseline 20, 24h 8 (response), 7d 4 (response, remission).
  B  IV   scores 14 (3 days before) then 10 (1 day before): the baseline is the LAST one, 10.
          At 20h: 5, exactly 50% (response; 5 is not below 5: no remission). 7d: 3 (both).
          14d: 4 (both). Never rises 5 above its best (3): still responding. Response at 0.83 day.
          PHQ-9 baseline 9: below the cut-off, left out of the PHQ-9 figures.
  C  esketamine  baseline 12. 24h (30h): 9, 7d: 8 (neither). Never responds.
  D  IV   baseline 0, 24h 0: below the symptomatic cut-off (10): left out of everything.
  E  esketamine  no baseline (first score after the session): left out of everything.
  F  IV   baseline 14. At 11h: 6 (before the 24h window opens at 12h, but a response at 0.46
          day). At 72h: 8 (the 24h window closes AT 72h: not measured at 24h; not yet 7d either).
          At day 5 (7d window opens): 13, no response; 13 - 6 = 7: rose back after 4.54 days.
  G  IM   baseline 20. 48h: 10, exactly half (response, no remission). Still responding.

Figures, all routes (7 patients treated):
  GAD-7 24h: response 3 of 4 (A, B, G; not C) = 75%; remission 0 of 4 = 0%
  GAD-7 7d:  response 2 of 4 (A, B; not C, F) = 50%; remission 2 of 4 (A, B) = 50%
  GAD-7 14d: response 1 of 2 (B; not A) = 50%; remission 1 of 2 (B) = 50%
  PHQ-9 24h: response 1 of 1 = 100%, remission 0 of 1 = 0%; 7d: response 1 of 1 = 100%,
             remission 1 of 1 = 100%; 14d: "—" (n = 0)
  No course has ended its induction series: every end-of-induction time point is "—".
  Time to response: A 1.0, B 0.833, F 0.458, G 2.0 days: median of four = (0.833 + 1.0) / 2
             = 0.917 days ("0.9").
  Durability: 4 responders; A lasted 12 days, F 4.54 days: median 8.27 ("8.3");
             B and G still responding (2).
IV (A, B, D, F): 24h response 2 of 2 = 100%, remission 0 of 2 = 0%.
Intranasal esketamine (C, E): 24h response 0 of 1. IM (G): 24h response 1 of 1.

Sessions (in the page test: A has a second IV session, H a patient treated before the period
has one IV session in it; 9 sessions): the 24-hour check-ins answered for A (nausea mild,
headache severe), B (nausea moderate), C (none) and D (dizziness severe): 4 answered. Nausea
2 of 4 = 50% (severe 0 of 4); headache 1 of 4 = 25% (severe 1 of 4); dizziness 1 of 4 (severe
1 of 4). Session log: side effect in A's two sessions = 2 of 9 = 22%; adverse event in C's
= 1 of 9 = 11%.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from followups import outcomes
from followups.outcomes import (
    GAD7,
    PHQ9,
    REMISSION,
    RESPONSE,
    TIME_POINTS,
    PatientCourse,
    Rate,
    Score,
    SessionRecord,
)

H = timedelta(hours=1)
D = timedelta(days=1)
RISE = 5
BASELINE_MIN = 10  # the clinic's default CLINIC_OUTCOME_BASELINE_MIN
EFFECTS = ("nausea", "dizziness", "headache")
ROUTES = (
    ("iv", "IV infusion"),
    ("im", "Intramuscular"),
    ("esketamine_in", "Intranasal esketamine (Spravato)"),
)
T0 = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class HandPatient:
    name: str
    route: str
    gad7: tuple[tuple[timedelta, int], ...]
    phq9: tuple[tuple[timedelta, int], ...] = ()
    # The first session's 24-hour check-in: None when it was not answered.
    side_effects: tuple[tuple[str, str], ...] | None = None
    events: tuple[str, ...] = ()  # SessionEvent kinds logged in the first session


COHORT = (
    HandPatient(
        "A",
        "iv",
        gad7=((-2 * D, 16), (24 * H, 6), (6 * D, 4), (13 * D, 10)),
        phq9=((-2 * D, 20), (24 * H, 8), (6 * D, 4)),
        side_effects=(("nausea", "mild"), ("headache", "severe")),
        events=("side_effect", "intervention"),
    ),
    HandPatient(
        "B",
        "iv",
        gad7=((-3 * D, 14), (-1 * D, 10), (20 * H, 5), (7 * D, 3), (14 * D, 4)),
        phq9=((-1 * D, 9), (7 * D, 6)),
        side_effects=(("nausea", "moderate"),),
    ),
    HandPatient(
        "C",
        "esketamine_in",
        gad7=((-1 * D, 12), (30 * H, 9), (7 * D, 8)),
        side_effects=(),
        events=("adverse_event",),
    ),
    HandPatient(
        "D", "iv", gad7=((-1 * D, 0), (24 * H, 0)), side_effects=(("dizziness", "severe"),)
    ),
    HandPatient("E", "esketamine_in", gad7=((24 * H, 3),)),
    HandPatient("F", "iv", gad7=((-1 * D, 14), (11 * H, 6), (72 * H, 8), (5 * D, 13))),
    HandPatient("G", "im", gad7=((-5 * D, 20), (48 * H, 10))),
)
# Sessions beyond the cohort's first ones, for the session counts (route, event kinds).
EXTRA_SESSIONS = (("iv", ("side_effect", "side_effect")), ("iv", ()))


def course_of(patient: HandPatient, start: datetime = T0) -> PatientCourse:
    return PatientCourse(
        route=patient.route,
        first_session_at=start,
        scores={
            GAD7: [Score(start + offset, total) for offset, total in patient.gad7],
            PHQ9: [Score(start + offset, total) for offset, total in patient.phq9],
        },
    )


def cohort_courses() -> list[PatientCourse]:
    return [course_of(patient) for patient in COHORT]


def cohort_sessions() -> list[SessionRecord]:
    return [
        SessionRecord(
            route=patient.route,
            side_effects=patient.side_effects,
            event_kinds=frozenset(patient.events),
        )
        for patient in COHORT
    ] + [
        SessionRecord(route=route, event_kinds=frozenset(kinds)) for route, kinds in EXTRA_SESSIONS
    ]


def cohort_rows() -> dict[str, outcomes.RouteOutcomes]:
    rows = outcomes.clinic_outcomes(
        courses=cohort_courses(),
        session_tallies=outcomes.tally_sessions(cohort_sessions()),
        routes=ROUTES,
        rise_points=RISE,
        baseline_min=BASELINE_MIN,
        effects=EFFECTS,
    )
    return {row.route: row for row in rows}


# --- The hand cohort ----------------------------------------------------------------------------


EXPECTED_ALL = {
    (GAD7, RESPONSE, "24h"): Rate(3, 4),
    (GAD7, REMISSION, "24h"): Rate(0, 4),
    (GAD7, RESPONSE, "7d"): Rate(2, 4),
    (GAD7, REMISSION, "7d"): Rate(2, 4),
    (GAD7, RESPONSE, "14d"): Rate(1, 2),
    (GAD7, REMISSION, "14d"): Rate(1, 2),
    (PHQ9, RESPONSE, "24h"): Rate(1, 1),
    (PHQ9, REMISSION, "24h"): Rate(0, 1),
    (PHQ9, RESPONSE, "7d"): Rate(1, 1),
    (PHQ9, REMISSION, "7d"): Rate(1, 1),
    (PHQ9, RESPONSE, "14d"): Rate(0, 0),
    (PHQ9, REMISSION, "14d"): Rate(0, 0),
} | {
    (instrument, kind, f"end_of_induction_{point.code}"): Rate(0, 0)
    for instrument in (GAD7, PHQ9)
    for kind in (RESPONSE, REMISSION)
    for point in TIME_POINTS
}


def test_the_cohort_rates_for_all_routes_are_the_hand_computed_ones():
    row = cohort_rows()[outcomes.ALL_ROUTES]

    assert row.label == "All routes"
    assert row.patients == 7
    assert row.sessions == 9
    assert row.rates == EXPECTED_ALL


def test_the_cohort_rates_by_route():
    rows = cohort_rows()

    assert [rows[code].patients for code in ("iv", "im", "esketamine_in")] == [4, 1, 2]
    assert [rows[code].sessions for code in ("iv", "im", "esketamine_in")] == [6, 1, 2]
    assert rows["iv"].rate(GAD7, RESPONSE, "24h") == Rate(2, 2)
    assert rows["iv"].rate(GAD7, REMISSION, "24h") == Rate(0, 2)
    assert rows["esketamine_in"].rate(GAD7, RESPONSE, "24h") == Rate(0, 1)
    assert rows["im"].rate(GAD7, RESPONSE, "24h") == Rate(1, 1)
    assert rows["im"].rate(GAD7, RESPONSE, "7d") == Rate(0, 0)


def test_the_cohort_time_to_response_is_the_median_of_four():
    ttr = cohort_rows()[outcomes.ALL_ROUTES].time_to_response

    assert ttr.n == 4
    assert ttr.days == pytest.approx((20 / 24 + 1.0) / 2)
    assert str(ttr) == "0.9 days (n = 4)"


def test_the_cohort_durability_counts_the_still_responding_apart():
    lasting = cohort_rows()[outcomes.ALL_ROUTES].durability

    assert lasting.responders == 4
    assert lasting.rose_back == 2  # A (12 days) and F (4.54 days)
    assert lasting.still_responding == 2  # B and G
    assert lasting.median_days == pytest.approx((12 + (120 - 11) / 24) / 2)


def test_the_cohort_side_effects():
    effects = cohort_rows()[outcomes.ALL_ROUTES].side_effects

    assert (effects.sessions, effects.answered) == (9, 4)
    assert effects.any_severity == {
        "nausea": Rate(2, 4),
        "dizziness": Rate(1, 4),
        "headache": Rate(1, 4),
    }
    assert effects.severe == {"nausea": Rate(0, 4), "dizziness": Rate(1, 4), "headache": Rate(1, 4)}
    assert effects.logged == {"side_effect": Rate(2, 9), "adverse_event": Rate(1, 9)}


def test_a_route_without_patients_shows_dashes():
    row = outcomes.clinic_outcomes(
        courses=cohort_courses(),
        session_tallies=outcomes.tally_sessions(cohort_sessions()),
        routes=[("oral", "Oral / sublingual")],
        rise_points=RISE,
        baseline_min=BASELINE_MIN,
        effects=EFFECTS,
    )[1]

    assert (row.patients, row.sessions) == (0, 0)
    assert {str(rate) for rate in row.rates.values()} == {"—"}
    assert str(row.time_to_response) == "—"
    assert row.durability == outcomes.Durability(0, 0, None, 0)
    assert str(row.side_effects.any_severity["nausea"]) == "—"


# --- Rates and their wording --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (Rate(3, 5), "60% (3 of 5)"),
        (Rate(1, 3), "33% (1 of 3)"),
        (Rate(2, 3), "67% (2 of 3)"),
        (Rate(1, 8), "13% (1 of 8)"),  # 12.5 rounds half up
        (Rate(0, 4), "0% (0 of 4)"),
        (Rate(4, 4), "100% (4 of 4)"),
        (Rate(0, 0), "—"),
    ],
)
def test_a_rate_reads_as_percent_and_n(rate, text):
    assert str(rate) == text


# --- Response and remission at the edges -------------------------------------------------------


@pytest.mark.parametrize(
    ("baseline", "score", "responded"),
    [
        (10, 5, True),  # exactly 50%
        (10, 6, False),
        (11, 5, True),  # 45%
        (11, 6, False),  # 5.5 would be half: 6 is above it
        (1, 0, True),
        (0, 0, False),  # nothing to fall from
        (16, 0, True),
    ],
)
def test_response_is_at_least_half_below_a_baseline_above_zero(baseline, score, responded):
    assert outcomes.is_response(baseline=baseline, score=score) is responded


@pytest.mark.parametrize(("score", "remitted"), [(0, True), (4, True), (5, False), (21, False)])
def test_remission_is_below_five(score, remitted):
    assert outcomes.is_remission(score) is remitted


def test_the_baseline_is_the_last_score_before_the_session_started():
    series = [Score(T0 - 3 * D, 14), Score(T0 - H, 10), Score(T0, 2), Score(T0 + H, 1)]

    assert outcomes.baseline_score(series, T0) == 10
    assert outcomes.baseline_score(series[2:], T0) is None  # a score AT the start is not before


WINDOWS = {point.code: point for point in TIME_POINTS}


@pytest.mark.parametrize(
    ("point", "offset", "measured"),
    [
        ("24h", 12 * H - timedelta(seconds=1), False),
        ("24h", 12 * H, True),  # opens at 12 hours
        ("24h", 72 * H - timedelta(seconds=1), True),
        ("24h", 72 * H, False),  # closes at 72 hours
        ("7d", 5 * D - timedelta(seconds=1), False),
        ("7d", 5 * D, True),
        ("7d", 10 * D, False),
        ("14d", 11 * D, True),
        ("14d", 21 * D - timedelta(seconds=1), True),
        ("14d", 21 * D, False),
    ],
)
def test_time_point_windows_are_half_open(point, offset, measured):
    series = [Score(T0 + offset, 7)]

    assert (outcomes.score_at(series, T0, WINDOWS[point]) == 7) is measured


def test_the_windows_are_one_table():
    assert [(p.code, p.opens, p.closes) for p in TIME_POINTS] == [
        ("24h", 12 * H, 72 * H),
        ("7d", 5 * D, 10 * D),
        ("14d", 11 * D, 21 * D),
    ]


def test_the_first_score_in_the_window_counts_not_the_best():
    course = PatientCourse(
        "iv", T0, {GAD7: [Score(T0 - D, 10), Score(T0 + 30 * H, 4), Score(T0 + 20 * H, 7)]}
    )  # given out of order: sorted by time, the 20-hour 7 comes first, not the better 4

    rates = outcomes.score_rates([course], baseline_min=BASELINE_MIN)

    assert rates[(GAD7, RESPONSE, "24h")] == Rate(0, 1)
    assert rates[(GAD7, REMISSION, "24h")] == Rate(0, 1)


def test_no_baseline_leaves_the_patient_out_of_every_rate():
    course = PatientCourse("iv", T0, {GAD7: [Score(T0 + 24 * H, 2), Score(T0 + 6 * D, 1)]})

    rates = outcomes.score_rates([course], baseline_min=BASELINE_MIN)

    assert {rate.denominator for rate in rates.values()} == {0}
    assert outcomes.first_response(course, baseline_min=BASELINE_MIN) is None


@pytest.mark.parametrize(("baseline", "counted"), [(9, False), (10, True)])
def test_only_a_symptomatic_baseline_counts(baseline, counted):
    """A patient who starts at 9 and falls to 2 is neither a response nor a remission: the
    instrument's cut-off (10, the clinic's setting) says they were not symptomatic."""
    course = PatientCourse("iv", T0, {GAD7: [Score(T0 - D, baseline), Score(T0 + 24 * H, 2)]})

    rates = outcomes.score_rates([course], baseline_min=BASELINE_MIN)

    expected = Rate(1, 1) if counted else Rate(0, 0)
    assert rates[(GAD7, RESPONSE, "24h")] == expected
    assert rates[(GAD7, REMISSION, "24h")] == expected
    assert (outcomes.first_response(course, baseline_min=BASELINE_MIN) is not None) is counted
    assert outcomes.time_to_response([course], baseline_min=BASELINE_MIN).n == int(counted)


def test_a_patient_who_starts_at_3_and_stays_at_3_is_not_a_remission():
    course = PatientCourse("iv", T0, {GAD7: [Score(T0 - D, 3), Score(T0 + 7 * D, 3)]})

    rates = outcomes.score_rates([course], baseline_min=BASELINE_MIN)

    assert rates[(GAD7, REMISSION, "7d")] == Rate(0, 0)


def test_the_time_points_are_measured_again_from_the_end_of_the_induction_series():
    """Six infusions over two weeks: the 7-day questionnaire after the last one is the
    end-of-induction 7d point; from the first session it falls in no window (day 19 is in the
    14d window, as the first-session 14d point)."""
    end = T0 + 12 * D
    course = PatientCourse(
        "iv",
        T0,
        {GAD7: [Score(T0 - D, 16), Score(end + 7 * D, 4), Score(end + 14 * D, 9)]},
        induction_end_at=end,
    )

    rates = outcomes.score_rates([course], baseline_min=BASELINE_MIN)

    assert rates[(GAD7, REMISSION, "end_of_induction_7d")] == Rate(1, 1)
    assert rates[(GAD7, RESPONSE, "end_of_induction_14d")] == Rate(0, 1)  # 9 > 16 / 2
    assert rates[(GAD7, RESPONSE, "end_of_induction_24h")] == Rate(0, 0)
    assert rates[(GAD7, REMISSION, "7d")] == Rate(0, 0)
    assert rates[(GAD7, REMISSION, "14d")] == Rate(1, 1)  # day 19 from the first session


def test_a_series_not_yet_ended_has_no_end_of_induction_points():
    course = PatientCourse("iv", T0, {GAD7: [Score(T0 - D, 16), Score(T0 + 7 * D, 4)]})

    rates = outcomes.score_rates([course], baseline_min=BASELINE_MIN)

    assert rates[(GAD7, REMISSION, "end_of_induction_7d")] == Rate(0, 0)
    assert rates[(GAD7, REMISSION, "7d")] == Rate(1, 1)


# --- Time to response and durability ----------------------------------------------------------


def test_time_to_response_is_the_first_score_half_below_baseline():
    course = PatientCourse(
        "iv", T0, {GAD7: [Score(T0 - D, 18), Score(T0 + 2 * D, 12), Score(T0 + 3 * D, 9)]}
    )

    ttr = outcomes.time_to_response([course], baseline_min=BASELINE_MIN)

    assert (ttr.days, ttr.n) == (3.0, 1)


def test_a_response_after_ninety_days_does_not_count():
    late = PatientCourse("iv", T0, {GAD7: [Score(T0 - D, 18), Score(T0 + 91 * D, 4)]})
    in_time = PatientCourse("iv", T0, {GAD7: [Score(T0 - D, 18), Score(T0 + 90 * D, 4)]})

    assert outcomes.first_response(late, baseline_min=BASELINE_MIN) is None
    assert outcomes.time_to_response(
        [late, in_time], baseline_min=BASELINE_MIN
    ) == outcomes.MedianDays(90.0, 1)


@pytest.mark.parametrize(
    ("days", "median"),
    [([3.0], 3.0), ([1.0, 4.0], 2.5), ([1.0, 2.0, 9.0], 2.0), ([1.0, 2.0, 6.0, 9.0], 4.0)],
)
def test_the_median_of_even_counts_is_the_mean_of_the_middle_two(days, median):
    courses = [
        PatientCourse("iv", T0, {GAD7: [Score(T0 - D, 10), Score(T0 + day * D, 2)]}) for day in days
    ]

    assert outcomes.time_to_response(courses, baseline_min=BASELINE_MIN) == outcomes.MedianDays(
        median, len(days)
    )


def test_durability_measures_the_rise_from_the_best_score_so_far():
    course = PatientCourse(
        "iv",
        T0,
        {
            GAD7: [
                Score(T0 - D, 16),
                Score(T0 + 1 * D, 8),  # first response
                Score(T0 + 4 * D, 12),  # +4 from the best (8): not yet
                Score(T0 + 6 * D, 2),  # new best
                Score(T0 + 8 * D, 6),  # +4 from 2: not yet (12 - 8 would have been +4 too)
                Score(T0 + 10 * D, 7),  # +5 from 2: the response is lost
            ]
        },
    )

    assert outcomes.response_lost_after(course, rise_points=5, baseline_min=BASELINE_MIN) == 9.0
    assert outcomes.response_lost_after(course, rise_points=6, baseline_min=BASELINE_MIN) is None
    assert outcomes.durability(
        [course], rise_points=6, baseline_min=BASELINE_MIN
    ) == outcomes.Durability(1, 0, None, 1)


def test_durability_without_responders_is_empty():
    course = PatientCourse("iv", T0, {GAD7: [Score(T0 - D, 10), Score(T0 + D, 9)]})

    assert outcomes.durability(
        [course], rise_points=5, baseline_min=BASELINE_MIN
    ) == outcomes.Durability(0, 0, None, 0)


# --- Side effects -------------------------------------------------------------------------------


def test_an_effect_reported_twice_in_one_check_in_counts_once():
    sessions = [
        SessionRecord("iv", side_effects=(("nausea", "mild"), ("nausea", "severe"))),
        SessionRecord("iv", side_effects=()),
        SessionRecord("iv", side_effects=None),  # not answered: out of the survey rates
    ]

    rates = outcomes.side_effect_rates(sessions, effects=["nausea"])

    assert rates.any_severity["nausea"] == Rate(1, 2)
    assert rates.severe["nausea"] == Rate(1, 2)
    assert rates.logged["side_effect"] == Rate(0, 3)


# --- The CSV rows -------------------------------------------------------------------------------


def test_csv_rows_are_one_per_route_measure_and_time_point():
    rows = outcomes.csv_rows(list(cohort_rows().values()), effects=EFFECTS)
    by_key = {(route, measure, point): rest for route, measure, point, *rest in rows}

    assert len(by_key) == len(rows)  # no duplicate key
    assert by_key[("All routes", "gad7_response", "24h")] == [3, 4, "0.7500"]
    assert by_key[("All routes", "gad7_remission", "24h")] == [0, 4, "0.0000"]
    assert by_key[("All routes", "gad7_remission", "end_of_induction_7d")] == [0, 0, ""]
    assert by_key[("All routes", "phq9_response", "14d")] == [0, 0, ""]
    assert by_key[("All routes", "patients_treated", "")] == [7, "", ""]
    assert by_key[("All routes", "gad7_time_to_response_median_days", "")] == ["", 4, "0.92"]
    assert by_key[("All routes", "gad7_response_duration_median_days", "")] == ["", 2, "8.27"]
    assert by_key[("All routes", "gad7_still_responding", "")] == [2, 4, "0.5000"]
    assert by_key[("IV infusion", "side_effect_nausea", "24h")] == [2, 3, "0.6667"]
    assert by_key[("All routes", "side_effect_headache_severe", "24h")] == [1, 4, "0.2500"]
    assert by_key[("All routes", "session_log_adverse_event", "session")] == [1, 9, "0.1111"]
