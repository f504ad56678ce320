"""The session's clinical rules, exhaustively at their edges (no database)."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from treatments import session_rules as rules
from treatments.dosing import Route

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
