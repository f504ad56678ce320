from django.urls import path

from .views import inquiries, patient_intake, staff_intake
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
    # Consultation requests: the public page, then the front desk's "New inquiries" queue.
    path("consultation/", inquiries.consultation_request, name="consultation_request"),
    path("consultation/thanks/", inquiries.consultation_thanks, name="consultation_thanks"),
    path("inquiries/", inquiries.inquiry_list, name="inquiry_list"),
    path("inquiries/<int:pk>/", inquiries.inquiry_detail, name="inquiry_detail"),
    path(
        "inquiries/<int:pk>/create-patient/",
        inquiries.inquiry_register_patient,
        name="inquiry_register_patient",
    ),
    path(
        "inquiries/<int:pk>/link-patient/",
        inquiries.inquiry_link_patient,
        name="inquiry_link_patient",
    ),
    path("inquiries/<int:pk>/close/", inquiries.inquiry_close, name="inquiry_close"),
    path("inquiries/<int:pk>/release/", inquiries.inquiry_release, name="inquiry_release"),
    path("inquiries/<int:pk>/discard/", inquiries.inquiry_discard, name="inquiry_discard"),
    # Staff side of the intake: links, the queue, the clinician's view, alerts.
    path("patients/<int:pk>/intake-link/", staff_intake.intake_link_send, name="intake_link_send"),
    path("intakes/", staff_intake.intake_queue, name="intake_queue"),
    path("intakes/<int:pk>/", staff_intake.intake_detail, name="intake_detail"),
    path("intakes/<int:pk>/resend/", staff_intake.intake_link_resend, name="intake_link_resend"),
    path("intakes/<int:pk>/revoke/", staff_intake.intake_link_revoke, name="intake_link_revoke"),
    path("intakes/<int:pk>/amend/", staff_intake.intake_amend, name="intake_amend"),
    path("alerts/", staff_intake.alert_list, name="alert_list"),
    path("alerts/<int:pk>/acknowledge/", staff_intake.alert_acknowledge, name="alert_acknowledge"),
]
