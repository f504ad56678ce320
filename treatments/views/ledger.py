"""The controlled-substance ledger's pages: the stock on hand, a delivery, one container with
its history, a witnessed disposal, a reversing entry, the full ledger.

Clinicians record; the clinic admin sees the stock and the ledger without patient names (a
session is "session #N" to them). A page that names patients writes an access entry for each
session it shows.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from clinic.audit import record_accesses
from clinic.locations import current_location
from clinic.roles import CLINIC_ADMIN, CLINICIAN, has_role, role_required

from .. import forms_ledger as forms
from ..models import DeaRegistration, LedgerEntry, StockContainer
from ..selectors import ledger as selectors
from ..selectors import ledger_entries
from ..services import ledger as services
from ..services.ledger.stock import REVERSIBLE


def _shows_patients(request) -> bool:
    """Patient names are for clinicians; the clinic admin sees the session's number only."""
    return has_role(request.user, [CLINICIAN])


def working_registration(request) -> DeaRegistration:
    """The registration the ledger's pages show and record under: the working location's in a
    chain, the clinic's with one."""
    return services.clinic_registration(current_location(request))


def refuse_other_registration(request, registration_id: int) -> None:
    """404 for a row of another location's registration (a chain); with one clinic every row
    is the clinic's, and nothing is read."""
    location = current_location(request)
    if location is not None and services.clinic_registration(location).pk != registration_id:
        raise Http404


def _container_or_404(request, pk: int) -> StockContainer:
    container = selectors.container_for_page(pk=pk, today=timezone.localdate())
    if container is None:
        raise Http404
    refuse_other_registration(request, container.registration_id)
    return container


def _audit_sessions(request, entries, with_patients: bool) -> None:
    if with_patients:
        sessions = {entry.session_id: entry.session for entry in entries if entry.session_id}
        record_accesses(request, list(sessions.values()))


@role_required(CLINICIAN, CLINIC_ADMIN)
def stock(request):
    registration = working_registration(request)
    products = selectors.stock_on_hand(registration=registration, today=timezone.localdate())
    containers = sorted((c for p in products for c in p.containers), key=lambda c: c.label)
    return render(
        request,
        "treatments/ledger/stock.html",
        {
            "registration": registration,
            "products": products,
            "containers": containers,
            "is_clinician": _shows_patients(request),
        },
    )


@role_required(CLINICIAN, CLINIC_ADMIN)
def entry_list(request):
    registration = working_registration(request)
    filters = forms.EntryFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    with_patients = _shows_patients(request)
    page = ledger_entries.entries_page(
        registration=registration,
        with_patients=with_patients,
        page_number=request.GET.get("page"),
        product=chosen.get("product"),
        kind=chosen.get("kind", ""),
    )
    _audit_sessions(request, page.object_list, with_patients)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "treatments/ledger/entries.html",
        {
            "registration": registration,
            "filters": filters,
            "page": page,
            "entries": page.object_list,
            "filter_query": query.urlencode(),
            "with_patients": with_patients,
            "reversible": REVERSIBLE,
        },
    )


@role_required(CLINICIAN)
def receipt_new(request):
    registration = working_registration(request)
    next_labels = selectors.next_labels(registration=registration)
    suggested = _suggested_labels(next_labels)
    data = request.POST if request.method == "POST" else None
    form = forms.ReceiptForm(data, user=request.user)
    rows = forms.container_rows(data, suggested_labels=suggested)
    if data is not None and form.is_valid() and rows.is_valid():
        try:
            receipt = services.receipt_record(
                by=request.user,
                checked_by=form.cleaned_data["checked_by"],
                supplier=form.cleaned_data["supplier"],
                supplier_address=form.cleaned_data["supplier_address"],
                supplier_dea_number=form.cleaned_data["supplier_dea_number"],
                invoice_number=form.cleaned_data["invoice_number"],
                received_on=form.cleaned_data["received_on"],
                containers=[services.ReceivedContainer(**row) for row in rows.received()],
                registration=registration,
            )
        except ValidationError as error:
            _receipt_errors(form, rows, error)
        else:
            count = len(rows.received())
            messages.success(
                request,
                f"Delivery recorded: {count} container{'s' if count != 1 else ''} "
                f"on invoice {receipt.invoice_number}.",
            )
            return redirect("treatments:ledger_stock")
    return render(
        request,
        "treatments/ledger/receipt_form.html",
        {"form": form, "rows": rows, "registration": registration, "next_labels": next_labels},
    )


