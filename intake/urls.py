from django.urls import path

from .views import patient_intake
from .views import patients as views

app_name = "intake"

urlpatterns = [
    path("patients/", views.patient_list, name="patient_list"),
    path("patients/new/", views.patient_register, name="patient_register"),
    path("patients/<int:pk>/", views.patient_detail, name="patient_detail"),
    path("patients/<int:pk>/edit/", views.patient_edit, name="patient_edit"),
    path("patients/<int:pk>/measurements/", views.measurement_add, name="measurement_add"),
    # Patient-facing: the link, then token-free pages held by a short session.
    path("i/<str:token>/", patient_intake.link_open, name="link_open"),
    path("intake/confirm/", patient_intake.confirm_birth_date, name="confirm"),
    path("intake/", patient_intake.resume, name="resume"),
    path("intake/step/<slug:slug>/", patient_intake.step, name="step"),
    path("intake/submitted/", patient_intake.submitted, name="submitted"),
]
