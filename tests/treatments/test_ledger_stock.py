"""The ledger's stock pages: the stock on hand, a delivery, one container with its history, a
witnessed disposal, a reversing entry, the full ledger; who may open them, and what each
costs in queries as the ledger grows."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from tests.factories import PatientFactory
from tests.treatments.ledger import (
    PASSWORD,
    authenticator,
    current_code,
    products,
    stocked,
)
from tests.treatments.sessions import booked_session
from treatments import ledger_rules as rules
from treatments.models import LedgerEntry, StockContainer, StockReceipt
from treatments.services import ledger
from treatments.services.ledger.chain import EntrySpec, append

STOCK = reverse("treatments:ledger_stock")
ENTRIES = reverse("treatments:ledger_entries")
RECEIPT = reverse("treatments:ledger_receipt_new")


def container_url(container) -> str:
    return reverse("treatments:ledger_container", args=[container.pk])


def dispose_url(container) -> str:
    return reverse("treatments:ledger_container_dispose", args=[container.pk])


def reverse_url(entry) -> str:
    return reverse("treatments:ledger_entry_reverse", args=[entry.pk])


@pytest.fixture
def vials(clinician_user, second_clinician_user):
    """Two 500 mg ketamine vials, K-0001 and K-0002."""
    return stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-0001", "K-0002"))


def given_at_session(container, *, by, mg="100", patient=None):
    """A session's dose drawn from ``container`` with nothing wasted; the session."""
    session = booked_session(by=by, patient=patient)
    amount = Decimal(mg)
    ledger.session_use_record(
        session_id=session.pk,
        by=by,
        containers=[container],
        split=[rules.DrawSplit(container.pk, amount, amount, Decimal(0))],
        occurred_at=timezone.now(),
        waste_method="",
        witness=None,
    )
    return session


def more_entries(container, *, by, sessions: int):
    for _ in range(sessions):
        given_at_session(container, by=by, mg="10")


# --- The stock page ---------------------------------------------------------------------------


def test_the_stock_page_shows_each_product_and_each_container(clinician, vials):
    page = clinician.get(STOCK).content.decode()

    assert "FK1234563" in page  # the DEA registration
    assert "1000 mg" in page and "20 mL" in page  # two 500 mg vials of 50 mg/mL
    assert "K-0001" in page and "K-0002" in page
    assert container_url(vials[0]) in page
    assert "Unopened" in page
    for link in ("Record a delivery", "Full ledger", "Counts and inventories"):
        assert link in page
    assert reverse("treatments:ledger_count_new") + "?kind=daily" in page


def test_an_expired_container_is_marked_to_be_disposed_of(
    clinician, clinician_user, second_clinician_user
):
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        stocked(
            by=clinician_user,
            checked_by=second_clinician_user,
            labels=("K-0009",),
            expires_on=timezone.localdate() + timedelta(days=1),
        )
    page = clinician.get(STOCK).content.decode()
    assert "text-danger" in page
    assert "Expired: " in page and "dispose of it" in page


def test_an_opened_container_is_in_use(clinician, clinician_user, vials):
    given_at_session(vials[0], by=clinician_user)

    page = clinician.get(STOCK).content.decode()

    assert "900 mg" in page  # 1000 less the 100 given
    assert "400 mg" in page  # K-0001's balance
    assert "In use" in page


def test_the_stock_page_costs_the_same_however_long_the_ledger(
    clinician, clinician_user, second_clinician_user, vials, django_assert_num_queries
):
    more_entries(vials[0], by=clinician_user, sessions=2)
    clinician.get(STOCK)  # the first request of the session saves it: not the page's cost
    with django_assert_num_queries(7, info="2 containers, 4 entries"):
        clinician.get(STOCK)

    stocked(
        by=clinician_user,
        checked_by=second_clinician_user,
        product="esketamine",
        labels=("E-0001", "E-0002", "E-0003"),
    )
    more_entries(vials[1], by=clinician_user, sessions=5)
    with django_assert_num_queries(7, info="5 containers, 9 entries"):
        page = clinician.get(STOCK).content.decode()
    assert "E-0003" in page and "6 devices" in page


