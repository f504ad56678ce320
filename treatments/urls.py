from django.urls import path

from .views import screening as views

app_name = "treatments"

urlpatterns = [
    # Candidacy screening: the clinician's worklist, one screening, the rule list.
    path("screening/", views.screening_worklist, name="screening_worklist"),
    path("screening/rules/", views.screening_rules, name="screening_rules"),
    path("screening/<int:pk>/", views.screening_detail, name="screening_detail"),
    path(
        "screening/<int:pk>/findings/",
        views.screening_record_findings,
        name="screening_record_findings",
    ),
    path("screening/<int:pk>/sign/", views.screening_sign, name="screening_sign"),
    # Tasks for staff (the front desk's calls to patients).
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/<int:pk>/done/", views.task_done, name="task_done"),
]
