"""The esketamine REMS pages (being written)."""

from django.http import Http404

from clinic.roles import CLINICIAN, role_required


@role_required(CLINICIAN)
def rems_enroll(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def rems_form_submit(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def rems_forms_due(request):
    raise Http404
