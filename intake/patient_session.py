"""A patient's short session, exchanged for their link's token.

The token is only ever in the first URL the patient opens; after that the browser holds a
session that names the link, first "pending" (token checked), then "verified" (date of birth
confirmed). Every request re-checks that the link is still usable.
"""

from functools import wraps

from django.conf import settings
from django.shortcuts import redirect, render

from .models import IntakeLink

PENDING_KEY = "patient_link_pending"
VERIFIED_KEY = "patient_link_verified"

REFUSALS = {
    "invalid": (
        404,
        "This link doesn't work",
        "The link may have been copied incompletely, or replaced by a newer one. "
        "Please use the most recent message from the clinic, or call us for a new link.",
    ),
    "expired": (
        410,
        "This link has expired",
        "For your privacy, links work for a limited time. Please call the clinic and we will "
        "send you a new one. Anything you already saved is kept.",
    ),
    "revoked": (
        410,
        "This link is no longer active",
        "The clinic has replaced or cancelled this link. Please use the most recent message "
        "from the clinic, or call us.",
    ),
    "locked": (
        403,
        "This link is locked",
        "The date of birth was entered incorrectly too many times, so we locked the link to "
        "protect your information. Please call the clinic for a new link.",
    ),
    "session": (
        403,
        "Please open your link again",
        "Your session has ended (for your privacy it closes after a period without activity). "
        "Open the link from the clinic's message again to continue where you left off.",
    ),
}


def refusal_response(request, reason: str):
    status, title, message = REFUSALS[reason]
    response = render(
        request,
        "intake/patient/refused.html",
        {"title": title, "message": message, "reason": reason},
        status=status,
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


def begin(request, link: IntakeLink) -> None:
    request.session.cycle_key()
    request.session.pop(VERIFIED_KEY, None)
    request.session[PENDING_KEY] = link.pk
    request.session.set_expiry(settings.CLINIC_PATIENT_SESSION_SECONDS)


def verify(request, link: IntakeLink) -> None:
    request.session.cycle_key()  # a new session id once the patient has proved who they are
    request.session.pop(PENDING_KEY, None)
    request.session[VERIFIED_KEY] = link.pk
    request.session.set_expiry(settings.CLINIC_PATIENT_SESSION_SECONDS)


def end(request) -> None:
    request.session.pop(PENDING_KEY, None)
    request.session.pop(VERIFIED_KEY, None)


def _load(request, key: str) -> IntakeLink | None:
    link_id = request.session.get(key)
    if not link_id:
        return None
    return IntakeLink.objects.select_related("intake__patient").filter(pk=link_id).first()


def pending_link(request) -> IntakeLink | None:
    return _load(request, PENDING_KEY)


def patient_link_required(view):
    """The patient must hold a verified, still-usable link; sets ``request.intake_link``."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        link = _load(request, VERIFIED_KEY)
        if link is None:
            if pending_link(request) is not None:
                return redirect("intake:confirm")
            return refusal_response(request, "session")
        reason = link.refusal()
        if reason and not link.intake.is_submitted:
            end(request)
            return refusal_response(request, reason)
        request.intake_link = link
        request.intake = link.intake
        return view(request, *args, **kwargs)

    wrapper.public = True
    return wrapper
