"""A ledger page opened at a location with no DEA registration number yet: a page that says so
and who can fix it, rather than a server error. Forms that record into the ledger show the same
refusal beside their fields (the services raise it as a ``ValidationError``)."""

from django.shortcuts import render

from .services.ledger import RegistrationMissing


class RegistrationMissingMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, RegistrationMissing):
            return None
        return render(
            request,
            "treatments/ledger/no_registration.html",
            {"reason": exception.messages[0]},
            status=409,
        )
