"""The Django admin for clinic admins: staff accounts, and the audit trail (read-only)."""

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin


class PatientFilter(admin.SimpleListFilter):
    """Filter the audit trail by patient, across the patient's related records.

    Reached from the "Audit trail" link on a patient's admin page, or by MRN search."""

    title = "patient"
    parameter_name = "patient"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, f"Patient #{value}")] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(additional_data__patient_id=int(value))
        return queryset


class ActorFilter(admin.SimpleListFilter):
    title = "staff member"
    parameter_name = "actor"

    def lookups(self, request, model_admin):
        # Former staff too (deactivated accounts): their entries are the ones most often audited.
        users = get_user_model().objects.order_by("username")
        return [(str(u.pk), u.get_full_name() or u.username) for u in users]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(actor_id=value) if value and value.isdigit() else queryset


class OverrideFilter(admin.SimpleListFilter):
    """Entries a record marked as an override of a computed result (``"override": True`` in its
    ``get_additional_data()``), such as approving a patient screened "Not a candidate"."""

    title = "override"
    parameter_name = "override"

    def lookups(self, request, model_admin):
        return [("yes", "Overrides only")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(additional_data__override=True)
        return queryset


admin.site.unregister(LogEntry)


@admin.register(LogEntry)
class AuditTrailAdmin(LogEntryAdmin):
    """Append-only: no add, change or delete, not even for superusers."""

    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    list_filter = ["action", ActorFilter, PatientFilter, OverrideFilter, "content_type"]
    search_fields = [
        "object_repr",
        "additional_data__mrn",
        "actor__username",
        "actor__first_name",
        "actor__last_name",
        "remote_addr",
    ]
    readonly_fields = ["created", "user_url", "remote_addr", "resource_url", "action", "msg"]
    fieldsets = [
        (None, {"fields": ["created", "user_url", "remote_addr", "resource_url", "cid"]}),
        ("Changes", {"fields": ["action", "msg"]}),
    ]
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class StaffAdmin(UserAdmin):
    """Staff who leave are deactivated, not deleted: the audit trail keeps naming them."""

    actions = None

    def has_delete_permission(self, request, obj=None):
        return False
