from django.conf import settings

from .roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK, has_role, needs_second_factor


def navigation(request):
    user = getattr(request, "user", None)
    # Half signed in (password given, code not yet): no links that would only bounce back.
    if user is None or not user.is_authenticated or needs_second_factor(user):
        return {"clinic_name": settings.CLINIC_NAME}
    return {
        "clinic_name": settings.CLINIC_NAME,
        "is_front_desk": has_role(user, [FRONT_DESK]),
        "is_clinician": has_role(user, [CLINICIAN]),
        "is_clinic_admin": has_role(user, [CLINIC_ADMIN]),
    }
