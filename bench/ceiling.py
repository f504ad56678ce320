"""The floors every page is measured against, each in the same run as the pages.

- ``bare``: Django's full middleware stack, one query, a small template, no session (nobody
  signed in: the session middleware finds no cookie, the user is anonymous).
- ``signed in``: the same for a signed-in user: the session row and the user are read (and
  the OTP device, as on every staff page), no role check.
- ``ceiling``: the project's earlier reference, kept for comparison: the signed-in page with
  the role check and every context processor of a staff page.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from clinic.roles import ROLES, public_view, role_required
from intake.models import Patient


def _newest_mrn():
    return Patient.objects.order_by("-pk").values_list("mrn", flat=True).first()


@public_view
@require_GET
def bare(request):
    # TemplateResponse without the request: no context processor reads the (absent) session.
    return TemplateResponse(request, "bench/floor.html", {"newest_mrn": _newest_mrn()})


@login_required
@require_GET
def signed_in(request):
    return TemplateResponse(
        request, "bench/floor.html", {"newest_mrn": _newest_mrn(), "username": request.user}
    )


@role_required(*ROLES)
@require_GET
def ceiling(request):
    return render(request, "bench/ceiling.html", {"newest_mrn": _newest_mrn()})
