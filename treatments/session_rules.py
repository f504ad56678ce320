"""Clinical rules of a monitored session: plain functions, no Django.

The BP gate and the fasting check before dosing, out-of-range vitals flags, the Modified Aldrete
total and discharge readiness (each route's minimum observation after administration ends, the
last vitals, sedation and dissociation resolved), the esketamine REMS blood pressure at about 40
minutes and the dose-difference check. Thresholds that a clinic sets (BP gate, fasting hours,
Aldrete minimums, observation minutes) are passed in by the caller from settings.
"""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from .dosing import Route

# Out-of-range limits for a vitals row: (field, low, high, label). A value below low or above
# high is flagged; None means no limit on that side.
VITALS_LIMITS: tuple[tuple[str, int | None, int | None, str], ...] = (
    ("systolic", 90, 160, "Systolic BP"),
    ("diastolic", None, 100, "Diastolic BP"),
    ("heart_rate", 50, 110, "Heart rate"),
    ("spo2", 94, None, "SpO2"),
    ("respiratory_rate", 10, 24, "Respiratory rate"),
)

# The MOAA/S scale: score -> (the patient's response, the depth of sedation it means). On the
# published mapping 3 and 2 are moderate sedation; deep sedation starts at 1.
MOAA_S_SCALE: dict[int, tuple[str, str]] = {
    5: ("Responds readily to name spoken in normal tone", "awake"),
    4: ("Lethargic response to name spoken in normal tone", "minimal sedation"),
    3: ("Responds only after name is called loudly or repeatedly", "moderate sedation"),
    2: ("Responds only after mild prodding or shaking", "moderate sedation"),
    1: ("Responds only after painful trapezius squeeze", "deep sedation"),
    0: ("No response after painful trapezius squeeze", "loss of consciousness"),
}
# A vitals row is flagged from here down: the patient responds only to touch, or not at all.
SEDATION_FLAG_AT_OR_BELOW = 2
DEEP_SEDATION_AT_OR_BELOW = 1
# Sedation has resolved at MOAA/S 5; dissociation at a CADSS-6 of 0 (no dissociative symptom
# left), the clear reading of "resolved" that the REMS asks for before the patient leaves.
SEDATION_RESOLVED = 5
DISSOCIATION_RESOLVED = 0
# The esketamine REMS blood pressure "at about 40 minutes": a reading this many minutes either
# side of the check time counts as that reading.
BP_CHECK_WINDOW_MINUTES = 10


def sedation_depth(moaa_s: int) -> str:
    """The depth of sedation a MOAA/S score means, in words ("moderate sedation")."""
    return MOAA_S_SCALE[moaa_s][1]


ALDRETE_CRITERIA: tuple[tuple[str, str], ...] = (
    ("activity", "Activity"),
    ("respiration", "Respiration"),
    ("circulation", "Circulation"),
    ("consciousness", "Consciousness"),
    ("oxygen", "O2 saturation"),
)
ALDRETE_OPTIONS: dict[str, tuple[str, str, str]] = {
    # Scores 0, 1, 2.
    "activity": (
        "Unable to move any extremity",
        "Moves two extremities",
        "Moves all four extremities on command",
    ),
    "respiration": ("Apnoeic", "Dyspnoea or limited breathing", "Breathes deeply, coughs freely"),
    "circulation": (
        "BP more than 50% from pre-dose level",
        "BP within 20-50% of pre-dose level",
        "BP within 20% of pre-dose level",
    ),
    "consciousness": ("Not responding", "Arousable on calling", "Fully awake"),
    "oxygen": (
        "SpO2 below 90% even with oxygen",
        "Needs oxygen to keep SpO2 above 90%",
        "SpO2 above 92% on room air",
    ),
}


def bp_above_gate(
    systolic: int | None, diastolic: int | None, *, gate_systolic: int, gate_diastolic: int
) -> bool:
    """True when a baseline BP is above the gate: dosing waits for a clinician's decision."""
    return (systolic is not None and systolic > gate_systolic) or (
        diastolic is not None and diastolic > gate_diastolic
    )


def _hours(value: Decimal) -> str:
    text = f"{Decimal(value).normalize():f}"
    return f"{text} hour" if text == "1" else f"{text} hours"


def fasting_shortfalls(
    food_hours: Decimal | None,
    clear_liquid_hours: Decimal | None,
    *,
    food_minimum: Decimal,
    clear_liquid_minimum: Decimal,
) -> list[str]:
    """The fasting shorter than the clinic's minimums, each in words (empty: long enough, or
    not recorded). Short fasting blocks dosing until a clinician records a decision."""
    shortfalls = []
    if food_hours is not None and food_hours < food_minimum:
        shortfalls.append(
            f"{_hours(food_hours)} since food, less than the clinic's {_hours(food_minimum)}"
        )
    if clear_liquid_hours is not None and clear_liquid_hours < clear_liquid_minimum:
        shortfalls.append(
            f"{_hours(clear_liquid_hours)} since clear liquids, less than the clinic's "
            f"{_hours(clear_liquid_minimum)}"
        )
    return shortfalls


