"""Screening records in the admin: read-only (they are written by services and signed)."""

from django.contrib import admin

from intake.admin import ReadOnlyAdmin

from .models import AssessmentFinding, Screening, ScreeningDetermination, StaffTask


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
