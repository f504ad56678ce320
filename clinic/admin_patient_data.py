"""Patient data in the Django admin: who may see it, and the access entries its pages write.

The admin is the clinic admin's: staff, chairs, the audit trail. Clinical records (findings,
screenings, plans, sessions with their doses, measurements, tasks, surveys) are read in the
app, by the roles its pages allow; in the admin they are shown to superusers alone, never to a
clinic role (only the Clinic admin role reaches the admin). What the clinic admin still sees of
patients (demographics and contact, the outbox, survey links) is audited like the app's own
pages: an access entry for each record a page shows, list or change page.

Searches over patients are POSTed and kept in the session under a random key, so the list's
URL, the browser's history and the access logs carry the key, never a name or an MRN.

In a chain of clinics, every patient-data table shows the rows of the patients the member of
staff may see (their locations' patients; every one for chain-wide staff), and the change page
of any other answers 404 as the app's pages do. The rule is intake's (``intake.access``): this
module sits below intake, so intake registers it here when it starts.
"""

from collections.abc import Callable

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from .admin import LargeTableAdmin
from .admin_search import SavedSearchMixin
from .audit import record_access, record_accesses
from .locations import chain_enabled

# Rows (of any patient-data table) cut to the patients the request may see.
PatientScope = Callable[[HttpRequest, QuerySet], QuerySet]
_patient_scope: list[PatientScope] = []


def register_patient_scope(scope: PatientScope) -> None:
    """Set (or replace: ``ready()`` may run more than once) the location rule."""
    _patient_scope[:] = [scope]


def patient_rows_visible(request: HttpRequest, rows: QuerySet) -> QuerySet:
    if _patient_scope:
        return _patient_scope[0](request, rows)
    # A chain without its rule registered shows nothing rather than every location's patients.
    return rows.none() if chain_enabled() else rows


class SavedSearchAdmin(SavedSearchMixin, LargeTableAdmin):
    """A large table searched without the term in its URL (clinic.admin_search)."""


class PatientDataAdmin(SavedSearchAdmin):
    """Rows that name a patient: each list and change page writes an access entry per record
    it shows, and the search is POSTed.

    ``clinical`` (the default, so a table added later stays hidden until someone decides
    otherwise) keeps the table from every clinic role: superusers alone see it, read-only."""

    clinical = True

    def _shown_to(self, request) -> bool:
        return not self.clinical or request.user.is_superuser

    def has_module_permission(self, request):
        return self._shown_to(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._shown_to(request) and super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._shown_to(request) and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._shown_to(request) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._shown_to(request) and super().has_delete_permission(request, obj)

    def get_queryset(self, request):
        return patient_rows_visible(request, super().get_queryset(request))

    def get_object(self, request, object_id, from_field=None):
        record = super().get_object(request, object_id, from_field)
        if record is None and chain_enabled():
            # Not the admin's "perhaps it was deleted?" redirect: a patient of another location
            # is no different from one who does not exist.
            raise Http404
        return record

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            # The rows the page shows (the template reads the same, already fetched, list).
            record_accesses(request, changelist.result_list)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        self._record_page(request, response)
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        self._record_page(request, response, "object")
        return response

    def _record_page(self, request, response, name: str = "original") -> None:
        # A rendered page (not the redirect after a save, which auditlog records as a change).
        record = (getattr(response, "context_data", None) or {}).get(name)
        if record is not None:
            record_access(request, record)