def vitals_flags(
    *,
    systolic: int | None = None,
    diastolic: int | None = None,
    heart_rate: int | None = None,
    spo2: int | None = None,
    respiratory_rate: int | None = None,
    sedation_moaa_s: int | None = None,
) -> list[str]:
    """The out-of-range values of one vitals row, each as a short sentence."""
    values = {
        "systolic": systolic,
        "diastolic": diastolic,
        "heart_rate": heart_rate,
        "spo2": spo2,
        "respiratory_rate": respiratory_rate,
    }
    flags = []
    for field, low, high, label in VITALS_LIMITS:
        value = values[field]
        if value is None:
            continue
        if low is not None and value < low:
            flags.append(f"{label} low ({value})")
        elif high is not None and value > high:
            flags.append(f"{label} high ({value})")
    if sedation_moaa_s is not None and sedation_moaa_s <= SEDATION_FLAG_AT_OR_BELOW:
        flags.append(f"{sedation_depth(sedation_moaa_s).capitalize()} (MOAA/S {sedation_moaa_s})")
    return flags


def aldrete_total(scores: dict[str, int | None]) -> int | None:
    """The Modified Aldrete total (0-10), or None while any criterion is unscored."""
    parts = [scores.get(name) for name, _ in ALDRETE_CRITERIA]
    if any(part is None for part in parts):
        return None
    for part in parts:
        if not 0 <= part <= 2:
            raise ValueError(f"an Aldrete criterion scores 0, 1 or 2, not {part}")
    return sum(parts)


# How each route's minimum observation is said to the clinician ({minutes} from the settings).
OBSERVATION_RULES: dict[Route, str] = {
    Route.IV: "An IV infusion needs at least {minutes} minutes of observation after it ends",
    Route.IM: (
        "An intramuscular dose needs at least {minutes} minutes of observation after the injection"
    ),
    Route.KETAMINE_NASAL: (
        "Intranasal ketamine needs at least {minutes} minutes of observation after the last spray"
    ),
    Route.ORAL: (
        "An oral or sublingual dose needs at least {minutes} minutes of observation after it "
        "is taken"
    ),
    Route.ESKETAMINE_NASAL: (
        "Intranasal esketamine needs at least {minutes} minutes of monitoring from the first "
        "device (REMS)"
    ),
}


def observation_rule(route: str, observation_minutes: int) -> str:
    """The route's minimum observation in words, e.g. "An IV infusion needs at least 60
    minutes of observation after it ends"."""
    return OBSERVATION_RULES[Route(route)].format(minutes=observation_minutes)


def stop_time_needed(route: str, *, infusion_minutes: int | None) -> bool:
    """True when observation counts from a recorded stop time: an IV infusion, and any route
    given over a duration. Intranasal esketamine counts from the first device instead."""
    if Route(route) == Route.ESKETAMINE_NASAL:
        return False
    return Route(route) == Route.IV or bool(infusion_minutes)


def earliest_discharge(
    route: str,
    started_at: datetime,
    stopped_at: datetime | None,
    *,
    observation_minutes: int,
    stop_needed: bool = False,
) -> datetime | None:
    """The earliest discharge: the route's minimum observation after administration ends
    (intranasal esketamine: after the first device, as the REMS counts). None while a stop time
    the route needs is not recorded, since the end is not known."""
    if Route(route) == Route.ESKETAMINE_NASAL:
        counted_from = started_at
    elif stopped_at is None and stop_needed:
        return None
    else:
        # A bolus (an injection, a spray, a tablet) with no stop time ends as it is given.
        counted_from = stopped_at or started_at
    return counted_from + timedelta(minutes=observation_minutes)


def administration_ended_at(started_at: datetime, stopped_at: datetime | None) -> datetime:
    """When administration ended: the stop time, or the start for a bolus."""
    return stopped_at or started_at


def _minutes(count: int) -> str:
    return f"{count} minute" if count == 1 else f"{count} minutes"


class VitalsRow(Protocol):
    """One vitals reading as the discharge rules read it (a VitalsReading has these)."""

    taken_at: datetime
    systolic: int | None
    diastolic: int | None
    heart_rate: int | None
    spo2: int | None
    respiratory_rate: int | None
    sedation_moaa_s: int | None
    dissociation: int | None


