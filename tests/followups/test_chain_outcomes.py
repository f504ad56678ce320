"""The outcomes page in a chain of clinics (issue 26): a "Location" select (the whole chain and
each location the member of staff may see), the figures of the chosen location's patients on
its clock, the chain's over the patients the member of staff may see, each kept in the cache
under its own key; a location out of reach is refused. One clinic: no select
(test_outcomes_page.py, unchanged)."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.test import Client

from clinic.locations import LOCATION_SESSION_KEY
from clinic.models import Location, StaffLocation
from followups import reports
from intake.models import Patient
from tests.conftest import sign_in
from tests.followups.test_outcomes_page import BASE, CSV, PAGE, csv_of, table, write_cohort
from tests.followups.test_outcomes_rules import COHORT
from tests.treatments.sessions import booked_session
from treatments.models import TreatmentChair, TreatmentSession

pytestmark = pytest.mark.clinic_day

PERIOD = {"start": "2026-05-01", "end": "2026-06-30"}
TREATED = "Patients whose first completed session"
# 30 June, 23:30 in El Paso: 1 July, 00:30 on the clinic's (Austin's) clock.
LATE_IN_EL_PASO = datetime(2026, 6, 30, 23, 30, tzinfo=ZoneInfo("America/Denver"))


@pytest.fixture
def chain(settings, clinician_user, second_clinician_user):
    """Austin (the first location) and El Paso; the clinician works at both, the second
    clinician in Austin only."""
    settings.CLINIC_CHAIN = True
    Location.objects.update(active=False)  # the chain is these two
    austin = Location.objects.create(name="Austin", time_zone="America/Chicago", display_order=0)
    el_paso = Location.objects.create(name="El Paso", time_zone="America/Denver", display_order=1)
    for location in (austin, el_paso):
        StaffLocation.objects.create(user=clinician_user, location=location)
    StaffLocation.objects.create(user=second_clinician_user, location=austin)
    return austin, el_paso


def _move_new_patients(
    location: Location, chair: TreatmentChair | None = None, *, after: int = 0
) -> int:
    """The patients written since the last move (their ids above ``after``) are at home at
    ``location``, and treated on ``chair`` (a chair of it) when given; chairs without a
    location are put there. Saved one by one, as the admin would: each save keeps the table of
    where patients are seen. Returns the last patient's id, for the next move."""
    for patient in Patient.objects.filter(pk__gt=after):
        patient.home_location = location
        patient.save(update_fields=["home_location"])
    if chair is not None:
        for session in TreatmentSession.objects.filter(patient__pk__gt=after):
            session.chair = chair
            session.save(update_fields=["chair"])
    for unplaced in TreatmentChair.objects.filter(location__isnull=True):
        unplaced.location = location
        unplaced.save(update_fields=["location"])
    return Patient.objects.order_by("pk").last().pk


def _completed(by, *, starts_at: datetime) -> None:
    session = booked_session(by=by, starts_at=starts_at)
    TreatmentSession.objects.filter(pk=session.pk).update(status="completed")


def write_chain(by, austin, el_paso, *, austin_cohort=COHORT[:2]) -> None:
    """Austin: the hand cohort's first two patients (A and B; H treated before the period,
    a patient booked, not treated). El Paso, on its own chair: A (and H) again, and a patient
    first treated late on 30 June on its clock."""
    write_cohort(by, austin_cohort, base=BASE)
    last_of_austin = _move_new_patients(austin)
    mesa = TreatmentChair.objects.create(name="Mesa 1", location=el_paso)
    # Twelve hours off Austin's times: written on the free chairs first, then moved to Mesa 1.
    write_cohort(by, COHORT[:1], base=BASE + timedelta(hours=12))
    _completed(by, starts_at=LATE_IN_EL_PASO)
    _move_new_patients(el_paso, mesa, after=last_of_austin)


def _work_at(client, location: Location) -> None:
    session = client.session
    session[LOCATION_SESSION_KEY] = location.pk
    session.save()


def _options(response) -> list[tuple[str, str, bool]]:
    """The Location select's options: (value, label, selected)."""
    select = re.search(r'<select name="location".*?</select>', response.text, re.S)
    assert select, "no Location select"
    return [
        (value, label, bool(selected))
        for value, selected, label in re.findall(
            r'<option value="([^"]*)"( selected)?>([^<]*)</option>', select.group(0)
        )
    ]


def _treated(client, **choices) -> str:
    response = client.get(PAGE, PERIOD | choices)
    assert response.status_code == 200
    return table(response, TREATED)["All routes"][0]


@pytest.fixture
def austin_only(second_clinician_user):
    return sign_in(Client(), second_clinician_user)


def test_the_select_offers_the_whole_chain_and_the_locations_of_the_staff_member(
    chain, clinician, austin_only, admin_user, clinician_user
):
    austin, el_paso = chain
    _work_at(clinician, el_paso)

    response = clinician.get(PAGE, PERIOD)

    assert '<label class="form-label" for="id_location">Location</label>' in response.text
    assert _options(response) == [
        ("chain", "Whole chain", False),
        (str(austin.pk), "Austin", False),
        (str(el_paso.pk), "El Paso", True),  # the working location, by default
    ]
    assert [label for _v, label, _s in _options(austin_only.get(PAGE))] == [
        "Whole chain",
        "Austin",
    ]
    # Chain-wide staff choose among every location, assigned or not.
    admin_user.user_permissions.add(Permission.objects.get(codename="chain_wide_access"))
    admin = sign_in(Client(), admin_user)
    _work_at(admin, austin)
    assert [label for _v, label, _s in _options(admin.get(PAGE))] == [
        "Whole chain",
        "Austin",
        "El Paso",
    ]


