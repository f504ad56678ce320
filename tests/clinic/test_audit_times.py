"""The audit trail shows times in the clinic's zone (issue 21): auditlog keeps the changed
values of date-and-time fields in UTC, and a session's name used to carry its UTC start (a
09:01 session in Chicago read as 15:01)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from clinic.admin import changes_in_clinic_time
from tests.conftest import sign_in
from tests.factories import UserFactory
from tests.treatments.sessions import booked_session
from treatments.models import TreatmentSession

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

CHICAGO = ZoneInfo("America/Chicago")
NINE_O_ONE = datetime(2026, 11, 24, 9, 1, tzinfo=CHICAGO)  # 15:01 UTC


def created_entry(session: TreatmentSession) -> LogEntry:
    return LogEntry.objects.get(
        content_type=ContentType.objects.get_for_model(TreatmentSession),
        object_id=session.pk,
        action=LogEntry.Action.CREATE,
    )


def test_a_sessions_name_in_the_trail_has_its_clinic_time(front_desk_user):
    session = booked_session(by=front_desk_user, starts_at=NINE_O_ONE)

    entry = created_entry(session)

    assert entry.object_repr.endswith("at 2026-11-24 09:01")


def test_the_changes_show_times_in_the_clinics_zone(front_desk_user):
    session = booked_session(by=front_desk_user, starts_at=NINE_O_ONE)
    entry = created_entry(session)
    assert entry.changes_dict["starts_at"][1].startswith("2026-11-24 15:01")  # kept in UTC

    changes = changes_in_clinic_time(entry)

    assert changes["starts_at"] == ["None", "11/24/2026 09:01"]
    assert changes["ends_at"] == ["None", "11/24/2026 11:01"]
    assert changes["status"] == entry.changes_dict["status"]  # not a time: as it was


def test_the_admins_audit_entry_page_shows_clinic_time(client, front_desk_user):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    session = booked_session(by=front_desk_user, starts_at=NINE_O_ONE)
    entry = created_entry(session)

    page = sign_in(client, superuser).get(
        reverse("admin:auditlog_logentry_change", args=[entry.pk])
    )

    assert page.status_code == 200
    assert "11/24/2026 09:01" in page.text
    assert "15:01" not in page.text


def test_the_clinic_admin_sees_which_clinical_fields_changed_but_not_their_values(
    client, admin_user, front_desk_user
):
    session = booked_session(by=front_desk_user, starts_at=NINE_O_ONE, dose_mg="35.0")
    entry = created_entry(session)

    page = sign_in(client, admin_user).get(
        reverse("admin:auditlog_logentry_change", args=[entry.pk])
    )

    assert page.status_code == 200
    assert "Starts at" in page.text and "(clinical value withheld)" in page.text
    assert "11/24/2026 09:01" not in page.text and "15:01" not in page.text
    # The patient's own record (demographics, which the Clinic admin manages) shows in full.
    patient_entry = LogEntry.objects.get_for_object(session.patient).get(
        action=LogEntry.Action.CREATE
    )
    patient_page = client.get(reverse("admin:auditlog_logentry_change", args=[patient_entry.pk]))
    assert patient_page.status_code == 200
    assert "(clinical value withheld)" not in patient_page.text
    assert session.patient.legal_last_name in patient_page.text