# What the last reading before discharge must hold: (attribute, how the clinician says it).
DISCHARGE_READING_VALUES: tuple[tuple[str, str], ...] = (
    ("systolic", "blood pressure"),
    ("heart_rate", "heart rate"),
    ("spo2", "SpO2"),
    ("respiratory_rate", "respiratory rate"),
    ("sedation_moaa_s", "sedation (MOAA/S)"),
    ("dissociation", "dissociation (CADSS-6)"),
)


def range_flags(row: VitalsRow) -> list[str]:
    """A reading's values outside the normal ranges (sedation aside), each as a short phrase."""
    return vitals_flags(
        systolic=row.systolic,
        diastolic=row.diastolic,
        heart_rate=row.heart_rate,
        spo2=row.spo2,
        respiratory_rate=row.respiratory_rate,
    )


def spo2_low(spo2: int | None) -> bool:
    """True when SpO2 is below the normal range (then the Aldrete oxygen cannot score 2)."""
    low = next(low for field, low, _, _ in VITALS_LIMITS if field == "spo2")
    return spo2 is not None and low is not None and spo2 < low


def oxygen_score_refusal(spo2: int | None, oxygen_score: int | None) -> str | None:
    """Why the Aldrete oxygen criterion cannot score 2 with this SpO2 (None: it can)."""
    if oxygen_score == 2 and spo2_low(spo2):
        low = next(low for field, low, _, _ in VITALS_LIMITS if field == "spo2")
        return (
            f"The last SpO2 is {spo2}%, below the normal range ({low}% or more): O2 saturation "
            "cannot score 2."
        )
    return None


@dataclass(frozen=True)
class DischargeLimits:
    """The clinic's discharge settings, passed in by the caller."""

    aldrete_minimum: int
    consciousness_minimum: int
    oxygen_minimum: int
    observation_minutes: int


@dataclass(frozen=True)
class DischargeCheck:
    ready: bool
    reasons: tuple[str, ...]  # why not, in the clinician's words
    # Reasons that belong beside one field of the discharge form: (field, reason).
    field_reasons: tuple[tuple[str, str], ...] = ()


def _reading_reasons(
    reading: VitalsRow | None, *, vitals_accepted: bool
) -> tuple[list[str], list[tuple[str, str]]]:
    """The last reading after administration: complete, in range (or accepted), with sedation
    and dissociation resolved."""
    if reading is None:
        return ["Record a set of vitals taken after administration ended."], []
    reasons: list[str] = []
    field_reasons: list[tuple[str, str]] = []
    missing = [words for name, words in DISCHARGE_READING_VALUES if getattr(reading, name) is None]
    if missing:
        reasons.append(
            f"The last vitals reading has no {', '.join(missing)}: record a full set before "
            "discharge."
        )
    flags = range_flags(reading)
    if flags and not vitals_accepted:
        field_reasons.append(
            (
                "vitals_accepted_note",
                f"The last vitals are outside the normal ranges ({', '.join(flags)}): take them "
                "again, or accept them with a note.",
            )
        )
    moaa_s = reading.sedation_moaa_s
    if moaa_s is not None and moaa_s != SEDATION_RESOLVED:
        reasons.append(
            f"Sedation has not resolved: the last MOAA/S is {moaa_s} ({sedation_depth(moaa_s)}); "
            f"discharge needs {SEDATION_RESOLVED} ({MOAA_S_SCALE[SEDATION_RESOLVED][0].lower()})."
        )
    cadss = reading.dissociation
    if cadss is not None and cadss != DISSOCIATION_RESOLVED:
        reasons.append(
            f"Dissociation has not resolved: the last CADSS-6 is {cadss}; discharge needs "
            f"{DISSOCIATION_RESOLVED} (no dissociative symptoms left)."
        )
    return reasons, field_reasons


