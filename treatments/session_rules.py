"""Clinical rules of a monitored session: plain functions, no Django.

The BP gate and the fasting check before dosing, out-of-range vitals flags, the Modified Aldrete
total and discharge readiness, the esketamine REMS 2-hour rule and the dose-difference check.
Thresholds that a clinic sets (BP gate, fasting hours, Aldrete minimum) are passed in by the
caller from settings.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

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
# MOAA/S at or below this is deep sedation (2: responds only to mild prodding).
SEDATION_FLAG_AT_OR_BELOW = 2

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
        flags.append(f"Deep sedation (MOAA/S {sedation_moaa_s})")
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


def esketamine_earliest_discharge(
    route: str, administration_started_at: datetime, *, observation_minutes: int
) -> datetime:
    """The earliest discharge after the dose: REMS asks 2 hours for intranasal esketamine."""
    if Route(route) == Route.ESKETAMINE_NASAL:
        return administration_started_at + timedelta(minutes=observation_minutes)
    return administration_started_at


@dataclass(frozen=True)
class DischargeCheck:
    ready: bool
    reasons: tuple[str, ...]  # why not, in the clinician's words


def discharge_readiness(
    *,
    aldrete: int | None,
    aldrete_minimum: int,
    escort_present: bool,
    route: str,
    administration_started_at: datetime | None,
    now: datetime,
    observation_minutes: int,
) -> DischargeCheck:
    reasons = []
    if aldrete is None:
        reasons.append("Score all five Modified Aldrete criteria.")
    elif aldrete < aldrete_minimum:
        reasons.append(
            f"The Modified Aldrete score is {aldrete}; discharge needs {aldrete_minimum} or more."
        )
    if not escort_present:
        reasons.append("An adult escort must be present to take the patient home.")
    if administration_started_at is None:
        reasons.append("Record the administration before discharge.")
    else:
        earliest = esketamine_earliest_discharge(
            route, administration_started_at, observation_minutes=observation_minutes
        )
        if now < earliest:
            minutes_left = int((earliest - now).total_seconds() // 60) + 1
            reasons.append(
                "Intranasal esketamine needs at least 2 hours of monitoring after the dose "
                f"(about {minutes_left} minutes left)."
            )
    return DischargeCheck(ready=not reasons, reasons=tuple(reasons))


def dose_differs(planned_mg: Decimal | None, given_mg: Decimal) -> bool:
    """True when the dose given is not the plan's dose (then a reason is needed)."""
    return planned_mg is not None and Decimal(given_mg) != Decimal(planned_mg)


# What a session note needs before it can be signed: (key, description).
SIGNING_REQUIREMENTS: tuple[tuple[str, str], ...] = (
    ("check_in", "Check-in (arrival, escort, fasting)"),
    ("consent", "Consent confirmed as current"),
    ("baseline_vitals", "Baseline vitals before the dose"),
    ("bp_decision", "A decision on the raised baseline blood pressure"),
    ("administration", "Administration (drug, dose, lot, times)"),
    ("monitoring_vitals", "At least one vitals reading during monitoring"),
    ("discharge", "Discharge"),
)


def signing_missing(parts_done: dict[str, bool]) -> list[str]:
    """The descriptions of the required parts not yet done (empty: the note can be signed)."""
    return [label for key, label in SIGNING_REQUIREMENTS if not parts_done.get(key, False)]
