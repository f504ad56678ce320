"""Reads of the patient record, the intake queue and alerts that are more than a one-line
queryset."""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, partial, reduce
from operator import and_, or_

from django.db import connection, models
from django.db.models import CharField, Count, ExpressionWrapper, F, Prefetch, Q, QuerySet
from django.db.models.functions import Collate, Upper
from django.urls import reverse
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from clinic.dates import day

from .access import LocationIds, at_location, scope_patients
from .models import (
    MRN_PREFIX,
    ClinicalAlert,
    ConsentSignature,
    Intake,
    IntakeAmendment,
    IntakeLink,
    Patient,
    PatientMeasurement,
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


def recent_patients(*, limit: int, location_ids: LocationIds = None) -> QuerySet[Patient]:
    """The latest registered, newest first (``patient_rows`` reads the columns a list shows);
    in a chain, of the patients seen at ``location_ids`` (``intake.access``)."""
    patients = scope_patients(Patient.objects.all(), location_ids)
    return patients.order_by("-created_at", "-id")[:limit]


NAME_PARTS = ("legal_last_name", "legal_first_name", "preferred_name")


def _name_words(text: str) -> list[str]:
    """The words of a name search ("smith", "jane smith", "smith, jane"): each must start the
    patient's last, first or preferred name."""
    return [word for word in re.split(r"[\s,]+", text) if word]


def _starts_a_name(word: str) -> Q:
    return reduce(or_, (Q(**{f"{part}__istartswith": word}) for part in NAME_PARTS))


def _criteria(query: str) -> Q | list[str] | None:
    """What ``query`` searches for: a filter (MRN, date of birth, phone or email), the words of
    a name, or None for nothing."""
    text = " ".join(query.split())
    if not text:
        return None
    if _MRN_RE.match(text):
        mrn = text.upper()
        if "-" not in mrn:
            mrn = f"{MRN_PREFIX}-{mrn[len(MRN_PREFIX) :]}"
        return Q(mrn=mrn)
    dob = _as_date(text)
    if dob is not None:
        return Q(date_of_birth=dob)
    phone = _as_phone(text)
    if phone is not None:
        return Q(mobile=phone)
    if "@" in text:
        return Q(email__iexact=text)
    return _name_words(text)


def patient_search(*, query: str, location_ids: LocationIds = None) -> QuerySet[Patient]:
    """Find patients by name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone number:
    every patient who matches, in no order (``patient_search_page`` gives a page in order);
    in a chain, among the patients seen at ``location_ids`` (``intake.access``)."""
    criteria = _criteria(query)
    if criteria is None:
        return Patient.objects.none()
    patients = scope_patients(Patient.objects.all(), location_ids)
    if isinstance(criteria, Q):
        return patients.filter(criteria)
    return patients.filter(reduce(and_, map(_starts_a_name, criteria)))


def _code_point_collation(vendor: str) -> str:
    """Strings compared character code by character code: "C" on PostgreSQL, SQLite's own."""
    return "C" if vendor == "postgresql" else "BINARY"


def name_sort_key(part: str) -> Collate:
    """A name as lists sort it: upper-cased and compared character code by character code,
    so "de la Cruz" sits with "Dean" and "McBride" before "Mcdonald" on every database. It is
    the order of the name indexes on PostgreSQL (migration 0007)."""
    return Collate(Upper(part), _code_point_collation(connection.vendor))


_ROW_COLUMNS = (
    "pk",
    "legal_last_name",
    "legal_first_name",
    "preferred_name",
    "mrn",
    "date_of_birth",
    "stored_mobile",
)
_NAME_ORDER = ("last_key", "first_key", "pk")


def _with_stored_mobile(patients: QuerySet[Patient]) -> QuerySet[Patient]:
    """The mobile as stored, rather than parsed into a ``PhoneNumber``."""
    return patients.annotate(stored_mobile=ExpressionWrapper(F("mobile"), output_field=CharField()))


def row_values(patients: QuerySet[Patient]) -> QuerySet:
    """The columns a row in a list of patients shows (``patient_rows``)."""
    return _with_stored_mobile(patients).values_list(*_ROW_COLUMNS)


def _in_name_order(patients: QuerySet[Patient]) -> QuerySet:
    """``row_values`` with the name keys after them, in name order."""
    return (
        _with_stored_mobile(patients)
        .annotate(
            last_key=name_sort_key("legal_last_name"), first_key=name_sort_key("legal_first_name")
        )
        .order_by(*_NAME_ORDER)
        .values_list(*_ROW_COLUMNS, "last_key", "first_key")
    )


# A page of a name search: for each name part, the patients whose part starts with the
# search's longest word (and who match its other words), in name order (``name_sort_key``) and cut
# at the limit; then those, at most three times the limit, sorted again and cut.
_NAME_SEARCH_BRANCH = """SELECT * FROM (
    SELECT id, legal_last_name, legal_first_name, preferred_name, mrn, date_of_birth, mobile,
        UPPER(legal_last_name) COLLATE "{collation}" AS last_key,
        UPPER(legal_first_name) COLLATE "{collation}" AS first_key
    FROM {table}
    WHERE {conditions}
    ORDER BY last_key, first_key, id
    LIMIT %(limit)s
) AS by_{part}"""
_STARTS = "UPPER({part}) LIKE UPPER(%({word})s) ESCAPE '\\'"


@cache
def _name_search_sql(vendor: str, words: int) -> str:
    """The statement for a search of ``words`` words on a database: made once each."""
    table = connection.ops.quote_name(Patient._meta.db_table)
    others = [
        "(" + " OR ".join(_STARTS.format(part=part, word=f"word{n}") for part in NAME_PARTS) + ")"
        for n in range(1, words)
    ]
    branches = [
        _NAME_SEARCH_BRANCH.format(
            collation=_code_point_collation(vendor),
            table=table,
            conditions=" AND ".join([_STARTS.format(part=part, word="word0"), *others]),
            part=part,
        )
        for part in NAME_PARTS
    ]
    return "\nUNION\n".join(branches) + "\nORDER BY last_key, first_key, id\nLIMIT %(limit)s"


def patient_search_page(*, query: str, limit: int, location_ids: LocationIds = None) -> list[tuple]:
    """The first ``limit`` patients ``patient_search`` finds, in name order (``name_sort_key``),
    as the values ``patient_rows`` makes rows of.

    A name search reads at most ``limit`` patients per name part however many match: on
    PostgreSQL, an index scan in name order for each part (migration 0007), stopping at the
    limit. The first ``limit`` of all matches are among those, since each is among the first
    ``limit`` of a name part it matches. At 100,000 patients, "Ma" (6,154 matches) took 12 ms
    in PostgreSQL read and sorted whole, and 0.4 ms this way. The statement is written out
    (``_name_search_sql``): built with the ORM, its three parts cost 2 ms to compile. It is
    not prepared on the server, whose generic plan would not see each search's prefix.

    In a chain (``location_ids`` not None) a member of staff searches among the patients of
    their locations (``intake.access``): the ORM's statement, with the location rule in it."""
    criteria = _criteria(query)
    if not isinstance(criteria, list) or location_ids is not None:
        found = patient_search(query=query, location_ids=location_ids)
        return list(_in_name_order(found)[:limit])
    # The longest word narrows each part's scan the most; the others filter what it reads.
    words = sorted(criteria, key=len, reverse=True)
    params = {
        f"word{n}": connection.ops.prep_for_like_query(word) + "%" for n, word in enumerate(words)
    }
    with connection.cursor() as cursor:
        cursor.execute(_name_search_sql(connection.vendor, len(words)), {**params, "limit": limit})
        return cursor.fetchall()


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


def national_phone(e164: str) -> str:
    """A stored (E.164) number as the front desk reads it: "+15125550004" -> "(512) 555-0004".
    North American numbers, nearly all of this clinic's, are written directly (libphonenumber
    writes every one starting 2-9 this way; a test compares them); the others go through
    phonenumbers, whose parsing and formatting cost 25 µs a number."""
    if not e164:
        return ""
    digits = e164[2:]
    if e164.startswith("+1") and len(digits) == 10 and digits.isdigit() and digits[0] >= "2":
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    return PhoneNumber.from_string(e164).as_national


def patient_rows(values) -> list[PatientRow]:
    """``values``: ``row_values`` or ``patient_search_page``, sliced to the rows wanted."""
    return [
        PatientRow(
            url=reverse("intake:patient_detail", args=[pk]),
            name=f"{last_name}, {first_name}",
            preferred_name=preferred_name,
            mrn=mrn,
            date_of_birth=day(born),
            mobile=national_phone(mobile),
        )
        for pk, last_name, first_name, preferred_name, mrn, born, mobile, *_keys in values
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


def patient_record(*, pk: int, location_ids: LocationIds = None) -> Patient | None:
    """The patient, with ``created_by`` holding the registering user's names (the rest of
    that user loads on access), or None (also for a patient not seen at ``location_ids``, in a
    chain). One query (``get()``: ``first()`` would order by name, which costs more to build
    than the query costs to run)."""
    try:
        return (
            scope_patients(Patient.objects.all(), location_ids)
            .select_related("created_by")
            .only(
                *(field.name for field in Patient._meta.concrete_fields),
                "created_by__username",
                "created_by__first_name",
                "created_by__last_name",
            )
            .get(pk=pk)
        )
    except Patient.DoesNotExist:
        return None


HEADING_FIELDS = ("id", "legal_first_name", "legal_last_name", "preferred_name", "mrn")


def patient_heading(*, pk: int, location_ids: LocationIds = None) -> Patient | None:
    """The patient with only what a page about their record shows of them and writes in the
    audit trail: names and MRN (``str()``, ``full_name``, ``display_name``). Any other field
    would cost a query of its own. One query, or None (also for a patient not seen at
    ``location_ids``, in a chain: ``intake.access``)."""
    try:
        return scope_patients(Patient.objects.all(), location_ids).only(*HEADING_FIELDS).get(pk=pk)
    except Patient.DoesNotExist:
        return None


MEASUREMENTS_READ = 10  # the latest rows patient_latest_measurements reads at first


def patient_latest_measurements(*, patient: Patient) -> dict:
    """The latest recorded weight and height (each may come from a different row).

    One query for the latest ``MEASUREMENTS_READ`` rows, which nearly always hold both (most
    measurements record both); only a value none of them has costs a second query, for the
    latest row that has it. Two subqueries in one statement would cost more to compile and
    plan than the round trip they save."""
    rows = list(
        PatientMeasurement.objects.filter(patient_id=patient.pk)
        .order_by("-recorded_at", "-id")
        .values("weight_kg", "height_cm", "recorded_at")[:MEASUREMENTS_READ]
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


# What a queue row shows of an intake's links (the newest one's).
QUEUE_LINK_COLUMNS = (
    "intake",
    "channel",
    "created_at",
    "send_error",
    "first_opened_at",
    "last_opened_at",
)


def _links_prefetch() -> Prefetch:
    # Every link of the rows' intakes, newest first: an intake has one per send, a handful at
    # most, and a plain IN query costs far less to build than a sliced (windowed) prefetch.
    return Prefetch(
        "links",
        queryset=IntakeLink.objects.only(*QUEUE_LINK_COLUMNS).order_by("-created_at", "-id"),
        to_attr="links_newest_first",
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


def intake_queue_counts(
    *, now: datetime | None = None, location_id: int | None = None
) -> dict[str, int]:
    """How many intakes each queue tab holds (``_queue_conditions``): two counts, each read from
    an index alone (the tabs' conditions OR-ed in one query would fetch every matching row
    from the table).

    Those not submitted are counted by status, each split by its link's expiry: within the
    queue, an intake of an open status whose link has not run out (or has none) is on its
    status's tab, and the others are expired; a revoked one is on its tab once it has a link
    expiry. (Five filtered counts in one aggregate cost three times as much to build.)

    ``location_id`` (a chain): the intakes of that location's patients only."""
    now = now or timezone.now()
    not_submitted, submitted = _in_queue(now)
    intakes = at_location(Intake.objects.all(), location_id)
    by_status = (
        intakes.filter(not_submitted)
        .values("status")
        .annotate(
            # Columns of the index (status is never null), so the index alone answers.
            every=Count("status"),
            live=Count(
                "status", filter=Q(link_expires_at__isnull=True) | Q(link_expires_at__gt=now)
            ),
            dated=Count("link_expires_at"),
        )
        .order_by()
    )
    status = Intake.Status
    counts = dict.fromkeys(QUEUE_TAB_SLUGS, 0)
    for row in by_status:
        if row["status"] == status.REVOKED:
            counts["revoked"] = row["dated"]
        else:
            counts[row["status"]] = row["live"]
            counts["expired"] += row["every"] - row["live"]
    counts["submitted"] = intakes.filter(submitted).count()
    return counts


@cache
def intake_queue_counts_at(location_id: int | None):
    """``intake_queue_counts`` of one location (None: every intake) as a read of no arguments,
    the same object for the same location: the home page's panels read it once per request
    (``clinic.home.once``)."""
    return partial(intake_queue_counts, location_id=location_id)


# What a queue row shows of an intake and its patient: not the answers, steps or flags (wide
# JSON that would ride through the sort).
QUEUE_COLUMNS = ("patient", "status", "link_expires_at", "updated_at", "submitted_at")
QUEUE_PATIENT_COLUMNS = ("patient__mrn", "patient__legal_first_name", "patient__legal_last_name")


def intake_queue(
    *,
    tab: str | None = None,
    now: datetime | None = None,
    limit: int = QUEUE_LIMIT,
    location_id: int | None = None,
) -> list[Intake]:
    """The first ``limit`` rows of the front desk's intake queue, newest link first (of one
    location's patients, given ``location_id``). Each intake carries its patient and
    ``newest_link`` (or None), whatever the number of rows: two queries."""
    now = now or timezone.now()
    conditions = _queue_conditions(now)
    if tab in conditions:
        condition = conditions[tab]
    else:
        not_submitted, submitted = _in_queue(now)
        condition = not_submitted | submitted
    intakes = list(
        at_location(Intake.objects.filter(condition), location_id)
        .select_related("patient")
        .only(*QUEUE_COLUMNS, *QUEUE_PATIENT_COLUMNS)
        .prefetch_related(_links_prefetch())
        .order_by(F("link_expires_at").desc(nulls_last=True), "-id")[:limit]
    )
    for intake in intakes:
        links = intake.links_newest_first
        intake.newest_link = links[0] if links else None
    return intakes


# What the patient page's intake card shows of the newest intake and of its newest link.
INTAKE_CARD_FIELDS = ("id", "patient_id", "status", "link_expires_at", "started_at", "submitted_at")
INTAKE_CARD_LINK_FIELDS = (
    "id",
    "intake_id",
    "channel",
    "created_at",
    "expires_at",
    "first_opened_at",
    "locked_at",
    "revoked_at",
    "sent_at",
    "send_error",
)


def _from_row(model, names: tuple[str, ...], values) -> models.Model:
    """An instance as the ORM loads one with only these fields (the others load on access).
    ``Model.from_db`` takes the values in the order of the model's fields."""
    row = dict(zip(names, values, strict=True))
    loaded = [field.attname for field in model._meta.concrete_fields if field.attname in row]
    return model.from_db(model.objects.db, loaded, [row[name] for name in loaded])


def patient_latest_intake(*, patient: Patient) -> Intake | None:
    """The patient's newest intake, with ``newest_link`` (or None), holding only what the
    patient page's card shows (other fields load on access). One query: the intakes joined to
    their links, newest intake then newest link first, first row. An intake without a link
    has one row, with no link; one with links has no such row. A plain join and a row of
    values cost far less to build than a filtered relation on a subquery (or a prefetch)."""
    row = (
        Intake.objects.filter(patient_id=patient.pk)
        .order_by("-created_at", "-id", "-links__created_at", "-links__id")
        .values_list(*INTAKE_CARD_FIELDS, *(f"links__{name}" for name in INTAKE_CARD_LINK_FIELDS))
        .first()
    )
    if row is None:
        return None
    split = len(INTAKE_CARD_FIELDS)
    intake = _from_row(Intake, INTAKE_CARD_FIELDS, row[:split])
    intake.newest_link = None
    if row[split] is not None:
        intake.newest_link = _from_row(IntakeLink, INTAKE_CARD_LINK_FIELDS, row[split:])
        intake.newest_link.intake = intake
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


def intakes_to_review_count(*, now: datetime | None = None, location_id: int | None = None) -> int:
    """Submitted in the last ``QUEUE_RECENT_DAYS`` (there is no "reviewed" mark yet)."""
    since = (now or timezone.now()) - timedelta(days=QUEUE_RECENT_DAYS)
    intakes = Intake.objects.filter(status=Intake.Status.SUBMITTED, submitted_at__gte=since)
    return at_location(intakes, location_id).count()


# The latest acknowledged alerts the alert list shows, as the task list shows the latest 20 done.
ACKNOWLEDGED_ALERTS_SHOWN = 20
# What the alert list shows of an alert's patient: their name and MRN, not the whole record.
ALERT_PATIENT_FIELDS = ("patient__legal_first_name", "patient__legal_last_name", "patient__mrn")


def _alerts_with_patients(alerts: QuerySet[ClinicalAlert], *more: str) -> QuerySet[ClinicalAlert]:
    """``alerts`` with what the alert list shows of them (and ``more`` fields)."""
    return alerts.select_related("patient").only(
        "patient",
        "kind",
        "urgent",
        "source_kind",
        "source_id",
        "created_at",
        "notified_at",
        *ALERT_PATIENT_FIELDS,
        *more,
    )


def _open_alerts(location_id: int | None) -> QuerySet[ClinicalAlert]:
    return at_location(ClinicalAlert.objects.filter(acknowledged_at__isnull=True), location_id)


def alerts_open(*, limit: int, location_id: int | None = None) -> list[ClinicalAlert]:
    """The first ``limit`` unacknowledged alerts (of one location's patients, given
    ``location_id``), urgent first, newest first, with their patients' names (read in this
    order from the ``alert_open_order`` index)."""
    return list(
        _alerts_with_patients(_open_alerts(location_id)).order_by("-urgent", "-created_at", "-id")[
            :limit
        ]
    )


def alerts_open_count(*, location_id: int | None = None) -> int:
    """How many alerts wait for a clinician (counted from the ``alert_open`` index)."""
    return _open_alerts(location_id).count()


def patient_open_item9_alerts(*, patient_id: int) -> list[ClinicalAlert]:
    """The patient's PHQ-9 item 9 (thoughts of self-harm) alerts no clinician has acknowledged
    yet, oldest first: approving their screening waits for these."""
    return list(
        ClinicalAlert.objects.filter(
            patient_id=patient_id,
            kind=ClinicalAlert.Kind.PHQ9_ITEM9,
            acknowledged_at__isnull=True,
        ).order_by("created_at", "id")
    )


def alerts_for_source(*, source_kind: str, source_id: int) -> list[ClinicalAlert]:
    """The alerts raised by one intake or survey, open ones first, with who acknowledged."""
    return list(
        # Every kind named: the alert_once_per_source index leads with the kind.
        ClinicalAlert.objects.filter(
            kind__in=ClinicalAlert.Kind.values, source_kind=source_kind, source_id=source_id
        )
        .select_related("acknowledged_by")
        .order_by(F("acknowledged_at").asc(nulls_first=True), "created_at", "id")
    )


def alerts_acknowledged(
    *, limit: int = ACKNOWLEDGED_ALERTS_SHOWN, location_id: int | None = None
) -> list[ClinicalAlert]:
    """The latest acknowledged alerts (of one location's patients, given ``location_id``),
    with their patients' names and who acknowledged them."""
    acknowledged = ClinicalAlert.objects.filter(acknowledged_at__isnull=False)
    return list(
        _alerts_with_patients(
            at_location(acknowledged, location_id).select_related("acknowledged_by"),
            "acknowledged_at",
            "acknowledgement_note",
            "acknowledged_by",
            "acknowledged_by__username",
            "acknowledged_by__first_name",
            "acknowledged_by__last_name",
        ).order_by("-acknowledged_at", "-id")[:limit]
    )
