from django.urls import path

from .views import chart, outcomes, patient_survey, staff

app_name = "followups"

urlpatterns = [
    # Patient-facing: the link, then token-free pages held by a short session.
    path("s/<str:token>/", patient_survey.link_open, name="survey_link_open"),
    path("survey/confirm/", patient_survey.confirm_birth_date, name="survey_confirm"),
    path("survey/", patient_survey.resume, name="survey_resume"),
    path("survey/step/<slug:slug>/", patient_survey.step, name="survey_step"),
    path("survey/done/", patient_survey.done, name="survey_done"),
    # Staff: the follow-up worklist, surveys, calls and the communication log.
    path("follow-ups/", staff.worklist, name="worklist"),
    path("follow-ups/surveys/<int:pk>/", staff.survey_detail, name="survey_detail"),
    path("follow-ups/tasks/<int:pk>/call/", staff.call_log, name="call_log"),
    path("follow-ups/tasks/<int:pk>/done/", staff.task_done, name="task_done"),
    path(
        "patients/<int:pk>/communications/",
        staff.communication_log,
        name="communication_log",
    ),
    path("follow-ups/messages/<int:pk>/send-again/", staff.send_again, name="send_again"),
    # The patient chart (timeline and scores) and the clinic's outcomes.
    path("patients/<int:pk>/chart/", chart.patient_chart, name="patient_chart"),
    path("outcomes/", outcomes.outcomes, name="outcomes"),
    path("outcomes.csv", outcomes.outcomes_csv, name="outcomes_csv"),
]