def _suggested_labels(next_labels: dict[str, str]) -> list[str]:
    """A placeholder for each row: the next ketamine and esketamine labels, one more a row."""
    ketamine, esketamine = next_labels["ketamine"], next_labels["esketamine"]
    suggestions = []
    for _ in range(forms.RECEIPT_ROWS):
        suggestions.append(f"{ketamine} or {esketamine}")
        ketamine = selectors.label_after(ketamine, prefix="K-")
        esketamine = selectors.label_after(esketamine, prefix="E-")
    return suggestions


def _receipt_errors(form, rows, error: ValidationError) -> None:
    for name, field_errors in error.message_dict.items():
        if name == "containers":
            rows._non_form_errors = rows.error_class(field_errors, error_class="nonform")
        else:
            form.add_error(name if name in form.fields else None, field_errors)


@role_required(CLINICIAN, CLINIC_ADMIN)
def container_detail(request, pk: int):
    container = _container_or_404(request, pk)
    with_patients = _shows_patients(request)
    entries = selectors.container_entries(container=container, with_patients=with_patients)
    _audit_sessions(request, entries, with_patients)
    return render(
        request,
        "treatments/ledger/container.html",
        {
            "container": container,
            "entries": entries,
            "with_patients": with_patients,
            "reversible": REVERSIBLE,
        },
    )


@role_required(CLINICIAN)
def container_dispose(request, pk: int):
    container = _container_or_404(request, pk)
    form = forms.DisposalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            witness = services.witness_confirm(
                request=request,
                by=request.user,
                username=data["witness_username"],
                password=data["witness_password"],
                token=data["witness_token"],
            )
            entry = services.container_dispose(
                by=request.user,
                container=container,
                quantity=data["quantity"],
                method=data["method"],
                reason=data["reason"],
                witness=witness,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                f"Disposal of {-entry.quantity} {container.product.get_unit_display()} from "
                f"{container.label} recorded, witnessed.",
            )
            return redirect("treatments:ledger_container", pk=container.pk)
    return render(request, "treatments/ledger/dispose.html", {"container": container, "form": form})


@role_required(CLINICIAN)
def entry_reverse(request, pk: int):
    entry = (
        LedgerEntry.objects.select_related("container", "product", "by", "reversed_by")
        .filter(pk=pk)
        .first()
    )
    if entry is None:
        raise Http404
    refuse_other_registration(request, entry.registration_id)
    refusal = None
    if entry.kind not in REVERSIBLE:
        refusal = (
            f"Entry {entry.sequence} is a {entry.get_kind_display().lower()}: it moved no stock "
            "of its own, so there is nothing to reverse. Reverse the original movement instead."
        )
    elif hasattr(entry, "reversed_by"):
        refusal = (
            f"Entry {entry.sequence} is already reversed, by entry {entry.reversed_by.sequence}."
        )
    form = forms.ReversalForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and refusal is None and form.is_valid():
        try:
            reversal = services.entry_reverse(
                by=request.user, entry=entry, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(
                request,
                f"Entry {entry.sequence} reversed by entry {reversal.sequence}.",
            )
            return redirect(reverse("treatments:ledger_container", args=[entry.container_id]))
    return render(
        request,
        "treatments/ledger/reverse.html",
        {"entry": entry, "form": form, "refusal": refusal},
        status=409 if refusal and request.method == "POST" else 200,
    )
