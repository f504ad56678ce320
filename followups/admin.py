"""Follow-up records in the admin: read-only (the outbox sweep, the survey pages and the staff
worklist write them, through their services). Surveys and calls are clinical, for superusers
alone; the outbox and survey links, which the clinic admin looks after, are audited."""

from django.contrib import admin

from clinic.admin import FixedValuesFilter
from intake.admin import ReadOnlyAdmin

from .models import FollowUpCall, OutboxEntry, Survey, SurveyLink
from .timing_settings import survey_schedule


class SurveyOffsetFilter(FixedValuesFilter):
    title = "offset"
    parameter_name = "offset"
    field = "offset_label"

    def values(self) -> list[tuple[str, str]]:
        # The clinic's survey schedule (CLINIC_SURVEY_SCHEDULE), not a SELECT DISTINCT.
        return [(timing.offset.label, timing.offset.label) for timing in survey_schedule()]


class LinkChannelFilter(FixedValuesFilter):
    title = "channel"
    parameter_name = "channel"
    field = "channel"

    def values(self) -> list[tuple[str, str]]:
        channels = (OutboxEntry.Channel.EMAIL, OutboxEntry.Channel.SMS)
        return [(channel.value, channel.label) for channel in channels]


@admin.register(OutboxEntry)
class OutboxEntryAdmin(ReadOnlyAdmin):
    """In due order, which outbox_admin_order holds (migration 0004); filtered by date with the
    due date filter (a date drill-down reads every row's date)."""

    # Whether and when a message went out: the clinic admin's to look after, no clinical content.
    clinical = False
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
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient"]
    exclude = ["claim_token"]


@admin.register(Survey)
class SurveyAdmin(ReadOnlyAdmin):
    """In due order, which survey_admin_order holds, or survey_status_order under a status
    filter (migration 0004)."""

    list_display = [
        "due_at",
        "patient",
        "offset_label",
        "content",
        "status",
        "completed_at",
        "reviewed_at",
    ]
    list_filter = ["status", "content", SurveyOffsetFilter, "due_at", "reviewed_at"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient"]
    # The draft answers as typed; what was submitted is in the fields and the assessments.
    exclude = ["answers", "completed_steps"]


@admin.register(FollowUpCall)
class FollowUpCallAdmin(ReadOnlyAdmin):
    list_display = ["called_at", "patient", "outcome", "called_by", "task"]
    list_filter = ["outcome", "called_at"]
    search_fields = ["patient__mrn__exact", "^patient__legal_last_name"]
    list_select_related = ["patient", "called_by", "task"]


@admin.register(SurveyLink)
class SurveyLinkAdmin(ReadOnlyAdmin):
    """Newest first, which surveylink_recent holds (migration 0004)."""

    # When a link was sent and opened, for a patient who says theirs does not work.
    clinical = False
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
    list_filter = [LinkChannelFilter, "created_at", "expires_at"]
    search_fields = ["survey__patient__mrn__exact", "^survey__patient__legal_last_name"]
    list_select_related = ["survey"]
    exclude = ["token_hash"]