def discharge_readiness(
    *,
    aldrete: dict[str, int | None],
    limits: DischargeLimits,
    escort_present: bool,
    route: str,
    started_at: datetime | None,
    stopped_at: datetime | None,
    stop_needed: bool,
    last_reading: VitalsRow | None,
    vitals_accepted: bool,
    now: datetime,
) -> DischargeCheck:
    """Every discharge criterion at once, so the clinician sees all that is missing.

    ``last_reading`` is the latest vitals reading taken after administration ended (None when
    there is none); ``vitals_accepted`` is the clinician's note accepting it out of range."""
    reasons: list[str] = []
    field_reasons: list[tuple[str, str]] = []
    total = aldrete_total(aldrete)
    if total is None:
        reasons.append("Score all five Modified Aldrete criteria.")
    else:
        if total < limits.aldrete_minimum:
            reasons.append(
                f"The Modified Aldrete score is {total}; discharge needs {limits.aldrete_minimum} "
                "or more."
            )
        for name, minimum in (
            ("consciousness", limits.consciousness_minimum),
            ("oxygen", limits.oxygen_minimum),
        ):
            if aldrete[name] < minimum:
                label = dict(ALDRETE_CRITERIA)[name]
                field_reasons.append(
                    (
                        f"aldrete_{name}",
                        f"{label} scores {aldrete[name]}; discharge needs {minimum} "
                        f'("{ALDRETE_OPTIONS[name][minimum]}").',
                    )
                )
        refusal = oxygen_score_refusal(
            last_reading.spo2 if last_reading else None, aldrete["oxygen"]
        )
        if refusal:
            field_reasons.append(("aldrete_oxygen", refusal))
    if not escort_present:
        reasons.append("An adult escort must be present to take the patient home.")
    if started_at is None:
        reasons.append("Record the administration before discharge.")
    else:
        earliest = earliest_discharge(
            route,
            started_at,
            stopped_at,
            observation_minutes=limits.observation_minutes,
            stop_needed=stop_needed,
        )
        if earliest is None:
            reasons.append("Record when the infusion stopped: observation is counted from its end.")
        elif now < earliest:
            left = math.ceil((earliest - now) / timedelta(minutes=1))
            rule = observation_rule(route, limits.observation_minutes)
            reasons.append(f"{rule} (about {_minutes(left)} left).")
        more, beside = _reading_reasons(last_reading, vitals_accepted=vitals_accepted)
        reasons += more
        field_reasons += beside
    return DischargeCheck(
        ready=not reasons and not field_reasons,
        reasons=tuple(reasons),
        field_reasons=tuple(field_reasons),
    )


def bp_check_reading(
    started_at: datetime, readings: Sequence[VitalsRow], *, check_minutes: int
) -> VitalsRow | None:
    """The blood pressure reading "at about ``check_minutes``" after the dose (esketamine
    REMS: 40): the one closest to that time within the window, or None."""
    target = started_at + timedelta(minutes=check_minutes)
    window = timedelta(minutes=BP_CHECK_WINDOW_MINUTES)
    candidates = [
        r for r in readings if r.systolic is not None and abs(r.taken_at - target) <= window
    ]
    return min(candidates, key=lambda r: abs(r.taken_at - target), default=None)


def bp_check_state(
    started_at: datetime, readings: Sequence[VitalsRow], now: datetime, *, check_minutes: int
) -> str:
    """Where the "about 40 minutes" blood pressure stands: "done", "not_yet" (before its
    window), "due" (in its window, not taken) or "missed" (its window passed without one)."""
    if bp_check_reading(started_at, readings, check_minutes=check_minutes) is not None:
        return "done"
    target = started_at + timedelta(minutes=check_minutes)
    window = timedelta(minutes=BP_CHECK_WINDOW_MINUTES)
    if now < target - window:
        return "not_yet"
    if now <= target + window:
        return "due"
    return "missed"


def dosing_bp_acceptable(
    systolic: int | None,
    diastolic: int | None,
    *,
    gate_systolic: int,
    gate_diastolic: int,
    decision: str,
) -> bool:
    """Vitals "acceptable before dosing" (REMS form) as the BP gate sees them: the baseline
    is not above the gate, or a clinician decided to proceed."""
    above = bp_above_gate(
        systolic, diastolic, gate_systolic=gate_systolic, gate_diastolic=gate_diastolic
    )
    return not above or decision == "proceed"


def dose_differs(planned_mg: Decimal | None, given_mg: Decimal) -> bool:
    """True when the dose given is not the plan's dose (then a reason is needed)."""
    return planned_mg is not None and Decimal(given_mg) != Decimal(planned_mg)


# What a session note needs before it can be signed: (key, description).
SIGNING_REQUIREMENTS: tuple[tuple[str, str], ...] = (
    ("check_in", "Check-in (arrival, escort, fasting)"),
    ("consent", "Consent confirmed as current"),
    ("baseline_vitals", "Baseline vitals before the dose"),
    ("bp_decision", "A decision on the raised baseline blood pressure"),
    ("fasting_decision", "A decision on the short fasting"),
    ("administration", "Administration (drug, dose, lot, times)"),
    ("monitoring_vitals", "At least one vitals reading during monitoring"),
    ("discharge", "Discharge"),
)


def signing_missing(parts_done: dict[str, bool]) -> list[str]:
    """The descriptions of the required parts not yet done (empty: the note can be signed)."""
    return [label for key, label in SIGNING_REQUIREMENTS if not parts_done.get(key, False)]
