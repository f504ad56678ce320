"""Writes of the session log: check-in, before the dose, the BP and fasting decisions,
administration, monitoring, discharge, signing and addenda.

Each stage refuses changes once the note is signed; later changes are addenda. The session row
is locked (select_for_update) while a stage is validated and saved, so two staff saving the
same session at once cannot overwrite each other's stage.
"""

from .administration import (
    DRUGS,
    OUTSIDE_USUAL,
    administration_blockers,
    dosing_version,
    dosing_waits_for,
    session_administer,
    session_record_stop,
    stop_time_needed,
)
from .before_dose import (
    BP_DECISIONS,
    PREGNANCY_RESULTS,
    bp_gated,
    fasting_shortfalls,
    pregnancy_test_applies,
    session_check_in,
    session_decide_bp,
    session_decide_fasting,
    session_record_pre_dose,
)
from .common import COMPLETED_HOOKS, FUTURE_SLACK, Status, session_route
from .discharge import (
    discharge_limits,
    discharge_waits_for,
    earliest_discharge,
    readings_after_administration,
    session_discharge,
)
from .monitoring import session_event_record, vitals_record
from .signing import session_addendum_add, session_sign, signing_parts, signing_parts_from_row

__all__ = [
    "BP_DECISIONS",
    "COMPLETED_HOOKS",
    "DRUGS",
    "FUTURE_SLACK",
    "OUTSIDE_USUAL",
    "PREGNANCY_RESULTS",
    "Status",
    "administration_blockers",
    "bp_gated",
    "discharge_limits",
    "discharge_waits_for",
    "dosing_version",
    "dosing_waits_for",
    "earliest_discharge",
    "fasting_shortfalls",
    "pregnancy_test_applies",
    "readings_after_administration",
    "session_addendum_add",
    "session_administer",
    "session_check_in",
    "session_decide_bp",
    "session_decide_fasting",
    "session_discharge",
    "session_event_record",
    "session_record_pre_dose",
    "session_record_stop",
    "session_route",
    "session_sign",
    "signing_parts",
    "signing_parts_from_row",
    "stop_time_needed",
    "vitals_record",
]
