"""The controlled-substance ledger in the admin.

The registrations and products are the clinic admin's to keep up to date; everything else is
written by the ledger's services and is append-only (on PostgreSQL a trigger refuses UPDATE and
DELETE), so the admin shows it read-only to everyone, superusers included. No page here names a
patient: a ledger entry's session is shown to superusers as its number alone.
"""

from django import forms
from django.contrib import admin

from clinic.admin import LargeTableAdmin
from clinic.forms import ClinicModelForm

from . import ledger_rules
from .models import (
    ControlledProduct,
    DeaRegistration,
    Discrepancy,
    DiscrepancyResolution,
    LedgerEntry,
    StockContainer,
    StockCount,
    StockOnHand,
    StockReceipt,
)
from .selectors.ledger import with_balance


class DeaRegistrationForm(ClinicModelForm):
    class Meta:
        model = DeaRegistration
        fields = ["number", "name", "address"]

    def clean_number(self):
        number = self.cleaned_data["number"].strip().upper()
        problem = ledger_rules.dea_number_problem(number)
        if problem:
            raise forms.ValidationError(problem)
        return number


@admin.register(DeaRegistration)
class DeaRegistrationAdmin(admin.ModelAdmin):
    form = DeaRegistrationForm
    list_display = ["number", "name", "address"]
    list_filter = ["name"]
    search_fields = ["=number", "name"]

    def has_delete_permission(self, request, obj=None):
        return False  # the ledger is kept under it


# What a product's ledger entries were counted in: fixed once the product has any.
PRODUCT_CONTENT = [
    "ndc",
    "unit",
    "strength_mg_per_ml",
    "volume_ml",
    "mg_per_device",
    "devices_per_pack",
]


@admin.register(ControlledProduct)
class ControlledProductAdmin(admin.ModelAdmin):
    list_display = ["name", "drug", "ndc", "unit", "active"]
    list_filter = ["drug", "active"]
    search_fields = ["name", "=ndc"]

    def get_readonly_fields(self, request, obj=None):
        # (An unsaved product, the add page's, has no entries.)
        if obj is not None and obj.pk and LedgerEntry.objects.filter(product=obj).exists():
            return PRODUCT_CONTENT
        return []

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: containers and entries refer to it


class LedgerRecordAdmin(LargeTableAdmin):
    """An append-only ledger table: read by the clinic admin, written by nobody here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockReceipt)
class StockReceiptAdmin(LedgerRecordAdmin):
    list_display = [
        "received_on",
        "supplier",
        "supplier_dea_number",
        "invoice_number",
        "received_by",
        "checked_by",
    ]
    list_select_related = ["received_by", "checked_by"]
    list_filter = ["received_on"]
    search_fields = ["=invoice_number", "supplier"]
    ordering = ["-id"]


@admin.register(StockContainer)
class StockContainerAdmin(LedgerRecordAdmin):
    list_display = ["label", "product", "lot", "expires_on", "storage", "balance"]
    list_filter = ["product"]
    list_select_related = ["product"]
    search_fields = ["=label", "=lot"]
    ordering = ["label"]

    def get_queryset(self, request):
        return with_balance(super().get_queryset(request))

    @admin.display(description="balance")
    def balance(self, container):
        unit = container.product.get_unit_display()
        return f"{container.balance.normalize():f} {unit}" if container.balance is not None else "-"


@admin.register(StockCount)
class StockCountAdmin(LedgerRecordAdmin):
    list_display = ["counted_at", "kind", "business", "counted_by"]
    list_filter = ["kind"]
    search_fields = ["=counted_by__username"]
    list_select_related = ["counted_by"]
    ordering = ["-counted_at", "-id"]


LEDGER_ENTRY_FIELDS = [
    "registration",
    "sequence",
    "kind",
    "container",
    "product",
    "quantity",
    "container_balance",
    "product_balance",
    "occurred_at",
    "recorded_at",
    "by",
    "witness",
    "receipt",
    "count",
    "counted",
    "method",
    "reason",
    "reverses",
    "previous_hash",
    "entry_hash",
]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(LedgerRecordAdmin):
    """Newest first by sequence. The session an entry belongs to is clinical: a superuser sees
    its number, nobody here sees the patient."""

    list_display = [
        "sequence",
        "occurred_at",
        "kind",
        "container",
        "product",
        "quantity",
        "container_balance",
        "product_balance",
        "by",
        "witness",
    ]
    list_filter = ["kind", "product"]
    search_fields = ["=sequence", "=container__label"]
    list_select_related = ["container", "container__product", "product", "by", "witness"]
    ordering = ["-sequence"]
    fields = LEDGER_ENTRY_FIELDS

    def get_list_display(self, request):
        if request.user.is_superuser:
            return [*self.list_display, "session_number"]
        return self.list_display

    def get_fields(self, request, obj=None):
        if request.user.is_superuser:
            return [*LEDGER_ENTRY_FIELDS, "session_number"]
        return LEDGER_ENTRY_FIELDS

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    @admin.display(description="session")
    def session_number(self, entry):
        return f"#{entry.session_id}" if entry.session_id else ""


@admin.register(Discrepancy)
class DiscrepancyAdmin(LedgerRecordAdmin):
    list_display = ["opened_at", "container", "expected", "counted", "resolved"]
    list_select_related = ["container", "container__product", "resolution"]
    list_filter = ["opened_at"]
    search_fields = ["=container__label"]
    ordering = ["-opened_at", "-id"]

    @admin.display(boolean=True)
    def resolved(self, discrepancy):
        return hasattr(discrepancy, "resolution")


@admin.register(DiscrepancyResolution)
class DiscrepancyResolutionAdmin(LedgerRecordAdmin):
    list_display = ["resolved_at", "discrepancy", "outcome", "loss_type", "resolved_by"]
    list_filter = ["outcome"]
    search_fields = ["=discrepancy__container__label"]
    list_select_related = ["discrepancy", "discrepancy__container", "resolved_by"]
    ordering = ["-resolved_at", "-id"]


@admin.register(StockOnHand)
class StockOnHandAdmin(LedgerRecordAdmin):
    """What is on the shelf now, container by container: a projection of the ledger kept by
    its writes (and checked by ``ledger_verify``), read-only here like the ledger."""

    list_display = ["container", "product", "balance", "registration"]
    list_filter = ["product"]
    search_fields = ["=container__label"]
    list_select_related = ["container", "product", "registration"]
    ordering = ["container__label"]
