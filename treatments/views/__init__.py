"""The treatments pages. What several of them share is here."""

from functools import wraps

from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect


def post_or_back(page: str):
    """A view a form posts to, whose address opened by GET (a refused form's page reloaded,
    the address opened again from the history) goes back to ``page`` (a URL name taking the
    same ``pk``) instead of a bare 405 page."""

    def decorator(view):
        @wraps(view)
        def post_or_redirect(request, pk: int):
            if request.method == "GET":
                return redirect(page, pk=pk)
            if request.method != "POST":
                return HttpResponseNotAllowed(["GET", "POST"])
            return view(request, pk)

        return post_or_redirect

    return decorator
