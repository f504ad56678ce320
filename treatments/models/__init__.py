from .plans import PlanVersion, TreatmentPlan
from .screening import AssessmentFinding, Screening, ScreeningDetermination, StaffTask
from .sessions import (
    HOLDING_STATUSES,
    SessionAddendum,
    SessionEvent,
    TreatmentChair,
    TreatmentSession,
    VitalsReading,
)

__all__ = [
    "HOLDING_STATUSES",
    "AssessmentFinding",
    "PlanVersion",
    "Screening",
    "ScreeningDetermination",
    "SessionAddendum",
    "SessionEvent",
    "StaffTask",
    "TreatmentChair",
    "TreatmentPlan",
    "TreatmentSession",
    "VitalsReading",
]
