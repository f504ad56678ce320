"""Reports across a chain of clinics: the controlled-substance stock of each location under its
DEA registration, the products' totals, and when each location's next inventory is due.

Only in a chain (one clinic: 404, the stock page is the whole story). Clinicians and the clinic
admin see the locations they work in (every location when chain-wide); no patient is named.
"""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.locations import is_chain_wide
from clinic.roles import CLINIC_ADMIN, CLINICIAN, role_required

from ..selectors import chain_reports as selectors


@require_GET
@role_required(CLINICIAN, CLINIC_ADMIN)
def chain_inventory(request):
    workplace = getattr(request, "workplace", None)
    if workplace is None:
        raise Http404
    stock = selectors.chain_stock(location_ids=[location.pk for location in workplace.choices])
    return render(
        request,
        "treatments/counts/chain.html",
        {"stock": stock, "chain_wide": is_chain_wide(request.user)},
    )
