"""Reads of the patient record, the intake queue and alerts that are more than a one-line
queryset."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, F, FilteredRelation, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from clinic.links import url_for_pk

from .models import (
    MRN_PREFIX,
    ClinicalAlert,
    ConsentSignature,
    Intake,
    IntakeAmendment,
    IntakeLink,
    Patient,
)

SEARCH_RESULT_LIMIT = 50
_MRN_RE = re.compile(rf"^{MRN_PREFIX}-?[0-9A-Z]{{3,}}$", re.IGNORECASE)
_DATE_FORMATS = (
    re.compile(r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})$"),
    re.compile(r"^(?P<m>\d{1,2})/(?P<d>\d{1,2})/(?P<y>\d{4})$"),
)


def _as_date(text: str) -> date | None:
    for pattern in _DATE_FORMATS:
        match = pattern.match(text)
        if match:
            try:
                return date(int(match["y"]), int(match["m"]), int(match["d"]))
            except ValueError:
                return None
    return None


def _as_phone(text: str) -> PhoneNumber | None:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 7 or re.search(r"[A-Za-z]", text):
        return None
    try:
        number = PhoneNumber.from_string(text)
    except NumberParseException:
        return None
    return number if number.is_valid() else None


# The columns a list of patients reads (``PatientRow``), not whole records: every phone number
# column is parsed as it loads, and a list shows only the mobile.
PATIENT_ROW_COLUMNS = (
    "id",
    "mrn",
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "date_of_birth",
    "mobile",
)


def recent_patients(*, limit: int) -> QuerySet[Patient]:
    """The latest registered, newest first, with the columns a list shows."""
    return Patient.objects.only(*PATIENT_ROW_COLUMNS).order_by("-created_at", "-id")[:limit]


def patient_search(*, query: str) -> QuerySet[Patient]:
    """Find patients by name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone number."""
    text = " ".join(query.split())
    base = Patient.objects.only(*PATIENT_ROW_COLUMNS)
    if not text:
        return base.none()
    if _MRN_RE.match(text):
        mrn = text.upper()
        if "-" not in mrn:
            mrn = f"{MRN_PREFIX}-{mrn[len(MRN_PREFIX) :]}"
        return base.filter(mrn=mrn)
    dob = _as_date(text)
    if dob is not None:
        return base.filter(date_of_birth=dob)
    phone = _as_phone(text)
    if phone is not None:
        return base.filter(mobile=phone)
    if "@" in text:
        return base.filter(email__iexact=text)
    # Names: "smith", "jane smith", "smith, jane": every word must start a name part.
    condition = Q()
    for word in re.split(r"[\s,]+", text):
        if word:
            condition &= (
                Q(legal_last_name__istartswith=word)
                | Q(legal_first_name__istartswith=word)
                | Q(preferred_name__istartswith=word)
            )
    return base.filter(condition)


@dataclass(frozen=True)
class PatientRow:
    """A patient in a list (search results, recently registered), its texts made once here:
    up to ``SEARCH_RESULT_LIMIT`` rows, where template filters per cell would cost more than
    the query."""

    url: str
    name: str  # "Last, First"
    preferred_name: str
    mrn: str
    date_of_birth: str  # MM/DD/YYYY
    mobile: str  # national format, or "" without one


def patient_rows(patients) -> list[PatientRow]:
    """``patients``: Patient instances with at least ``PATIENT_ROW_COLUMNS``."""
    patient_url = url_for_pk("intake:patient_detail")
    return [
        PatientRow(
            url=patient_url(patient.pk),
            name=f"{patient.legal_last_name}, {patient.legal_first_name}",
            preferred_name=patient.preferred_name,
            mrn=patient.mrn,
            date_of_birth=patient.date_of_birth.strftime("%m/%d/%Y"),
            mobile=patient.mobile.as_national if patient.mobile else "",
        )
        for patient in patients
    ]


def patient_likely_duplicates(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    email: str = "",
    mobile: PhoneNumber | str | None = None,
    exclude_id: int | None = None,
) -> list[Patient]:
    """Existing patients who are probably the same person: same name and date of birth, or the
    same mobile number, or the same email address."""
    condition = Q()
    if first_name and last_name and date_of_birth:
        condition |= Q(
            legal_first_name__iexact=first_name.strip(),
            legal_last_name__iexact=last_name.strip(),
            date_of_birth=date_of_birth,
        )
    if mobile:
        condition |= Q(mobile=mobile)
    if email:
        condition |= Q(email__iexact=email.strip())
    if not condition:
        return []
    queryset = Patient.objects.filter(condition)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return list(queryset.order_by("legal_last_name", "legal_first_name")[:10])


MEASUREMENTS_READ = 10  # the latest rows patient_latest_measurements reads at first


def patient_latest_measurements(*, patient: Patient) -> dict:
    """The latest recorded weight and height (each may come from a different row).

    One query for the latest ``MEASUREMENTS_READ`` rows, which nearly always hold both (most
    measurements record both); only a value none of them has costs a second query, for the
    latest row that has it. Two subqueries in one statement would cost more to compile and
    plan than the round trip they save."""
    rows = list(
        patient.measurements.order_by("-recorded_at", "-id").values(
            "weight_kg", "height_cm", "recorded_at"
        )[:MEASUREMENTS_READ]
    )
    latest = {}
    for name, value in (("weight", "weight_kg"), ("height", "height_cm")):
        found = next(
            (
                {value: row[value], "recorded_at": row["recorded_at"]}
                for row in rows
                if row[value] is not None
            ),
            None,
        )
        if found is None and len(rows) == MEASUREMENTS_READ:
            found = (
                patient.measurements.filter(**{f"{value}__isnull": False})
                .order_by("-recorded_at", "-id")
                .values(value, "recorded_at")
                .first()
            )
        latest[name] = found
    return latest


# --- The intake queue, the patient's intake card, alerts ----------------------------------------

QUEUE_RECENT_DAYS = 30
QUEUE_LIMIT = 200


@dataclass(frozen=True)
class QueueTab:
    slug: str
    label: str


QUEUE_TABS: tuple[QueueTab, ...] = (
    QueueTab("invited", "Invited"),
    QueueTab("opened", "Opened"),
    QueueTab("in_progress", "In progress"),
    QueueTab("submitted", "Submitted"),
    QueueTab("expired", "Expired"),
    QueueTab("revoked", "Revoked"),
)
QUEUE_TAB_SLUGS = frozenset(tab.slug for tab in QUEUE_TABS)


def _queue_conditions(now: datetime) -> dict[str, Q]:
    """Which intakes each tab of the front desk's queue holds.

    "Expired" is not a stored status: an intake not yet submitted or revoked whose newest link
    has run out (the (status, link_expires_at) index answers it). Submitted, revoked and expired
    intakes leave the queue after ``QUEUE_RECENT_DAYS``.
    """
    recent = now - timedelta(days=QUEUE_RECENT_DAYS)
    live = Q(link_expires_at__isnull=True) | Q(link_expires_at__gt=now)
    status = Intake.Status
    return {
        "invited": Q(status=status.INVITED) & live,
        "opened": Q(status=status.OPENED) & live,
        "in_progress": Q(status=status.IN_PROGRESS) & live,
        "submitted": Q(status=status.SUBMITTED, submitted_at__gte=recent),
        "expired": Q(
            status__in=[status.INVITED, status.OPENED, status.IN_PROGRESS],
            link_expires_at__lte=now,
            link_expires_at__gt=recent,
        ),
        # A revoked link's expiry is at most CLINIC_INTAKE_LINK_DAYS after it was issued.
        "revoked": Q(status=status.REVOKED, link_expires_at__gt=recent),
    }


def _latest_link_prefetch() -> Prefetch:
    # A sliced Prefetch is one query for every row's newest link (a window function).
    return Prefetch(
        "links",
        queryset=IntakeLink.objects.order_by("-created_at", "-id")[:1],
        to_attr="newest_links",
    )


def _in_queue(now: datetime) -> tuple[Q, Q]:
    """Every intake some tab holds, as the two halves the queue's two indexes answer: those
    not submitted (by status and link expiry), and those submitted lately."""
    recent = now - timedelta(days=QUEUE_RECENT_DAYS)
    status = Intake.Status
    open_or_revoked = Q(
        Q(link_expires_at__isnull=True) | Q(link_expires_at__gt=recent),
        status__in=[status.INVITED, status.OPENED, status.IN_PROGRESS, status.REVOKED],
    )
    return open_or_revoked, Q(status=status.SUBMITTED, submitted_at__gte=recent)


def intake_queue_counts(*, now: datetime | None = None) -> dict[str, int]:
    """How many intakes each queue tab holds: two counts, each read from an index alone (the
    tabs' conditions OR-ed in one query would fetch every matching row from the table)."""
    now = now or timezone.now()
    conditions = _queue_conditions(now)
    not_submitted, submitted = _in_queue(now)
    counts = Intake.objects.filter(not_submitted).aggregate(
        **{
            # A column of the index (never null), so the index alone answers: Count("*")
            # cannot take a filter.
            slug: Count("status", filter=condition)
            for slug, condition in conditions.items()
            if slug != "submitted"
        }
    )
    counts["submitted"] = Intake.objects.filter(submitted).count()
    return counts


def intake_queue(*, tab: str | None = None, now: datetime | None = None) -> list[Intake]:
    """The rows of the front desk's intake queue, newest link first. Each intake carries its
    patient and ``newest_link`` (or None), whatever the number of rows: two queries."""
    now = now or timezone.now()
    conditions = _queue_conditions(now)
    if tab in conditions:
        condition = conditions[tab]
    else:
        not_submitted, submitted = _in_queue(now)
        condition = not_submitted | submitted
    intakes = list(
        Intake.objects.filter(condition)
        .select_related("patient")
        .prefetch_related(_latest_link_prefetch())
        .order_by(F("link_expires_at").desc(nulls_last=True), "-id")[:QUEUE_LIMIT]
    )
    for intake in intakes:
        intake.newest_link = intake.newest_links[0] if intake.newest_links else None
    return intakes


def patient_latest_intake(*, patient: Patient) -> Intake | None:
    """The patient's newest intake, with ``newest_link`` (or None). One query: the newest link
    is joined to the intake (a filtered relation on the link a subquery picks), where a sliced
    prefetch would cost a second query and a window function. ``answers`` are not read: the
    patient page shows the intake's status and dates only."""
    newest_link = (
        IntakeLink.objects.filter(intake=OuterRef("pk")).order_by("-created_at", "-id").values("pk")
    )[:1]
    intake = (
        Intake.objects.filter(patient=patient)
        .annotate(newest=FilteredRelation("links", condition=Q(links__pk=Subquery(newest_link))))
        .select_related("newest")
        .defer("answers")
        .order_by("-created_at", "-id")
        .first()
    )
    if intake is not None:
        # select_related sets the attribute only when the join found a link.
        intake.newest_link = getattr(intake, "newest", None)
    return intake


def patient_latest_submitted_intake(*, patient: Patient) -> Intake | None:
    return (
        Intake.objects.filter(patient=patient, status=Intake.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
        .first()
    )


def intake_for_review(*, pk: int) -> Intake | None:
    """A clinician's view of one intake: the patient, signatures and amendments (3 queries)."""
    return (
        Intake.objects.select_related("patient")
        .prefetch_related(
            Prefetch("signatures", queryset=ConsentSignature.objects.order_by("signed_at", "id")),
            Prefetch(
                "amendments",
                queryset=IntakeAmendment.objects.select_related("author").order_by(
                    "created_at", "id"
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )


def intakes_to_review_count(*, now: datetime | None = None) -> int:
    """Submitted in the last ``QUEUE_RECENT_DAYS`` (there is no "reviewed" mark yet)."""
    since = (now or timezone.now()) - timedelta(days=QUEUE_RECENT_DAYS)
    return Intake.objects.filter(status=Intake.Status.SUBMITTED, submitted_at__gte=since).count()


ACKNOWLEDGED_ALERTS_SHOWN = 50


def alert_open_count() -> int:
    return ClinicalAlert.objects.filter(acknowledged_at__isnull=True, urgent=True).count()


def alerts_open() -> list[ClinicalAlert]:
    """Unacknowledged alerts, urgent first, newest first."""
    return list(
        ClinicalAlert.objects.filter(acknowledged_at__isnull=True)
        .select_related("patient")
        .order_by("-urgent", "-created_at", "-id")
    )


def alerts_acknowledged(*, limit: int = ACKNOWLEDGED_ALERTS_SHOWN) -> list[ClinicalAlert]:
    return list(
        ClinicalAlert.objects.filter(acknowledged_at__isnull=False)
        .select_related("patient", "acknowledged_by")
        .order_by("-acknowledged_at", "-id")[:limit]
    )
