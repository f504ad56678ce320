from .ledger import (
    LEDGER_TABLES,
    ControlledProduct,
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    StockContainer,
    StockCount,
    StockOnHand,
    StockReceipt,
)
from .plans import PlanVersion, TreatmentPlan
from .rems import RemsEnrollment, RemsFormSubmission
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
    "LEDGER_TABLES",
    "AssessmentFinding",
    "ControlledProduct",
    "DeaRegistration",
    "Discrepancy",
    "DiscrepancyResolution",
    "LedgerEntry",
    "PlanVersion",
    "RemsEnrollment",
    "RemsFormSubmission",
    "Screening",
    "ScreeningDetermination",
    "SessionAddendum",
    "SessionEvent",
    "StaffTask",
    "StockContainer",
    "StockCount",
    "StockOnHand",
    "StockReceipt",
    "TreatmentChair",
    "TreatmentPlan",
    "TreatmentSession",
    "VitalsReading",
]
