"""The patient's short session for a survey link: the intake's protections (token exchanged
once, date of birth, idle timeout, every request re-checking the link), with the survey's keys."""

from intake.patient_session import LinkSession

from .models import Survey, SurveyLink


def _load(pk: int) -> SurveyLink | None:
    # Every page of the survey shows the link, its survey and the patient: one query.
    return SurveyLink.objects.select_related("survey__patient").filter(pk=int(pk)).first()


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