def emptied(labels, *, by, witness) -> list:
    """A delivery of a vial per label, each then disposed of whole: containers received once,
    nothing left in them."""
    containers = stocked(by=by, checked_by=witness, labels=labels)
    with transaction.atomic():
        append(
            ledger.clinic_registration(),
            [
                EntrySpec(
                    kind=LedgerEntry.Kind.DISPOSAL,
                    container=container,
                    quantity=-container.quantity_received,
                    by_id=by.pk,
                    witness_id=witness.pk,
                    occurred_at=timezone.now(),
                    method=LedgerEntry.Method.REVERSE_DISTRIBUTOR,
                    reason="Recalled lot.",
                )
                for container in containers
            ],
        )
    return containers


def test_the_stock_page_costs_the_same_however_many_containers_were_emptied(
    clinician, clinician_user, second_clinician_user, vials, django_assert_num_queries
):
    """The page reads the stock on hand (the containers with something left), not every
    container ever received: 50 emptied containers cost nothing and are not listed."""
    clinician.get(STOCK)
    with django_assert_num_queries(7, info="2 containers on the shelf, none emptied"):
        clinician.get(STOCK)

    gone = emptied(
        tuple(f"K-9{n:03d}" for n in range(50)), by=clinician_user, witness=second_clinician_user
    )
    with django_assert_num_queries(7, info="2 containers on the shelf, 50 emptied"):
        page = clinician.get(STOCK).content.decode()
    assert "K-0001" in page and "K-0002" in page
    assert not any(container.label in page for container in gone)
    assert "1000 mg" in page
    assert [c.label for c in ledger.containers_to_count()] == ["K-0001", "K-0002"]
    assert [c.label for c in ledger.usable_containers(drug="ketamine")] == ["K-0001", "K-0002"]
    assert ledger.container_balances([gone[0].pk]) == {gone[0].pk: Decimal(0)}


# --- A delivery -------------------------------------------------------------------------------


def delivery(checked_by, *, rows=(), **fields) -> dict:
    data = {
        "supplier": "Henry Schein",
        "supplier_address": "1 Schein Plaza, Melville, NY 11747",
        "supplier_dea_number": "rh0216843",
        "invoice_number": "INV-7781",
        "received_on": timezone.localdate().isoformat(),
        "checked_by": checked_by.pk,
        "containers-TOTAL_FORMS": "10",
        "containers-INITIAL_FORMS": "0",
        "containers-MIN_NUM_FORMS": "0",
        "containers-MAX_NUM_FORMS": "10",
        **fields,
    }
    for n, row in enumerate(rows):
        for name, value in row.items():
            data[f"containers-{n}-{name}"] = value
    return data


def vial_row(label: str) -> dict:
    return {
        "product": products()["ketamine"].pk,
        "label": label,
        "lot": "L2231",
        "expires_on": (timezone.localdate() + timedelta(days=400)).isoformat(),
        "storage": "Double-locked cabinet, room 2",
    }


def test_a_delivery_puts_its_containers_in_stock(clinician, second_clinician_user):
    form = clinician.get(RECEIPT).content.decode()
    assert "K-0001" in form  # the next free label, suggested
    assert "Container 10" in form

    response = clinician.post(
        RECEIPT, delivery(second_clinician_user, rows=[vial_row("K-0001"), vial_row("K-0002")])
    )

    assert response.status_code == 302
    page = clinician.get(response.url).content.decode()
    assert "Delivery recorded: 2 containers on invoice INV-7781." in page
    assert "K-0001" in page and "K-0002" in page and "1000 mg" in page
    receipt = StockReceipt.objects.get()
    assert receipt.checked_by == second_clinician_user
    assert receipt.supplier_address == "1 Schein Plaza, Melville, NY 11747"
    assert receipt.supplier_dea_number == "RH0216843"  # as the certificate writes it
    assert [e.quantity for e in LedgerEntry.objects.order_by("sequence")] == [500, 500]
    # The next delivery suggests the label after the last one.
    assert "K-0003" in clinician.get(RECEIPT).content.decode()


