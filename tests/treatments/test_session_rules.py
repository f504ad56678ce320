"""The session's clinical rules, exhaustively at their edges (no database)."""

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from treatments import session_rules as rules
from treatments.dosing import Guardrail, Route, given_dose_check

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("systolic", "diastolic", "gated"),
    [(140, 90, False), (141, 80, True), (120, 91, True), (None, None, False), (139, 89, False)],
)
def test_bp_gate_is_above_the_threshold_not_at_it(systolic, diastolic, gated):
    assert rules.bp_above_gate(systolic, diastolic, gate_systolic=140, gate_diastolic=90) is gated


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"systolic": 161}, ["Systolic BP high (161)"]),
        ({"systolic": 160}, []),
        ({"systolic": 89}, ["Systolic BP low (89)"]),
        ({"diastolic": 101}, ["Diastolic BP high (101)"]),
        ({"heart_rate": 111}, ["Heart rate high (111)"]),
        ({"heart_rate": 49}, ["Heart rate low (49)"]),
        ({"spo2": 93}, ["SpO2 low (93)"]),
        ({"spo2": 94}, []),
        ({"respiratory_rate": 9}, ["Respiratory rate low (9)"]),
        ({"respiratory_rate": 25}, ["Respiratory rate high (25)"]),
        # 2 (responds only after mild prodding or shaking) is still moderate sedation, flagged;
        # deep sedation starts at 1.
        ({"sedation_moaa_s": 2}, ["Moderate sedation (MOAA/S 2)"]),
        ({"sedation_moaa_s": 1}, ["Deep sedation (MOAA/S 1)"]),
        ({"sedation_moaa_s": 0}, ["Loss of consciousness (MOAA/S 0)"]),
        ({"sedation_moaa_s": 3}, []),
        (
            {
                "systolic": 122,
                "diastolic": 78,
                "heart_rate": 72,
                "spo2": 98,
                "respiratory_rate": 14,
            },
            [],
        ),
    ],
)
def test_vitals_flags(values, expected):
    assert rules.vitals_flags(**values) == expected


def test_aldrete_total_needs_every_criterion_and_0_to_2():
    scores = {name: 2 for name, _ in rules.ALDRETE_CRITERIA}
    assert rules.aldrete_total(scores) == 10
    assert rules.aldrete_total({**scores, "oxygen": None}) is None
    with pytest.raises(ValueError):
        rules.aldrete_total({**scores, "oxygen": 3})


@pytest.mark.parametrize(
    ("score", "depth"),
    [
        (5, "awake"),
        (4, "minimal sedation"),
        (3, "moderate sedation"),
        (2, "moderate sedation"),
        (1, "deep sedation"),
        (0, "loss of consciousness"),
    ],
)
def test_moaa_s_depths_follow_the_published_mapping(score, depth):
    assert rules.sedation_depth(score) == depth
    assert "mild prodding or shaking" in rules.MOAA_S_SCALE[2][0]


# --- Minimum observation after administration ends ---------------------------------------------

STOP = START + timedelta(minutes=40)


@pytest.mark.parametrize(
    ("route", "stopped_at", "minutes", "earliest"),
    [
        (Route.IV, STOP, 60, STOP + timedelta(minutes=60)),
        (Route.IM, None, 60, START + timedelta(minutes=60)),
        (Route.KETAMINE_NASAL, None, 90, START + timedelta(minutes=90)),
        (Route.ORAL, STOP, 90, STOP + timedelta(minutes=90)),
        # Esketamine counts from the first device, whatever the stop time.
        (Route.ESKETAMINE_NASAL, STOP, 120, START + timedelta(minutes=120)),
    ],
)
def test_the_earliest_discharge_counts_from_the_end_of_administration(
    route, stopped_at, minutes, earliest
):
    assert (
        rules.earliest_discharge(route, START, stopped_at, observation_minutes=minutes) == earliest
    )


def test_an_infusion_without_its_stop_time_has_no_earliest_discharge():
    assert rules.stop_time_needed(Route.IV, infusion_minutes=None)
    assert rules.stop_time_needed(Route.IM, infusion_minutes=20)  # given over a duration
    assert not rules.stop_time_needed(Route.IM, infusion_minutes=None)
    assert not rules.stop_time_needed(Route.ESKETAMINE_NASAL, infusion_minutes=None)
    earliest = rules.earliest_discharge(
        Route.IV, START, None, observation_minutes=60, stop_needed=True
    )
    assert earliest is None


@dataclass
class Row:
    taken_at: datetime = STOP + timedelta(minutes=55)
    systolic: int | None = 122
    diastolic: int | None = 78
    heart_rate: int | None = 72
    spo2: int | None = 98
    respiratory_rate: int | None = 14
    sedation_moaa_s: int | None = 5
    dissociation: int | None = 0


