import re

from django.conf import settings

from .roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK, has_role, needs_second_factor


def _clinic() -> dict:
    phone = settings.CLINIC_PHONE
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": phone,
        "clinic_phone_tel": re.sub(r"[^\d+]", "", phone),
    }


def navigation(request):
    user = getattr(request, "user", None)
    # Half signed in (password given, code not yet): no links that would only bounce back.
    if user is None or not user.is_authenticated or needs_second_factor(user):
        return _clinic()
    return {
        **_clinic(),
        "is_front_desk": has_role(user, [FRONT_DESK]),
        "is_clinician": has_role(user, [CLINICIAN]),
        "is_clinic_admin": has_role(user, [CLINIC_ADMIN]),
    }
