"""Which patients a member of staff may see: the one place the chain's location rule lives.

With one clinic (``CLINIC_CHAIN`` off) every member of staff sees every patient and nothing
here runs a query. In a chain, a member of staff sees the patients of the locations they are
assigned to (every patient, when chain-wide): those whose home location is one of them, and
those with a treatment session at a chair of one of them. A plan is seen where its sessions are
booked and a staff task has no location of its own, so "a session there" also covers "a plan
or an open task there".

Both halves are read from one table, ``PatientLocation`` (kept by the patient's and the
session's ``save``): the patients seen at a set of locations are one index range, where an OR
of the home location and a subquery over every session's chair cost a scan of the patients per
statement (docs/performance.md, issue 26). The database's row policy reads the same table.

Every view that takes the id of a patient, or of something that belongs to a patient (an
intake, a screening, a plan, a session, a survey, an alert, a task, an outbox entry), asks here
first; a patient out of sight answers 404, never 403, which would tell that the record exists.
The admin's patient-data tables are cut by the same rule (``register`` hands it to
``clinic.admin_patient_data``, which sits below intake and cannot import it).

"""

from functools import cache

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

from clinic import admin_patient_data
from clinic.locations import (
    chain_enabled,
    current_location_id,
    is_chain_wide,
    patient_location_ids,
    register_patient_ids,
)
from clinic.models import Location

from .models import Patient, PatientLocation

# The ids of the locations whose patients the request may see; None: every patient.
LocationIds = list[int] | None

_SCOPE_ATTRIBUTE = "_patient_location_ids"


def patient_scope(request: HttpRequest) -> LocationIds:
    """The locations whose patients this request may see, None for every patient (one clinic,
    chain-wide staff). No query once the location middleware has read the user's locations
    (they are the ones a member of staff may work in); one in the admin, which works outside a
    location, kept on the request."""
    if not chain_enabled():
        return None
    if hasattr(request, _SCOPE_ATTRIBUTE):
        return getattr(request, _SCOPE_ATTRIBUTE)
    user = request.user
    workplace = getattr(request, "workplace", None)
    if is_chain_wide(user):
        ids = None
    elif workplace is not None:
        ids = [location.pk for location in workplace.choices]
    else:
        ids = patient_location_ids(user)
    setattr(request, _SCOPE_ATTRIBUTE, ids)
    return ids


def seen_at(location_ids: list[int]) -> Q:
    """The rule, as a filter on patients: seen at one of the locations (``PatientLocation``:
    home there, or a session at one of its chairs)."""
    return Q(pk__in=_seen(location_ids))


def _seen(location_ids: list[int]) -> QuerySet:
    """The ids of the patients seen at the locations, from the table's unique index alone."""
    return PatientLocation.objects.filter(location__in=location_ids).values("patient")


def visible_patients(request: HttpRequest) -> QuerySet[Patient]:
    """The patients the request may see (every one with one clinic: no filter at all)."""
    return scope_patients(Patient.objects.all(), patient_scope(request))


def scope_patients(patients: QuerySet[Patient], location_ids: LocationIds) -> QuerySet[Patient]:
    return patients if location_ids is None else patients.filter(seen_at(location_ids))


def patient_visible(request: HttpRequest, patient_id: int) -> bool:
    """Whether the request may see the patient: no query with one clinic or chain-wide, one
    otherwise."""
    location_ids = patient_scope(request)
    if location_ids is None:
        return True
    return PatientLocation.objects.filter(location__in=location_ids, patient=patient_id).exists()


def require_patient_visible(request: HttpRequest, patient_id: int) -> None:
    """404 for a patient out of the request's sight (as for one who does not exist)."""
    if not patient_visible(request, patient_id):
        raise Http404


def scope_rows(request: HttpRequest, rows: QuerySet) -> QuerySet:
    """``rows`` (patients, or records that belong to a patient) cut to the patients the request
    may see. A record reaches its patient through its foreign keys (``patient_path``); one
    that names a location besides (a consultation request not yet a patient's) is also seen
    at that location."""
    location_ids = patient_scope(request)
    if location_ids is None:
        return rows
    path = patient_path(rows.model)
    if path is None:
        return rows
    if path == "":
        return rows.filter(seen_at(location_ids))
    condition = Q(**{f"{path}__in": _seen(location_ids)})
    if _names_a_location(rows.model):
        condition |= Q(location__in=location_ids)
    return rows.filter(condition)


@cache
def patient_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its patient ("" for Patient itself, "patient",
    "session__patient", ...), through at most two foreign keys; None if it has none."""
    if model is Patient:
        return ""
    paths = [
        (field.name, field.related_model)
        for field in model._meta.get_fields()
        if field.concrete and field.related_model is not None and not field.many_to_many
    ]
    for name, related in paths:
        if related is Patient:
            return name
    for name, related in paths:
        for field in related._meta.get_fields():
            if field.concrete and field.related_model is Patient:
                return f"{name}__{field.name}"
    return None


def _names_a_location(model: type[models.Model]) -> bool:
    try:
        field = model._meta.get_field("location")
    except FieldDoesNotExist:
        return False
    return field.many_to_one and field.related_model is Location


def visible_patient_ids(request: HttpRequest) -> QuerySet | None:
    """The ids of the patients the request may see, as a subquery; None: every patient."""
    location_ids = patient_scope(request)
    return None if location_ids is None else _seen(location_ids)


def register() -> None:
    """Hand the rule to the admin's patient-data tables and its audit trail (from
    ``IntakeConfig.ready``)."""
    admin_patient_data.register_patient_scope(scope_rows)
    register_patient_ids(visible_patient_ids)


def at_location(rows: QuerySet, location_id: int | None) -> QuerySet:
    """``rows`` (patients, or records that belong to a patient) cut to the patients of one
    location, by the rule above: home there, or a session at one of its chairs. ``None`` (one
    clinic): the rows unchanged, no filter and no query."""
    if location_id is None:
        return rows
    path = patient_path(rows.model)
    if path is None:
        return rows
    if path == "":
        return rows.filter(seen_at([location_id]))
    return rows.filter(**{f"{path}__in": _seen([location_id])})


def at_working_location(request: HttpRequest, rows: QuerySet) -> QuerySet:
    """``rows`` cut to the patients of the location the request works in: a worklist, a task
    list or a home panel shows that location's, even to chain-wide staff (who switch to see
    another's). One clinic: the rows unchanged, no query."""
    return at_location(rows, current_location_id(request))
