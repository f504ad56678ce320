"""A patient's short session, exchanged for their link's token.

The token is only ever in the first URL the patient opens; after that the browser holds a
session that names the link, first "pending" (token checked), then "verified" (date of birth
confirmed). Every request re-checks that the link is still usable.
"""

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.urls import reverse

from .forms import BirthDateConfirmForm
from .models import IntakeLink

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


STAFF_SIGNED_OUT = "You were signed out of the staff account to open this patient's link."


def sender_name(*, neutral: bool) -> dict:
    """The name ``patient_base.html`` shows in the page's title and header: the clinic's own,
    or for a link sent under the neutral sender name (``CLINIC_MESSAGE_NAME``, as the text
    message says) that name, so a page seen over the patient's shoulder does not say what the
    clinic treats."""
    return {"sender_name": settings.CLINIC_MESSAGE_NAME} if neutral else {}


def refusal_response(request, reason: str, *, neutral_name: bool = False):
    status, title, message = REFUSALS[reason]
    response = render(
        request,
        "intake/patient/refused.html",
        {"title": title, "message": message, "reason": reason, **sender_name(neutral=neutral_name)},
        status=status,
    )
    response["Referrer-Policy"] = "no-referrer"
    return response


class LinkSession:
    """The session keys and checks for one kind of patient link (the intake's, a survey's).

    ``load`` fetches the link by id with what its pages need; ``confirm_url`` names the
    date-of-birth page; ``allow_when_done`` says whether a refused link still shows the
    "thank you" page of finished forms; ``neutral_name`` shows the neutral sender name on its
    pages (see ``sender_name``).
    """

    def __init__(
        self,
        *,
        prefix: str,
        load,
        confirm_url: str,
        allow_when_done,
        attach,
        neutral_name: bool = False,
    ):
        self.pending_key = f"{prefix}_pending"
        self.verified_key = f"{prefix}_verified"
        self._load_link = load
        self.confirm_url = confirm_url
        self._allow_when_done = allow_when_done
        self._attach = attach
        self.neutral_name = neutral_name

    def refuse(self, request, reason: str):
        return refusal_response(request, reason, neutral_name=self.neutral_name)

    def sign_out_staff(self, request):
        """Sign out a staff member signed in in this browser, before any patient page: the
        patient must never hold the staff session (a shared computer, a link opened to check
        it). Signing out ends the patient's session too: they open their link again."""
        logout(request)
        return self.staff_signed_out_page(request)

    def staff_signed_out_page(self, request, *, continue_to: str | None = None):
        """Says the staff member was signed out; ``continue_to`` is where the patient goes on
        (the link's first open, whose session began after the sign-out)."""
        response = render(
            request,
            "intake/patient/staff_signed_out.html",
            {"continue_url": continue_to, **sender_name(neutral=self.neutral_name)},
        )
        response["Referrer-Policy"] = "no-referrer"
        return response

    def begin(self, request, link) -> None:
        request.session.cycle_key()
        request.session.pop(self.verified_key, None)
        request.session[self.pending_key] = link.pk
        request.session.set_expiry(settings.CLINIC_PATIENT_SESSION_SECONDS)

    def verify(self, request, link) -> None:
        request.session.cycle_key()  # a new session id once the patient has proved who they are
        request.session.pop(self.pending_key, None)
        request.session[self.verified_key] = link.pk
        request.session.set_expiry(settings.CLINIC_PATIENT_SESSION_SECONDS)

    def end(self, request) -> None:
        request.session.pop(self.pending_key, None)
        request.session.pop(self.verified_key, None)

    def _load(self, request, key: str):
        link_id = request.session.get(key)
        if not link_id:
            return None
        return self._load_link(link_id)

    def pending_link(self, request):
        return self._load(request, self.pending_key)

    def exchange_token(self, request, link, *, reason: str | None):
        """The link's first open: refuse an unusable link, or start a session and move the
        browser to the token-free date-of-birth page. A staff member signed in in this
        browser is signed out first, whatever the link: the page then says so."""
        staff_was_signed_in = request.user.is_authenticated
        if staff_was_signed_in:
            logout(request)
        if link is None or reason:
            if staff_was_signed_in:
                messages.info(request, STAFF_SIGNED_OUT)
            return self.refuse(request, reason or "invalid")
        self.begin(request, link)
        if staff_was_signed_in:
            return self.staff_signed_out_page(request, continue_to=reverse(self.confirm_url))
        response = redirect(self.confirm_url)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def confirm_birth_date(self, request, *, refusal_of, check, next_url: str, intro: str):
        """The date-of-birth page: ``check(link, date)`` counts the tries; the right date
        verifies the session and moves on to ``next_url``."""
        if request.user.is_authenticated:  # staff signed in after the link was opened
            return self.sign_out_staff(request)
        link = self.pending_link(request)
        if link is None:
            return self.refuse(request, "session")
        reason = refusal_of(link)
        if reason:
            self.end(request)
            return self.refuse(request, reason)
        form = BirthDateConfirmForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            if check(link, form.cleaned_data["date_of_birth"]):
                self.verify(request, link)
                return redirect(next_url)
            if link.locked_at:
                self.end(request)
                return self.refuse(request, "locked")
            left = link.remaining_attempts
            form.add_error(
                "date_of_birth",
                "That date of birth doesn't match our records. "
                f"{left} {'try' if left == 1 else 'tries'} left before the link locks.",
            )
        return render(
            request,
            "intake/patient/confirm.html",
            {"form": form, "intro": intro, **sender_name(neutral=self.neutral_name)},
        )

    def required(self, view):
        """The patient must hold a verified, still-usable link (``attach`` puts it on the
        request)."""

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.user.is_authenticated:  # staff signed in after the link was opened
                return self.sign_out_staff(request)
            link = self._load(request, self.verified_key)
            if link is None:
                if self.pending_link(request) is not None:
                    return redirect(self.confirm_url)
                return self.refuse(request, "session")
            reason = link.refusal()
            if reason and not self._allow_when_done(link):
                self.end(request)
                return self.refuse(request, reason)
            self._attach(request, link)
            return view(request, *args, **kwargs)

        wrapper.public = True
        return wrapper


def _attach_intake(request, link: IntakeLink) -> None:
    request.intake_link = link
    request.intake = link.intake


def _intake_link(pk) -> IntakeLink | None:
    """Every page of the intake loads the link, its intake and the patient: one query."""
    try:
        return IntakeLink.objects.select_related("intake__patient").get(pk=int(pk))
    except IntakeLink.DoesNotExist:
        return None


INTAKE = LinkSession(
    prefix="patient_link",
    load=_intake_link,
    confirm_url="intake:confirm",
    allow_when_done=lambda link: link.intake.is_submitted,
    attach=_attach_intake,
)

begin = INTAKE.begin
verify = INTAKE.verify
end = INTAKE.end
pending_link = INTAKE.pending_link
patient_link_required = INTAKE.required
