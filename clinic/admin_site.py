from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied

from .forms import TypedInputAdmin
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

    def register(self, model_or_iterable, admin_class=None, **options):
        # Every page's form follows the clinic's rules on typed text and dates (clinic.forms),
        # the pages other apps register (groups, lockouts) as well as ours.
        admin_class = admin_class or admin.ModelAdmin
        if not issubclass(admin_class, TypedInputAdmin):
            admin_class = type(
                admin_class.__name__,
                (TypedInputAdmin, admin_class),
                {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__},
            )
        super().register(model_or_iterable, admin_class, **options)

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
