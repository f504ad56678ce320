"""Every staff page, found from the URL patterns, with real ids from the benchmark database.

The walk is the one tests/clinic/test_access.py makes: every pattern of ``clinic.urls`` outside
the admin, each view's ``allowed_roles`` (``clinic.roles.role_required``). A pattern becomes a
page to load when a staff role may use it; its ``<int:pk>`` is filled with a real row of the
model the URL names (the busiest patient's own where the page is about a patient), and it is
opened with the demo user of the role that uses it. ``probe`` then asks each page once: a page
that answers GET with 200 is loaded; every other answer leaves it out with the reason
printed under the table. A page is also left out, before any probe, only when ``LEFT_OUT``
below says why.
"""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK

# The demo users (seed_demo) that hold each role.
DEMO_USER = {FRONT_DESK: "frontdesk", CLINICIAN: "clinician", CLINIC_ADMIN: "admin"}
# Who opens a page both roles may use: the role whose day it is part of. Unlisted pages go to
# the clinician when the clinician may open them, else the front desk, else the admin.
ROLES_FOR = {
    "home": [FRONT_DESK, CLINICIAN],
    "intake:patient_list": [FRONT_DESK],
    "intake:patient_detail": [FRONT_DESK],
    "intake:patient_edit": [FRONT_DESK],
    "intake:patient_register": [FRONT_DESK],
    "intake:measurement_add": [FRONT_DESK],
    "intake:intake_link_send": [FRONT_DESK],
    "intake:intake_queue": [FRONT_DESK],
    "treatments:task_list": [FRONT_DESK],
    "treatments:plan_list": [FRONT_DESK],
    "treatments:plan_book": [FRONT_DESK],
    "treatments:booking_manage": [FRONT_DESK],
    "treatments:booking_reschedule": [FRONT_DESK],
    "treatments:chair_board": [FRONT_DESK],
    "treatments:session_check_in": [FRONT_DESK],
    "followups:worklist": [CLINICIAN, FRONT_DESK],
    "followups:communication_log": [FRONT_DESK],
    "followups:call_log": [FRONT_DESK],
    "treatments:screening_rules": [CLINIC_ADMIN],
    "followups:outcomes": [CLINICIAN],
    "followups:outcomes_csv": [CLINICIAN],
}
# Pages never loaded, each with why. (Pages that answer GET with something other than 200,
# such as the buttons that only POST, are found by the probe and listed with its answer.)
LEFT_OUT = {
    "logout": "signs the session out: the next request would measure the sign-in redirect",
}
# What the probe finds, for the record: the session's stage forms (check-in, the checks before
# the dose, the dose, vitals, discharge...) are parts of the session page; their URLs only take
# the POST (treatments.views.sessions.stage_post) and send a GET to the session page, which is
# loaded. The booking actions likewise send a GET to the booking page.

# Pages whose row must be of one kind, by name -> which fixture's id fills them.
LABEL_SOURCES = {
    "treatments:session_rems": "esketamine_session",  # the REMS form: esketamine only
    # The patient's REMS enrollment: the patient of that session (enrolled).
    "treatments:rems_enroll": "esketamine_patient",
    # What DEA Form 106 asks: a discrepancy resolved as a loss or theft (the demo's).
    "treatments:ledger_form_106": "loss_discrepancy",
    # The booking page proposes the sessions still to book: a plan with some, or it has no work.
    "treatments:plan_book": "plan_to_book",
}
# The first path segment(s) of a URL with a pk -> which fixture's id fills it.
PK_SOURCES = (
    ("follow-ups/surveys/", "survey"),
    ("follow-ups/tasks/", "followup_task"),
    ("follow-ups/messages/", "outbox_message"),
    ("patients/", "patient"),
    ("inquiries/", "inquiry"),
    ("intakes/", "intake"),
    ("alerts/", "alert"),
    ("screening/", "screening"),
    ("tasks/", "staff_task"),
    ("plans/", "plan"),
    ("sessions/", "session"),
    # The controlled-substance ledger (the demo's month, and the bulk year: seed_bulk --ledger).
    ("ledger/containers/", "stock_container"),
    ("ledger/counts/", "stock_count"),
    ("ledger/discrepancies/", "discrepancy"),
    ("ledger/entries/", "ledger_entry"),
)


@dataclass(frozen=True)
class StaffRoute:
    label: str  # namespace:name
    route: str  # the pattern, e.g. "patients/<int:pk>/chart/"
    roles: frozenset[str]


def staff_routes() -> list[StaffRoute]:
    """Every URL pattern of clinic.urls, outside the admin, that a staff role may use."""

    def walk(patterns, prefix="", namespaces=()):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin":
                    continue
                names = (*namespaces, entry.namespace) if entry.namespace else namespaces
                yield from walk(entry.url_patterns, prefix + str(entry.pattern), names)
            elif isinstance(entry, URLPattern):
                roles = getattr(entry.callback, "allowed_roles", None)
                if roles:
                    label = ":".join((*namespaces, entry.name or str(entry.pattern)))
                    yield StaffRoute(label, prefix + str(entry.pattern), frozenset(roles))

    return list(walk(get_resolver("clinic.urls").url_patterns))


