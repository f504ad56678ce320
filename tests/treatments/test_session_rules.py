"""The session's clinical rules, exhaustively at their edges (no database)."""

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
        ({"sedation_moaa_s": 2}, ["Deep sedation (MOAA/S 2)"]),
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


def _readiness(**overrides):
    values = {
        "aldrete": 9,
        "aldrete_minimum": 9,
        "escort_present": True,
        "route": Route.IV,
        "administration_started_at": START,
        "now": START + timedelta(minutes=60),
        "observation_minutes": 120,
    }
    return rules.discharge_readiness(**{**values, **overrides})


def test_discharge_needs_the_aldrete_minimum_and_an_escort():
    assert _readiness().ready
    assert not _readiness(aldrete=8).ready
    assert not _readiness(aldrete=None).ready
    low_and_alone = _readiness(aldrete=8, escort_present=False)
    assert len(low_and_alone.reasons) == 2


def test_intranasal_esketamine_needs_two_hours_from_the_dose():
    route = Route.ESKETAMINE_NASAL
    assert not _readiness(route=route, now=START + timedelta(minutes=119)).ready
    assert _readiness(route=route, now=START + timedelta(minutes=120)).ready
    # Other routes are not held to the REMS rule.
    assert _readiness(route=Route.KETAMINE_NASAL, now=START + timedelta(minutes=30)).ready


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
