"""The ledger in the Django admin: registrations and products kept by the clinic admin, the
ledger itself read-only to everyone (superusers included), no patient named anywhere, and
each page's cost fixed however long the ledger grows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.conftest import sign_in
from tests.factories import PatientFactory, UserFactory
from tests.treatments.ledger import products, stocked
from tests.treatments.sessions import booked_session
from treatments import ledger_rules as rules
from treatments.models import (
    ControlledProduct,
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    StockContainer,
    StockCount,
    StockReceipt,
)
from treatments.services import ledger

READ_ONLY = [
    StockReceipt,
    StockContainer,
    StockCount,
    LedgerEntry,
    Discrepancy,
    DiscrepancyResolution,
]


def admin_url(model, action: str, *args) -> str:
    return reverse(f"admin:treatments_{model._meta.model_name}_{action}", args=args)


def a_session_given(container, *, by):
    # A surname no other text on the admin's pages holds (a random one may be a staff name).
    patient = PatientFactory(legal_first_name="Quentin", legal_last_name="Zyzzyva-Marsh")
    session = booked_session(by=by, patient=patient)
    amount = Decimal(50)
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


@pytest.fixture
def the_ledger(clinician_user, second_clinician_user):
    """A delivery, a session's dose, a count with a discrepancy, resolved: a row in every
    ledger table. The session."""
    vials = stocked(
        by=clinician_user, checked_by=second_clinician_user, labels=("K-0001", "K-0002")
    )
    session = a_session_given(vials[0], by=clinician_user)
    ledger.count_record(
        by=clinician_user,
        kind="daily",
        counted={vials[0].pk: Decimal(450), vials[1].pk: Decimal(490)},
    )
    ledger.discrepancy_resolve(
        by=clinician_user,
        discrepancy=Discrepancy.objects.get(),
        outcome=DiscrepancyResolution.Outcome.COUNTING_ERROR,
        explanation="Recounted with a second clinician: 500 mL on the shelf.",
    )
    return session


def test_every_ledger_page_opens_for_the_clinic_admin_without_a_patient(clinic_admin, the_ledger):
    patient = the_ledger.patient
    for model in READ_ONLY:
        row = model.objects.first()
        for url in (admin_url(model, "changelist"), admin_url(model, "change", row.pk)):
            response = clinic_admin.get(url)
            assert response.status_code == 200, url
            page = response.content.decode()
            assert patient.legal_last_name not in page, url
            assert f"patient {patient.pk}" not in page, url  # a session's name in the admin
    index = clinic_admin.get(reverse("admin:index")).content.decode()
    assert "Ledger entries" in index and "Controlled products" in index


def test_the_ledger_is_read_only_to_the_clinic_admin(clinic_admin, the_ledger):
    for model in READ_ONLY:
        row = model.objects.first()
        assert clinic_admin.get(admin_url(model, "add")).status_code == 403
        assert clinic_admin.get(admin_url(model, "delete", row.pk)).status_code == 403
        page = clinic_admin.get(admin_url(model, "change", row.pk)).content.decode()
        assert 'name="_save"' not in page  # shown, never changed


def test_ledger_entries_are_refused_to_a_superuser_too(client, the_ledger):
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    sign_in(client, superuser)
    entry = LedgerEntry.objects.filter(session__isnull=False).first()

    assert client.get(admin_url(LedgerEntry, "add")).status_code == 403
    assert client.get(admin_url(LedgerEntry, "delete", entry.pk)).status_code == 403
    response = client.post(admin_url(LedgerEntry, "change", entry.pk), {"reason": "edited"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == ""
    # The session's number for a superuser; still no patient.
    page = client.get(admin_url(LedgerEntry, "changelist")).content.decode()
    assert f"#{the_ledger.pk}" in page
    assert the_ledger.patient.legal_last_name not in page


def test_the_clinic_admin_sees_no_session_column(clinic_admin, the_ledger):
    page = clinic_admin.get(admin_url(LedgerEntry, "changelist")).content.decode()
    assert "column-session_number" not in page
    entry = LedgerEntry.objects.filter(session__isnull=False).first()
    page = clinic_admin.get(admin_url(LedgerEntry, "change", entry.pk)).content.decode()
    assert "field-session" not in page


def test_the_front_desk_and_clinicians_cannot_open_the_ledger_admin(front_desk, the_ledger):
    for model in [*READ_ONLY, ControlledProduct, DeaRegistration]:
        response = front_desk.get(admin_url(model, "changelist"))
        assert response.status_code == 302  # to the admin's login: not staff
        assert "login" in response.url


def test_the_containers_list_shows_each_balance(clinic_admin, the_ledger):
    page = clinic_admin.get(admin_url(StockContainer, "changelist")).content.decode()
    assert "450 mg" in page and "500 mg" in page


def test_a_receipt_shows_the_suppliers_address_and_dea_number(clinic_admin, the_ledger):
    page = clinic_admin.get(admin_url(StockReceipt, "changelist")).content.decode()
    assert "Henry Schein" in page and "RH0216843" in page
    receipt = StockReceipt.objects.get()
    page = clinic_admin.get(admin_url(StockReceipt, "change", receipt.pk)).content.decode()
    assert "1 Schein Plaza, Melville, NY 11747" in page and "RH0216843" in page
    assert "Supplier&#x27;s DEA registration number" in page


def test_the_clinic_admin_keeps_products_and_registrations(clinic_admin, the_ledger):
    ketamine = products()["ketamine"]
    page = clinic_admin.get(admin_url(ControlledProduct, "change", ketamine.pk)).content
    # With entries in the ledger, what they were counted in is fixed.
    assert b'name="ndc"' not in page and b'name="strength_mg_per_ml"' not in page
    assert b'name="name"' in page and b'name="active"' in page
    unused = products()["esketamine_3"]
    page = clinic_admin.get(admin_url(ControlledProduct, "change", unused.pk)).content
    assert b'name="ndc"' in page

    response = clinic_admin.post(
        admin_url(DeaRegistration, "add"), {"number": "AB1234567", "name": "Second site"}
    )
    assert response.status_code == 200
    assert "fails the DEA check digit" in response.content.decode()
    response = clinic_admin.post(
        admin_url(DeaRegistration, "add"), {"number": "ab1234563", "name": "Second site"}
    )
    assert response.status_code == 302
    assert DeaRegistration.objects.filter(number="AB1234563").exists()


@pytest.mark.parametrize("model", READ_ONLY, ids=lambda m: m._meta.model_name)
def test_each_ledger_changelist_costs_the_same_however_long(
    clinic_admin,
    clinician_user,
    second_clinician_user,
    the_ledger,
    model,
    django_assert_num_queries,
):
    url = admin_url(model, "changelist")
    clinic_admin.get(url)  # the first request of the session saves it
    with CaptureQueriesContext(connection) as small:
        clinic_admin.get(url)
    with CaptureQueriesContext(connection) as change_small:
        clinic_admin.get(admin_url(model, "change", model.objects.first().pk))

    vials = stocked(
        by=clinician_user,
        checked_by=second_clinician_user,
        labels=("K-0101", "K-0102", "K-0103"),
    )
    for vial in vials:
        a_session_given(vial, by=clinician_user)
    ledger.count_record(
        by=clinician_user,
        kind="daily",
        counted={c.pk: Decimal(1) for c in ledger.containers_to_count()},
    )
    for discrepancy in Discrepancy.objects.filter(resolution__isnull=True):
        ledger.discrepancy_resolve(
            by=clinician_user,
            discrepancy=discrepancy,
            outcome=DiscrepancyResolution.Outcome.COUNTING_ERROR,
            explanation="Recounted.",
        )

    with django_assert_num_queries(len(small), info=f"{model.objects.count()} rows"):
        clinic_admin.get(url)
    with django_assert_num_queries(len(change_small), info="change page"):
        clinic_admin.get(admin_url(model, "change", model.objects.first().pk))
