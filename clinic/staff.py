"""Staff accounts: the writes a clinic admin (or a superuser) makes to another member of staff.

Each change is one function that checks who may make it, saves, and writes its row in the audit
trail naming who made it (``by``), so the trail answers "who gave this account the Clinician
role, reset its password, removed its authenticator" without the admin's own history page.

The rules, in one place:

- A clinic admin manages staff through the three roles (``clinic.roles.ROLES``) and nothing
  else: no superuser flag, no per-user permissions. ``is_staff`` (the admin's door) follows the
  roles: set for the Clinic admin role and for superusers, never on its own.
- Only a superuser changes a superuser (``may_manage``); superusers are made with
  ``createsuperuser``.
- Nobody changes their own roles, privileges or active status: a second person does.
- A second factor's key is never shown to anyone; an admin may remove a device, which makes its
  owner enrol a new one at their next sign-in (``clinic.views.two_factor``).
"""

from collections.abc import Iterable

from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from .roles import CLINIC_ADMIN, ROLES

# What each entry's ``additional_data["staff_change"]`` says, for filtering the trail.
CREATED = "staff created"
DETAILS_CHANGED = "details changed"
ROLES_CHANGED = "roles changed"
PRIVILEGES_CHANGED = "privileges changed"
PASSWORD_RESET = "password reset"  # noqa: S105 - the name of a change, not a password
DEVICE_REMOVED = "authenticator removed"
DEACTIVATED = "deactivated"
REACTIVATED = "reactivated"

DETAIL_FIELDS = ("username", "first_name", "last_name", "email")


def may_manage(by: AbstractUser, user: AbstractUser) -> bool:
    """Whether ``by`` may change ``user``'s account at all: only a superuser changes a superuser."""
    return by.is_superuser or not user.is_superuser


def _check_may_manage(by: AbstractUser, user: AbstractUser) -> None:
    if not may_manage(by, user):
        raise PermissionDenied("Only a superuser changes a superuser's account.")


def _check_not_self(by: AbstractUser, user: AbstractUser, what: str) -> None:
    if user.pk is not None and by.pk == user.pk:
        raise PermissionDenied(f"Nobody changes their own {what}: ask another admin.")


def _record(
    *,
    by: AbstractUser,
    instance,
    change: str,
    action: int = LogEntry.Action.UPDATE,
    changes: dict,
    staff: AbstractUser,
    **details,
) -> None:
    LogEntry.objects.log_create(
        instance,
        action=action,
        changes=changes,
        actor=by,
        actor_email=by.email or None,
        additional_data={"staff_change": change, "staff_id": staff.pk, **details},
        # Never the account's row as it is: that would copy its password hash into the trail.
        serialized_data=None,
    )


def _role_names(user: AbstractUser) -> list[str]:
    return sorted(user.groups.filter(name__in=ROLES).values_list("name", flat=True))


def _is_staff_for(*, roles: Iterable[str], is_superuser: bool) -> bool:
    """The admin's door opens for the Clinic admin role and for superusers, and for no one else."""
    return is_superuser or CLINIC_ADMIN in roles


def _checked_roles(roles: Iterable[str]) -> list[str]:
    wanted = sorted(set(roles))
    unknown = [role for role in wanted if role not in ROLES]
    if unknown:
        raise ValidationError(f"Not a clinic role: {', '.join(unknown)}.")
    return wanted