LIMITS = rules.DischargeLimits(
    aldrete_minimum=9, consciousness_minimum=2, oxygen_minimum=2, observation_minutes=60
)
FULL = {name: 2 for name, _ in rules.ALDRETE_CRITERIA}


def _readiness(**overrides):
    values = {
        "aldrete": FULL,
        "limits": LIMITS,
        "escort_present": True,
        "route": Route.IV,
        "started_at": START,
        "stopped_at": STOP,
        "stop_needed": True,
        "last_reading": Row(),
        "vitals_accepted": False,
        "now": STOP + timedelta(minutes=60),
    }
    return rules.discharge_readiness(**{**values, **overrides})


def _all_reasons(check) -> list[str]:
    return [*check.reasons, *(reason for _, reason in check.field_reasons)]


def test_an_iv_discharge_waits_60_minutes_after_the_infusion_ends():
    assert _readiness().ready
    at_30 = _readiness(now=STOP + timedelta(minutes=30))
    assert at_30.reasons == (
        "An IV infusion needs at least 60 minutes of observation after it ends "
        "(about 30 minutes left).",
    )
    one_second_early = _readiness(now=STOP + timedelta(minutes=60) - timedelta(seconds=1))
    assert "(about 1 minute left)" in one_second_early.reasons[0]


def test_an_iv_discharge_needs_the_infusion_stop_time():
    check = _readiness(stopped_at=None, now=START + timedelta(hours=5))
    assert check.reasons == (
        "Record when the infusion stopped: observation is counted from its end.",
    )


@pytest.mark.parametrize(
    ("route", "minutes", "words"),
    [
        (Route.IM, 60, "An intramuscular dose needs at least 60 minutes"),
        (Route.KETAMINE_NASAL, 90, "Intranasal ketamine needs at least 90 minutes"),
        (Route.ORAL, 90, "An oral or sublingual dose needs at least 90 minutes"),
        (Route.ESKETAMINE_NASAL, 120, "Intranasal esketamine needs at least 120 minutes"),
    ],
)
def test_every_route_waits_its_minimum_observation(route, minutes, words):
    limits = replace(LIMITS, observation_minutes=minutes)
    common = {"route": route, "limits": limits, "stopped_at": None, "stop_needed": False}
    early = _readiness(**common, now=START + timedelta(minutes=minutes - 1))
    assert len(early.reasons) == 1
    assert early.reasons[0].startswith(words)
    assert "(about 1 minute left)" in early.reasons[0]
    assert _readiness(**common, now=START + timedelta(minutes=minutes)).ready


def test_intranasal_esketamine_needs_two_hours_from_the_first_device():
    esketamine = {
        "route": Route.ESKETAMINE_NASAL,
        "limits": replace(LIMITS, observation_minutes=120),
        "stop_needed": False,
        "last_reading": Row(taken_at=START + timedelta(minutes=115)),
    }
    assert not _readiness(**esketamine, now=START + timedelta(minutes=119)).ready
    # Counted from the first device, not from the stop time recorded at 40 minutes.
    assert _readiness(**esketamine, now=START + timedelta(minutes=120)).ready


def test_discharge_needs_the_aldrete_minimum_and_an_escort():
    assert not _readiness(aldrete={**FULL, "activity": 0}).ready
    assert not _readiness(aldrete={**FULL, "oxygen": None}).ready
    low_and_alone = _readiness(aldrete={**FULL, "activity": 0}, escort_present=False)
    assert len(low_and_alone.reasons) == 2
    assert _readiness(aldrete={**FULL, "activity": 1}).ready  # 9 of 10


@pytest.mark.parametrize(
    ("criterion", "field"),
    [("consciousness", "aldrete_consciousness"), ("oxygen", "aldrete_oxygen")],
)
def test_consciousness_and_oxygen_must_each_score_their_minimum(criterion, field):
    check = _readiness(aldrete={**FULL, criterion: 1})  # a total of 9 is not enough
    assert not check.ready
    assert [f for f, _ in check.field_reasons] == [field]
    assert "discharge needs 2" in check.field_reasons[0][1]
    lower = replace(LIMITS, **{f"{criterion}_minimum": 1})
    assert _readiness(aldrete={**FULL, criterion: 1}, limits=lower).ready


def test_discharge_needs_vitals_after_administration_ended():
    check = _readiness(last_reading=None)
    assert check.reasons == ("Record a set of vitals taken after administration ended.",)


def test_the_last_vitals_must_be_a_full_set():
    check = _readiness(last_reading=Row(heart_rate=None, dissociation=None))
    assert check.reasons == (
        "The last vitals reading has no heart rate, dissociation (CADSS-6): record a full set "
        "before discharge.",
    )