def test_a_delivery_checked_by_the_one_receiving_it_is_refused_beside_the_field(
    clinician, clinician_user
):
    response = clinician.post(
        RECEIPT,
        delivery(clinician_user, rows=[vial_row("K-0001")], supplier="McKesson Medical"),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert "a second person checks the delivery" in form.errors["checked_by"][0]
    page = response.content.decode()
    assert 'value="McKesson Medical"' in page  # what was typed is kept
    assert 'value="K-0001"' in page and 'value="L2231"' in page
    assert not StockContainer.objects.exists()


def test_the_delivery_form_asks_for_the_suppliers_address_and_dea_number(clinician):
    page = clinician.get(RECEIPT).content.decode()
    supplier = page.index('name="supplier"')
    assert supplier < page.index('name="supplier_address"') < page.index('name="invoice_number"')
    assert "Supplier&#x27;s address" in page
    assert "Supplier&#x27;s DEA registration number" in page


def test_a_bad_supplier_dea_number_is_refused_beside_its_field(clinician, second_clinician_user):
    response = clinician.post(
        RECEIPT,
        delivery(
            second_clinician_user,
            rows=[vial_row("K-0001")],
            supplier="McKesson Medical",
            supplier_dea_number="RM1234567",
        ),
    )

    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["supplier_dea_number"] == [
        "The supplier's DEA number: RM1234567 fails the DEA check digit: "
        "check it against the certificate."
    ]
    assert set(form.errors) == {"supplier_dea_number"}
    page = response.content.decode()
    assert 'value="RM1234567"' in page
    assert 'value="McKesson Medical"' in page  # what was typed is kept
    assert 'value="1 Schein Plaza, Melville, NY 11747"' in page
    assert 'value="K-0001"' in page and 'value="L2231"' in page
    assert not StockReceipt.objects.exists() and not StockContainer.objects.exists()


def test_a_delivery_without_the_suppliers_address_is_refused(clinician, second_clinician_user):
    response = clinician.post(
        RECEIPT,
        delivery(second_clinician_user, rows=[vial_row("K-0001")], supplier_address="  "),
    )

    assert response.context["form"].errors["supplier_address"] == ["This field is required."]
    assert not StockReceipt.objects.exists()


def test_an_invoice_recorded_twice_is_refused(clinician, second_clinician_user, vials):
    # The vials fixture's delivery is invoice INV-K-0001 from Henry Schein.
    response = clinician.post(
        RECEIPT,
        delivery(second_clinician_user, rows=[vial_row("K-0005")], invoice_number="INV-K-0001"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["invoice_number"] == [
        "That invoice from that supplier is already recorded."
    ]
    assert not StockContainer.objects.filter(label="K-0005").exists()


def test_a_delivery_without_containers_is_refused(clinician, second_clinician_user):
    response = clinician.post(RECEIPT, delivery(second_clinician_user))

    assert "Add the containers received" in response.content.decode()
    assert not StockReceipt.objects.exists()


def test_a_half_filled_container_row_is_refused_beside_its_fields(clinician, second_clinician_user):
    row = {**vial_row("K-0001"), "lot": ""}
    response = clinician.post(RECEIPT, delivery(second_clinician_user, rows=[row]))

    rows = response.context["rows"]
    assert rows.forms[0].errors["lot"] == ["This field is required."]
    assert not StockReceipt.objects.exists()


# --- A disposal, witnessed --------------------------------------------------------------------


def disposal(witness, *, password=PASSWORD, code=None, **fields) -> dict:
    return {
        "quantity": "",
        "method": LedgerEntry.Method.REVERSE_DISTRIBUTOR,
        "reason": "Expired stock returned",
        "witness_username": witness.username,
        "witness_password": password,
        "witness_token": code if code is not None else current_code(witness),
        **fields,
    }


def test_a_witnessed_disposal_empties_the_container(
    clinician, second_clinician_user, vials, clinician_user
):
    authenticator(second_clinician_user)

    response = clinician.post(dispose_url(vials[0]), disposal(second_clinician_user))

    assert response.status_code == 302
    entry = LedgerEntry.objects.get(kind=LedgerEntry.Kind.DISPOSAL)
    assert entry.quantity == -500
    assert entry.witness == second_clinician_user and entry.by == clinician_user
    page = clinician.get(container_url(vials[0])).content.decode()
    assert "Emptied" in page
    assert "Returned to a reverse distributor" in page and "Rosa Osei" in page
    # Nothing left: off the stock page's containers.
    assert container_url(vials[0]) not in clinician.get(STOCK).content.decode()


def test_the_disposal_form_asks_for_the_witness_on_the_same_screen(clinician, vials):
    page = clinician.get(dispose_url(vials[0])).content.decode()

    assert "Witness&#x27;s password" in page or "Witness's password" in page
    assert 'type="password"' in page
    assert 'autocomplete="off"' in page


@pytest.mark.parametrize(
    ("who", "password", "code", "field"),
    [
        ("self", PASSWORD, None, "witness_username"),
        ("witness", "not-the-password", None, "witness_password"),
        ("witness", PASSWORD, "000000", "witness_token"),
    ],
    ids=["same-person", "wrong-password", "wrong-code"],
)
def test_a_disposal_is_refused_without_a_true_second_witness(
    clinician, clinician_user, second_clinician_user, vials, who, password, code, field
):
    authenticator(second_clinician_user)
    authenticator(clinician_user)
    witness = clinician_user if who == "self" else second_clinician_user
    before = LedgerEntry.objects.count()

    response = clinician.post(
        dispose_url(vials[0]),
        disposal(witness, password=password, code=code, reason="Vial dropped and broken"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert LedgerEntry.objects.count() == before  # nothing saved
    page = response.content.decode()
    assert "Vial dropped and broken" in page  # the other fields are kept
    assert password not in page  # the password is never shown back


def test_a_partial_disposal_leaves_the_rest_in_use(clinician, second_clinician_user, vials):
    authenticator(second_clinician_user)

    clinician.post(
        dispose_url(vials[0]),
        disposal(second_clinician_user, quantity="50", method=LedgerEntry.Method.BREAKAGE),
    )

    page = clinician.get(container_url(vials[0])).content.decode()
    assert "450 mg of 500" in page and "In use" in page


# --- A reversing entry ------------------------------------------------------------------------


def test_a_reversing_entry_puts_the_balance_back(clinician, clinician_user, vials):
    given_at_session(vials[0], by=clinician_user, mg="100")
    given = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADMINISTERED)
    page = clinician.get(container_url(vials[0])).content.decode()
    assert reverse_url(given) in page

    response = clinician.post(reverse_url(given), {"reason": "Recorded against the wrong vial"})

    assert response.status_code == 302
    page = clinician.get(response.url).content.decode()
    assert f"Entry {given.sequence} reversed by entry {given.sequence + 1}." in page
    assert "500 mg of 500" in page
    assert "Reversing entry" in page and f"reverses entry {given.sequence}" in page
    assert f"reversed by entry {given.sequence + 1}" in page
    assert reverse_url(given) not in page  # no second reversal offered


def test_an_entry_is_reversed_once(clinician, clinician_user, vials):
    given_at_session(vials[0], by=clinician_user)
    given = LedgerEntry.objects.get(kind=LedgerEntry.Kind.ADMINISTERED)
    clinician.post(reverse_url(given), {"reason": "Wrong vial"})

    page = clinician.get(reverse_url(given)).content.decode()
    assert f"Entry {given.sequence} is already reversed" in page
    response = clinician.post(reverse_url(given), {"reason": "Again"})

    assert response.status_code == 409
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL).count() == 1


def test_a_count_or_a_reversal_cannot_be_reversed(clinician, clinician_user, vials):
    ledger.count_record(
        by=clinician_user, kind="daily", counted={v.pk: Decimal(500) for v in vials}
    )
    count = LedgerEntry.objects.filter(kind=LedgerEntry.Kind.COUNT).first()

    page = clinician.get(reverse_url(count)).content.decode()
    assert "there is nothing to reverse" in page
    assert "Write the reversing entry" not in page
    response = clinician.post(reverse_url(count), {"reason": "Miscounted"})
    assert response.status_code == 409
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REVERSAL).exists()


# --- Who sees what ----------------------------------------------------------------------------


def every_page(container, entry) -> list[str]:
    return [
        STOCK,
        ENTRIES,
        RECEIPT,
        container_url(container),
        dispose_url(container),
        reverse_url(entry),
    ]


def test_the_front_desk_sees_none_of_the_ledger(front_desk, vials):
    entry = LedgerEntry.objects.first()
    for url in every_page(vials[0], entry):
        assert front_desk.get(url).status_code == 403, url
    assert "Controlled substances" not in front_desk.get(reverse("home")).content.decode()


def test_the_clinic_admin_sees_stock_but_no_patient(clinic_admin, clinician_user, vials):
    # A surname no other text on the pages holds (a random one may be a staff member's).
    named = PatientFactory(legal_first_name="Quentin", legal_last_name="Zyzzyva-Marsh")
    session = given_at_session(vials[0], by=clinician_user, patient=named)
    patient = session.patient

    page = clinic_admin.get(STOCK).content.decode()
    assert "K-0001" in page and "Record a delivery" not in page
    for url in (container_url(vials[0]), ENTRIES):
        page = clinic_admin.get(url).content.decode()
        assert f"session #{session.pk}" in page
        assert patient.legal_last_name not in page
        assert reverse("treatments:session_detail", args=[session.pk]) not in page
        assert "Reverse…" not in page
    entry = LedgerEntry.objects.first()
    for url in (RECEIPT, dispose_url(vials[0]), reverse_url(entry)):
        assert clinic_admin.get(url).status_code == 403, url


def test_the_container_page_names_the_supplier_with_its_address_and_dea_number(clinic_admin, vials):
    page = clinic_admin.get(container_url(vials[0])).content.decode()

    assert "Henry Schein" in page and "INV-K-0001" in page
    assert "1 Schein Plaza, Melville, NY 11747" in page and "RH0216843" in page


def test_a_clinician_sees_the_patient_and_the_view_is_audited(clinician, clinician_user, vials):
    session = given_at_session(vials[0], by=clinician_user)
    accesses = LogEntry.objects.filter(action=LogEntry.Action.ACCESS, object_pk=str(session.pk))
    before = accesses.count()

    page = clinician.get(container_url(vials[0])).content.decode()

    assert session.patient.full_name in page
    assert reverse("treatments:session_detail", args=[session.pk]) in page
    assert accesses.count() == before + 1
    clinician.get(ENTRIES)
    assert accesses.count() == before + 2


# --- The full ledger --------------------------------------------------------------------------


def test_the_full_ledger_is_newest_first_and_filtered(
    clinician, clinician_user, second_clinician_user, vials
):
    stocked(
        by=clinician_user, checked_by=second_clinician_user, product="esketamine", labels=("E-1",)
    )
    given_at_session(vials[0], by=clinician_user)

    page = clinician.get(ENTRIES).content.decode()
    assert page.index("Administered") < page.index("E-1") < page.index("K-0002")

    page = clinician.get(ENTRIES, {"kind": "receipt"}).content.decode()
    assert "Administered</td>" not in page and "K-0001" in page
    esketamine = products()["esketamine"]
    page = clinician.get(ENTRIES, {"product": esketamine.pk}).content.decode()
    assert "E-1" in page and "K-0001" not in page
    assert 'for="id_product"' in page and 'for="id_kind"' in page


def test_the_full_ledger_is_paged(clinician, clinician_user, second_clinician_user):
    stocked(
        by=clinician_user,
        checked_by=second_clinician_user,
        labels=tuple(f"K-{n:04d}" for n in range(1, 56)),
    )

    first = clinician.get(ENTRIES).content.decode()
    assert "Page 1 of 2" in first and "K-0055" in first and "K-0005<" not in first
    second = clinician.get(ENTRIES, {"page": 2}).content.decode()
    assert "K-0001<" in second and "K-0055" not in second


def test_the_container_page_and_the_full_ledger_cost_the_same_however_long(
    clinician, clinician_user, vials, django_assert_num_queries
):
    more_entries(vials[0], by=clinician_user, sessions=2)
    clinician.get(container_url(vials[0]))  # the first request of the session saves it
    # The session, the user, the authenticator, the roles; the container, its entries and
    # one insert of the access entries for every session shown.
    with django_assert_num_queries(7, info="container, 3 entries"):
        clinician.get(container_url(vials[0]))
    # The registration, the products for the filter, the count and the page.
    with django_assert_num_queries(9, info="full ledger, 4 entries"):
        clinician.get(ENTRIES)

    more_entries(vials[0], by=clinician_user, sessions=6)
    with django_assert_num_queries(7, info="container, 9 entries"):
        page = clinician.get(container_url(vials[0])).content.decode()
    assert page.count("Administered</td>") == 8
    with django_assert_num_queries(9, info="full ledger, 10 entries"):
        page = clinician.get(ENTRIES).content.decode()
    assert page.count("Administered</td>") == 8
