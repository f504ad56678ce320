import base64
import time

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import user_has_device

from . import home as home_panels
from . import locations, services
from .forms import LocationForm, StaffLoginForm, TokenForm
from .middleware import SESSION_LAST_SEEN_KEY, SESSION_STARTED_KEY
from .roles import (
    CLINIC_ADMIN,
    CLINICIAN,
    FRONT_DESK,
    ROLES,
    home_redirect_for,
    needs_second_factor,
    public_view,
    role_required,
    user_roles,
)


def _safe_next(request, fallback: str | None = None):
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


class StaffLoginView(auth_views.LoginView):
    form_class = StaffLoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)
        now = int(time.time())
        self.request.session[SESSION_STARTED_KEY] = now
        self.request.session[SESSION_LAST_SEEN_KEY] = now
        if needs_second_factor(self.request.user):
            url = reverse("two_factor")
            next_url = _safe_next(self.request)
            return redirect(f"{url}?{urlencode({'next': next_url})}" if next_url else url)
        return response

    def get_success_url(self):
        return _safe_next(self.request) or home_redirect_for(self.request.user).url

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_demo_logins"] = settings.CLINIC_SHOW_DEMO_LOGINS
        return context


staff_login = public_view(StaffLoginView.as_view())


@public_view
@require_http_methods(["GET", "POST"])
def two_factor(request):
    """Second step of the login: verify a TOTP code, or enrol an authenticator app first."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.is_verified():
        return redirect(_safe_next(request) or home_redirect_for(user).url)
    enrolling = not user_has_device(user, confirmed=True)
    form = TokenForm(request.POST or None)
    context = {"form": form, "enrolling": enrolling, "next": _safe_next(request) or ""}
    if enrolling:
        device = services.totp_device_for_enrolment(user=user)
        qr = segno.make(device.config_url, error="m")
        context["qr_svg"] = qr.svg_inline(
            scale=4, omitsize=False, title="Authenticator set-up code"
        )
        context["secret"] = _base32(device.bin_key)
    if request.method == "POST" and form.is_valid():
        if services.totp_verify(request=request, token=form.cleaned_data["token"]):
            if enrolling:
                messages.success(request, "Two-factor sign-in is set up.")
            return redirect(_safe_next(request) or home_redirect_for(user).url)
        form.add_error("token", "That code did not match. Check your app's clock and try again.")
    return render(request, "registration/two_factor.html", context)


def _base32(key: bytes) -> str:
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


@public_view
@require_POST
def staff_logout(request):
    logout(request)
    messages.info(request, "You are signed out.")
    return redirect("login")


# The home page's parts, one per role, in this order; a person with both roles sees both.
HOME_SECTIONS = ((FRONT_DESK, "front-desk", "Front desk"), (CLINICIAN, "clinical", "Clinical"))


def _home_sections(request, roles: set[str]) -> dict:
    """The panels for this request, placed in their role's part of the page."""
    panels = home_panels.panels_for(request)
    sections = [
        {
            "slug": slug,
            "title": title,
            "role": role,
            "panels": [panel for panel in panels if panel["audience"] == role],
        }
        for role, slug, title in HOME_SECTIONS
        if role in roles
    ]
    placed = {section["role"] for section in sections}
    return {
        "sections": sections,
        # A panel for no role in particular (or one this page has no part for) goes last.
        "other_panels": [panel for panel in panels if panel["audience"] not in placed],
    }


@role_required(*ROLES)
@require_http_methods(["GET"])
def home(request):
    roles = user_roles(request.user)
    if roles == {CLINIC_ADMIN}:
        return redirect("admin:index")
    return render(
        request, "clinic/home.html", {"roles": sorted(roles), **_home_sections(request, roles)}
    )


@public_view
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    return render(request, "500.html", status=500)


@role_required(*ROLES)
@require_http_methods(["GET", "POST"])
def location_pick(request):
    """Where the member of staff works now: asked after sign-in when they have several
    locations, and from the header's "Change" link."""
    if not locations.chain_enabled():
        raise Http404
    choices = locations.user_locations(request.user)
    if not choices:
        # Signed in, but not (or no longer) assigned anywhere: say so, and who can fix it.
        return render(request, "clinic/location_none.html", status=403)
    form = LocationForm(request.POST or None, choices=choices)
    if request.method == "POST" and form.is_valid():
        location = locations.choose_location(request, int(form.cleaned_data["location"]))
        if location is not None:
            messages.success(request, f"You are working at {location.name}.")
            return redirect(_safe_next(request, reverse("home")))
    current = locations.current_location(request)
    if current is not None and not form.is_bound:
        form.initial["location"] = str(current.pk)
    return render(
        request,
        "clinic/location_pick.html",
        {"form": form, "next": _safe_next(request, "")},
    )