def test_each_location_counts_its_patients_on_its_clock_and_the_chain_covers_both(
    chain, clinician, clinician_user
):
    austin, el_paso = chain
    write_chain(clinician_user, austin, el_paso)
    _work_at(clinician, austin)

    assert _treated(clinician) == "2"  # the working location: Austin's A and B
    assert _treated(clinician, location=austin.pk) == "2"
    # El Paso's A, and its late patient: still 30 June on El Paso's clock.
    el_paso_page = clinician.get(PAGE, PERIOD | {"location": el_paso.pk})
    assert table(el_paso_page, TREATED)["All routes"][0] == "2"
    assert "(El Paso time, America/Denver)" in el_paso_page.text
    assert "Clinic outcomes: El Paso" in el_paso_page.text
    # The chain: read on the clinic's clock, where the late patient was treated on 1 July.
    chain_page = clinician.get(PAGE, PERIOD | {"location": "chain"})
    assert table(chain_page, TREATED)["All routes"][0] == "3"
    assert "(the clinic's time, America/Chicago)" in chain_page.text
    assert _treated(clinician, location="chain", end="2026-07-01") == "4"

    # Sessions are those of the location's patients: Austin's A (twice), B and H; El Paso's A
    # (twice), H and the late one.
    sessions = {
        where: table(clinician.get(PAGE, PERIOD | {"location": where}), TREATED)["All routes"][1]
        for where in (austin.pk, el_paso.pk)
    }
    assert sessions == {austin.pk: "4", el_paso.pk: "4"}


def test_the_csv_is_of_the_chosen_location(chain, clinician, clinician_user):
    austin, el_paso = chain
    write_chain(clinician_user, austin, el_paso)
    _work_at(clinician, austin)

    page = clinician.get(PAGE, PERIOD | {"location": el_paso.pk})
    assert f"location={el_paso.pk}&amp;start=2026-05-01" in page.text

    response = clinician.get(CSV, PERIOD | {"location": el_paso.pk})
    assert (
        'filename="outcomes_el-paso_2026-05-01_to_2026-06-30.csv"'
        in (response["Content-Disposition"])
    )
    assert csv_of(response)[("All routes", "patients_treated", "")][0] == "2"
    chain_csv = csv_of(clinician.get(CSV, PERIOD | {"location": "chain"}))
    assert chain_csv[("All routes", "patients_treated", "")][0] == "3"


def test_a_clinician_of_one_location_cannot_choose_another_nor_count_its_patients(
    chain, austin_only, clinician_user
):
    austin, el_paso = chain
    write_chain(clinician_user, austin, el_paso)

    refused = austin_only.get(PAGE, PERIOD | {"location": el_paso.pk})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.text
    assert "<table" not in refused.text  # no figures at all
    assert austin_only.get(CSV, PERIOD | {"location": el_paso.pk}).status_code == 400

    # Their whole chain is the chain they may see: Austin's patients only.
    chain_page = austin_only.get(PAGE, PERIOD | {"location": "chain"})
    assert table(chain_page, TREATED)["All routes"][0] == "2"
    assert "The patients of the locations you work in, Austin" in chain_page.text
    assert _treated(austin_only) == "2"


def test_each_choice_is_kept_under_its_own_key(chain, clinician, clinician_user):
    austin, el_paso = chain
    write_chain(clinician_user, austin, el_paso)
    _work_at(clinician, austin)
    start = datetime(2026, 5, 1, tzinfo=UTC)
    end = start + timedelta(days=30)

    keys = {
        reports.report_key(start=start, end=end, route=None, location_ids=ids)
        for ids in (None, [austin.pk], [el_paso.pk], [el_paso.pk, austin.pk])
    }
    assert len(keys) == 4
    assert reports.report_key(start=start, end=end, route=None) == (
        f"clinic:outcomes:v2:{start.isoformat()}:{end.isoformat()}:all"
    )  # one clinic's (and chain-wide staff's whole chain) key, as before

    # Austin's figures kept do not answer for El Paso's, nor the chain's.
    assert _treated(clinician, location=austin.pk) == "2"
    assert _treated(clinician, location=el_paso.pk) == "2"
    assert _treated(clinician, location="chain") == "3"
    # Kept: another patient of Austin written now is not in the figures for a while.
    last = Patient.objects.order_by("pk").last().pk
    _completed(clinician_user, starts_at=BASE + timedelta(days=20))
    _move_new_patients(austin, after=last)
    assert _treated(clinician, location=austin.pk) == "2"
    cache.clear()
    assert _treated(clinician, location=austin.pk) == "3"


# Signing in (session, user, TOTP device, role), the location middleware's (the user's
# permissions, whether chain-wide, and their locations), then the outcomes' four queries (the
# location cut is a subquery of each).
QUERIES = 11


@pytest.mark.parametrize("copies", [1, 4])
@pytest.mark.parametrize("where", ["austin", "chain"])
def test_the_queries_do_not_grow_with_the_patients(
    chain, clinician, clinician_user, django_assert_num_queries, copies, where
):
    austin, _ = chain
    for copy in range(copies):
        write_cohort(clinician_user, COHORT[:2], base=BASE + copy * timedelta(days=1, hours=7))
    _move_new_patients(austin)
    _work_at(clinician, austin)
    choice = {"location": austin.pk if where == "austin" else "chain"}
    clinician.get(PAGE, PERIOD | choice)  # warm-up: the session, content types

    cache.clear()
    with django_assert_num_queries(QUERIES):
        response = clinician.get(PAGE, PERIOD | choice)
    cache.clear()
    with django_assert_num_queries(QUERIES):
        clinician.get(CSV, PERIOD | choice)

    assert table(response, TREATED)["All routes"][0] == str(2 * copies)
