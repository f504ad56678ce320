"""Where a member of staff is working: one location at a time, in a chain of clinics.

With ``CLINIC_CHAIN`` off (one clinic, the default) nothing here runs: no query, no picker,
the clinic's zone is ``CLINIC_TIME_ZONE``, and ``request.location`` is None. With it on, the
middleware reads the locations the user may work in (those they are assigned to; every one
for chain-wide staff), takes the one chosen in their session (or their only one), sets
``request.location`` and shows every time in its zone. Someone with several locations picks
one after signing in (``location_pick``) and can switch from the header.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from .models import Location

LOCATION_SESSION_KEY = "clinic_location_id"
CHAIN_WIDE_PERMISSION = "clinic.chain_wide_access"


@dataclass(frozen=True)
class Workplace:
    """The request's location and the others the user may switch to."""

    location: Location
    choices: tuple[Location, ...]

    @property
    def can_switch(self) -> bool:
        return len(self.choices) > 1


def default_location() -> Location:
    """The installation's first location: where rows made outside a chosen location belong
    (one clinic: every row). Made from the settings if there is none (a fresh or flushed
    database), as the data migration makes it."""
    location = Location.objects.filter(active=True).first()
    if location is None:
        location = Location.objects.create(
            name=settings.CLINIC_NAME,
            address=settings.CLINIC_DEA_ADDRESS,
            phone=settings.CLINIC_PHONE,
            time_zone=settings.CLINIC_TIME_ZONE,
            opening_hours=settings.CLINIC_OPENING_HOURS,
            dea_registration=settings.CLINIC_DEA_REGISTRATION,
            rems_setting_number=settings.CLINIC_REMS_SETTING_NUMBER,
            sender_name=settings.CLINIC_MESSAGE_NAME,
        )
    return location


def working_location(request) -> Location:
    """The location a write made in this request belongs to: the chosen one in a chain, the
    installation's one otherwise."""
    return current_location(request) or default_location()


def chain_enabled() -> bool:
    return settings.CLINIC_CHAIN


def is_chain_wide(user) -> bool:
    return user.is_superuser or user.has_perm(CHAIN_WIDE_PERMISSION)


def user_locations(user) -> list[Location]:
    """The active locations the user may work in, in display order; one query (two with the
    permission check of a user not yet read)."""
    locations = Location.objects.filter(active=True)
    if not is_chain_wide(user):
        locations = locations.filter(staff=user)
    return list(locations)


def patient_location_ids(user) -> list[int] | None:
    """The locations whose patients the user may see; None: every location (one clinic, or
    a chain-wide member of staff)."""
    if not chain_enabled() or is_chain_wide(user):
        return None
    return list(Location.objects.filter(staff=user, active=True).values_list("pk", flat=True))


# Pages a member of staff reaches before a location is chosen.
_WITHOUT_LOCATION = ("login", "logout", "two_factor", "location_pick", "healthz")


class LocationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.workplace = None
        user = getattr(request, "user", None)
        if not chain_enabled() or user is None or not user.is_authenticated:
            return self.get_response(request)
        choices = tuple(user_locations(user))
        chosen = request.session.get(LOCATION_SESSION_KEY)
        location = next((c for c in choices if c.pk == chosen), None)
        if location is None and len(choices) == 1:
            location = choices[0]
        if location is None:
            if _exempt(request):
                return self.get_response(request)
            query = urlencode({"next": request.get_full_path()})
            return redirect(f"{reverse('location_pick')}?{query}")
        request.workplace = Workplace(location=location, choices=choices)
        timezone.activate(location.zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _exempt(request) -> bool:
    """Sign-in and sign-out, the picker itself, public pages, static files and the admin (the
    admin is the chain's, its lists filter by location themselves)."""
    if request.path.startswith(("/" + settings.STATIC_URL.lstrip("/"), "/admin/")):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return True
    return match.url_name in _WITHOUT_LOCATION or getattr(match.func, "public", False)


def current_location(request) -> Location | None:
    """The location the request works in (None with one clinic)."""
    workplace = getattr(request, "workplace", None)
    return workplace.location if workplace else None


def current_location_id(request) -> int | None:
    location = current_location(request)
    return location.pk if location else None


def choose_location(request, location_id: int) -> Location | None:
    """Work in ``location_id`` from now on in this session, if the user may."""
    location = next((c for c in user_locations(request.user) if c.pk == location_id), None)
    if location is not None:
        request.session[LOCATION_SESSION_KEY] = location.pk
    return location


# The ids of the patients the request may see (a queryset of ids), None: every patient.
PatientIds = Callable[[HttpRequest], QuerySet | None]
_patient_ids: list[PatientIds] = []


def register_patient_ids(patient_ids: PatientIds) -> None:
    _patient_ids[:] = [patient_ids]


def visible_patient_ids(request: HttpRequest) -> QuerySet | None:
    """For a table that names its patient by id without a foreign key (the audit trail's
    entries); None: every patient (one clinic, chain-wide staff)."""
    if _patient_ids:
        return _patient_ids[0](request)
    if chain_enabled():
        raise RuntimeError("A chain without its location rule registered (intake.access).")
    return None
