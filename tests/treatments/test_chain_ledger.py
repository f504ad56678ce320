"""The controlled-substance ledger in a chain (issue 26): each location keeps its own ledger under
its own DEA registration; the stock, counts and container pages show the working location's and
answer 404 for another's; a registration made before the chain is taken over by the location
holding its number. With the chain off the ledger is the clinic's, as before."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from clinic.locations import LOCATION_SESSION_KEY
from clinic.models import Location, StaffLocation
from tests.treatments.ledger import products, stocked
from treatments.models import DeaRegistration, StockCount
from treatments.services import ledger

pytestmark = pytest.mark.django_db

HOURS = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), "09:00-17:00")


@pytest.fixture
def chain(settings, clinician_user, second_clinician_user):
    """Austin (the first location, the settings' DEA number) and El Paso, both staffed by the
    two clinicians; the chain on."""
    settings.CLINIC_CHAIN = True
    austin = Location.objects.create(
        name="Austin", time_zone="America/Chicago", opening_hours=HOURS,
        dea_registration=settings.CLINIC_DEA_REGISTRATION, display_order=0,
    )  # fmt: skip
    el_paso = Location.objects.create(
        name="El Paso", time_zone="America/Denver", opening_hours=HOURS,
        dea_registration="FE5432101", rems_setting_number="HCS-0000915", display_order=1,
    )  # fmt: skip
    for user in (clinician_user, second_clinician_user):
        for location in (austin, el_paso):
            StaffLocation.objects.create(user=user, location=location)
    return austin, el_paso


def _work_at(client, location):
    session = client.session
    session[LOCATION_SESSION_KEY] = location.pk
    session.save()


def _el_paso_stock(el_paso, *, by, checked_by):
    receipt = ledger.receipt_record(
        by=by, checked_by=checked_by, supplier="Henry Schein",
        supplier_address="1 Schein Plaza, Melville, NY 11747", supplier_dea_number="RH0216843",
        invoice_number="INV-EP-1", received_on=timezone.localdate(),
        containers=[
            ledger.ReceivedContainer(
                product=products()["ketamine"], label="EP-K-0001", lot="LOT-EP",
                expires_on=timezone.localdate().replace(year=timezone.localdate().year + 1),
                storage="Locked cabinet, Mesa room",
            )
        ],
        registration=ledger.clinic_registration(el_paso),
    )  # fmt: skip
    return receipt.containers.get()


def test_each_location_keeps_its_ledger_under_its_own_registration(
    chain, clinician, clinician_user, second_clinician_user
):
    austin, el_paso = chain
    (austin_vial,) = stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-1",))
    el_paso_vial = _el_paso_stock(el_paso, by=clinician_user, checked_by=second_clinician_user)

    austin_registration = ledger.clinic_registration(austin)
    el_paso_registration = ledger.clinic_registration(el_paso)
    assert austin_vial.registration == austin_registration
    assert (el_paso_registration.number, el_paso_registration.location) == ("FE5432101", el_paso)
    assert el_paso_vial.registration == el_paso_registration

    _work_at(clinician, el_paso)
    page = clinician.get(reverse("treatments:ledger_stock"))
    assert page.status_code == 200
    assert "EP-K-0001" in page.text and "FE5432101" in page.text
    assert "K-1<" not in page.text and austin_registration.number not in page.text
    # Austin's container, and a count taken in Austin, are not El Paso's to open.
    url = reverse("treatments:ledger_container", args=[austin_vial.pk])
    assert clinician.get(url).status_code == 404
    here = reverse("treatments:ledger_container", args=[el_paso_vial.pk])
    assert clinician.get(here).status_code == 200

    austin_count = ledger.count_record(
        by=clinician_user, kind=StockCount.Kind.DAILY, counted={austin_vial.pk: Decimal(500)},
        registration=austin_registration,
    )  # fmt: skip
    assert (
        clinician.get(reverse("treatments:ledger_count", args=[austin_count.pk])).status_code == 404
    )
    counts = clinician.get(reverse("treatments:ledger_counts"))
    assert f'href="{reverse("treatments:ledger_count", args=[austin_count.pk])}"' not in counts.text

    # El Paso's blind count lists El Paso's container only, and is recorded under its number.
    form = clinician.get(reverse("treatments:ledger_count_new") + "?kind=daily")
    assert "EP-K-0001" in form.text and "K-1<" not in form.text

    _work_at(clinician, austin)
    page = clinician.get(reverse("treatments:ledger_stock"))
    assert "K-1" in page.text and "EP-K-0001" not in page.text
    assert clinician.get(url).status_code == 200


def test_a_registration_made_before_the_chain_is_taken_over_by_its_location(
    settings, chain, clinician_user, second_clinician_user
):
    austin, _ = chain
    settings.CLINIC_CHAIN = False
    (vial,) = stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-1",))
    before = ledger.clinic_registration()
    assert before.location is None  # one clinic: the setting's number, as always

    settings.CLINIC_CHAIN = True
    assert ledger.clinic_registration(austin) == before
    assert DeaRegistration.objects.get(pk=before.pk).location == austin
    assert list(ledger.chain_breaks(before)) == []
    assert vial.registration_id == before.pk


def test_the_rems_forms_due_page_names_the_location_s_setting_number(chain, clinician):
    _, el_paso = chain
    _work_at(clinician, el_paso)
    page = clinician.get(reverse("treatments:rems_forms_due"))
    assert "HCS-0000915" in page.text


@pytest.mark.parametrize(
    "page",
    [
        "treatments:ledger_stock",
        "treatments:ledger_entries",
        "treatments:ledger_count_new",
        "treatments:ledger_receipt_new",
        "treatments:ledger_counts",
    ],
)
def test_a_location_without_a_dea_number_says_so_on_every_ledger_page(chain, clinician, page):
    """A new location before the clinic admin has entered its number: each ledger page says
    why nothing can be shown or recorded, and who fixes it, rather than a server error."""
    _, el_paso = chain
    el_paso.dea_registration = ""
    el_paso.save()
    _work_at(clinician, el_paso)

    response = clinician.get(reverse(page))

    assert response.status_code == 409
    assert (
        "El Paso has no DEA registration number: a clinic admin adds it to the location "
        "before its controlled substances are recorded."
    ) in response.text
    assert "Administration, Locations" in response.text


def test_a_location_without_a_dea_number_offers_no_stock_to_draw_from(chain):
    _, el_paso = chain
    el_paso.dea_registration = ""
    el_paso.save()

    assert ledger.usable_containers(drug="ketamine", location=el_paso) == []
