"""The clinic's clinical limits come from settings, in one place (treatments.limits), and the
dose refusals they feed say why in the clinician's words."""

from datetime import time
from decimal import Decimal

import pytest
from django.test import override_settings

from treatments import limits
from treatments.dosing import Route, booking_minutes, dose_cap_refusal, esketamine_dose_refusal


def test_the_default_opening_hours_are_monday_to_saturday_eight_to_six():
    hours = limits.opening_hours()
    assert sorted(hours) == [0, 1, 2, 3, 4, 5]  # Sunday (6) closed
    assert hours[0] == (time(8, 0), time(18, 0))


@override_settings(CLINIC_OPENING_HOURS={"Tue": "09:30-13:00", "sat": " 10:00 - 14:00 "})
def test_opening_hours_are_read_per_weekday_as_the_clinic_writes_them():
    assert limits.opening_hours() == {
        1: (time(9, 30), time(13, 0)),
        5: (time(10, 0), time(14, 0)),
    }


@pytest.mark.parametrize(
    ("route", "minutes"),
    [("iv", 60), ("im", 60), ("ketamine_in", 90), ("oral", 90), ("esketamine_in", 120)],
)
def test_observation_minutes_by_route_default_to_the_domain_figures(route, minutes):
    assert limits.observation_minutes(route) == minutes


@override_settings(CLINIC_MIN_OBSERVATION_MINUTES={"iv": 75, "im": 60, "ketamine_in": 90,
                                                   "oral": 90, "esketamine_in": 120})  # fmt: skip
def test_a_longer_observation_setting_lengthens_the_booking_too():
    minutes = limits.observation_minutes(Route.IV)
    assert minutes == 75
    assert booking_minutes(Route.IV, infusion_minutes=40, observation_minutes=minutes) == 115


def test_blood_pressure_limits_quote_the_settings():
    with override_settings(CLINIC_BP_GATE_SYSTOLIC=150, CLINIC_BP_GATE_DIASTOLIC=95):
        assert limits.blood_pressure().gate_text == "150/95"
    assert limits.blood_pressure().severe_text == "180/110"


@pytest.mark.parametrize(
    ("dose", "first", "refused"),
    [
        (Decimal(56), True, False),
        (Decimal(56), False, False),
        (Decimal(84), False, False),
        (Decimal(84), True, True),  # the first session is two devices
        (Decimal(28), False, True),
        (Decimal(70), False, True),
        (Decimal(112), False, True),
        (Decimal("56.5"), False, True),
    ],
)
def test_esketamine_is_given_in_whole_devices_of_56_or_84_mg(dose, first, refused):
    assert (esketamine_dose_refusal(dose, first_session=first) is not None) is refused


def test_the_esketamine_refusal_says_what_is_allowed():
    assert "56 mg (two) or 84 mg (three), not 70 mg" in esketamine_dose_refusal(
        Decimal(70), first_session=False
    )


def test_the_absolute_cap_refuses_only_above_it():
    cap = limits.dose_cap_mg(Route.IV)
    assert cap == Decimal(200)
    assert dose_cap_refusal(Route.IV, Decimal(200), cap_mg=cap) is None
    refusal = dose_cap_refusal(Route.IV, Decimal("200.1"), cap_mg=cap)
    assert refusal == (
        "200.1 mg is above the clinic's absolute maximum of 200 mg a dose (IV infusion)."
    )
