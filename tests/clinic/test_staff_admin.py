"""A clinic admin manages staff in the admin: creates them, gives them the three roles, resets a
password, removes an authenticator, deactivates an account. Never more: no one reads a device's
key, no crafted POST grants what the form does not offer, only a superuser touches a superuser,
and every change is in the audit trail naming who made it."""

import base64

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import staff
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK
from tests.conftest import sign_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "a-long-new-passphrase-42"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def clinician_device(clinician_user):
    return TOTPDevice.objects.create(user=clinician_user, name="Casey's phone", confirmed=True)


def _change_url(user) -> str:
    return reverse("admin:auth_user_change", args=[user.pk])


def _password_url(user) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk])


def _role_ids(*roles: str) -> list[str]:
    return [str(Group.objects.get(name=role).pk) for role in roles]


def _change_form(user, **overrides) -> dict:
    """What the change page posts back for ``user`` untouched (an active account keeps its box
    ticked, its roles stay checked)."""
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "groups": [str(group.pk) for group in user.groups.all()],
    }
    if user.is_active:
        data["is_active"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def _staff_entries(user, change: str) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            additional_data__staff_change=change, additional_data__staff_id=user.pk
        ).order_by("pk")
    )


def _roles(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- Authenticators: removed, never read --------------------------------------------------------


@pytest.mark.parametrize("page", ["otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"])
def test_clinic_admin_cannot_open_a_colleagues_key_or_qr_code(clinic_admin, clinician_device, page):
    response = clinic_admin.get(reverse(f"admin:{page}", args=[clinician_device.pk]))

    assert response.status_code == 403
    assert clinician_device.key not in response.content.decode()


@pytest.mark.parametrize("page", ["otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"])
def test_nobody_opens_their_own_key_or_qr_code_in_the_admin(clinic_admin, admin_user, page):
    own = TOTPDevice.objects.get(user=admin_user)

    assert clinic_admin.get(reverse(f"admin:{page}", args=[own.pk])).status_code == 403


@pytest.mark.parametrize("page", ["otp_totp_totpdevice_config", "otp_totp_totpdevice_qrcode"])
def test_not_even_a_superuser_opens_a_key_page(client, superuser, clinician_device, page):
    sign_in(client, superuser)

    assert client.get(reverse(f"admin:{page}", args=[clinician_device.pk])).status_code == 403


def test_the_device_page_shows_no_key_and_offers_removal_only(clinic_admin, clinician_device):
    response = clinic_admin.get(
        reverse("admin:otp_totp_totpdevice_change", args=[clinician_device.pk])
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "Casey&#x27;s phone" in html
    assert clinician_device.key not in html
    assert base64.b32encode(clinician_device.bin_key).decode().rstrip("=") not in html
    assert 'name="key"' not in html
    assert reverse("admin:otp_totp_totpdevice_delete", args=[clinician_device.pk]) in html
    assert not response.context["has_change_permission"]  # nothing to save: read-only
    assert 'name="_save"' not in html


def test_the_device_list_has_no_qr_code_links(clinic_admin, clinician_device):
    response = clinic_admin.get(reverse("admin:otp_totp_totpdevice_changelist"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Casey&#x27;s phone" in html
    assert "/config/" not in html and "/qrcode/" not in html


def test_no_device_is_added_in_the_admin_where_its_key_would_be_set(clinic_admin, superuser):
    assert clinic_admin.get(reverse("admin:otp_totp_totpdevice_add")).status_code == 403


def test_clinic_admin_removes_a_device_and_the_trail_says_who(
    clinic_admin, admin_user, clinician_user, clinician_device
):
    response = clinic_admin.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[clinician_device.pk]), {"post": "yes"}
    )

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(pk=clinician_device.pk).exists()
    [entry] = _staff_entries(clinician_user, staff.DEVICE_REMOVED)
    assert entry.actor == admin_user
    assert entry.action == LogEntry.Action.DELETE
    assert "Casey's phone" in entry.object_repr


def test_after_the_removal_the_clinician_enrols_a_new_authenticator(
    client, clinic_admin, clinician_user, clinician_device
):
    clinic_admin.post(
        reverse("admin:otp_totp_totpdevice_delete", args=[clinician_device.pk]), {"post": "yes"}
    )
    clinic_admin.logout()
    client.force_login(clinician_user)

    response = client.get(reverse("two_factor"))

    assert response.status_code == 200
    assert "secret" in response.context
    assert response.context["secret"]


def test_a_clinic_admin_cannot_remove_a_superusers_device(clinic_admin, superuser):
    device = TOTPDevice.objects.create(user=superuser, name="Root's key", confirmed=True)
    url = reverse("admin:otp_totp_totpdevice_delete", args=[device.pk])

    assert clinic_admin.post(url, {"post": "yes"}).status_code == 403
    assert TOTPDevice.objects.filter(pk=device.pk).exists()
    assert not _staff_entries(superuser, staff.DEVICE_REMOVED)


@pytest.mark.parametrize("page", ["config", "qrcode", "delete", "change", "history"])
def test_a_missing_device_answers_404_or_the_admins_redirect_never_500(clinic_admin, page):
    response = clinic_admin.get(f"/admin/otp_totp/totpdevice/999999/{page}/")

    if page in ("config", "qrcode"):
        assert response.status_code == 404
    else:  # the admin's own pages send the reader back to the index with a message
        assert response.status_code in (302, 404)


def test_the_staff_page_lists_the_members_authenticators(
    clinic_admin, clinician_user, clinician_device
):
    response = clinic_admin.get(_change_url(clinician_user))

    html = response.content.decode()
    assert reverse("admin:otp_totp_totpdevice_change", args=[clinician_device.pk]) in html
    assert clinician_device.key not in html


# --- No privilege escalation ----------------------------------------------------------------


def test_a_crafted_post_cannot_make_a_superuser_grant_permissions_or_open_the_admin(
    clinic_admin, clinician_user
):
    permission = Permission.objects.get(codename="change_user")

    response = clinic_admin.post(
        _change_url(clinician_user),
        _change_form(
            clinician_user,
            is_superuser="on",
            is_staff="on",
            user_permissions=[str(permission.pk)],
        ),
    )

    assert response.status_code == 302
    clinician_user.refresh_from_db()
    assert not clinician_user.is_superuser
    assert not clinician_user.is_staff
    assert not clinician_user.user_permissions.exists()


def test_the_clinic_admins_form_has_no_superuser_or_permission_fields(clinic_admin, clinician_user):
    form = clinic_admin.get(_change_url(clinician_user)).context["adminform"].form

    assert "groups" in form.fields
    assert not {"is_superuser", "is_staff", "user_permissions"} & set(form.fields)


def test_a_crafted_post_cannot_create_a_superuser(clinic_admin):
    response = clinic_admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "mallory",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "is_superuser": "on",
            "is_staff": "on",
        },
    )

    assert response.status_code == 302
    created = User.objects.get(username="mallory")
    assert not created.is_superuser
    assert not created.is_staff


