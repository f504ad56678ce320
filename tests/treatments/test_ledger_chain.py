"""Tamper evidence and append-only: the hash chain that ``manage.py ledger_verify`` walks, the
PostgreSQL triggers that refuse UPDATE and DELETE on the ledger's tables, the witness rules
(in the service and in the database), and the system check of the clinic's DEA number."""

from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, ProtectedError
from django.test import override_settings
from django.utils import timezone

from treatments.models import (
    LEDGER_TABLES,
    DeaRegistration,
    LedgerEntry,
    StockOnHand,
    StockReceipt,
)
from treatments.services import ledger
from treatments.services.ledger.chain import EntrySpec, append, stock_on_hand_rebuild

from .ledger import PASSWORD, current_code, stocked

pytestmark = [pytest.mark.clinic_day]

Kind = LedgerEntry.Kind


def given_and_wasted(*, by, witness, container, drawn, given_mg):
    """A session's draw from one vial, the dose given and the rest wasted, witnessed."""
    on = timezone.now()
    containers, split, errors = ledger.draws_check(
        drug=container.product.drug,
        draws=[ledger.Draw(container.pk, Decimal(drawn))],
        given_mg=Decimal(given_mg),
        on=on,
    )
    assert errors == {}
    return ledger.session_use_record(
        session_id=None,
        by=by,
        containers=containers,
        split=split,
        occurred_at=on,
        waste_method=LedgerEntry.Method.DRUG_DISPOSAL_CONTAINER,
        witness=ledger.Witness(user=witness, confirmed_at=on),
    )


@pytest.fixture
def chain(clinician_user, second_clinician_user):
    """A delivery of two vials, three sessions' doses and waste, a count: 10 entries."""
    first, second = stocked(
        by=clinician_user, checked_by=second_clinician_user, labels=("K-001", "K-002")
    )
    for drawn, given in ((40, 35), (60, 52), (30, 30)):
        given_and_wasted(
            by=clinician_user,
            witness=second_clinician_user,
            container=first,
            drawn=drawn,
            given_mg=given,
        )
    ledger.count_record(
        by=second_clinician_user,
        kind="daily",
        counted={first.pk: Decimal(370), second.pk: Decimal(500)},
    )
    entries = list(LedgerEntry.objects.order_by("sequence"))
    assert [e.kind for e in entries] == [
        Kind.RECEIPT, Kind.RECEIPT,
        Kind.ADMINISTERED, Kind.WASTE,
        Kind.ADMINISTERED, Kind.WASTE,
        Kind.ADMINISTERED,
        Kind.COUNT, Kind.COUNT,
    ]  # fmt: skip
    return entries