@transaction.atomic
def staff_create(
    *,
    by: AbstractUser,
    username: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    roles: Iterable[str] = (),
) -> AbstractUser:
    """A new member of staff holding ``roles``; ``password`` None leaves password sign-in off."""
    wanted = _checked_roles(roles)
    user = get_user_model()(
        username=username,
        first_name=first_name,
        last_name=last_name,
        email=email,
        is_superuser=False,
        is_staff=_is_staff_for(roles=wanted, is_superuser=False),
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.groups.set(Group.objects.filter(name__in=wanted))
    _record(
        by=by,
        instance=user,
        staff=user,
        change=CREATED,
        action=LogEntry.Action.CREATE,
        changes={
            "username": [None, username],
            "roles": [None, ", ".join(wanted)],
            "is_staff": [None, str(user.is_staff)],
        },
    )
    return user


@transaction.atomic
def staff_details_set(
    *,
    by: AbstractUser,
    user: AbstractUser,
    username: str,
    first_name: str,
    last_name: str,
    email: str,
) -> None:
    """Change a member of staff's name, username or email address."""
    _check_may_manage(by, user)
    wanted = {
        "username": username,
        "first_name": first_name,
        "last_name": last_name,
        "email": email,
    }
    changes = {
        field: [getattr(user, field), value]
        for field, value in wanted.items()
        if getattr(user, field) != value
    }
    if not changes:
        return
    for field, (_, value) in changes.items():
        setattr(user, field, value)
    user.full_clean(exclude=["password"])
    user.save(update_fields=list(changes))
    _record(by=by, instance=user, staff=user, change=DETAILS_CHANGED, changes=changes)


@transaction.atomic
def staff_roles_set(*, by: AbstractUser, user: AbstractUser, roles: Iterable[str]) -> None:
    """Give a member of staff exactly ``roles``; admin access follows the Clinic admin role."""
    _check_may_manage(by, user)
    wanted = _checked_roles(roles)
    held = _role_names(user)
    if wanted == held:
        return
    _check_not_self(by, user, "roles")
    added = [role for role in wanted if role not in held]
    removed = [role for role in held if role not in wanted]
    user.groups.remove(*Group.objects.filter(name__in=removed))
    user.groups.add(*Group.objects.filter(name__in=added))
    user._clinic_roles = frozenset(wanted)
    changes = {"roles": [", ".join(held), ", ".join(wanted)]}
    is_staff = _is_staff_for(roles=wanted, is_superuser=user.is_superuser)
    if is_staff != user.is_staff:
        changes["is_staff"] = [str(user.is_staff), str(is_staff)]
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    _record(
        by=by,
        instance=user,
        staff=user,
        change=ROLES_CHANGED,
        changes=changes,
        added=added,
        removed=removed,
    )


@transaction.atomic
def staff_privileges_set(
    *, by: AbstractUser, user: AbstractUser, is_superuser: bool, permissions: Iterable[Permission]
) -> None:
    """A superuser's grant beyond the roles: the superuser flag and per-user permissions."""
    if not by.is_superuser:
        raise PermissionDenied("Only a superuser grants privileges beyond the clinic roles.")
    wanted = sorted(set(permissions), key=lambda permission: permission.pk)
    held = sorted(user.user_permissions.all(), key=lambda permission: permission.pk)
    changes = {}
    if is_superuser != user.is_superuser:
        changes["is_superuser"] = [str(user.is_superuser), str(is_superuser)]
    if wanted != held:
        changes["user_permissions"] = [_permission_names(held), _permission_names(wanted)]
    if not changes:
        return
    _check_not_self(by, user, "privileges")
    if wanted != held:
        user.user_permissions.set(wanted)
    user.is_superuser = is_superuser
    is_staff = _is_staff_for(roles=_role_names(user), is_superuser=is_superuser)
    if is_staff != user.is_staff:
        changes["is_staff"] = [str(user.is_staff), str(is_staff)]
    user.is_staff = is_staff
    user.save(update_fields=["is_superuser", "is_staff"])
    _record(by=by, instance=user, staff=user, change=PRIVILEGES_CHANGED, changes=changes)


def _permission_names(permissions: list[Permission]) -> str:
    return ", ".join(
        f"{permission.content_type.app_label}.{permission.codename}" for permission in permissions
    )


@transaction.atomic
def staff_password_reset(*, by: AbstractUser, user: AbstractUser, password: str | None) -> None:
    """Set a member of staff's password (None: password sign-in off); the trail names who did."""
    _check_may_manage(by, user)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])
    _record(
        by=by,
        instance=user,
        staff=user,
        change=PASSWORD_RESET,
        # The audit table shows a password's values as "***" whatever is stored.
        changes={"password": ["***", "***"]},
        usable=password is not None,
    )


@transaction.atomic
def staff_device_remove(*, by: AbstractUser, device: TOTPDevice) -> None:
    """Remove a member of staff's authenticator: they enrol a new one at their next sign-in."""
    owner = device.user
    _check_may_manage(by, owner)
    changes = {"name": [device.name, None], "confirmed": [str(device.confirmed), None]}
    _record(
        by=by,
        instance=device,
        staff=owner,
        change=DEVICE_REMOVED,
        action=LogEntry.Action.DELETE,
        changes=changes,
    )
    device.delete()


def staff_deactivate(*, by: AbstractUser, user: AbstractUser) -> None:
    """Close a departing member of staff's account; kept, not deleted, so the trail names them.

    Their open sessions end at their next request (the sign-in backend refuses inactive users)."""
    _set_active(by=by, user=user, active=False, change=DEACTIVATED)


def staff_reactivate(*, by: AbstractUser, user: AbstractUser) -> None:
    """Open a deactivated account again."""
    _set_active(by=by, user=user, active=True, change=REACTIVATED)


@transaction.atomic
def _set_active(*, by: AbstractUser, user: AbstractUser, active: bool, change: str) -> None:
    _check_may_manage(by, user)
    if user.is_active == active:
        return
    _check_not_self(by, user, "active status")
    user.is_active = active
    user.save(update_fields=["is_active"])
    _record(
        by=by,
        instance=user,
        staff=user,
        change=change,
        changes={"is_active": [str(not active), str(active)]},
    )