def test_roles_offered_are_the_three_clinic_roles_and_no_other_group(clinic_admin, clinician_user):
    other = Group.objects.create(name="Everything")
    other.permissions.set(Permission.objects.all())

    response = clinic_admin.post(
        _change_url(clinician_user), _change_form(clinician_user, groups=[str(other.pk)])
    )

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors["groups"]
    assert _roles(clinician_user) == {CLINICIAN}
    field = response.context["adminform"].form.fields["groups"]
    assert {group.name for group in field.queryset} == {FRONT_DESK, CLINICIAN, CLINIC_ADMIN}


def test_admin_access_follows_the_clinic_admin_role(clinic_admin, admin_user, clinician_user):
    clinic_admin.post(
        _change_url(clinician_user),
        _change_form(clinician_user, groups=_role_ids(CLINICIAN, CLINIC_ADMIN)),
    )
    clinician_user.refresh_from_db()
    assert clinician_user.is_staff
    assert _roles(clinician_user) == {CLINICIAN, CLINIC_ADMIN}

    clinic_admin.post(
        _change_url(clinician_user), _change_form(clinician_user, groups=_role_ids(CLINICIAN))
    )
    clinician_user.refresh_from_db()
    assert not clinician_user.is_staff
    assert _roles(clinician_user) == {CLINICIAN}


