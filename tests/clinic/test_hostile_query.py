"""Hostile bytes in a URL's query string never give a 500, on any page, for any role.

Every staff page outside the admin (walked from the URL patterns, as tests/clinic/test_access.py
does) and every admin list is opened with a NUL byte, other control characters and an absurd
date in each query parameter the code reads. PostgreSQL refuses a NUL in any string it is sent,
so on PostgreSQL this is what would turn a stray byte into a 500; on SQLite it still catches
parsing that is not guarded.
"""

from urllib.parse import urlencode

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from tests.clinic.test_access import PROTECTED
from tests.conftest import sign_in

ROLE_PERSONA = {
    FRONT_DESK: "front_desk_user",
    CLINICIAN: "clinician_user",
    CLINIC_ADMIN: "admin_user",
}
# Every name a view reads from request.GET (grep 'GET.get(' in the apps), the show-more sizes,
# and the admin list's own parameters (search key, ordering, page, a filter).
HOSTILE_VALUES = ["\x00", "a\x00b", "\x1b[2J", "0001-01-01", "9999-12-31", "-1", "1e309"]
QUERY_NAMES = [
    "date", "next", "page", "status", "target", "tasks", "timeline", "as_of", "period",
    "route", "start", "end", "q", "qk", "o", "p", "show", "all",
]  # fmt: skip


def _hostile_queries() -> list[str]:
    return [urlencode(dict.fromkeys(QUERY_NAMES, value)) for value in HOSTILE_VALUES]


def _client_for(request, role) -> Client:
    client = Client(raise_request_exception=False)
    sign_in(client, request.getfixturevalue(ROLE_PERSONA[role]))
    return client


PAGES = [
    (route, role) for route in PROTECTED for role in route.allowed_roles if role in ROLE_PERSONA
]


@pytest.mark.parametrize(
    ("route", "role"), PAGES, ids=[f"{route.label}-{role}" for route, role in PAGES]
)
def test_no_page_answers_hostile_query_bytes_with_a_server_error(db, request, patient, route, role):
    client = _client_for(request, role)
    url = route.url(object_pk=patient.pk)

    for query in _hostile_queries():
        response = client.get(f"{url}?{query}")
        assert response.status_code < 500, f"{url}?{query!r}: {response.status_code}"


def _admin_lists() -> list[tuple[str, list[str]]]:
    """Each admin list's URL name, and the parameters its field filters read."""
    lists = []
    for model, model_admin in admin.site._registry.items():
        filters = [name for name in model_admin.list_filter if isinstance(name, str)]
        params = [f"{name}__exact" for name in filters] + [f"{name}__gte" for name in filters]
        lists.append((f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist", params))
    return lists


@pytest.mark.parametrize(("name", "filters"), _admin_lists(), ids=[n for n, _ in _admin_lists()])
def test_no_admin_list_answers_hostile_query_bytes_with_a_server_error(db, request, name, filters):
    client = Client(raise_request_exception=False)
    sign_in(client, request.getfixturevalue("admin_user"))
    url = reverse(name)
    queries = _hostile_queries() + [
        urlencode({param: value}) for param in filters for value in HOSTILE_VALUES
    ]

    for query in queries:
        response = client.get(f"{url}?{query}")
        assert response.status_code < 500, f"{url}?{query!r}: {response.status_code}"


def test_a_control_character_in_a_query_is_refused_with_a_page_that_says_why(db, request):
    client = Client(raise_request_exception=False)
    sign_in(client, request.getfixturevalue("front_desk_user"))

    response = client.get(reverse("intake:patient_list") + "?page=%00")

    assert response.status_code == 400
    assert "This address cannot be opened" in response.text
    assert client.get(reverse("intake:patient_list") + "?page=2").status_code == 200


def test_a_search_posted_with_a_nul_byte_is_answered_not_crashed(db, request):
    client = Client(raise_request_exception=False)
    sign_in(client, request.getfixturevalue("admin_user"))
    url = reverse("admin:intake_patient_changelist")

    response = client.post(url, {"q": "Rivera\x00"}, follow=True)

    assert response.status_code < 500
