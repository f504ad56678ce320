"""``PatientLocation`` (where each patient is seen: the location rule's table) checked against
what it is made from, and put right: for ``manage.py patient_locations`` and the tests.

The table is kept by the saves of patients, sessions and chairs; a write that bypasses them (a
queryset ``update``, a raw statement, a restore of part of the data) can leave it out of step,
and then a patient is out of sight where they should be seen, or in sight where they no longer
are. This compares it with the patients' home locations and the locations of their sessions'
chairs (a chair with no location: the installation's first) and rewrites the rows that differ.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from clinic.locations import default_location
from intake.models import Patient, PatientLocation
from treatments.models import TreatmentSession

Row = tuple[int, int, str]  # (patient id, location id, via)


@dataclass(frozen=True)
class Drift:
    missing: frozenset[Row]
    extra: frozenset[Row]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def patient_locations_expected() -> set[Row]:
    first = default_location().pk
    homes = Patient.objects.values_list("pk", "home_location_id")
    sessions = (
        TreatmentSession.objects.order_by()
        .values_list("patient_id", "chair__location_id")
        .distinct()
    )
    home, session = PatientLocation.Via.HOME, PatientLocation.Via.SESSION
    return {(patient, location or first, home) for patient, location in homes} | {
        (patient, location or first, session) for patient, location in sessions
    }


def patient_locations_drift() -> Drift:
    stored = set(PatientLocation.objects.values_list("patient_id", "location_id", "via"))
    expected = patient_locations_expected()
    return Drift(missing=frozenset(expected - stored), extra=frozenset(stored - expected))


@transaction.atomic
def patient_locations_repair() -> Drift:
    """Delete the rows that should not be there and write the missing ones; returns what was
    out of step."""
    drift = patient_locations_drift()
    extra = sorted(drift.extra)
    for start in range(0, len(extra), 500):
        condition = Q()
        for patient_id, location_id, via in extra[start : start + 500]:
            condition |= Q(patient_id=patient_id, location_id=location_id, via=via)
        PatientLocation.objects.filter(condition).delete()
    PatientLocation.objects.bulk_create(
        (
            PatientLocation(patient_id=patient_id, location_id=location_id, via=via)
            for patient_id, location_id, via in drift.missing
        ),
        batch_size=5000,
    )
    return drift