@pytest.mark.parametrize(
    ("values", "in_range"),
    [
        ({"systolic": 160, "diastolic": 100}, True),
        ({"systolic": 161}, False),
        ({"heart_rate": 49}, False),
        ({"respiratory_rate": 25}, False),
        ({"spo2": 94}, True),
    ],
)
def test_the_last_vitals_out_of_range_need_the_clinician_s_note(values, in_range):
    reading = Row(**values)
    assert _readiness(last_reading=reading).ready is in_range
    if not in_range:
        check = _readiness(last_reading=reading)
        assert check.field_reasons[0][0] == "vitals_accepted_note"
        assert "accept them with a note" in check.field_reasons[0][1]
        assert _readiness(last_reading=reading, vitals_accepted=True).ready


def test_spo2_below_the_range_cannot_score_2_on_oxygen_even_when_accepted():
    low = Row(spo2=93)
    check = _readiness(last_reading=low, vitals_accepted=True)
    assert check.field_reasons == (
        (
            "aldrete_oxygen",
            "The last SpO2 is 93%, below the normal range (94% or more): O2 saturation cannot "
            "score 2.",
        ),
    )
    assert rules.oxygen_score_refusal(94, 2) is None
    assert rules.oxygen_score_refusal(93, 1) is None


@pytest.mark.parametrize(("moaa_s", "ready"), [(5, True), (4, False), (2, False)])
def test_sedation_has_resolved_only_at_moaa_s_5(moaa_s, ready):
    check = _readiness(last_reading=Row(sedation_moaa_s=moaa_s))
    assert check.ready is ready
    if not ready:
        assert check.reasons[0].startswith(
            f"Sedation has not resolved: the last MOAA/S is {moaa_s}"
        )


@pytest.mark.parametrize(("cadss", "ready"), [(0, True), (1, False)])
def test_dissociation_has_resolved_only_at_a_cadss6_of_0(cadss, ready):
    check = _readiness(last_reading=Row(dissociation=cadss))
    assert check.ready is ready
    if not ready:
        assert check.reasons == (
            "Dissociation has not resolved: the last CADSS-6 is 1; discharge needs 0 (no "
            "dissociative symptoms left).",
        )


def test_every_reason_is_given_at_once():
    check = _readiness(
        aldrete={**FULL, "consciousness": 1},
        escort_present=False,
        now=STOP + timedelta(minutes=10),
        last_reading=Row(sedation_moaa_s=4, systolic=170),
    )
    assert len(_all_reasons(check)) == 5


# --- The esketamine blood pressure at about 40 minutes -------------------------------------------


@pytest.mark.parametrize(
    ("taken_minutes", "now_minutes", "state"),
    [
        (None, 29, "not_yet"),
        (None, 30, "due"),
        (None, 50, "due"),
        (None, 51, "missed"),
        (30, 60, "done"),
        (50, 60, "done"),
        (29, 60, "missed"),  # too early to count as the 40-minute reading
        (51, 60, "missed"),
    ],
)
def test_the_40_minute_blood_pressure(taken_minutes, now_minutes, state):
    readings = []
    if taken_minutes is not None:
        readings.append(Row(taken_at=START + timedelta(minutes=taken_minutes)))
    readings.append(Row(taken_at=START + timedelta(minutes=40), systolic=None, diastolic=None))
    now = START + timedelta(minutes=now_minutes)
    assert rules.bp_check_state(START, readings, now, check_minutes=40) == state


def test_the_40_minute_reading_is_the_closest_to_40_minutes():
    near = Row(taken_at=START + timedelta(minutes=42))
    readings = [Row(taken_at=START + timedelta(minutes=33)), near]
    assert rules.bp_check_reading(START, readings, check_minutes=40) is near


@pytest.mark.parametrize(
    ("systolic", "decision", "acceptable"),
    [(140, "", True), (152, "", False), (152, "proceed", True), (152, "postpone", False)],
)
def test_acceptable_before_dosing_follows_the_bp_gate(systolic, decision, acceptable):
    # The vitals range (systolic up to 160) does not decide it: the gate (140/90) does.
    assert (
        rules.dosing_bp_acceptable(
            systolic, 80, gate_systolic=140, gate_diastolic=90, decision=decision
        )
        is acceptable
    )


def test_a_dose_different_from_the_plan_needs_a_reason():
    assert not rules.dose_differs(Decimal("35.0"), Decimal("35"))
    assert rules.dose_differs(Decimal("35.0"), Decimal("30"))
    assert not rules.dose_differs(None, Decimal("30"))


def test_signing_lists_what_is_missing_in_order():
    done = {key: True for key, _ in rules.SIGNING_REQUIREMENTS}
    assert rules.signing_missing(done) == []
    missing = rules.signing_missing({**done, "consent": False, "discharge": False})
    assert missing == ["Consent confirmed as current", "Discharge"]


