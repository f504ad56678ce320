"""Staff roles and the access check every staff view goes through.

Roles are Django groups made by a data migration (clinic/migrations/0002_roles.py). A view
declares the roles allowed to use it with ``@role_required``; a patient-facing or public view
says so with ``@public_view``. tests/clinic/test_access.py walks every URL pattern and fails
for a view that declares neither, so no view can be added unprotected.
"""

from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django_otp import user_has_device

FRONT_DESK = "Front desk"
CLINICIAN = "Clinician"
CLINIC_ADMIN = "Clinic admin"
ROLES = (FRONT_DESK, CLINICIAN, CLINIC_ADMIN)

# Model permissions each role's group holds (used by the Django admin and by has_perm checks).
# Apps add their own models here as they grow; the roles migration of each app re-syncs.
ROLE_PERMISSIONS: dict[str, list[str]] = {
    FRONT_DESK: [
        "treatments.view_treatmentplan",
        "treatments.view_planversion",
        "treatments.view_treatmentchair",
        "treatments.view_treatmentsession",
        "treatments.add_treatmentsession",
        "treatments.change_treatmentsession",
        "treatments.view_stafftask",
        "treatments.change_stafftask",
        "intake.view_patient",
        "intake.add_patient",
        "intake.change_patient",
        "intake.view_patientmeasurement",
        "intake.add_patientmeasurement",
    ],
    CLINICIAN: [
        "treatments.view_treatmentplan",
        "treatments.add_treatmentplan",
        "treatments.change_treatmentplan",
        "treatments.view_planversion",
        "treatments.add_planversion",
        "treatments.view_treatmentchair",
        "treatments.view_treatmentsession",
        "treatments.add_treatmentsession",
        "treatments.change_treatmentsession",
        "treatments.view_vitalsreading",
        "treatments.add_vitalsreading",
        "treatments.view_sessionevent",
        "treatments.add_sessionevent",
        "treatments.view_sessionaddendum",
        "treatments.add_sessionaddendum",
        "treatments.view_assessmentfinding",
        "treatments.add_assessmentfinding",
        "treatments.view_screening",
        "treatments.view_screeningdetermination",
        "treatments.add_screeningdetermination",
        "treatments.view_stafftask",
        "treatments.change_stafftask",
        # The controlled-substance ledger: clinicians receive, draw, give, waste, witness and
        # count (all through the app's pages; the admin shows the ledger read-only).
        "treatments.view_dearegistration",
        "treatments.view_controlledproduct",
        "treatments.view_stockreceipt",
        "treatments.view_stockcontainer",
        "treatments.view_stockcount",
        "treatments.view_stockonhand",
        "treatments.view_ledgerentry",
        "treatments.view_discrepancy",
        "treatments.view_discrepancyresolution",
        "treatments.view_remsenrollment",
        "treatments.add_remsenrollment",
        "treatments.view_remsformsubmission",
        "treatments.add_remsformsubmission",
        "intake.view_patient",
        "intake.add_patient",
        "intake.change_patient",
        "intake.view_patientmeasurement",
        "intake.add_patientmeasurement",
    ],
    CLINIC_ADMIN: [
        "treatments.view_treatmentchair",
        "treatments.add_treatmentchair",
        "treatments.change_treatmentchair",
        "treatments.view_treatmentplan",
        "treatments.view_treatmentsession",
        "treatments.view_assessmentfinding",
        "treatments.view_screening",
        "treatments.view_screeningdetermination",
        "treatments.view_stafftask",
        # Stock and inventory totals (no patient names): the registrations and products are
        # theirs to keep up to date.
        "treatments.view_dearegistration",
        "treatments.add_dearegistration",
        "treatments.change_dearegistration",
        "treatments.view_controlledproduct",
        "treatments.add_controlledproduct",
        "treatments.change_controlledproduct",
        "treatments.view_stockreceipt",
        "treatments.view_stockcontainer",
        "treatments.view_stockcount",
        "treatments.view_stockonhand",
        "treatments.view_ledgerentry",
        "treatments.view_discrepancy",
        "treatments.view_discrepancyresolution",
        "clinic.view_location",
        "clinic.add_location",
        "clinic.change_location",
        "clinic.view_stafflocation",
        "clinic.add_stafflocation",
        "clinic.change_stafflocation",
        "clinic.delete_stafflocation",
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
        "auditlog.view_logentry",
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "axes.view_accessfailurelog",
        "otp_totp.view_totpdevice",
        "otp_totp.delete_totpdevice",
        "intake.view_patient",
        "intake.view_patientmeasurement",
        "followups.view_outboxentry",
        "followups.view_survey",
        "followups.view_surveylink",
        "followups.view_followupcall",
    ],
}


def user_roles(user) -> frozenset[str]:
    """The clinic roles a user holds (cached on the user object for the request)."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = user._clinic_roles = frozenset(
            Group.objects.filter(user__id=user.pk, name__in=ROLES).values_list("name", flat=True)
        )
    return cached


def needs_second_factor(user) -> bool:
    """True when this user must (still) verify a TOTP code in this session."""
    # OTPMiddleware adds is_verified() to the request's user; the user object that login()
    # puts on the request right after the password step has none, and is not verified yet.
    is_verified = getattr(user, "is_verified", None)
    if not user.is_authenticated or (is_verified is not None and is_verified()):
        return False
    required = set(settings.CLINIC_2FA_REQUIRED_ROLES)
    if user.is_superuser and required:
        return True
    return bool(required & user_roles(user)) or _has_confirmed_device(user)


def _has_confirmed_device(user) -> bool:
    # Cached for the request, like the roles: the view and the navigation both ask.
    cached = getattr(user, "_clinic_has_device", None)
    if cached is None:
        cached = user._clinic_has_device = user_has_device(user, confirmed=True)
    return cached


def role_required(*roles: str) -> Callable:
    """Allow only signed-in staff holding one of ``roles`` (anonymous: login; others: 403)."""
    unknown = set(roles) - set(ROLES)
    if unknown or not roles:
        raise ValueError(f"Unknown roles: {sorted(unknown)}")
    allowed = frozenset(roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if needs_second_factor(user):
                return redirect_to_login(request.get_full_path(), login_url="two_factor")
            if not (user.is_superuser or allowed & user_roles(user)):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed
        return wrapper

    return decorator


def public_view(view: Callable) -> Callable:
    """Mark a view that deliberately needs no staff login (login page, patient links)."""
    view.public = True
    return view


def has_role(user, roles: Iterable[str]) -> bool:
    return bool(set(roles) & user_roles(user)) or bool(user.is_superuser)


def home_redirect_for(user):
    """Where a staff member lands after login."""
    if not has_role(user, (FRONT_DESK, CLINICIAN)) and has_role(user, (CLINIC_ADMIN,)):
        return redirect("admin:index")
    return redirect("home")