def verify(*args) -> tuple[str, str, CommandError | None]:
    out, err = StringIO(), StringIO()
    try:
        call_command("ledger_verify", *args, stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


@contextmanager
def behind_the_apps_back():
    """What someone with the database's password could do: on PostgreSQL, with the ledger's
    triggers off for the length of the block (inside the test's transaction: nothing else
    sees them off); SQLite has no triggers to switch off."""
    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in LEDGER_TABLES]

    def switch(state: str) -> None:
        with connection.cursor() as cursor:
            # ALTER TABLE waits for no deferred foreign-key check: run those now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table in tables:
                cursor.execute(f"ALTER TABLE {table} {state} TRIGGER {table}_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    switch("DISABLE")
    try:
        yield
    finally:
        switch("ENABLE")


def at(entry) -> str:
    return timezone.localtime(entry.occurred_at).strftime("%Y-%m-%d %H:%M %Z")


# --- ledger_verify ----------------------------------------------------------------------------


def test_an_untouched_chain_verifies_clean(chain):
    assert list(ledger.chain_breaks(ledger.clinic_registration())) == []
    out, err, error = verify()
    assert (out, err, error) == (
        "FK1234563: 9 entries, chain intact, stock on hand matches.\n",
        "",
        None,
    )


def test_the_chain_is_checked_for_one_registration_by_its_number(chain):
    out, _, error = verify("--registration", "fk1234563")
    assert error is None
    assert out == "FK1234563: 9 entries, chain intact, stock on hand matches.\n"
    _, _, error = verify("--registration", "AB1234563")
    assert str(error) == "No DEA registration AB1234563 in the ledger."


def test_without_a_ledger_it_says_so(db):
    assert verify() == ("No DEA registration has a ledger yet.\n", "", None)


def test_an_edited_quantity_is_found_and_named(chain):
    waste = chain[3]
    with behind_the_apps_back():
        LedgerEntry.objects.filter(pk=waste.pk).update(quantity=Decimal("-1.0"))

    out, err, error = verify()

    assert error is not None and error.returncode == 1
    assert str(error) == "The ledger's chain does not match under 1 of 1 registration."
    assert out == ""
    assert err == (
        f"FK1234563: entry 4 (waste, {at(waste)}) does not match: its content does not match "
        "its hash: it was changed.\n"
    )
    assert "CST" in err


def test_an_edit_with_its_hash_rewritten_is_found_by_its_balance(chain):
    """A forger who also recomputes the edited row's hash: its balance is then not the sum of
    the entries (and rewriting every later balance breaks every later hash)."""
    from treatments import ledger_rules
    from treatments.services.ledger.chain import entry_content

    waste = LedgerEntry.objects.get(pk=chain[3].pk)
    waste.quantity = Decimal("-1.0")
    forged = ledger_rules.entry_hash(waste.previous_hash, entry_content(waste))
    with behind_the_apps_back():
        LedgerEntry.objects.filter(pk=waste.pk).update(quantity=waste.quantity, entry_hash=forged)

    _, err, error = verify()

    assert error is not None
    assert "entry 4 (waste" in err
    assert "its container balance is not the sum of the entries" in err


def test_a_removed_entry_is_found(chain):
    removed = chain[4]
    with behind_the_apps_back():
        LedgerEntry.objects.filter(pk=removed.pk).delete()

    _, err, error = verify()

    assert error is not None
    after = chain[5]
    assert err == (
        f"FK1234563: entry 6 ({after.kind}, {at(after)}) does not match: expected entry 5 "
        "here: one is missing.\n"
    )


def test_an_edited_invoice_number_is_found_on_the_receipt_entry(chain):
    with behind_the_apps_back():
        StockReceipt.objects.update(invoice_number="INV-FORGED")

    _, err, error = verify()

    assert error is not None
    assert err.startswith("FK1234563: entry 1 (receipt, ")
    assert err.endswith("its content does not match its hash: it was changed.\n")


def test_only_the_first_break_is_named(chain):
    with behind_the_apps_back():
        LedgerEntry.objects.filter(pk__in=[chain[3].pk, chain[6].pk]).update(method="breakage")

    _, err, _ = verify()

    assert err.count("FK1234563: entry") == 1
    assert "entry 4 (waste" in err


def test_every_break_after_the_first_is_still_reported_by_the_walk(chain):
    with behind_the_apps_back():
        LedgerEntry.objects.filter(pk__in=[chain[2].pk, chain[6].pk]).update(reason="edited")
    breaks = list(ledger.chain_breaks(ledger.clinic_registration()))
    assert [b.entry.sequence for b in breaks] == [3, 7]


# --- Append-only on PostgreSQL ----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize("model", LEDGER_TABLES, ids=lambda m: m.__name__)
def test_the_database_refuses_update_and_delete_on_every_ledger_table(chain, model):
    if not model.objects.exists():
        # The fixture opens no discrepancy: make one, resolved, so those tables have a row.
        [count_entry] = [e for e in chain if e.kind == Kind.COUNT][:1]
        discrepancy = _open_and_resolve_a_discrepancy(count_entry)
        assert discrepancy.pk
    row = model.objects.order_by("pk").first()
    table = model._meta.db_table
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        model.objects.filter(pk=row.pk).update(id=F("id"))
    # Through the ORM: a row other rows point at is refused by Django first (PROTECT); the
    # others reach the trigger.
    with pytest.raises((DatabaseError, ProtectedError)), transaction.atomic():
        model.objects.filter(pk=row.pk).delete()
    # Through raw SQL, as a psql session would (the table's name is the model's, not input).
    for statement in (
        f"UPDATE {table} SET id = id WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement, [row.pk])
    assert model.objects.filter(pk=row.pk).exists()


def _open_and_resolve_a_discrepancy(count_entry):
    from treatments.models import Discrepancy

    discrepancy = Discrepancy.objects.create(
        count_entry=count_entry,
        container=count_entry.container,
        expected=count_entry.container_balance,
        counted=count_entry.container_balance,
    )
    ledger.discrepancy_resolve(
        by=count_entry.by,
        discrepancy=discrepancy,
        outcome="counting_error",
        explanation="Recounted: the ledger was right.",
    )
    return discrepancy


def test_a_reversing_entry_is_how_a_mistake_is_corrected(chain, clinician_user):
    waste = chain[3]
    reversal = ledger.entry_reverse(by=clinician_user, entry=waste, reason="Drawn 40, not 45.")
    assert (reversal.kind, reversal.quantity, reversal.reverses_id) == (
        Kind.REVERSAL,
        Decimal("5.0"),
        waste.pk,
    )
    assert LedgerEntry.objects.get(pk=waste.pk).quantity == Decimal("-5.0")
    assert verify()[2] is None


# --- The stock on hand (a projection of the chain, checked by ledger_verify) ------------------


def on_hand() -> dict[str, Decimal]:
    return {
        row.container.label: row.balance for row in StockOnHand.objects.select_related("container")
    }


def test_the_stock_on_hand_is_the_containers_with_something_left(chain):
    assert on_hand() == {"K-001": Decimal("370.0"), "K-002": Decimal("500.0")}
    assert StockOnHand not in LEDGER_TABLES


def test_an_emptied_container_leaves_the_stock_on_hand_and_a_reversal_brings_it_back(
    chain, clinician_user, second_clinician_user
):
    first = chain[0].container
    [given] = given_and_wasted(
        by=clinician_user, witness=second_clinician_user, container=first, drawn=370,
        given_mg=370,
    )  # fmt: skip
    assert on_hand() == {"K-002": Decimal("500.0")}
    assert [c.label for c in ledger.containers_to_count()] == ["K-002"]
    ledger.entry_reverse(by=clinician_user, entry=given, reason="Not given: the session stopped.")
    assert on_hand() == {"K-001": Decimal("370.0"), "K-002": Decimal("500.0")}
    assert verify()[2] is None


def test_verify_names_a_tampered_stock_on_hand_row(chain):
    second = chain[1].container
    StockOnHand.objects.filter(container=second).update(balance=Decimal(499))
    out, err, error = verify()
    assert out == ""
    assert err == (
        "FK1234563: the stock on hand of container K-002 does not match the chain: its row "
        "says 499.0, the chain 500.0 (1 container differs; chain.stock_on_hand_rebuild "
        "rebuilds it from the entries).\n"
    )
    assert str(error) == "The stock on hand does not match the chain under 1 of 1 registration."


def test_verify_names_a_missing_row_and_a_rebuild_makes_it_again(chain):
    StockOnHand.objects.all().delete()
    _, err, error = verify()
    assert error is not None
    assert "container K-001 does not match the chain: it has no row, the chain 370.0" in err
    assert "2 containers differ" in err
    assert stock_on_hand_rebuild(ledger.clinic_registration()) == 2
    assert on_hand() == {"K-001": Decimal("370.0"), "K-002": Decimal("500.0")}
    assert verify()[2] is None


def test_verify_names_a_row_left_for_an_emptied_container(chain, clinician_user):
    first = chain[0].container
    ledger.container_dispose(
        by=clinician_user,
        container=first,
        quantity=None,
        method=LedgerEntry.Method.REVERSE_DISTRIBUTOR,
        reason="Expired.",
        witness=ledger.Witness(user=chain[-1].by, confirmed_at=timezone.now()),
    )
    assert "K-001" not in on_hand()
    StockOnHand.objects.create(
        container=first, registration=first.registration, product=first.product, balance=5
    )
    _, err, _ = verify()
    assert "container K-001 does not match the chain: its row says 5.0, the chain 0.0" in err


# --- The witness ------------------------------------------------------------------------------


@pytest.fixture
def witness_request(rf):
    return rf.post("/treatments/sessions/1/administer/")


def confirm(request, *, by, username, password=PASSWORD, token=None, user=None):
    return ledger.witness_confirm(
        request=request,
        by=by,
        username=username,
        password=password,
        token=token if token is not None else current_code(user),
    )


def test_a_second_clinician_with_their_password_and_code_witnesses(
    witness_request, clinician_user, second_clinician_user
):
    witness = confirm(
        witness_request, by=clinician_user, username="drosei", user=second_clinician_user
    )
    assert witness.user == second_clinician_user
    assert abs(witness.confirmed_at - timezone.now()) < timedelta(seconds=5)


@pytest.mark.parametrize("username", ["drcarter", " DrCarter "])
def test_the_one_who_drew_cannot_witness_their_own_waste(witness_request, clinician_user, username):
    with pytest.raises(ValidationError) as refused:
        confirm(witness_request, by=clinician_user, username=username, user=clinician_user)
    assert refused.value.message_dict == {
        "witness_username": ["You cannot witness your own waste: a second clinician must."]
    }


def test_a_wrong_password_is_refused(witness_request, clinician_user, second_clinician_user):
    with pytest.raises(ValidationError) as refused:
        confirm(
            witness_request,
            by=clinician_user,
            username="drosei",
            password="not-the-password",
            user=second_clinician_user,
        )
    assert refused.value.message_dict == {
        "witness_password": ["That user name and password do not match a member of staff."]
    }


def test_a_wrong_authenticator_code_is_refused(
    witness_request, clinician_user, second_clinician_user
):
    good = current_code(second_clinician_user)
    wrong = f"{(int(good) + 1) % 1_000_000:06d}"
    with pytest.raises(ValidationError) as refused:
        confirm(witness_request, by=clinician_user, username="drosei", token=wrong)
    assert refused.value.message_dict == {
        "witness_token": ["That authenticator code is not right (or has expired)."]
    }


def test_a_front_desk_user_cannot_witness(witness_request, clinician_user, front_desk_user):
    with pytest.raises(ValidationError) as refused:
        confirm(witness_request, by=clinician_user, username="frances", user=front_desk_user)
    assert refused.value.message_dict == {
        "witness_username": ["The witness must be a licensed clinician on the staff."]
    }


def test_a_witness_is_refused_by_the_service_that_writes_the_waste(
    clinician_user, second_clinician_user
):
    [vial] = stocked(by=clinician_user, checked_by=second_clinician_user)
    with pytest.raises(ValidationError) as refused:
        given_and_wasted(
            by=clinician_user, witness=clinician_user, container=vial, drawn=40, given_mg=35
        )
    assert refused.value.message_dict == {
        "witness_username": ["You cannot witness your own waste."]
    }
    assert not LedgerEntry.objects.filter(kind=Kind.WASTE).exists()


def test_the_database_refuses_an_entry_witnessed_by_the_one_who_wrote_it(
    clinician_user, second_clinician_user
):
    [vial] = stocked(by=clinician_user, checked_by=second_clinician_user)
    spec = EntrySpec(
        kind=Kind.WASTE,
        container=vial,
        quantity=Decimal(-5),
        by_id=clinician_user.pk,
        witness_id=clinician_user.pk,
        occurred_at=timezone.now(),
        method=LedgerEntry.Method.DRUG_DISPOSAL_CONTAINER,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        append(ledger.clinic_registration(), [spec])
    # And a waste with no witness at all.
    with pytest.raises(IntegrityError), transaction.atomic():
        append(ledger.clinic_registration(), [EntrySpec(**{**spec.__dict__, "witness_id": None})])
    assert LedgerEntry.objects.filter(kind=Kind.WASTE).count() == 0


# --- The system check of the DEA number -------------------------------------------------------


def _dea_errors():
    return [m for m in run_checks() if m.id == "treatments.E001"]


def test_the_clinics_dea_number_passes_the_system_check():
    assert _dea_errors() == []


@pytest.mark.parametrize(
    ("number", "problem"),
    [
        ("FK1234567", "FK1234567 fails the DEA check digit"),
        ("FK-123456", "two letters and seven digits"),
        ("", "two letters and seven digits"),
    ],
)
def test_a_wrong_dea_number_stops_the_app_starting(number, problem):
    with override_settings(CLINIC_DEA_REGISTRATION=number):
        [error] = _dea_errors()
    assert error.is_serious()
    assert problem in error.msg
    assert error.msg.startswith(f"CLINIC_DEA_REGISTRATION={number!r}: ")


def test_the_registration_is_made_from_the_setting(db):
    assert DeaRegistration.objects.count() == 0
    registration = ledger.clinic_registration()
    assert registration.number == "FK1234563"
