"""The patient's short session for a survey link: the intake's protections (token exchanged
once, date of birth, idle timeout, every request re-checking the link), with the survey's keys."""

from clinic.prepared import PreparedRecord
from intake.patient_session import LinkSession

from .models import Survey, SurveyLink

# Every page of the survey loads the link, its survey and the patient: one prepared query.
_SURVEY_LINK = PreparedRecord(
    lambda pk: SurveyLink.objects.filter(pk=pk), related=("survey__patient",), pk=int
)


def _load(pk: int) -> SurveyLink | None:
    return _SURVEY_LINK.first(pk=int(pk))


def _attach(request, link: SurveyLink) -> None:
    request.survey_link = link
    request.survey = link.survey


SURVEY = LinkSession(
    prefix="survey_link",
    load=_load,
    confirm_url="followups:survey_confirm",
    allow_when_done=lambda link: link.survey.status == Survey.Status.COMPLETED,
    attach=_attach,
    # The survey's text comes from the neutral sender name; so do the pages it links to.
    neutral_name=True,
)
