import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import BadRequest
from django.utils.cache import patch_cache_control

from .text_input import has_control_characters

SESSION_STARTED_KEY = "clinic_auth_started"
SESSION_LAST_SEEN_KEY = "clinic_last_seen"
# Refresh the idle timer at most this often so most requests do not write the session.
_TOUCH_EVERY_SECONDS = 30


class SessionTimeoutMiddleware:
    """Log staff off after idle minutes and after an absolute cap, whichever comes first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = int(time.time())
            session = request.session
            started = session.get(SESSION_STARTED_KEY)
            last_seen = session.get(SESSION_LAST_SEEN_KEY)
            if started is None:
                session[SESSION_STARTED_KEY] = started = now
            if last_seen is None:
                last_seen = now
            idle_expired = now - last_seen > settings.CLINIC_SESSION_IDLE_SECONDS
            cap_expired = now - started > settings.CLINIC_SESSION_MAX_SECONDS
            if idle_expired or cap_expired:
                logout(request)
                messages.info(
                    request,
                    "You were signed out after a period without activity. Please sign in again."
                    if idle_expired
                    else "Your session reached its time limit. Please sign in again.",
                )
                return redirect_to_login(request.get_full_path())
            if now - last_seen >= _TOUCH_EVERY_SECONDS or SESSION_LAST_SEEN_KEY not in session:
                session[SESSION_LAST_SEEN_KEY] = now
        return self.get_response(request)


class NoStoreMiddleware:
    """Pages are built from patient data: no browser or proxy may keep a copy.

    Static files are answered by WhiteNoise before this runs and keep their own caching.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, no_store=True, private=True)
        return response


class RefuseControlCharactersInQueryMiddleware:
    """A query string holding a control character (a NUL byte, an escape) is refused with
    "400 Bad request" before any view reads it.

    Nobody types one into an address bar; it comes from a crafted link. Left through, a NUL
    reaches PostgreSQL in a filter (an admin list's ``?status__exact=%00``) and PostgreSQL refuses
    the whole statement: a server error. Typed text in a form is a different matter: it gets a
    message beside the field (``clinic.text_input``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for key, values in request.GET.lists():
            if any(has_control_characters(text) for text in (key, *values)):
                raise BadRequest("control character in the query string")
        return self.get_response(request)
