from django.conf import settings

from .roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK, has_role


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"clinic_name": settings.CLINIC_NAME}
    return {
        "clinic_name": settings.CLINIC_NAME,
        "is_front_desk": has_role(user, [FRONT_DESK]),
        "is_clinician": has_role(user, [CLINICIAN]),
        "is_clinic_admin": has_role(user, [CLINIC_ADMIN]),
    }
