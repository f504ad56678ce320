"""Reads of the patient record that are more than a one-line queryset."""

import re
from datetime import date

from django.db.models import Q, QuerySet
from phonenumber_field.phonenumber import PhoneNumber
from phonenumbers import NumberParseException

from .models import MRN_PREFIX, Patient

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


def patient_search(*, query: str) -> QuerySet[Patient]:
    """Find patients by name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone number."""
    text = " ".join(query.split())
    base = Patient.objects.only(
        "id",
        "mrn",
        "legal_first_name",
        "legal_last_name",
        "preferred_name",
        "date_of_birth",
        "mobile",
        "email",
    )
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


def patient_latest_measurements(*, patient: Patient) -> dict:
    """The latest recorded weight and height (each may come from a different row)."""
    weight = (
        patient.measurements.filter(weight_kg__isnull=False)
        .values("weight_kg", "recorded_at")
        .first()
    )
    height = (
        patient.measurements.filter(height_cm__isnull=False)
        .values("height_cm", "recorded_at")
        .first()
    )
    return {"weight": weight, "height": height}
