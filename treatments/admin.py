"""Screening records in the admin: read-only (they are written by services and signed)."""

from django.contrib import admin

from intake.admin import ReadOnlyAdmin

from .models import (
    AssessmentFinding,
    PlanVersion,
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


@admin.register(AssessmentFinding)
class AssessmentFindingAdmin(ReadOnlyAdmin):
    list_display = ["recorded_at", "patient", "systolic", "diastolic", "pulse", "recorded_by"]
    list_filter = ["recorded_at", "pregnancy_test"]
    search_fields = ["patient__mrn", "patient__legal_last_name"]
    list_select_related = ["patient", "recorded_by"]


@admin.register(Screening)
class ScreeningAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "patient", "result", "status", "is_current", "ruleset_version"]
    list_filter = ["result", "status", "is_current", "ruleset_version"]
    search_fields = ["patient__mrn", "patient__legal_last_name"]
    list_select_related = ["patient"]


@admin.register(ScreeningDetermination)
class ScreeningDeterminationAdmin(ReadOnlyAdmin):
    list_display = ["signed_at", "screening", "decision", "is_override", "signed_by"]
    list_filter = ["decision", "is_override", "signed_at"]
    search_fields = ["screening__patient__mrn", "reason", "override_justification"]
    list_select_related = ["screening", "signed_by"]


@admin.register(StaffTask)
class StaffTaskAdmin(ReadOnlyAdmin):
    list_display = ["due_at", "patient", "role", "title", "status"]
    list_filter = ["role", "status", "due_at"]
    search_fields = ["patient__mrn", "title"]
    list_select_related = ["patient"]


@admin.register(TreatmentChair)
class TreatmentChairAdmin(admin.ModelAdmin):
    """Chairs and rooms are the one thing here clinic admins set up."""

    list_display = ["name", "location", "active", "display_order"]
    list_filter = ["active"]
    search_fields = ["name", "location"]
    list_editable = ["active", "display_order"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: past sessions refer to it


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ReadOnlyAdmin):
    list_display = ["id", "patient", "status", "created_at", "activated_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["patient__mrn", "patient__legal_last_name"]
    list_select_related = ["patient"]


@admin.register(PlanVersion)
class PlanVersionAdmin(ReadOnlyAdmin):
    list_display = ["plan", "number", "route", "dose_mg", "phase", "effective_at"]
    list_filter = ["route", "phase", "effective_at"]
    search_fields = ["plan__patient__mrn"]
    list_select_related = ["plan"]


@admin.register(TreatmentSession)
class TreatmentSessionAdmin(ReadOnlyAdmin):
    list_display = ["starts_at", "chair", "patient", "status", "signed_at"]
    list_filter = ["status", "chair", "starts_at"]
    search_fields = ["patient__mrn", "patient__legal_last_name", "lot_number"]
    list_select_related = ["patient", "chair"]


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
