"""The administration step takes the dose out of the controlled-substance ledger: the
container picked, the amount drawn, the waste (drawn minus given) witnessed by a second
clinician on the same form; and the esketamine REMS gate."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.treatments.ledger import PASSWORD, authenticator, current_code, stocked
from tests.treatments.sessions import booked_session, checked_in, pre_dose
from treatments.dosing import Route
from treatments.models import LedgerEntry, TreatmentSession
from treatments.services import ledger
from treatments.services import sessions as services

pytestmark = pytest.mark.django_db


@pytest.fixture
def vial(clinician_user, second_clinician_user):
    [vial] = stocked(by=clinician_user, checked_by=second_clinician_user, labels=("K-0001",))
    return vial


def _ready(by, **kwargs):
    session = booked_session(by=by, **kwargs)
    checked_in(session, by=by)
    pre_dose(session, by=by)
    return session


def _form(vial, **overrides):
    return {
        "drug": "ketamine", "route": "iv", "dose_given_mg": "35.0",
        "container_1": str(vial.pk), "drawn_1": "40",
        "waste_method": "disposal_container",
        "started_at": timezone.localtime().strftime("%H:%M"),
        **overrides,
    }  # fmt: skip


def _post(client, session, data):
    return client.post(reverse("treatments:session_administer", args=[session.pk]), data)


def _balance(vial) -> Decimal:
    return ledger.container_balances([vial.pk])[vial.pk]


def test_a_witnessed_waste_is_drawn_minus_given(
    clinician, clinician_user, second_clinician_user, vial
):
    session = _ready(clinician_user)
    authenticator(second_clinician_user)

    response = _post(
        clinician, session,
        _form(vial, witness_username="drosei", witness_password=PASSWORD,
              witness_token=current_code(second_clinician_user)),
    )  # fmt: skip

    assert response.status_code == 302
    entries = list(session.ledger_entries.order_by("sequence"))
    assert [(e.kind, e.quantity, e.witness_id) for e in entries] == [
        ("administered", Decimal("-35.0"), None),
        ("waste", Decimal("-5.0"), second_clinician_user.pk),
    ]
    assert _balance(vial) == Decimal("460.0")
    page = clinician.get(reverse("treatments:session_detail", args=[session.pk])).content.decode()
    assert "Wasted from K-0001" in page and "witnessed by Rosa Osei" in page
    session.refresh_from_db()
    assert session.lot_number == "LOT-K-0001"


@pytest.mark.parametrize(
    ("witness", "field", "message"),
    [
        ("drcarter", "witness_username", "You cannot witness your own waste"),
        ("", "witness_username", "needs a witness"),
        ("drosei-wrong-code", "witness_token", "That authenticator code is not right"),
        ("drosei-wrong-password", "witness_password", "do not match a member of staff"),
    ],
)
def test_a_waste_without_a_proper_witness_is_refused_and_nothing_is_saved(
    clinician, clinician_user, second_clinician_user, vial, witness, field, message
):
    session = _ready(clinician_user)
    authenticator(second_clinician_user)
    authenticator(clinician_user)
    username, _, problem = witness.partition("-")
    credentials = {
        "witness_username": username,
        "witness_password": "not-it" if problem == "wrong-password" else PASSWORD,
        "witness_token": "000000" if problem == "wrong-code" else current_code(
            clinician_user if username == "drcarter" else second_clinician_user
        ),
    }  # fmt: skip
    if credentials["witness_token"] == "000000" == current_code(second_clinician_user):
        credentials["witness_token"] = "111111"

    response = _post(clinician, session, _form(vial, **credentials))

    assert response.status_code == 400
    form = response.context["administration_form"]
    assert message in " ".join(form.errors[field])
    # What was typed is kept (the password is never sent back).
    page = response.content.decode()
    assert 'value="40"' in page and PASSWORD not in page
    session.refresh_from_db()
    assert session.administration_started_at is None
    assert not session.ledger_entries.exists()
    assert _balance(vial) == Decimal("500.0")


def test_the_draw_must_cover_the_dose_and_come_from_stock(clinician, clinician_user, vial):
    session = _ready(clinician_user)

    response = _post(clinician, session, _form(vial, drawn_1="30"))

    assert response.status_code == 400
    errors = response.context["administration_form"].errors["container_1"]
    assert "The dose given (35.0 mg) is more than was drawn (30)" in errors[0]
    assert not LedgerEntry.objects.filter(kind="administered").exists()


def test_an_expired_vial_is_not_offered_nor_accepted(
    clinician, clinician_user, second_clinician_user
):
    [expired] = stocked(
        by=clinician_user, checked_by=second_clinician_user, labels=("K-0099",),
        expires_on=timezone.localdate() + timedelta(days=1),
    )  # fmt: skip
    session = _ready(clinician_user)
    # It expires tomorrow: offered today.
    page = clinician.get(reverse("treatments:session_detail", args=[session.pk])).content.decode()
    assert "K-0099" in page

    # Two days on, the same vial (a page left open) is refused.
    with (
        time_machine.travel(timezone.now() + timedelta(days=2), tick=False),
        pytest.raises(ValidationError) as error,
    ):
        services.session_administer(
            session=session, by=clinician_user, drug="ketamine", route=Route.IV,
            dose_given_mg=Decimal("35.0"), dose_difference_reason="",
            started_at=timezone.now(), stopped_at=None,
            draws=[ledger.Draw(expired.pk, Decimal("35"))],
        )  # fmt: skip
    assert "K-0099 expired on" in error.value.message_dict["draws"][0]
    assert _balance(expired) == Decimal("500.0")


def test_esketamine_is_refused_for_a_patient_not_enrolled_in_the_rems(
    clinician, clinician_user, second_clinician_user
):
    [pack] = stocked(
        by=clinician_user, checked_by=second_clinician_user, product="esketamine",
        labels=("E-0001",),
    )  # fmt: skip
    session = _ready(
        clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56", rems_enrolled=False
    )

    page = clinician.get(reverse("treatments:session_detail", args=[session.pk])).content.decode()
    assert "not enrolled in the esketamine (Spravato) REMS" in page
    with pytest.raises(ValidationError, match="not enrolled in the esketamine"):
        services.session_administer(
            session=session, by=clinician_user, drug="esketamine",
            route=Route.ESKETAMINE_NASAL, dose_given_mg=Decimal("56"),
            dose_difference_reason="", started_at=timezone.now(), stopped_at=None,
            draws=[ledger.Draw(pack.pk, Decimal("2"))],
        )  # fmt: skip
    assert TreatmentSession.objects.get(pk=session.pk).administration_started_at is None
    assert _balance(pack) == Decimal("2.0")


def test_esketamine_is_drawn_in_whole_devices(clinician_user, second_clinician_user):
    [pack] = stocked(
        by=clinician_user, checked_by=second_clinician_user, product="esketamine_3",
        labels=("E-0002",),
    )  # fmt: skip
    session = _ready(clinician_user, route=Route.ESKETAMINE_NASAL, dose_mg="56")

    services.session_administer(
        session=session, by=clinician_user, drug="esketamine", route=Route.ESKETAMINE_NASAL,
        dose_given_mg=Decimal("56"), dose_difference_reason="", started_at=timezone.now(),
        stopped_at=None, draws=[ledger.Draw(pack.pk, Decimal("2"))],
    )  # fmt: skip

    assert _balance(pack) == Decimal("1.0")
    [entry] = session.ledger_entries.all()
    assert (entry.kind, entry.quantity) == ("administered", Decimal("-2.0"))
