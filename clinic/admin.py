"""The Django admin for clinic admins: the audit trail (read-only); staff accounts and their
authenticators are in ``clinic.admin_staff``.

Also what every changelist over a table that grows with the clinic shares (``LargeTableAdmin``):
at 100,000 patients the outbox holds millions of rows, and a page of it must cost the same as
in a small clinic."""

import copy
from datetime import UTC, datetime

from auditlog.admin import LogEntryAdmin
from auditlog.models import LogEntry
from auditlog.render import render_logentry_changes_html
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.db.models import Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils.functional import cached_property

from . import admin_staff  # noqa: F401 - registers the staff and authenticator pages
from .admin_search import SavedSearchMixin
from .dates import day_time
from .forms import LocationAdminForm, TypedInputAdmin
from .locations import visible_patient_ids
from .models import Location, StaffLocation


class CappedCountPaginator(Paginator):
    """Counts a changelist's rows up to ``CAP`` and no further.

    An exact count reads every matching row (a second on the outbox at 100,000 patients);
    this one stops at the cap, so it costs the same however large the table grows. Past the
    cap, the list says "More than 10,000" (templates/admin/pagination.html) and offers the
    first ``CAP`` rows' pages: a filter or a search narrows it to the rest."""

    CAP = 10_000
    count_is_capped = False

    @cached_property
    def count(self) -> int:
        # Unordered, so the database counts from whichever index serves the filter.
        found = self.object_list.order_by()[: self.CAP + 1].count()
        self.count_is_capped = found > self.CAP
        return min(found, self.CAP)


class LargeTableAdmin(admin.ModelAdmin):
    """A changelist whose work per page does not grow with the table.

    Subclasses keep to what an index serves: an ``ordering`` an index holds, filters with
    fixed choices (a filter on a free-text column runs SELECT DISTINCT over the whole table)
    or on an indexed date, no ``date_hierarchy`` (it reads every row's date), and searches
    by exact or leading text (``=``/``__exact``, ``^``), not "contains"."""

    paginator = CappedCountPaginator
    # The total "(N total)" beside a search is a second count of the whole table.
    show_full_result_count = False
    # Facet counts are one count per filter choice, each over the whole table.
    show_facets = admin.ShowFacets.NEVER


class FixedValuesFilter(admin.SimpleListFilter):
    """A filter on a free-text column offering the values the clinic uses (``values``),
    instead of the admin's own, which lists them with a SELECT DISTINCT over the table."""

    field: str

    def values(self) -> list[tuple[str, str]]:
        raise NotImplementedError

    def lookups(self, request, model_admin):
        return self.values()

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value is None else queryset.filter(**{self.field: value})


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
class AuditTrailAdmin(SavedSearchMixin, LargeTableAdmin, LogEntryAdmin):
    """Append-only: no add, change or delete, not even for superusers. Searched by name or MRN
    without the term in the URL (clinic.admin_search).

    Newest first by id, which the primary key serves (entries are written as things happen,
    so it is their time order): auditlog's own order, "-timestamp", plus the admin's "-pk"
    tie-break, sorts every matching entry. Dates are filtered with the "timestamp" filter
    instead of auditlog's date drill-down, which reads every entry's date."""

    list_display = ["created", "resource_url", "action", "msg_short", "user_url", "remote_addr"]
    list_filter = [
        "action",
        ActorFilter,
        PatientFilter,
        OverrideFilter,
        "content_type",
        ("timestamp", admin.DateFieldListFilter),
    ]
    ordering = ["-pk"]
    date_hierarchy = None
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

    def get_queryset(self, request):
        """In a chain, the entries about the patients of the admin's locations (and every entry
        about no patient: staff, settings, locations); another location's patient's entries
        answer 404, like the patient's own admin page. One clinic, chain-wide staff: every
        entry, no filter."""
        entries = super().get_queryset(request)
        seen = visible_patient_ids(request)
        if seen is None:
            return entries
        patient = Cast(KeyTextTransform("patient_id", "additional_data"), models.BigIntegerField())
        return entries.alias(about_patient=patient).filter(
            Q(about_patient__isnull=True) | Q(about_patient__in=seen)
        )

    def _changes_field(self, request, obj) -> str:
        # A clinical record's values (a dose, a note) are withheld from anyone the record's own
        # admin is hidden from: the Clinic admin sees which fields changed, not to what.
        if obj is None or _clinical_values_shown_to(request.user, obj):
            return "msg"
        return "msg_withheld"

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return [self._changes_field(request, obj) if f == "msg" else f for f in fields]

    def get_fieldsets(self, request, obj=None):
        shown = self._changes_field(request, obj)
        return [
            (name, {**options, "fields": [shown if f == "msg" else f for f in options["fields"]]})
            for name, options in super().get_fieldsets(request, obj)
        ]

    @admin.display(description="Changes")
    def msg(self, obj):
        """auditlog's table of changes, its times in the clinic's zone (it keeps them in UTC)."""
        shown = copy.copy(obj)
        shown.changes = changes_in_clinic_time(obj)
        return render_logentry_changes_html(shown)

    @admin.display(description="Changes")
    def msg_withheld(self, obj):
        """The fields a clinical record's change touched, their values withheld."""
        shown = copy.copy(obj)
        shown.changes = {name: [WITHHELD, WITHHELD] for name in obj.changes_dict}
        return render_logentry_changes_html(shown)


WITHHELD = "(clinical value withheld)"


def _clinical_values_shown_to(user, entry: LogEntry) -> bool:
    if user.is_superuser:
        return True
    model = entry.content_type.model_class()
    model_admin = admin.site._registry.get(model)
    return not getattr(model_admin, "clinical", False)


def _stored_time_in_clinic_zone(value):
    """A time as auditlog writes it in a change ("2026-12-01 16:00:00", UTC without its zone)
    in the clinic's words ("12/01/2026 10:00"); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    return day_time(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def changes_in_clinic_time(entry: LogEntry) -> dict:
    """An entry's changes with the values of its model's date-and-time fields in clinic time."""
    model = entry.content_type.model_class()
    changes = {}
    for name, values in entry.changes_dict.items():
        try:
            field = model._meta.get_field(name) if model is not None else None
        except FieldDoesNotExist:
            field = None
        if isinstance(field, models.DateTimeField) and isinstance(values, list):
            values = [_stored_time_in_clinic_zone(value) for value in values]
        changes[name] = values
    return changes


class StaffLocationInline(TypedInputAdmin, admin.TabularInline):
    model = StaffLocation
    extra = 1
    verbose_name = "member of staff working here"
    verbose_name_plural = "staff working here"
    autocomplete_fields = ["user"]


@admin.register(Location)
class LocationAdmin(TypedInputAdmin, admin.ModelAdmin):
    """A clinic of the chain: its details, hours, zone, registrations, and who works there.
    Never deleted (sessions, patients and the ledger point at it): made inactive instead."""

    form = LocationAdminForm
    list_display = ["name", "time_zone", "dea_registration", "active"]
    list_filter = ["active", "time_zone"]
    search_fields = ["name"]
    inlines = [StaffLocationInline]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StaffLocation)
class StaffLocationAdmin(TypedInputAdmin, admin.ModelAdmin):
    """Who works where, across the chain (also set on each location's page)."""

    list_display = ["user", "location"]
    list_filter = ["location"]
    search_fields = ["user__username", "user__last_name"]
    list_select_related = ["user", "location"]
    autocomplete_fields = ["user"]
