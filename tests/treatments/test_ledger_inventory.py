"""The initial and biennial inventories: taken as a blind count at the opening or close of
business, printed and exported as CSV per DEA registration, read by the clinic admin without
patient names (issue 25)."""

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.treatments.ledger import stocked
from treatments.models import StockCount
from treatments.services import ledger

pytestmark = pytest.mark.django_db

LIST_URL = reverse("treatments:ledger_counts")


def _new(kind: str) -> str:
    return f"{reverse('treatments:ledger_count_new')}?kind={kind}"


@pytest.fixture
def shelf(clinician_user, second_clinician_user):
    vials = stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-001", "K-002"))
    packs = stocked(
        by=clinician_user,
        checked_by=second_clinician_user,
        product="esketamine",
        labels=("E-001", "E-002", "E-003"),
    )
    return vials + packs


def _inventory(by, shelf, *, kind=StockCount.Kind.BIENNIAL) -> StockCount:
    """An inventory at the close of business, K-001 half used (250 mg counted)."""
    counted = ledger.container_balances(c.pk for c in shelf)
    counted[shelf[0].pk] = Decimal("250")
    return ledger.count_record(by=by, kind=kind, counted=counted, business="close")


def _csv_rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_a_biennial_inventory_is_taken_at_the_close_of_business(clinician, shelf):
    values = {f"container_{c.pk}": "2" if c.label.startswith("E") else "500" for c in shelf}

    response = clinician.post(_new("biennial"), {**values, "business": "close"}, follow=True)

    count = StockCount.objects.get()
    assert (count.kind, count.business) == ("biennial", "close")
    page = response.content.decode()
    assert "Count matches the ledger" in page
    assert "Biennial inventory of controlled substances" in page


def test_the_inventory_page_lists_every_container_with_totals_per_product(
    clinician, clinician_user, shelf
):
    count = _inventory(clinician_user, shelf)

    page = clinician.get(reverse("treatments:ledger_count", args=[count.pk])).content.decode()

    for expected in (
        "Lone Star Ketamine Clinic",
        "1200 Congress Avenue, Suite 300, Austin, TX 78701",
        "FK1234563",
        timezone.localtime(count.counted_at).strftime("%m/%d/%Y %H:%M"),
        "Close of business",
        "Casey Carter",
        "0143-9508-10",
        "50458-028-02",
        "50 mg/mL, injection, solution",
        "10 mL (500 mg)",
        "pack of 2 devices",
        "250 mg",
        "750 mg",  # ketamine: 250 + 500
        "6 devices",  # esketamine: 3 packs of 2
    ):
        assert expected in page, expected
    for container in shelf:
        assert f'<th scope="row">{container.label}</th>' in page
        assert container.lot in page
    assert "data-print" in page and ">Print</button>" in page
    assert "treatments/print.css" in page  # @media print: no navigation
    assert reverse("treatments:ledger_count_csv", args=[count.pk]) in page
    # The clinician sees the difference it found, linked to its discrepancy.
    assert "This inventory found 1 difference with the ledger" in page


def test_the_csv_has_the_same_rows_and_the_totals(clinician, clinician_user, shelf, patient):
    count = _inventory(clinician_user, shelf)

    response = clinician.get(reverse("treatments:ledger_count_csv", args=[count.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = timezone.localtime(count.counted_at).date().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="biennial-inventory_FK1234563_{day}.csv"'
    )
    header, *rows = _csv_rows(response)
    assert header[:3] == ["DEA registration", "Registrant", "Address"]
    by_label = {row[header.index("Container")]: row for row in rows}
    assert set(by_label) == {
        "E-001",
        "E-002",
        "E-003",
        "K-001",
        "K-002",
        "Total (3 containers)",
        "Total (2 containers)",
    }
    assert by_label["K-001"][header.index("Counted")] == "250"
    assert by_label["K-001"][header.index("Lot")] == "LOT-K-001"
    assert by_label["Total (2 containers)"][header.index("Counted")] == "750"
    assert by_label["Total (3 containers)"][header.index("Counted")] == "6"
    assert all(
        row[header.index("Opening or close of business")] == "Close of business" for row in rows
    )
    text = "\n".join(",".join(row) for row in rows)
    assert patient.legal_last_name not in text and patient.mrn not in text


def test_an_initial_inventory_of_an_empty_shelf_is_recorded(clinician):
    response = clinician.post(_new("initial"), {"business": "opening"}, follow=True)

    count = StockCount.objects.get()
    assert (count.kind, count.business) == ("initial", "opening")
    assert "No controlled substances on hand." in response.content.decode()


def test_the_admin_reads_the_inventories_but_not_the_daily_counts(
    clinic_admin, clinician_user, shelf
):
    inventory = _inventory(clinician_user, shelf)
    daily = ledger.count_record(
        by=clinician_user,
        kind=StockCount.Kind.DAILY,
        counted=ledger.container_balances(c.pk for c in shelf),
    )

    listed = clinic_admin.get(LIST_URL).content.decode()
    assert reverse("treatments:ledger_count", args=[inventory.pk]) in listed
    assert reverse("treatments:ledger_count", args=[daily.pk]) not in listed
    assert "New end-of-day count" not in listed

    page = clinic_admin.get(reverse("treatments:ledger_count", args=[inventory.pk]))
    assert page.status_code == 200
    assert "750 mg" in page.content.decode()
    assert "difference with the ledger" not in page.content.decode()  # the clinicians' work
    csv_response = clinic_admin.get(reverse("treatments:ledger_count_csv", args=[inventory.pk]))
    assert csv_response.status_code == 200 and len(_csv_rows(csv_response)) == 1 + 5 + 2
    assert clinic_admin.get(reverse("treatments:ledger_count", args=[daily.pk])).status_code == 404
    values = {f"container_{c.pk}": "1" for c in shelf}
    refused = clinic_admin.post(_new("biennial"), {**values, "business": "close"})
    assert refused.status_code == 403
    assert StockCount.objects.count() == 2


def test_the_front_desk_cannot_read_an_inventory(front_desk, clinician_user, shelf):
    inventory = _inventory(clinician_user, shelf)
    for url in (
        reverse("treatments:ledger_count", args=[inventory.pk]),
        reverse("treatments:ledger_count_csv", args=[inventory.pk]),
        LIST_URL,
    ):
        assert front_desk.get(url).status_code == 403


@pytest.mark.parametrize("how_many", [1, 8])
def test_the_inventory_and_its_csv_cost_the_same_however_many_containers(
    clinician,
    clinician_user,
    second_clinician_user,
    django_assert_num_queries,
    how_many,
):
    shelf = stocked(
        by=clinician_user,
        checked_by=second_clinician_user,
        labels=tuple(f"K-{index:03}" for index in range(how_many)),
    )
    count = _inventory(clinician_user, shelf)
    page_url = reverse("treatments:ledger_count", args=[count.pk])
    csv_url = reverse("treatments:ledger_count_csv", args=[count.pk])
    clinician.get(page_url)  # warm-up

    # session, user, TOTP device, roles; the count; its entries with their containers
    with django_assert_num_queries(6):
        page = clinician.get(page_url).content.decode()
    assert page.count('<th scope="row">K-') == how_many

    with django_assert_num_queries(6):
        rows = _csv_rows(clinician.get(csv_url))
    assert len(rows) == 1 + how_many + 1
