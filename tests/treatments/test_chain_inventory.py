"""Stock at each location of a chain (issue 26): each location's balance of each product under
its DEA registration, its last inventory and the next one due (overdue in red), and the total
per product; the locations a member of staff works in (every one when chain-wide); two queries
however many locations. One clinic: no such page, no link to it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from clinic.locations import LOCATION_SESSION_KEY
from clinic.models import Location, StaffLocation
from tests.conftest import sign_in
from tests.followups.test_outcomes_page import table
from tests.treatments.ledger import products
from treatments.models import StockCount
from treatments.selectors.chain_reports import inventory_due
from treatments.services import ledger

pytestmark = [pytest.mark.django_db, pytest.mark.clinic_day]  # today: 23 November 2026

PAGE = reverse("treatments:ledger_chain")
CAPTION = "Balance of each product by location"
CENTRAL = ZoneInfo("America/Chicago")


@pytest.fixture
def chain(settings, clinician_user, second_clinician_user, admin_user):
    """Austin (the settings' DEA number) and El Paso; the clinician and the admin work at both,
    the second clinician in Austin only."""
    settings.CLINIC_CHAIN = True
    Location.objects.update(active=False)  # the chain is these two
    austin = Location.objects.create(
        name="Austin", time_zone="America/Chicago", display_order=0,
        dea_registration=settings.CLINIC_DEA_REGISTRATION,
    )  # fmt: skip
    el_paso = Location.objects.create(
        name="El Paso", time_zone="America/Denver", display_order=1,
        dea_registration="FE5432101",
    )  # fmt: skip
    for user in (clinician_user, admin_user):
        for location in (austin, el_paso):
            StaffLocation.objects.create(user=user, location=location)
    StaffLocation.objects.create(user=second_clinician_user, location=austin)
    return austin, el_paso


def _deliver(location, *, product: str, labels, by, checked_by) -> None:
    ledger.receipt_record(
        by=by, checked_by=checked_by, supplier="Henry Schein",
        supplier_address="1 Schein Plaza, Melville, NY 11747", supplier_dea_number="RH0216843",
        invoice_number=f"INV-{labels[0]}", received_on=timezone.localdate(),
        containers=[
            ledger.ReceivedContainer(
                product=products()[product], label=label, lot=f"LOT-{label}",
                expires_on=timezone.localdate() + timedelta(days=365), storage="Safe",
            )
            for label in labels
        ],
        registration=ledger.clinic_registration(location),
    )  # fmt: skip


def _inventory(location, *, kind, at: datetime, by) -> None:
    # The count's row only: when it was taken is what the page reads.
    StockCount.objects.create(
        registration=ledger.clinic_registration(location), kind=kind, business="close",
        counted_at=at, counted_by=by,
    )  # fmt: skip


def _work_at(client, location) -> None:
    session = client.session
    session[LOCATION_SESSION_KEY] = location.pk
    session.save()


@pytest.fixture
def stock(chain, clinician_user, second_clinician_user):
    """Austin: two ketamine vials (500 mg each) and an esketamine pack (2 devices), its last
    biennial inventory in June 2024 (overdue since June 2026); El Paso: one vial, its initial
    inventory in January 2026."""
    austin, el_paso = chain
    people = {"by": clinician_user, "checked_by": second_clinician_user}
    _deliver(austin, product="ketamine", labels=("K-1", "K-2"), **people)
    _deliver(austin, product="esketamine", labels=("E-1",), **people)
    _deliver(el_paso, product="ketamine", labels=("EP-K-1",), **people)
    _inventory(austin, kind=StockCount.Kind.INITIAL, at=datetime(2022, 5, 2, 18, tzinfo=CENTRAL),
               by=clinician_user)  # fmt: skip
    _inventory(austin, kind=StockCount.Kind.BIENNIAL,
               at=datetime(2024, 6, 1, 18, tzinfo=CENTRAL), by=clinician_user)  # fmt: skip
    # A daily count after it is not an inventory.
    _inventory(austin, kind=StockCount.Kind.DAILY, at=timezone.now() - timedelta(days=1),
               by=clinician_user)  # fmt: skip
    _inventory(el_paso, kind=StockCount.Kind.INITIAL,
               at=datetime(2026, 1, 10, 8, tzinfo=ZoneInfo("America/Denver")),
               by=clinician_user)  # fmt: skip
    return austin, el_paso


def test_each_location_s_stock_and_inventory_due_and_the_chain_total(settings, stock, clinician):
    austin, _ = stock
    _work_at(clinician, austin)

    response = clinician.get(PAGE)

    assert response.status_code == 200
    rows = table(response, CAPTION)
    # Location | registration | the two esketamine packs (of 2 and 3 devices) | the two
    # ketamine vials (100 mg/mL, then 50 mg/mL) | last inventory | next due
    assert rows["Austin"] == [
        settings.CLINIC_DEA_REGISTRATION,
        "2 devices", "0 devices", "0 mg", "1000 mg", "06/01/2024", "06/01/2026 (overdue)",
    ]  # fmt: skip
    assert rows["El Paso"] == [
        "FE5432101", "0 devices", "0 devices", "0 mg", "500 mg", "01/10/2026", "01/10/2028",
    ]  # fmt: skip
    # The clinician works at both: the total of their locations, here the whole chain's.
    assert rows["Total of these locations"] == ["2 devices", "0 devices", "0 mg", "1500 mg", ""]
    # Overdue in red, and said in words.
    assert 'text-danger fw-semibold">06/01/2026 (overdue)' in response.text
    assert 'text-danger fw-semibold">01/10/2028' not in response.text


def test_a_clinician_of_one_location_sees_its_stock_only(stock, second_clinician_user):
    client = sign_in(Client(), second_clinician_user)

    rows = table(client.get(PAGE), CAPTION)

    assert set(rows) == {"Austin", "Total of these locations"}
    assert rows["Total of these locations"][3] == "1000 mg"


def test_chain_wide_staff_see_every_location(stock, admin_user):
    austin, _ = stock
    StaffLocation.objects.filter(user=admin_user).exclude(location=austin).delete()
    admin_user.user_permissions.add(Permission.objects.get(codename="chain_wide_access"))
    admin = sign_in(Client(), admin_user)
    _work_at(admin, austin)

    rows = table(admin.get(PAGE), CAPTION)

    assert set(rows) == {"Austin", "El Paso", "Chain total"}


def test_a_location_without_a_ledger_yet_is_listed_as_such(chain, clinician, clinician_user):
    austin, el_paso = chain
    products()
    Location.objects.filter(pk=el_paso.pk).update(dea_registration="")
    _work_at(clinician, austin)

    rows = table(clinician.get(PAGE), CAPTION)

    assert rows["El Paso"][0] == "No ledger kept yet"
    assert rows["El Paso"][-2:] == ["None recorded", "—"]


@pytest.mark.parametrize("more_locations", [0, 3])
def test_two_queries_however_many_locations(
    stock, clinician, clinician_user, second_clinician_user, django_assert_num_queries,
    more_locations,
):  # fmt: skip
    austin, _ = stock
    for number in range(more_locations):
        location = Location.objects.create(
            name=f"Round Rock {number}", time_zone="America/Chicago", display_order=2 + number,
            dea_registration=f"FR{1000000 + number:07d}",
        )  # fmt: skip
        StaffLocation.objects.create(user=clinician_user, location=location)
        _deliver(location, product="ketamine", labels=(f"RR{number}-K-1",), by=clinician_user,
                 checked_by=second_clinician_user)  # fmt: skip
    _work_at(clinician, austin)
    clinician.get(PAGE)  # warm-up: the session, content types

    # Signing in (session, user, TOTP device), the location middleware (the user's
    # permissions, their locations), the role; then the products and the locations.
    with django_assert_num_queries(9):
        response = clinician.get(PAGE)

    rows = table(response, CAPTION)
    assert len(rows) == 3 + more_locations
    assert rows["Total of these locations"][3] == f"{1500 + 500 * more_locations} mg"


def test_the_stock_page_links_here_in_a_chain_only(settings, stock, clinician):
    austin, _ = stock
    _work_at(clinician, austin)
    link = f'href="{PAGE}"'
    assert link in clinician.get(reverse("treatments:ledger_stock")).text

    settings.CLINIC_CHAIN = False
    assert link not in clinician.get(reverse("treatments:ledger_stock")).text
    assert clinician.get(PAGE).status_code == 404


def test_the_front_desk_is_not_shown_the_stock(chain, front_desk, front_desk_user):
    austin, _ = chain
    StaffLocation.objects.create(user=front_desk_user, location=austin)
    assert front_desk.get(PAGE).status_code == 403


@pytest.mark.parametrize(
    ("last", "due"),
    [
        (date(2024, 6, 1), date(2026, 6, 1)),
        (date(2024, 2, 29), date(2026, 2, 28)),
    ],
)
def test_the_next_inventory_is_due_two_years_after_the_last(last, due):
    assert inventory_due(last) == due
