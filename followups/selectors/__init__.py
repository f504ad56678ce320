"""Reads of the follow-ups app, by domain: the worklists and logs, the patient chart, and the
clinic's outcomes."""

from .worklists import (
    DONE_DAYS,
    LOG_LIMIT,
    PANEL_SURVEYS,
    SECTION_LIMIT,
    SurveyScores,
    communication_log,
    escalation_reasons,
    followup_task,
    outbox_entry,
    patient_calls,
    patient_survey_statuses,
    patient_surveys,
    survey_alerts,
    survey_for_review,
    survey_scores,
    worklist,
    worklist_counts,
)

__all__ = [
    "DONE_DAYS",
    "LOG_LIMIT",
    "PANEL_SURVEYS",
    "SECTION_LIMIT",
    "SurveyScores",
    "communication_log",
    "escalation_reasons",
    "followup_task",
    "outbox_entry",
    "patient_calls",
    "patient_survey_statuses",
    "patient_surveys",
    "survey_alerts",
    "survey_for_review",
    "survey_scores",
    "worklist",
    "worklist_counts",
]
