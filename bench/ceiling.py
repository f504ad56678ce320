"""The ceiling: the cheapest staff page the stack can serve.

Same middleware (sessions, auth, OTP, audit, CSP, axes), the same role check and context
processors as every staff page, then one query and a small template. Each page's throughput is
reported as a fraction of this one's.
"""

from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.roles import ROLES, role_required
from intake.models import Patient


@role_required(*ROLES)
@require_GET
def ceiling(request):
    newest = Patient.objects.order_by("-pk").values_list("mrn", flat=True).first()
    return render(request, "bench/ceiling.html", {"newest_mrn": newest})
