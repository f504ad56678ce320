"""The controlled-substance ledger's pages (being written)."""

from django.http import Http404

from clinic.roles import CLINICIAN, role_required


@role_required(CLINICIAN)
def stock(request):
    raise Http404


@role_required(CLINICIAN)
def entry_list(request):
    raise Http404


@role_required(CLINICIAN)
def receipt_new(request):
    raise Http404


@role_required(CLINICIAN)
def container_detail(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def container_dispose(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def entry_reverse(request, pk: int):
    raise Http404
