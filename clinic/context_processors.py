import re

from django.conf import settings

from .navigation import links_for, site_urls
from .roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK, ROLES, needs_second_factor, user_roles


def _clinic() -> dict:
    phone = settings.CLINIC_PHONE
    return {
        "clinic_name": settings.CLINIC_NAME,
        "clinic_phone": phone,
        "clinic_phone_tel": re.sub(r"[^\d+]", "", phone),
        "site_urls": site_urls(),
    }


def navigation(request):
    user = getattr(request, "user", None)
    # Half signed in (password given, code not yet): no links that would only bounce back.
    if user is None or not user.is_authenticated or needs_second_factor(user):
        return _clinic()
    roles = frozenset(ROLES) if user.is_superuser else user_roles(user)
    return {
        **_clinic(),
        "is_front_desk": FRONT_DESK in roles,
        "is_clinician": CLINICIAN in roles,
        "is_clinic_admin": CLINIC_ADMIN in roles,
        "nav_links": links_for(roles),
    }
