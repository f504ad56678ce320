"""Reads for treatment plans: the plan as it stood on a date, the dates a series proposes, the
plan page's rows, and the front desk's schedule-only view (which never reads the dose)."""

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Case, Exists, IntegerField, OuterRef, Value, When

from intake.models import Patient, PatientMeasurement

from .. import booking_rules, limits
from ..dosing import Route
from ..models import PlanVersion, StaffTask, TreatmentPlan, TreatmentSession

# What the front desk may read of a version: the schedule, not the dose, goals or indication.
SCHEDULE_FIELDS = (
    "id",
    "plan_id",
    "number",
    "effective_at",
    "route",
    "phase",
    "sessions_planned",
    "span_weeks",
    "every_weeks",
    "per_month",
    "start_date",
    "infusion_minutes",
)


def plan_as_of(*, plan: TreatmentPlan, when: datetime) -> PlanVersion | None:
    """The version in effect at ``when``: the latest effective at or before it (None before
    the plan was written)."""
    return plan.versions.filter(effective_at__lte=when).order_by("-effective_at", "-number").first()


def version_as_of(versions: Sequence[PlanVersion], when: datetime) -> PlanVersion | None:
    """``plan_as_of`` over versions already loaded (any order)."""
    effective = [version for version in versions if version.effective_at <= when]
    return max(effective, key=lambda v: (v.effective_at, v.number), default=None)


def plan_proposed_dates(version: PlanVersion) -> list[date]:
    """The dates of the series from the start date, on days the clinic is open.

    Induction spreads the sessions evenly over its weeks (6 over 3 weeks from a Monday:
    Mon, Thu, Mon, Thu, Mon, Thu); maintenance is one session every ``every_weeks`` weeks.
    An intranasal esketamine induction follows the label instead: twice a week in weeks 1-4,
    once a week in weeks 5-8, then weekly. A date on a day the clinic is closed moves to the
    next open day, keeping the sessions in order (and esketamine's minimum days apart).
    Holidays are not known: the front desk moves such a date when booking it.
    """
    esketamine = version.route == Route.ESKETAMINE_NASAL
    return booking_rules.on_open_days(
        _planned_dates(version),
        limits.opening_hours(),
        min_days_apart=limits.esketamine_min_days_apart() if esketamine else 0,
    )


