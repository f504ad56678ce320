"""Patient data in the Django admin: who may see it, and the access entries its pages write.

The admin is the clinic admin's: staff, chairs, the audit trail. Clinical records (findings,
screenings, plans, sessions with their doses, measurements, tasks, surveys) are read in the
app, by the roles its pages allow; in the admin they are shown to superusers alone, never to a
clinic role (only the Clinic admin role reaches the admin). What the clinic admin still sees of
patients (demographics and contact, the outbox, survey links) is audited like the app's own
pages: an access entry for each record a page shows, list or change page.

Searches over patients are POSTed and kept in the session under a random key, so the list's
URL, the browser's history and the access logs carry the key, never a name or an MRN.
"""

import secrets
from urllib.parse import urlencode

from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

from .admin import LargeTableAdmin
from .audit import record_access, record_accesses

SEARCH_KEY_VAR = "qk"
_SAVED_SEARCHES = "admin_searches"
# Enough for a morning's searches; the oldest is forgotten first.
_SAVED_SEARCHES_KEPT = 20


def search_save(request, term: str) -> str:
    """Keep ``term`` in the session and return the key a list's URL carries instead of it."""
    saved = dict(request.session.get(_SAVED_SEARCHES, {}))
    key = secrets.token_urlsafe(9)
    saved[key] = term
    request.session[_SAVED_SEARCHES] = dict(list(saved.items())[-_SAVED_SEARCHES_KEPT:])
    return key


def saved_search(request) -> str:
    """The search term whose key the request's URL carries ("" when none, or forgotten)."""
    key = request.GET.get(SEARCH_KEY_VAR, "")
    return request.session.get(_SAVED_SEARCHES, {}).get(key, "") if key else ""


class SavedSearchChangeList(ChangeList):
    """A changelist searched by the term saved under ``?qk=``; a ``?q=`` in the URL is ignored,
    so no link the admin makes (filters, pages, sorting) carries a name."""

    def __init__(self, request, *args, **kwargs):
        self.saved_query = saved_search(request)
        super().__init__(request, *args, **kwargs)
        self.params.pop(SEARCH_VAR, None)
        opts = self.model._meta
        self.search_action = reverse(
            f"{self.model_admin.admin_site.name}:{opts.app_label}_{opts.model_name}_search"
        )

    def get_filters_params(self, params=None):
        lookup_params = super().get_filters_params(params)
        lookup_params.pop(SEARCH_KEY_VAR, None)
        return lookup_params

    def get_queryset(self, request, exclude_parameters=None):
        self.query = self.saved_query
        return super().get_queryset(request, exclude_parameters)


class SavedSearchAdmin(LargeTableAdmin):
    """A changelist whose search box POSTs (templates/admin/search_form.html) to ``search/``,
    which saves the term and redirects to the list with its key."""

    def get_changelist(self, request, **kwargs):
        return SavedSearchChangeList

    def get_urls(self):
        opts = self.model._meta
        search = path(
            "search/",
            self.admin_site.admin_view(self.search_view),
            name=f"{opts.app_label}_{opts.model_name}_search",
        )
        return [search, *super().get_urls()]

    def search_view(self, request):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        term = request.POST.get(SEARCH_VAR, "").strip()
        # The list's filters, kept by the form's hidden fields.
        params = {
            name: value
            for name, value in request.POST.items()
            if name not in (SEARCH_VAR, SEARCH_KEY_VAR, "csrfmiddlewaretoken")
        }
        if term:
            params[SEARCH_KEY_VAR] = search_save(request, term)
        opts = self.model._meta
        url = reverse(f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_changelist")
        return HttpResponseRedirect(f"{url}?{urlencode(params)}" if params else url)


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
