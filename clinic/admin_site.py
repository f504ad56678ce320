from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .roles import CLINIC_ADMIN, has_role, needs_second_factor


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic administration"
    site_title = "Clinic admin"
    index_title = "Staff, settings and audit trail"

    def has_permission(self, request):
        # The door follows the Clinic admin role (or superuser), not is_staff alone: an
        # is_staff flag left on a front-desk account would open the patient lists to it.
        return (
            super().has_permission(request)
            and has_role(request.user, (CLINIC_ADMIN,))
            and not needs_second_factor(request.user)
        )

    def login(self, request, extra_context=None):
        # One sign-in page for everybody (lockout and two-factor live there). A signed-in
        # member of staff without admin rights gets a 403, not a loop back to the login page.
        next_url = request.GET.get("next", request.path)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(next_url)
        if needs_second_factor(user):
            return redirect_to_login(next_url, login_url="two_factor")
        raise PermissionDenied
