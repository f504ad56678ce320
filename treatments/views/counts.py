"""Counts and inventories, the discrepancies they open, and DEA Form 106.

A count is blind: the form lists the containers on the shelf, never the ledger's figure; the
figures are shown once the count is recorded. An inventory (initial, biennial) is the same
count taken at the opening or close of business, printed and exported per DEA registration;
the clinic admin may read inventories (totals, no patient names) but not take a count.
"""

import csv
from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinic.locations import current_location
from clinic.roles import CLINIC_ADMIN, CLINICIAN, has_role, role_required
from clinic.show_more import ShownRows, shown_sizes

from .. import ledger_rules as rules
from ..forms_counts import CountForm, ResolutionForm
from ..models import Discrepancy, DiscrepancyResolution, StockCount
from ..selectors import counts as selectors
from ..services import ledger
from .ledger import refuse_other_registration, working_registration

Kind = StockCount.Kind
LIST_SECTIONS = ("counts",)


def _kinds_seen(request) -> tuple[str, ...] | None:
    """Clinicians see every count; the clinic admin the inventories (totals, for the records)."""
    return None if has_role(request.user, [CLINICIAN]) else selectors.INVENTORY_KINDS


def _count_or_404(request, pk: int) -> StockCount:
    count = selectors.count_for_page(pk=pk)
    kinds = _kinds_seen(request)
    if count is None or (kinds is not None and count.kind not in kinds):
        raise Http404
    refuse_other_registration(request, count.registration_id)
    return count


def _discrepancy_or_404(request, pk: int) -> Discrepancy:
    discrepancy = selectors.discrepancy_for_page(pk=pk)
    if discrepancy is None:
        raise Http404
    refuse_other_registration(request, discrepancy.container.registration_id)
    return discrepancy


def _registration_id_shown(request) -> int | None:
    """The registration whose counts are listed: the working location's in a chain; None with
    one clinic (every count is the clinic's, no query)."""
    location = current_location(request)
    return ledger.clinic_registration(location).pk if location is not None else None


def _resolution(discrepancy: Discrepancy) -> DiscrepancyResolution | None:
    try:
        return discrepancy.resolution
    except ObjectDoesNotExist:
        return None


@require_GET
@role_required(CLINICIAN, CLINIC_ADMIN)
def count_list(request):
    """Counts and inventories, newest first, 20 at a time (``?counts=40`` shows 40)."""
    kinds = _kinds_seen(request)
    sizes = shown_sizes(request.GET, LIST_SECTIONS)
    shown = ShownRows.asked("counts", ("count", "counts"), sizes)
    registration_id = _registration_id_shown(request)
    shown.fill(
        list(selectors.counts(kinds=kinds, registration_id=registration_id)[: shown.size + 1]),
        selectors.counts_total(kinds=kinds, registration_id=registration_id),
    )
    shown.link(reverse("treatments:ledger_counts"), sizes)
    return render(
        request,
        "treatments/counts/list.html",
        {"counts": shown, "can_count": kinds is None},
    )