def page_ids(location_id: int | None = None) -> dict[str, int | None]:
    """Real rows to open: the patient with the most sessions, then theirs where they have one
    (their latest intake, screening, plan, completed session, answered survey), else the
    newest open one of the clinic (an inquiry, an alert, a task, a failed message).

    With ``location_id`` (a chain, ``BENCH_CHAIN=1``): rows of that location only, the ones
    its staff open (patients whose home it is and their rows, its inquiries); the ledger's
    rows are the chain's as without it."""
    from django.db.models import Count, F, OuterRef, Q, Subquery

    from followups.models import OutboxEntry, Survey
    from followups.selectors.worklists import TASK_SOURCE
    from intake.models import ClinicalAlert, ConsultationRequest, Intake
    from treatments.dosing import Route
    from treatments.models import (
        Discrepancy,
        LedgerEntry,
        PlanVersion,
        Screening,
        StaffTask,
        StockContainer,
        StockCount,
        TreatmentPlan,
        TreatmentSession,
    )

    def here(queryset, field="patient__home_location"):
        return queryset.filter(**{field: location_id}) if location_id else queryset

    busiest = (
        here(TreatmentSession.objects.exclude(patient__legal_first_name="Benchmark"))
        .values("patient")
        .annotate(sessions=Count("id"))
        .order_by("-sessions", "patient")
        .first()
    )
    patient = busiest["patient"] if busiest else None

    def first(queryset, own=True, scoped=True):
        queryset = here(queryset) if scoped else queryset
        mine = queryset.filter(patient_id=patient) if own and patient else queryset
        return mine.order_by("-pk").values_list("pk", flat=True).first() or (
            queryset.order_by("-pk").values_list("pk", flat=True).first()
        )

    def first_inquiry(queryset):
        # An inquiry's location is its own (no patient yet).
        return here(queryset, "location").order_by("-pk").values_list("pk", flat=True).first()

    esketamine_session = first(
        TreatmentSession.objects.filter(
            status="completed", plan_version__route=Route.ESKETAMINE_NASAL
        )
    )
    return {
        "patient": patient,
        "intake": first(Intake.objects.filter(status=Intake.Status.SUBMITTED)),
        "screening": first(Screening.objects.all()),
        "plan": first(TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE))
        or first(TreatmentPlan.objects.all()),
        "plan_to_book": first(
            TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE)
            .annotate(
                planned=Subquery(
                    PlanVersion.objects.filter(plan=OuterRef("pk"))
                    .order_by("-number")
                    .values("sessions_planned")[:1]
                ),
                booked=Count("sessions", filter=~Q(sessions__status="cancelled")),
            )
            .filter(booked__lt=F("planned"))
        ),
        "session": first(TreatmentSession.objects.filter(status="completed")),
        "esketamine_session": esketamine_session,
        "esketamine_patient": TreatmentSession.objects.filter(pk=esketamine_session)
        .values_list("patient_id", flat=True)
        .first(),
        "survey": first(Survey.objects.filter(completed_at__isnull=False)),
        "inquiry": first_inquiry(ConsultationRequest.objects.filter(status="new"))
        or first_inquiry(ConsultationRequest.objects.all()),
        "alert": first(ClinicalAlert.objects.filter(acknowledged_at__isnull=True), own=False),
        "staff_task": first(StaffTask.objects.filter(status="open"), own=False),
        "followup_task": first(
            StaffTask.objects.filter(status="open", source_kind=TASK_SOURCE), own=False
        ),
        "outbox_message": first(OutboxEntry.objects.filter(status="failed"), own=False),
        # The container with the longest history (the vial in use), the count of the most
        # containers (the newest of them: a bulk day's count at 100,000 patients, the biennial
        # inventory in the demo), the latest discrepancy, the latest waste (the page that
        # reverses it).
        "stock_container": StockContainer.objects.annotate(entries_made=Count("entries"))
        .order_by("-entries_made", "pk")
        .values_list("pk", flat=True)
        .first(),
        "stock_count": StockCount.objects.annotate(counted_here=Count("entries"))
        .order_by("-counted_here", "-counted_at", "-pk")
        .values_list("pk", flat=True)
        .first(),
        "discrepancy": first(Discrepancy.objects.all(), own=False, scoped=False),
        "loss_discrepancy": first(
            Discrepancy.objects.filter(resolution__outcome__in=["loss", "theft"]),
            own=False,
            scoped=False,
        ),
        "ledger_entry": first(LedgerEntry.objects.filter(kind="waste"), own=False, scoped=False),
    }


def _fill(label: str, route: str, ids: dict[str, int | None]) -> tuple[str, str]:
    """(the concrete path, or "" and why not)."""
    if "<" not in route:
        return "/" + route, ""
    source = LABEL_SOURCES.get(label) or next(
        (name for prefix, name in PK_SOURCES if route.startswith(prefix)), None
    )
    if source is None or not re.fullmatch(r"[^<]*<int:pk>[^<]*", route):
        return "", f"no rule fills the parameters of {route}"
    if ids.get(source) is None:
        return "", f"the database has no {source.replace('_', ' ')} to open"
    return "/" + route.replace("<int:pk>", str(ids[source])), ""


def _roles_for(route: StaffRoute) -> list[str]:
    if route.label in ROLES_FOR:
        return [role for role in ROLES_FOR[route.label] if role in route.roles]
    for role in (CLINICIAN, FRONT_DESK, CLINIC_ADMIN):
        if role in route.roles:
            return [role]
    return []


@dataclass(frozen=True)
class Candidate:
    name: str  # "namespace:name (role)"
    label: str
    username: str
    path: str


def candidates(ids: dict[str, int | None]) -> tuple[list[Candidate], list[str]]:
    """(every staff page with its path and user, the pages left out with why)."""
    pages, left_out = [], []
    for route in staff_routes():
        if route.label in LEFT_OUT:
            left_out.append(f"{route.label}: {LEFT_OUT[route.label]}")
            continue
        path, why = _fill(route.label, route.route, ids)
        if not path:
            left_out.append(f"{route.label}: {why}")
            continue
        roles = _roles_for(route)
        for role in roles:
            username = DEMO_USER[role]
            name = f"{route.label} ({username})" if len(roles) > 1 else route.label
            pages.append(Candidate(name, route.label, username, path))
    return pages, left_out
