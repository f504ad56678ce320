from django.urls import path

from .views import booking, chain_reports, counts, ledger, plans, rems, sessions
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
    # Treatment plans: a patient's plans, one plan with its versions and status actions.
    path("patients/<int:pk>/plans/", plans.plan_list, name="plan_list"),
    path("patients/<int:pk>/plans/new/", plans.plan_new, name="plan_new"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/activate/", plans.plan_activate, name="plan_activate"),
    path("plans/<int:pk>/edit/", plans.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/amend/", plans.plan_amend, name="plan_amend"),
    path("plans/<int:pk>/complete/", plans.plan_complete, name="plan_complete"),
    path("plans/<int:pk>/stop/", plans.plan_stop, name="plan_stop"),
    # Booking: a plan's series on the chairs, one session's changes, the chair board.
    path("plans/<int:pk>/book/", booking.plan_book, name="plan_book"),
    path("sessions/<int:pk>/booking/", booking.booking_manage, name="booking_manage"),
    path("sessions/<int:pk>/reschedule/", booking.booking_reschedule, name="booking_reschedule"),
    path("sessions/<int:pk>/cancel/", booking.booking_cancel, name="booking_cancel"),
    path("sessions/<int:pk>/no-show/", booking.booking_no_show, name="booking_no_show"),
    path("board/", booking.chair_board, name="chair_board"),
    # The session log: one page per session, a short form per stage; the REMS form.
    path("sessions/to-sign/", sessions.sessions_to_sign, name="sessions_to_sign"),
    path("sessions/<int:pk>/", sessions.session_detail, name="session_detail"),
    path("sessions/<int:pk>/check-in/", sessions.session_check_in, name="session_check_in"),
    path("sessions/<int:pk>/pre-dose/", sessions.session_pre_dose, name="session_pre_dose"),
    path(
        "sessions/<int:pk>/bp-decision/",
        sessions.session_bp_decision,
        name="session_bp_decision",
    ),
    path(
        "sessions/<int:pk>/fasting-decision/",
        sessions.session_fasting_decision,
        name="session_fasting_decision",
    ),
    path(
        "sessions/<int:pk>/administration/",
        sessions.session_administer,
        name="session_administer",
    ),
    path("sessions/<int:pk>/vitals/", sessions.session_vitals_add, name="session_vitals_add"),
    path("sessions/<int:pk>/stop/", sessions.session_stop_time, name="session_stop_time"),
    path("sessions/<int:pk>/events/", sessions.session_event_add, name="session_event_add"),
    path("sessions/<int:pk>/discharge/", sessions.session_discharge, name="session_discharge"),
    path("sessions/<int:pk>/sign/", sessions.session_sign, name="session_sign"),
    path(
        "sessions/<int:pk>/addenda/",
        sessions.session_addendum_add,
        name="session_addendum_add",
    ),
    path("sessions/<int:pk>/rems/", sessions.session_rems, name="session_rems"),
    # The esketamine REMS: a patient's enrollment, a session's form submitted, the forms due.
    path("patients/<int:pk>/rems/", rems.rems_enroll, name="rems_enroll"),
    path("sessions/<int:pk>/rems/submitted/", rems.rems_form_submit, name="rems_form_submit"),
    path("rems/forms-due/", rems.rems_forms_due, name="rems_forms_due"),
    # The controlled-substance ledger: stock, deliveries, containers, disposals, corrections.
    path("ledger/", ledger.stock, name="ledger_stock"),
    path("ledger/entries/", ledger.entry_list, name="ledger_entries"),
    path("ledger/receipts/new/", ledger.receipt_new, name="ledger_receipt_new"),
    path("ledger/containers/<int:pk>/", ledger.container_detail, name="ledger_container"),
    path(
        "ledger/containers/<int:pk>/dispose/",
        ledger.container_dispose,
        name="ledger_container_dispose",
    ),
    path("ledger/entries/<int:pk>/reverse/", ledger.entry_reverse, name="ledger_entry_reverse"),
    # Counts and inventories (blind), the discrepancies they open, DEA Form 106.
    path("ledger/counts/", counts.count_list, name="ledger_counts"),
    path("ledger/counts/new/", counts.count_new, name="ledger_count_new"),
    path("ledger/counts/<int:pk>/", counts.count_detail, name="ledger_count"),
    path("ledger/counts/<int:pk>/csv/", counts.count_csv, name="ledger_count_csv"),
    path(
        "ledger/discrepancies/<int:pk>/",
        counts.discrepancy_detail,
        name="ledger_discrepancy",
    ),
    path(
        "ledger/discrepancies/<int:pk>/form-106/",
        counts.form_106,
        name="ledger_form_106",
    ),
    # A chain of clinics: every location's stock and inventories due.
    path("ledger/locations/", chain_reports.chain_inventory, name="ledger_chain"),
]
