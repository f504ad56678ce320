"""Treatment records in the admin: read-only (they are written by services and signed), and
clinical, so shown to superusers alone (``clinic.admin_patient_data.PatientDataAdmin``); the
chairs are the clinic admin's to set up. The controlled-substance ledger is in
``admin_ledger``."""

from django.contrib import admin

from clinic.locations import default_location
from intake.admin import ReadOnlyAdmin

from . import admin_ledger  # noqa: F401 - registers the controlled-substance ledger's pages
from .models import (
    AssessmentFinding,
    PlanVersion,
    RemsEnrollment,
    RemsFormSubmission,
    Screening,
    ScreeningDetermination,
    SessionAddendum,
    SessionEvent,
    StaffTask,
    TreatmentChair,
    TreatmentPlan,
    TreatmentSession,
    VitalsReading,
)
from .screening_rules import RULESET_VERSION


@admin.register(AssessmentFinding)
class AssessmentFindingAdmin(ReadOnlyAdmin):
    """Newest first by id, which the primary key serves (recorded_at has no index)."""

    ordering = ["-id"]
    list_display = ["recorded_at", "patient", "systolic", "diastolic", "pulse", "recorded_by"]
    list_filter = ["recorded_at", "pregnancy_test"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient", "recorded_by"]


class RulesetFilter(admin.SimpleListFilter):
    title = "screening rules"
    parameter_name = "rules"

    def lookups(self, request, model_admin):
        # Not the versions stored (a SELECT DISTINCT over every screening): current or not.
        return [("current", f"Current ({RULESET_VERSION})"), ("earlier", "Earlier versions")]

    def queryset(self, request, queryset):
        if self.value() == "current":
            return queryset.filter(ruleset_version=RULESET_VERSION)
        if self.value() == "earlier":
            return queryset.exclude(ruleset_version=RULESET_VERSION)
        return queryset


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    """Newest first by id, which the primary key serves (created_at has no index)."""

    list_display = ["created_at", "patient", "result", "status", "is_current", "ruleset_version"]
    list_filter = ["result", "status", "is_current", RulesetFilter]
    ordering = ["-id"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient"]


@admin.register(ScreeningDetermination)
class ScreeningDeterminationAdmin(ReadOnlyAdmin):
    """Newest first by id, which the primary key serves (signed_at has no index)."""

    ordering = ["-id"]
    list_display = ["signed_at", "screening", "decision", "is_override", "signed_by"]
    list_filter = ["decision", "is_override", "signed_at"]
    search_fields = ["screening__patient__mrn__exact", "^screening__patient__legal_last_name"]
    list_select_related = ["screening", "signed_by"]


@admin.register(StaffTask)
class StaffTaskAdmin(ReadOnlyAdmin):
    """Newest first by id, which the primary key serves (the worklist's index, by role and
    status, cannot serve a due-date order across them)."""

    list_display = ["due_at", "patient", "role", "title", "status"]
    list_filter = ["role", "status", "due_at"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    ordering = ["-id"]
    list_select_related = ["patient"]


@admin.register(TreatmentChair)
class TreatmentChairAdmin(admin.ModelAdmin):
    """Chairs and rooms are the one thing here clinic admins set up: each at a location (its
    board, hours and time zone) and in a room within it."""

    fields = ["name", "location", "room", "active", "display_order"]
    list_display = ["name", "location", "room", "active", "display_order"]
    list_filter = ["location", "active"]
    search_fields = ["name", "room", "location__name"]
    list_editable = ["active", "display_order"]
    list_select_related = ["location"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "location":
            # Null only for chairs made before locations: a new one is placed somewhere.
            field.required = True
        return field

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if "location" not in initial:
            initial["location"] = default_location().pk
        return initial

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: past sessions refer to it


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ReadOnlyAdmin):
    """Newest first by id, which the primary key serves (created_at has no index)."""

    ordering = ["-id"]
    list_display = ["id", "patient", "status", "created_at", "activated_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient"]


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "number", "route", "dose_mg", "phase", "effective_at"]
    list_filter = ["route", "phase", "effective_at"]
    search_fields = ["plan__patient__mrn"]
    list_select_related = ["plan"]


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(ReadOnlyAdmin):
    """By start time, then chair (the model's order): session_day_board holds it."""

    list_display = ["starts_at", "chair", "patient", "status", "signed_at", "lot_number"]
    list_filter = ["status", "chair", "starts_at"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    search_help_text = (
        "A lot number (as written on the vial, for a recall), a patient's MRN, or the start of "
        "their last name."
    )
    list_select_related = ["patient", "chair"]

    def get_search_results(self, request, queryset, search_term):
        # A lot number is neither an MRN nor a name: the sessions given from that lot when
        # there are any (from the session_lot index), else the patient search.
        term = search_term.strip()
        if term:
            from_lot = queryset.filter(lot_number=term)
            if from_lot.exists():
                return from_lot, False
        return super().get_search_results(request, queryset, search_term)


@admin.register(VitalsReading)
class VitalsReadingAdmin(ReadOnlyAdmin):
    list_display = ["session", "kind", "taken_at", "systolic", "diastolic", "heart_rate", "spo2"]
    list_filter = ["kind", "taken_at"]
    search_fields = ["session__patient__mrn"]
    list_select_related = ["session"]


@admin.register(SessionEvent)
class SessionEventAdmin(ReadOnlyAdmin):
    list_display = ["session", "kind", "effect", "severity", "occurred_at", "escalated"]
    list_filter = ["kind", "effect", "severity", "escalated"]
    search_fields = ["session__patient__mrn", "description"]
    list_select_related = ["session"]


@admin.register(SessionAddendum)
class SessionAddendumAdmin(ReadOnlyAdmin):
    list_display = ["session", "author", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["session__patient__mrn", "text"]
    list_select_related = ["session", "author"]


@admin.register(RemsEnrollment)
class RemsEnrollmentAdmin(ReadOnlyAdmin):
    """The esketamine REMS enrollments, recorded on the patient's page."""

    list_display = ["patient", "enrolled_on", "prescriber", "recorded_by"]
    list_filter = ["enrolled_on"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient", "prescriber", "recorded_by"]


@admin.register(RemsFormSubmission)
class RemsFormSubmissionAdmin(ReadOnlyAdmin):
    """The REMS Patient Monitoring Forms marked as submitted, from the session's REMS page."""

    list_display = ["session", "submitted_on", "submitted_by"]
    list_filter = ["submitted_on"]
    search_fields = ["session__patient__mrn__exact"]
    list_select_related = ["session", "submitted_by"]