# --- Fasting before the dose -------------------------------------------------------------------


def _fasting(food, liquids):
    return rules.fasting_shortfalls(
        None if food is None else Decimal(food),
        None if liquids is None else Decimal(liquids),
        food_minimum=Decimal(6),
        clear_liquid_minimum=Decimal(2),
    )


@pytest.mark.parametrize(
    ("food", "liquids", "expected"),
    [
        ("6", "2", []),
        ("12.5", "8", []),
        ("5.9", "2", ["5.9 hours since food, less than the clinic's 6 hours"]),
        ("6", "1.9", ["1.9 hours since clear liquids, less than the clinic's 2 hours"]),
        ("1", "0", [
            "1 hour since food, less than the clinic's 6 hours",
            "0 hours since clear liquids, less than the clinic's 2 hours",
        ]),
        (None, None, []),  # nothing recorded is asked for elsewhere, not a shortfall
    ],
)  # fmt: skip
def test_fasting_is_short_below_the_clinics_hours_not_at_them(food, liquids, expected):
    assert _fasting(food, liquids) == expected


# --- The dose actually given -------------------------------------------------------------------

IV = Guardrail(
    unit="mg/kg", usual_low=Decimal("0.5"), usual_high=Decimal("1.0"), maximum=Decimal("1.5")
)
ESKETAMINE = Guardrail(
    unit="mg", usual_low=Decimal(56), usual_high=Decimal(84), maximum=Decimal(84)
)
ORAL = Guardrail(unit="mg", usual_low=Decimal(50), usual_high=Decimal(300), maximum=Decimal(500))


def _given(route, dose, *, guardrail=IV, weight="70", cap="200", first=False):
    return given_dose_check(
        route,
        Decimal(dose),
        guardrail=guardrail,
        weight_kg=None if weight is None else Decimal(weight),
        cap_mg=Decimal(cap),
        first_esketamine_session=first,
    )


@pytest.mark.parametrize(
    ("dose", "refused", "outside_usual"),
    [
        ("35", False, False),  # 0.5 mg/kg at 70 kg: the bottom of the usual range
        ("34.9", False, True),
        ("70", False, False),  # 1.0 mg/kg: the top of the usual range
        ("70.1", False, True),
        ("105", False, True),  # 1.5 mg/kg: exactly the maximum
        ("105.1", True, False),
    ],
)
def test_an_iv_dose_given_is_checked_in_mg_per_kg_at_the_plans_weight(dose, refused, outside_usual):
    check = _given(Route.IV, dose)

    assert (check.refusal is not None) == refused
    assert (check.outside_usual is not None) == outside_usual


def test_the_refusals_say_the_figures_in_words():
    assert _given(Route.IV, "105.1").refusal == (
        "105.1 mg is above the maximum for IV infusion (1.5 mg/kg at 70 kg is 105 mg): it cannot "
        "be given."
    )
    assert _given(Route.IV, "30").outside_usual == (
        "30 mg is outside the usual range for IV infusion (0.5-1 mg/kg at 70 kg, 35-70 mg). To "
        "give it, confirm the dose and give your reason."
    )


def test_the_absolute_cap_refuses_what_the_weight_would_allow():
    # At 140 kg the mg/kg maximum is 210 mg, but no IV dose passes the clinic's 200 mg.
    assert _given(Route.IV, "200", weight="140").refusal is None
    refusal = _given(Route.IV, "200.1", weight="140").refusal
    assert "above the clinic's absolute maximum of 200 mg" in refusal
    # A fixed-dose route: the cap comes before the guardrail.
    assert _given(Route.ORAL, "500", guardrail=ORAL, cap="500").refusal is None
    assert (
        "absolute maximum of 500 mg"
        in _given(Route.ORAL, "500.1", guardrail=ORAL, cap="500").refusal
    )


def test_a_weight_based_dose_without_a_weight_is_refused():
    assert "No weight is recorded" in _given(Route.IM, "35", weight=None).refusal


@pytest.mark.parametrize(
    ("dose", "first", "refused"),
    [
        ("56", True, False),
        ("84", True, True),  # the first session is 56 mg
        ("56", False, False),
        ("84", False, False),
        ("70", False, True),  # not whole 28 mg devices
        ("28", False, True),
        ("112", False, True),
    ],
)
def test_intranasal_esketamine_is_56_or_84_mg_and_56_at_the_first_session(dose, first, refused):
    check = _given(
        Route.ESKETAMINE_NASAL, dose, guardrail=ESKETAMINE, weight=None, cap="84", first=first
    )

    assert (check.refusal is not None) == refused
    assert check.outside_usual is None