def _planned_dates(version: PlanVersion) -> list[date]:
    sessions = version.sessions_planned or 0
    start = version.start_date
    if version.phase == PlanVersion.Phase.INDUCTION and version.route == Route.ESKETAMINE_NASAL:
        return booking_rules.esketamine_label_dates(start, sessions)
    if version.phase == PlanVersion.Phase.INDUCTION and version.span_weeks:
        days = version.span_weeks * 7
        return [start + timedelta(days=n * days // sessions) for n in range(sessions)]
    if version.every_weeks:
        return [start + timedelta(weeks=n * version.every_weeks) for n in range(sessions)]
    if version.per_month:
        # N a month: evenly spaced through a 30-day month (2 a month: every 15 days).
        return [start + timedelta(days=n * 30 // version.per_month) for n in range(sessions)]
    return []


def _number(value: Decimal) -> str:
    return f"{value.normalize():f}"


def dose_text(version: PlanVersion) -> str:
    """The dose as prescribed and in mg: "0.5 mg/kg \N{MULTIPLICATION SIGN} 80.0 kg = 40 mg"."""
    mg = f"{_number(version.dose_mg)} mg"
    if version.weight_kg_used is None:
        return mg
    return (
        f"{_number(version.dose_amount)} {version.dose_unit} \N{MULTIPLICATION SIGN} "
        f"{version.weight_kg_used} kg = {mg}"
    )


def frequency_text(version: PlanVersion) -> str:
    """The schedule in words: "6 sessions over 3 weeks", "4 sessions, one every 2 weeks"."""
    sessions = version.sessions_planned
    plural = "s" if sessions != 1 else ""
    if version.phase == PlanVersion.Phase.INDUCTION and version.route == Route.ESKETAMINE_NASAL:
        # The proposal follows the label (booking_rules.esketamine_label_dates), not the span.
        return (
            f"{sessions} session{plural} per the label: twice a week in weeks 1-4, then once a week"
        )
    if version.phase == PlanVersion.Phase.INDUCTION and version.span_weeks:
        weeks = version.span_weeks
        return f"{sessions} session{plural} over {weeks} week{'s' if weeks != 1 else ''}"
    if version.per_month:
        return f"{sessions} session{plural}, {version.per_month} a month"
    every = version.every_weeks
    if every == 1:
        return f"{sessions} session{plural}, one every week"
    return f"{sessions} session{plural}, one every {every} weeks"


def patient_plans(*, patient: Patient) -> list[TreatmentPlan]:
    """The patient's plans, newest first, each with its current version as ``current``."""
    plans = list(TreatmentPlan.objects.filter(patient=patient).order_by("-created_at", "-id"))
    latest: dict[int, PlanVersion] = {}
    versions = PlanVersion.objects.filter(plan__patient=patient).only(*SCHEDULE_FIELDS)
    for version in versions.order_by("plan_id", "number"):
        latest[version.plan_id] = version
    for plan in plans:
        plan.current = latest.get(plan.pk)
    return plans


def plan_for_page(*, pk: int) -> TreatmentPlan | None:
    """One plan with its patient (the pages name the patient, not who wrote the plan)."""
    return TreatmentPlan.objects.select_related("patient").filter(pk=pk).first()


def plan_versions(*, plan: TreatmentPlan) -> list[PlanVersion]:
    """Every version, oldest first, with who prescribed and wrote it."""
    return list(plan.versions.select_related("prescriber", "created_by").order_by("number"))


def plan_schedule_versions(*, plan: TreatmentPlan) -> list[PlanVersion]:
    """Every version's schedule only, oldest first: the front desk's view."""
    return list(plan.versions.only(*SCHEDULE_FIELDS).order_by("number"))


def weight_measured_at(*, version: PlanVersion) -> datetime | None:
    """When the weight a mg/kg dose was computed from was recorded: the latest weight on the
    record when the version was written."""
    if version.weight_kg_used is None:
        return None
    return (
        PatientMeasurement.objects.filter(
            patient_id=version.plan.patient_id,
            weight_kg=version.weight_kg_used,
            recorded_at__lte=version.created_at,
        )
        .order_by("-recorded_at", "-id")
        .values_list("recorded_at", flat=True)
        .first()
    )


# What the plan panel shows of the version a clinician sees besides the schedule: the dose.
DOSE_FIELDS = ("dose_mg", "dose_amount", "dose_unit", "weight_kg_used")
_PANEL_PLAN_FIELDS = ("plan__patient", "plan__status", "plan__created_at")
_ACTIVE_FIRST = Case(
    When(plan__status=TreatmentPlan.Status.ACTIVE, then=Value(0)),
    default=Value(1),
    output_field=IntegerField(),
)


def patient_plan_for_panel(*, patient: Patient, schedule_only: bool) -> PlanVersion | None:
    """The current version of the plan the patient summary shows (the active plan, else the
    newest), with its plan's status: one query. ``schedule_only``: the front desk's view,
    which does not read the dose. Other fields load on access."""
    fields = SCHEDULE_FIELDS if schedule_only else (*SCHEDULE_FIELDS, *DOSE_FIELDS)
    return (
        PlanVersion.objects.filter(plan__patient_id=patient.pk)
        .select_related("plan")
        .only(*fields, *_PANEL_PLAN_FIELDS)
        .alias(active_first=_ACTIVE_FIRST)
        .order_by("active_first", "-plan__created_at", "-plan_id", "-number")
        .first()
    )


# StaffTask.source_kind of the front desk's task to book a plan's sessions (its id the plan's).
PLAN_BOOKING_TASK = "plan-booking"


def patient_active_plan_booking(*, patient: Patient) -> dict | None:
    """The patient's active plan as ``{"pk", "booking_open"}``: whether the front desk's task
    to book its sessions is still open. One query; None without an active plan."""
    open_task = StaffTask.objects.filter(
        source_kind=PLAN_BOOKING_TASK, source_id=OuterRef("pk"), status=StaffTask.Status.OPEN
    )
    return (
        TreatmentPlan.objects.filter(patient_id=patient.pk, status=TreatmentPlan.Status.ACTIVE)
        .annotate(booking_open=Exists(open_task))
        .values("pk", "booking_open")
        .first()
    )


def patient_had_esketamine(*, patient: Patient) -> bool:
    """Whether the patient was ever given intranasal esketamine here: if not, a plan starts
    their first course, whose first session is 56 mg (the label)."""
    return TreatmentSession.objects.filter(
        patient_id=patient.pk,
        route_given=Route.ESKETAMINE_NASAL,
        administration_started_at__isnull=False,
    ).exists()
