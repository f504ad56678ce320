"""Reads of the session log: one session with its series, the notes waiting for a signature."""

from django.db.models import Count, Min, Prefetch, QuerySet

from ..models import Screening, SessionAddendum, SessionEvent, TreatmentSession, VitalsReading


def session_for_page(*, pk: int) -> TreatmentSession | None:
    """One session with everything its page shows, in a fixed number of queries."""
    return (
        TreatmentSession.objects.select_related(
            "patient", "plan_version", "chair", "checked_in_by", "bp_gate_by", "signed_by"
        )
        .prefetch_related(
            Prefetch("vitals", queryset=VitalsReading.objects.select_related("recorded_by")),
            Prefetch("events", queryset=SessionEvent.objects.select_related("recorded_by")),
            Prefetch("addenda", queryset=SessionAddendum.objects.select_related("author")),
        )
        .filter(pk=pk)
        .first()
    )


def sessions_to_sign() -> QuerySet[TreatmentSession]:
    """Completed sessions whose note is not signed yet, oldest first."""
    return TreatmentSession.objects.filter(
        status=TreatmentSession.Status.COMPLETED, signed_at__isnull=True
    ).order_by("starts_at")


def sessions_to_sign_summary() -> tuple[int, int | None]:
    """How many notes wait for a signature, and the first of them (one query)."""
    summary = sessions_to_sign().aggregate(count=Count("pk"), first=Min("pk"))
    return summary["count"], summary["first"]


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