def test_a_clinic_admin_cannot_change_their_own_roles_or_deactivate_themselves(
    clinic_admin, admin_user
):
    response = clinic_admin.post(
        _change_url(admin_user),
        _change_form(admin_user, groups=_role_ids(FRONT_DESK, CLINICIAN), is_active=None),
    )

    assert response.status_code == 302
    admin_user.refresh_from_db()
    assert _roles(admin_user) == {CLINIC_ADMIN}
    assert admin_user.is_active
    assert not _staff_entries(admin_user, staff.ROLES_CHANGED)


def test_a_clinic_admin_still_edits_their_own_name(clinic_admin, admin_user):
    clinic_admin.post(_change_url(admin_user), _change_form(admin_user, last_name="Adminton"))

    admin_user.refresh_from_db()
    assert admin_user.last_name == "Adminton"
    [entry] = _staff_entries(admin_user, staff.DETAILS_CHANGED)
    assert entry.changes_dict == {"last_name": ["Admin", "Adminton"]}


def test_a_clinic_admin_sees_a_superuser_but_cannot_change_them(clinic_admin, superuser):
    page = clinic_admin.get(_change_url(superuser))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]

    response = clinic_admin.post(
        _change_url(superuser), _change_form(superuser, is_active=None, first_name="Pwned")
    )

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.is_active
    assert superuser.first_name != "Pwned"


