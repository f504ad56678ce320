"""Surveys for the tests of the patient's survey pages: a completed session's survey, invited,
with a link whose token the test knows (the outbox sweep makes these in production)."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from followups.models import Survey, SurveyLink
from intake.services.questionnaires import token_digest
from tests.treatments.sessions import (
    administered,
    booked_session,
    checked_in,
    discharged,
    monitored,
    pre_dose,
)
from treatments.models import PlanVersion

# Answers as a patient's browser posts them, step by step.
FEELING = {
    "feeling": "7",
    "side_nausea": "mild",
    "side_dizziness": "none",
    "side_headache": "moderate",
    "side_dissociation": "none",
    "side_drowsiness": "mild",
    "side_anxiety": "none",
    "side_urinary": "none",
    "side_vision": "none",
    "side_other": "none",
}
# GAD-7 all "Several days" (7, Mild).
GAD7 = {f"gad7_{n}": "1" for n in range(1, 8)}
# The check-in's anxiety since the treatment, all "Several days" (7; not a GAD-7, no band).
ANXIETY = {f"anxiety_{n}": "1" for n in range(1, 8)}
SAFETY = {"phq9_9": "0"}
# PHQ-9 all "Several days" but item 9 "Not at all" (8, Mild).
PHQ9 = {**{f"phq9_{n}": "1" for n in range(1, 9)}, "phq9_9": "0", "phq9_difficulty": "somewhat"}
CHECKIN_ANSWERS = (("feeling", FEELING), ("anxiety", ANXIETY), ("safety", SAFETY))
SCORES_ANSWERS = (("gad7", GAD7), ("phq9", PHQ9))


def issue_survey_link(survey: Survey, *, expires_at=None) -> str:
    """A new link to ``survey``; returns its token (only the hash is stored)."""
    token = secrets.token_urlsafe(32)
    SurveyLink.objects.create(
        survey=survey,
        channel="sms",
        token_hash=token_digest(token),
        expires_at=expires_at or survey.expires_at,
    )
    return token


def link_path(token: str) -> str:
    return reverse("followups:survey_link_open", kwargs={"token": token})


def completed_session_of(*, by, phase: str, sessions_planned: int = 6, **kwargs):
    """A session through discharge under a plan version of this phase (the surveys it
    schedules depend on it: the two-week questionnaires follow a maintenance session)."""
    session = booked_session(by=by, **kwargs)
    PlanVersion.objects.filter(pk=session.plan_version_id).update(
        phase=phase, sessions_planned=sessions_planned
    )
    session.plan_version.refresh_from_db()
    checked_in(session, by=by)
    pre_dose(session, by=by)
    administered(session, by=by)
    monitored(session, by=by)
    return discharged(session, by=by)


def sent_survey(*, by, content: str = Survey.Content.CHECKIN) -> tuple[Survey, str]:
    """A completed session's survey of this content, invited now, and its link's token: a
    maintenance session's, which schedules both contents."""
    session = completed_session_of(by=by, phase=PlanVersion.Phase.MAINTENANCE)
    survey = Survey.objects.filter(session=session, content=content).order_by("due_at").first()
    assert survey is not None, f"no {content} survey was scheduled after the session"
    now = timezone.now()
    survey.status = Survey.Status.INVITED
    survey.invited_at = now
    survey.expires_at = now + timedelta(days=settings.CLINIC_SURVEY_LINK_DAYS)
    survey.save(update_fields=["status", "invited_at", "expires_at"])
    return survey, issue_survey_link(survey)
