"""The session, user and two-factor device behind every staff page, read with prepared queries
(clinic/signed_in.py): the same outcomes as Django's and django-otp's own reads, fewer costs."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import signed_in
from clinic.prepared import Prepared, PreparedRecord
from tests.conftest import sign_in

STAFF_PAGE = reverse("intake:patient_list")


def goes_to(response) -> str:
    return response["Location"].split("?")[0]


def test_a_signed_in_person_stays_signed_in(front_desk, front_desk_user):
    response = front_desk.get(STAFF_PAGE)

    assert response.status_code == 200
    assert response.wsgi_request.user == front_desk_user
    assert response.wsgi_request.user.get_full_name() == "Frances Desk"


def test_an_expired_session_signs_the_person_out(front_desk):
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))

    response = front_desk.get(STAFF_PAGE)

    assert goes_to(response) == reverse("login")


def test_a_session_nobody_holds_is_no_session(client, db):
    client.cookies["sessionid"] = "not-a-session-anybody-was-given"

    assert goes_to(client.get(STAFF_PAGE)) == reverse("login")


def test_a_deactivated_account_is_signed_out_at_its_next_page(front_desk, front_desk_user):
    front_desk_user.is_active = False
    front_desk_user.save()

    assert goes_to(front_desk.get(STAFF_PAGE)) == reverse("login")


def test_a_deleted_account_is_signed_out_at_its_next_page(front_desk, front_desk_user):
    front_desk_user.delete()

    assert goes_to(front_desk.get(STAFF_PAGE)) == reverse("login")


def test_a_changed_password_signs_out_the_other_sessions(front_desk, front_desk_user):
    front_desk_user.set_password("a-brand-new-passphrase")
    front_desk_user.save()

    assert goes_to(front_desk.get(STAFF_PAGE)) == reverse("login")


def test_a_session_verified_with_a_device_opens_clinical_pages(clinician, clinician_user):
    response = clinician.get(STAFF_PAGE)

    assert response.status_code == 200
    assert response.wsgi_request.user.otp_device == TOTPDevice.objects.get(user=clinician_user)


def test_a_removed_device_asks_for_a_code_again(clinician, clinician_user):
    TOTPDevice.objects.filter(user=clinician_user).delete()

    assert goes_to(clinician.get(STAFF_PAGE)) == reverse("two_factor")


def test_an_unconfirmed_device_does_not_verify_the_session(clinician, clinician_user):
    TOTPDevice.objects.filter(user=clinician_user).update(confirmed=False)

    assert goes_to(clinician.get(STAFF_PAGE)) == reverse("two_factor")


def test_another_persons_device_does_not_verify_the_session(client, clinician_user, admin_user):
    sign_in(client, clinician_user)
    theirs = TOTPDevice.objects.create(user=admin_user, name="theirs", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = theirs.persistent_id
    session.save()

    assert goes_to(client.get(STAFF_PAGE)) == reverse("two_factor")


@pytest.mark.parametrize(
    "persistent_id", ["otp_totp.totpdevice/abc", "nope.device/1", "garbage", "otp_totp.totpdevice/"]
)
def test_a_device_id_that_names_nothing_is_no_device(clinician, persistent_id):
    session = clinician.session
    session[DEVICE_ID_SESSION_KEY] = persistent_id
    session.save()

    assert goes_to(clinician.get(STAFF_PAGE)) == reverse("two_factor")


def test_has_confirmed_device_counts_confirmed_devices_only(front_desk_user, clinician_user):
    TOTPDevice.objects.create(user=front_desk_user, name="setting up", confirmed=False)

    assert signed_in.has_confirmed_device(front_desk_user) is False
    assert signed_in.has_confirmed_device(clinician_user) is False
    TOTPDevice.objects.create(user=clinician_user, name="phone", confirmed=True)
    assert signed_in.has_confirmed_device(clinician_user) is True


def test_the_reads_are_compiled_once_not_on_every_page(clinician, monkeypatch):
    clinician.get(STAFF_PAGE)
    compiled, ran = [], []
    real_compile, real_first = Prepared._compile, PreparedRecord.first
    monkeypatch.setattr(
        Prepared, "_compile", lambda self, conn: compiled.append(self) or real_compile(self, conn)
    )
    monkeypatch.setattr(
        PreparedRecord, "first", lambda self, **kw: ran.append(self) or real_first(self, **kw)
    )

    response = clinician.get(STAFF_PAGE)

    assert response.status_code == 200
    assert compiled == []
    assert ran[:3] == [
        signed_in._SESSION,
        signed_in._user_query(),
        signed_in._device_query(TOTPDevice),
    ]