def test_a_clinic_admin_cannot_open_or_post_a_superusers_password_form(clinic_admin, superuser):
    assert clinic_admin.get(_password_url(superuser)).status_code == 403

    response = clinic_admin.post(
        _password_url(superuser),
        {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
    )

    assert response.status_code == 403
    superuser.refresh_from_db()
    assert not superuser.check_password(PASSWORD)


def test_a_superuser_makes_another_superuser_and_the_trail_says_so(
    client, superuser, clinician_user
):
    sign_in(client, superuser)

    client.post(_change_url(clinician_user), _change_form(clinician_user, is_superuser="on"))

    clinician_user.refresh_from_db()
    assert clinician_user.is_superuser
    assert clinician_user.is_staff  # the admin's door opens with the flag
    [entry] = _staff_entries(clinician_user, staff.PRIVILEGES_CHANGED)
    assert entry.actor == superuser
    assert entry.changes_dict["is_superuser"] == ["False", "True"]


def test_the_services_refuse_what_the_pages_do_not_offer(admin_user, clinician_user, superuser):
    with pytest.raises(PermissionDenied):
        staff.staff_roles_set(by=admin_user, user=admin_user, roles=[FRONT_DESK])
    with pytest.raises(PermissionDenied):
        staff.staff_password_reset(by=admin_user, user=superuser, password=PASSWORD)
    with pytest.raises(PermissionDenied):
        staff.staff_deactivate(by=admin_user, user=superuser)
    with pytest.raises(PermissionDenied):
        staff.staff_privileges_set(
            by=admin_user, user=clinician_user, is_superuser=True, permissions=[]
        )
    with pytest.raises(ValidationError):
        staff.staff_roles_set(by=admin_user, user=clinician_user, roles=["Everything"])
    clinician_user.refresh_from_db()
    assert not clinician_user.is_superuser
    assert _roles(clinician_user) == {CLINICIAN}


# --- Every staff change in the audit trail ------------------------------------------------------


def test_creating_staff_with_a_role_is_audited(clinic_admin, admin_user):
    response = clinic_admin.post(
        reverse("admin:auth_user_add"),
        {
            "username": "newdesk",
            "usable_password": "true",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "first_name": "Nia",
            "last_name": "Desk",
            "email": "nia@example.com",
            "groups": _role_ids(FRONT_DESK),
        },
    )

    created = User.objects.get(username="newdesk")
    assert response.status_code == 302
    assert response["Location"] == _change_url(created)
    assert created.check_password(PASSWORD)
    assert _roles(created) == {FRONT_DESK}
    assert not created.is_staff and not created.is_superuser
    [entry] = _staff_entries(created, staff.CREATED)
    assert entry.actor == admin_user
    assert entry.action == LogEntry.Action.CREATE
    assert entry.changes_dict["roles"] == [None, FRONT_DESK]
    assert entry.serialized_data is None  # no password hash copied into the trail


def test_adding_and_removing_a_role_is_audited(clinic_admin, admin_user, clinician_user):
    clinic_admin.post(
        _change_url(clinician_user), _change_form(clinician_user, groups=_role_ids(FRONT_DESK))
    )

    [entry] = _staff_entries(clinician_user, staff.ROLES_CHANGED)
    assert entry.actor == admin_user
    assert entry.additional_data["added"] == [FRONT_DESK]
    assert entry.additional_data["removed"] == [CLINICIAN]
    assert entry.changes_dict["roles"] == [CLINICIAN, FRONT_DESK]


def test_a_password_reset_by_an_admin_is_audited_with_who_did_it(
    clinic_admin, admin_user, clinician_user
):
    response = clinic_admin.post(
        _password_url(clinician_user),
        {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD},
        REMOTE_ADDR="10.0.0.7",
    )

    assert response.status_code == 302
    clinician_user.refresh_from_db()
    assert clinician_user.check_password(PASSWORD)
    [entry] = _staff_entries(clinician_user, staff.PASSWORD_RESET)
    assert entry.actor == admin_user
    assert entry.remote_addr == "10.0.0.7"
    assert PASSWORD not in str(entry.changes) + str(entry.additional_data)
    assert clinician_user.password not in str(entry.changes)


def test_a_mistyped_password_changes_nothing_and_says_why(clinic_admin, clinician_user):
    response = clinic_admin.post(
        _password_url(clinician_user),
        {"usable_password": "true", "password1": PASSWORD, "password2": PASSWORD + "x"},
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    clinician_user.refresh_from_db()
    assert not clinician_user.check_password(PASSWORD)
    assert not _staff_entries(clinician_user, staff.PASSWORD_RESET)


def test_deactivating_and_reactivating_an_account_is_audited(
    clinic_admin, admin_user, clinician_user
):
    clinic_admin.post(_change_url(clinician_user), _change_form(clinician_user, is_active=None))

    clinician_user.refresh_from_db()
    assert not clinician_user.is_active
    [entry] = _staff_entries(clinician_user, staff.DEACTIVATED)
    assert entry.actor == admin_user

    clinic_admin.post(_change_url(clinician_user), _change_form(clinician_user, is_active="on"))

    clinician_user.refresh_from_db()
    assert clinician_user.is_active
    [entry] = _staff_entries(clinician_user, staff.REACTIVATED)
    assert entry.actor == admin_user


def test_a_deactivated_member_of_staff_is_signed_out(client, clinic_admin, clinician_user):
    clinic_admin.post(_change_url(clinician_user), _change_form(clinician_user, is_active=None))
    clinic_admin.logout()
    sign_in(client, clinician_user)

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_saving_an_unchanged_page_writes_no_staff_entry(clinic_admin, clinician_user):
    before = LogEntry.objects.filter(additional_data__staff_id=clinician_user.pk).count()

    clinic_admin.post(_change_url(clinician_user), _change_form(clinician_user))

    assert LogEntry.objects.filter(additional_data__staff_id=clinician_user.pk).count() == before


def test_a_stray_is_staff_flag_without_the_admin_role_does_not_open_the_admin(
    client, front_desk_user
):
    front_desk_user.is_staff = True  # set before the roles decided it, say
    front_desk_user.save(update_fields=["is_staff"])
    sign_in(client, front_desk_user)

    response = client.get(reverse("admin:intake_patient_changelist"), follow=True)

    assert response.status_code == 403
