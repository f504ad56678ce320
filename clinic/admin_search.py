"""Admin searches that put no search term in a URL.

A search over patients (a name, an MRN) typed into a changelist's box would sit in the URL, the
browser's history and the access logs. Here the box POSTs, the term is kept in the session under
a random key, and the list's URL (with its filters, pages and sorting) carries only the key.
"""

import secrets
from urllib.parse import urlencode

from django.contrib.admin.views.main import SEARCH_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse

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


class SavedSearchMixin:
    """For a ModelAdmin: a changelist whose search box POSTs (templates/admin/search_form.html)
    to ``search/``, which saves the term and redirects to the list with its key."""

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
