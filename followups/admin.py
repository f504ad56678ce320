"""Follow-up records in the admin: read-only (the outbox sweep, the survey pages and the staff
worklist write them, through their services)."""

from django.contrib import admin
from django.contrib.admin.utils import unquote

from clinic.audit import record_access
from intake.admin import ReadOnlyAdmin

from .models import FollowUpCall, OutboxEntry, Survey, SurveyLink


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    list_display = [
        "due_at",
        "patient",
        "purpose",
        "offset_label",
        "task_kind",
        "channel",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = ["status", "purpose", "channel", "task_kind", "due_at"]
    search_fields = ["patient__mrn", "idempotency_key"]
    list_select_related = ["patient"]
    date_hierarchy = "due_at"
    exclude = ["claim_token"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    list_display = [
        "due_at",
        "patient",
        "offset_label",
        "content",
        "status",
        "completed_at",
        "reviewed_at",
    ]
    list_filter = ["status", "content", "offset_label", "due_at", "reviewed_at"]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient"]
    # The draft answers as typed; what was submitted is in the fields and the assessments.
    exclude = ["answers", "completed_steps"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # A survey shows the patient's answers: audit opening it as the staff page does.
        if request.method == "GET":
            survey = self.get_object(request, unquote(object_id))
            if survey is not None and self.has_view_or_change_permission(request, survey):
                record_access(request, survey)
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(FollowUpCall)
class FollowUpCallAdmin(ReadOnlyAdmin):
    list_display = ["called_at", "patient", "outcome", "called_by", "task"]
    list_filter = ["outcome", "called_at"]
    search_fields = ["patient__mrn"]
    list_select_related = ["patient", "called_by", "task"]


@admin.register(SurveyLink)
class SurveyLinkAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "survey",
        "channel",
        "created_at",
        "expires_at",
        "first_opened_at",
        "revoked_at",
        "locked_at",
    ]
    list_filter = ["channel", "created_at", "expires_at"]
    search_fields = ["survey__patient__mrn"]
    list_select_related = ["survey"]
    exclude = ["token_hash"]