@require_http_methods(["GET", "POST"])
@role_required(CLINICIAN)
def count_new(request):
    """The blind count (``?kind=daily``) or an inventory (``?kind=initial|biennial``)."""
    kind = request.GET.get("kind", Kind.DAILY)
    if kind not in Kind.values:
        raise Http404
    inventory = kind != Kind.DAILY
    registration = working_registration(request)
    containers = ledger.containers_to_count(registration=registration)
    form = CountForm(request.POST or None, containers=containers, inventory=inventory)
    if request.method == "POST" and form.is_valid():
        try:
            count = ledger.count_record(
                by=request.user,
                kind=kind,
                counted=form.counted(),
                business=form.cleaned_data.get("business", ""),
                registration=registration,
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            differences = selectors.count_differences(count)
            if differences:
                noun = "difference" if differences == 1 else "differences"
                each = "it is a discrepancy" if differences == 1 else "each is a discrepancy"
                messages.warning(request, f"{differences} {noun}: {each} to resolve.")
            else:
                messages.success(request, "Count matches the ledger.")
            return redirect("treatments:ledger_count", pk=count.pk)
    return render(
        request,
        "treatments/counts/new.html",
        {"form": form, "kind": kind, "kind_label": Kind(kind).label, "inventory": inventory},
    )


@require_GET
@role_required(CLINICIAN, CLINIC_ADMIN)
def count_detail(request, pk: int):
    """A daily count: each container counted beside the ledger's figure. An inventory: the
    printable record per DEA registration."""
    count = _count_or_404(request, pk)
    entries = selectors.count_entries(count)
    if count.kind == Kind.DAILY:
        return render(request, "treatments/counts/detail.html", {"count": count, "rows": entries})
    return render(
        request,
        "treatments/counts/inventory.html",
        {
            "count": count,
            "registration": count.registration,
            "rows": [(entry, selectors.describe(entry.product)) for entry in entries],
            "totals": selectors.inventory_totals(entries),
            # The ledger's figures and the discrepancies are the clinicians' (the admin reads
            # what was counted).
            "differences": (
                [entry for entry in entries if hasattr(entry, "discrepancy")]
                if has_role(request.user, [CLINICIAN])
                else []
            ),
        },
    )


class _Echo:
    """The file-like object csv.writer writes to: each row goes straight out."""

    def write(self, value: str) -> str:
        return value


@require_GET
@role_required(CLINICIAN, CLINIC_ADMIN)
def count_csv(request, pk: int):
    """The inventory (or count) as CSV: one row per container, then the totals per product."""
    count = _count_or_404(request, pk)
    rows = selectors.inventory_csv_rows(count, selectors.count_entries(count))
    writer = csv.writer(_Echo())
    day = timezone.localtime(count.counted_at)
    filename = f"{count.kind}-inventory_{count.registration.number}_{day:%Y-%m-%d}.csv"
    response = StreamingHttpResponse(
        (writer.writerow(row) for row in rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_http_methods(["GET", "POST"])
@role_required(CLINICIAN)
def discrepancy_detail(request, pk: int):
    """The discrepancy and, while it is open, the form that resolves it."""
    discrepancy = _discrepancy_or_404(request, pk)
    resolution = _resolution(discrepancy)
    context = {
        "discrepancy": discrepancy,
        "product": discrepancy.container.product,
        "count": discrepancy.count_entry.count,
        "resolution": resolution,
        "texts": selectors.discrepancy_texts(discrepancy),
    }
    if resolution is not None:
        if request.method == "POST":
            messages.error(request, "This discrepancy is already resolved.")
            return redirect("treatments:ledger_discrepancy", pk=pk)
        return render(request, "treatments/counts/discrepancy.html", context)
    reversals = selectors.reversals_to_name(discrepancy)
    form = ResolutionForm(request.POST or None, reversals=reversals)
    if request.method == "POST" and form.is_valid():
        try:
            resolution = ledger.discrepancy_resolve(
                by=request.user, discrepancy=discrepancy, **form.service_kwargs(reversals)
            )
        except ValidationError as error:
            form.add_service_errors(error)
        else:
            messages.success(request, f"Discrepancy resolved: {resolution.get_outcome_display()}.")
            if resolution.outcome in selectors.LOSS_OUTCOMES:
                return redirect("treatments:ledger_form_106", pk=pk)
            return redirect("treatments:ledger_discrepancy", pk=pk)
    return render(
        request,
        "treatments/counts/discrepancy.html",
        {**context, "form": form, "reversals": reversals},
    )


@require_GET
@role_required(CLINICIAN)
def form_106(request, pk: int):
    """What DEA Form 106 asks for a loss or theft, printable, with the notice's deadline."""
    discrepancy = _discrepancy_or_404(request, pk)
    resolution = _resolution(discrepancy)
    if resolution is None or resolution.outcome not in selectors.LOSS_OUTCOMES:
        raise Http404
    product = discrepancy.container.product
    return render(
        request,
        "treatments/counts/form_106.html",
        {
            "discrepancy": discrepancy,
            "resolution": resolution,
            "registration": discrepancy.container.registration,
            "product": product,
            "described": selectors.describe(product),
            "lost": selectors.quantity_lost_text(discrepancy),
            "losses_before": selectors.losses_before(resolution),
            "notice_due": rules.dea_notice_due(resolution.discovered_on),
            "form_due": resolution.discovered_on + timedelta(days=rules.DEA_FORM_106_DAYS),
        },
    )
