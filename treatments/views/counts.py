"""Counts, inventories and discrepancies (being written)."""

from django.http import Http404

from clinic.roles import CLINICIAN, role_required


@role_required(CLINICIAN)
def count_list(request):
    raise Http404


@role_required(CLINICIAN)
def count_new(request):
    raise Http404


@role_required(CLINICIAN)
def count_detail(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def count_csv(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def discrepancy_detail(request, pk: int):
    raise Http404


@role_required(CLINICIAN)
def form_106(request, pk: int):
    raise Http404
