"""Reads of the session log: one session with its series, the notes waiting for a signature."""

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Prefetch, QuerySet, Subquery

from ..models import Screening, SessionAddendum, SessionEvent, TreatmentSession, VitalsReading

# The staff a session page names (who checked the patient in, decided, signed).
STAFF_NAMED = ("checked_in_by", "bp_gate_by", "fasting_decision_by", "signed_by")


def session_for_page(*, pk: int) -> TreatmentSession | None:
    """One session with everything its page shows, in a fixed number of queries.

    The staff it names are read in one query of their own rather than joined: four more
    joins (eight tables) cost PostgreSQL more to plan than a second query costs to run."""
    session = (
        TreatmentSession.objects.select_related("patient", "plan_version", "chair")
        .prefetch_related(
            Prefetch("vitals", queryset=VitalsReading.objects.select_related("recorded_by")),
            Prefetch("events", queryset=SessionEvent.objects.select_related("recorded_by")),
            Prefetch("addenda", queryset=SessionAddendum.objects.select_related("author")),
        )
        .filter(pk=pk)
        .first()
    )
    if session is None:
        return None
    staff_ids = {getattr(session, f"{name}_id") for name in STAFF_NAMED} - {None}
    staff = get_user_model().objects.in_bulk(staff_ids)  # no query when nobody is named yet
    for name in STAFF_NAMED:
        setattr(session, name, staff.get(getattr(session, f"{name}_id")))
    return session


AWAITING_SIGNATURE = (TreatmentSession.Status.IN_PROGRESS, TreatmentSession.Status.COMPLETED)


def at_chairs_of(sessions: QuerySet, location_id: int | None, prefix: str = "") -> QuerySet:
    """``sessions`` (or rows reaching a session through ``prefix``, as "session__") held at a
    chair of one location: a session belongs where it is given, whoever's patient it is.
    ``None`` (one clinic): unchanged."""
    if location_id is None:
        return sessions
    return sessions.filter(**{f"{prefix}chair__location": location_id})


def sessions_to_sign(*, location_id: int | None = None) -> QuerySet[TreatmentSession]:
    """Administered or discharged sessions whose note is not signed yet, oldest first (at one
    location's chairs, given ``location_id``)."""
    return at_chairs_of(
        TreatmentSession.objects.filter(status__in=AWAITING_SIGNATURE, signed_at__isnull=True),
        location_id,
    ).order_by("starts_at", "id")


def sessions_to_sign_count(*, location_id: int | None = None) -> int:
    return sessions_to_sign(location_id=location_id).count()


def sessions_awaiting_signature(*, location_id: int | None = None) -> QuerySet[TreatmentSession]:
    """Administered or discharged sessions whose note is not signed yet, oldest first.

    One query: the patient and the chair are joined, and what signing reads from the vitals
    (the baseline's blood pressure, whether any monitoring reading exists) is annotated.
    """
    vitals = VitalsReading.objects.filter(session=OuterRef("pk"))
    baseline = vitals.filter(kind=VitalsReading.Kind.BASELINE).order_by("taken_at", "id")
    return (
        sessions_to_sign(location_id=location_id)
        .select_related("patient", "chair")
        .annotate(
            has_baseline=Exists(baseline),
            baseline_systolic=Subquery(baseline.values("systolic")[:1]),
            baseline_diastolic=Subquery(baseline.values("diastolic")[:1]),
            has_monitoring=Exists(vitals.filter(kind=VitalsReading.Kind.MONITORING)),
        )
        .order_by("starts_at", "pk")
    )


# The REMS Patient Monitoring Form's concomitant-medication boxes, by the intake's classes.
REMS_MEDICATION_CLASSES = (
    ("Benzodiazepine", "Benzodiazepines"),
    ("Other sedative", "Non-benzodiazepine sedative-hypnotics"),
    ("Stimulant", "Psychostimulants"),
    ("MAOI", "Monoamine oxidase inhibitors (MAOIs)"),
)
_MEDICATION_EVIDENCE = "Intake medication: "


def rems_concomitant_medications(*, patient_id: int) -> list[dict]:
    """For each REMS medication class: the intake medications the current screening flagged."""
    screening = Screening.objects.filter(patient_id=patient_id, is_current=True).first()
    by_class: dict[str, list[str]] = {cls: [] for cls, _ in REMS_MEDICATION_CLASSES}
    for reason in screening.reasons if screening else []:
        evidence = reason.get("evidence", "")
        if reason.get("rule_id") != "medication" or not evidence.startswith(_MEDICATION_EVIDENCE):
            continue
        medication, _, cls = evidence.removeprefix(_MEDICATION_EVIDENCE).rpartition(" (")
        cls = cls.rstrip(")")
        if cls in by_class:
            by_class[cls].append(medication)
    return [
        {"label": label, "medications": by_class[cls], "known": screening is not None}
        for cls, label in REMS_MEDICATION_CLASSES
    ]
