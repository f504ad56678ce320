"""Every URL, every role: no view can be added unprotected.

The URL resolver is walked at collection time, so a URL added by a later issue is covered here
without touching this file. A staff view declares its roles with ``clinic.roles.role_required``;
a deliberately public one says so with ``clinic.roles.public_view``. The Django admin guards
itself (``ClinicAdminSite``) and is checked separately.
"""

import re
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlparse

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RoutePattern

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK

# Persona fixture (tests/conftest.py) -> the clinic role it holds (None: an account with no role).
PERSONAS = {
    "front_desk": FRONT_DESK,
    "clinician": CLINICIAN,
    "clinic_admin": CLINIC_ADMIN,
    "outsider": None,
}
# Tests that pick a persona with request.getfixturevalue() also name `db`: pytest-django orders
# tests by the fixtures it sees at collection, and would otherwise run them after the
# transactional browser tests, whose flush removes the role groups.


@dataclass
class Route:
    """One URL pattern outside the admin, with what is needed to build a URL for it."""

    label: str  # "namespace:name", or the route itself when the pattern has no name
    view: object
    parts: list = field(default_factory=list)  # the (prefix) patterns from the root down
    name: str | None = None

    @property
    def allowed_roles(self):
        return getattr(self.view, "allowed_roles", None)

    @property
    def is_public(self) -> bool:
        return getattr(self.view, "public", False) is True

    def url(self, *, object_pk: int) -> str:
        """A concrete URL: int parameters get an existing object's pk, others a plausible value."""
        if all(isinstance(p, RoutePattern) for p in self.parts):
            return "/" + "".join(_fill_route(p, object_pk) for p in self.parts)
        if self.name is None:
            pytest.fail(f"{self.label}: give this re_path() a name so it can be tested")
        kwargs = {}
        for part in self.parts:
            for group in getattr(part, "regex", re.compile("")).groupindex:
                kwargs[group] = str(object_pk)
        return reverse(self.name, kwargs=kwargs)


def _fill_route(pattern: RoutePattern, object_pk: int) -> str:
    def value(match: re.Match) -> str:
        converter = pattern.converters[match.group("parameter")]
        if isinstance(converter, IntConverter):
            return str(object_pk)
        if isinstance(converter, UUIDConverter):
            return str(uuid.uuid4())
        return "sample"

    return re.sub(r"<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>", value, str(pattern))


def _walk(patterns, parts=(), namespaces=()):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # the admin site guards every one of its views: tested below
            namespace = (*namespaces, entry.namespace) if entry.namespace else namespaces
            yield from _walk(entry.url_patterns, (*parts, entry.pattern), namespace)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            all_parts = [*parts, entry.pattern]
            label = name or "/" + "".join(str(p) for p in all_parts)
            yield Route(label=label, view=entry.callback, parts=all_parts, name=name)


ROUTES = list(_walk(get_resolver().url_patterns))
PROTECTED = [r for r in ROUTES if r.allowed_roles]


def _login_redirect_target(response) -> tuple[str, str | None]:
    location = urlparse(response["Location"])
    return location.path, parse_qs(location.query).get("next", [None])[0]


def test_the_walk_sees_the_known_urls():
    """Guard the guard: if the walk found nothing, every parametrized test would pass vacuously."""
    labels = {r.label for r in ROUTES}
    assert {"home", "login", "intake:patient_list", "intake:patient_detail"} <= labels
    assert not any(label.startswith("admin:") for label in labels)


@pytest.mark.parametrize("route", ROUTES, ids=[r.label for r in ROUTES])
def test_every_view_declares_who_may_use_it(route):
    assert route.allowed_roles or route.is_public, (
        f"{route.label} ({route.view!r}) is neither @role_required(...) nor @public_view: "
        "decorate it with the roles that may use it"
    )


@pytest.mark.parametrize("route", PROTECTED, ids=[r.label for r in PROTECTED])
def test_anonymous_visitor_is_sent_to_login(client, patient, route):
    url = route.url(object_pk=patient.pk)

    response = client.get(url)

    assert response.status_code == 302, f"{url}: anonymous got {response.status_code}"
    assert _login_redirect_target(response) == (reverse("login"), url)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("route", PROTECTED, ids=[r.label for r in PROTECTED])
def test_each_role_gets_exactly_the_views_it_is_allowed(db, request, patient, route, persona):
    client = request.getfixturevalue(persona)
    role = PERSONAS[persona]
    url = route.url(object_pk=patient.pk)

    response = client.get(url)

    if role not in route.allowed_roles:
        assert response.status_code == 403, f"{url}: {persona} got {response.status_code}"
    else:
        assert response.status_code in (200, 302, 404, 405), (
            f"{url}: {persona} got {response.status_code}"
        )
        if response.status_code == 302:
            path, _ = _login_redirect_target(response)
            assert path not in (reverse("login"), reverse("two_factor")), (
                f"{url}: {persona} was sent back to sign in"
            )


# --- The Django admin -------------------------------------------------------------------------

ADMIN_PAGES = ["admin:index", "admin:auditlog_logentry_changelist", "admin:auth_user_changelist"]


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_sends_anonymous_visitor_to_the_staff_login(client, page):
    url = reverse(page)

    response = client.get(url, follow=True)

    assert response.redirect_chain, f"{url} answered anonymous without a redirect"
    final_url, _ = response.redirect_chain[-1]
    assert urlparse(final_url).path == reverse("login")
    assert parse_qs(urlparse(final_url).query)["next"] == [url]
    assert response.status_code == 200
    assert "Staff sign in" in response.text


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "outsider"])
@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_refuses_staff_without_the_admin_role(db, request, persona, page):
    client = request.getfixturevalue(persona)

    response = client.get(reverse(page), follow=True)

    assert response.status_code == 403
    assert len(response.redirect_chain) <= 1, "redirect loop between the admin and login"


@pytest.mark.parametrize("page", ADMIN_PAGES)
def test_admin_opens_for_the_clinic_admin(clinic_admin, page):
    response = clinic_admin.get(reverse(page))

    assert response.status_code == 200
