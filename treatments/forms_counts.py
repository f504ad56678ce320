"""Forms of the counts pages: the blind count (one number per container on the shelf, never
the ledger's figure) and the resolution of a discrepancy (with DEA Form 106's fields for a loss
or theft). They check types and ranges; the rules are the ledger services'."""

from collections.abc import Iterable

from django import forms
from django.utils import timezone

from clinic.forms import ClinicForm

from .models import DiscrepancyResolution, LedgerEntry, StockContainer, StockCount

QUANTITY = {"max_digits": 9, "decimal_places": 1, "min_value": 0}


def container_field_name(container: StockContainer) -> str:
    return f"container_{container.pk}"


class CountForm(ClinicForm):
    """What is on the shelf, container by container. An inventory also says whether it is
    taken at the opening or the close of business."""

    business = forms.ChoiceField(
        label="Is the inventory taken at the opening or the close of business?",
        choices=StockCount.Business.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Say whether the inventory is taken at the opening or the close of "
            "business."
        },
    )

    def __init__(self, *args, containers: Iterable[StockContainer] = (), inventory=False, **kw):
        super().__init__(*args, **kw)
        self.use_required_attribute = True
        if not inventory:
            del self.fields["business"]
        self.containers = list(containers)
        for container in self.containers:
            unit = container.product.get_unit_display()
            device = container.product.unit == container.product.Unit.DEVICE
            self.fields[container_field_name(container)] = forms.DecimalField(
                label=f"{container.label}: {unit} on the shelf",
                widget=forms.NumberInput(
                    attrs={"step": "1" if device else "0.1", "inputmode": "decimal"}
                ),
                error_messages={"required": f"Enter what is in {container.label}."},
                **QUANTITY,
            )

    def container_rows(self) -> list[tuple[StockContainer, forms.BoundField]]:
        return [(c, self[container_field_name(c)]) for c in self.containers]

    def counted(self) -> dict:
        return {c.pk: self.cleaned_data[container_field_name(c)] for c in self.containers}

    def field_for_error(self, key: str) -> str | None:
        """Where a service error goes: beside its field, or above the form."""
        return key if key in self.fields else None


YES_NO = [("yes", "Yes"), ("no", "No")]


class ResolutionForm(ClinicForm):
    """How a discrepancy is explained. A recording error names the reversing entry that
    corrected the ledger; a loss or theft gives what DEA Form 106 asks for."""

    outcome = forms.ChoiceField(
        label="What explains the difference?",
        choices=DiscrepancyResolution.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what explains the difference."},
    )
    explanation = forms.CharField(
        label="Explanation",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was found, how, and by whom (no patient names).",
        error_messages={"required": "Explain the difference."},
    )
    correcting_entry = forms.TypedChoiceField(
        label="Reversing entry that corrected the ledger",
        coerce=int,
        empty_value=None,
        required=False,
        help_text="For a recording error: reverse the wrong entry on the container's page first.",
    )
    loss_type = forms.ChoiceField(
        label="Type of loss (DEA Form 106)",
        choices=[("", "Choose…"), *DiscrepancyResolution.LossType.choices],
        required=False,
    )
    discovered_on = forms.DateField(
        label="Date the loss was discovered",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    police_notified = forms.ChoiceField(
        label="Were the police notified?",
        choices=YES_NO,
        widget=forms.RadioSelect,
        required=False,
    )
    police_department = forms.CharField(label="Police department", max_length=200, required=False)
    police_report_number = forms.CharField(
        label="Police report number", max_length=60, required=False
    )
    corrective_measures = forms.CharField(
        label="Corrective measures taken to prevent a recurrence",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, reversals: Iterable[LedgerEntry] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.use_required_attribute = True
        self.fields["correcting_entry"].choices = [
            ("", "Choose…"),
            *((entry.pk, reversal_label(entry)) for entry in reversals),
        ]

    def service_kwargs(self, reversals: Iterable[LedgerEntry]) -> dict:
        values = dict(self.cleaned_data)
        by_pk = {entry.pk: entry for entry in reversals}
        values["correcting_entry"] = by_pk.get(values.get("correcting_entry") or 0)
        notified = values.pop("police_notified", "")
        values["police_notified"] = {"yes": True, "no": False}.get(notified)
        return values


def reversal_label(entry: LedgerEntry) -> str:
    """ "Entry 14 on 03/05/2026: reverses entry 9 (administered), keyed twice"."""
    reverses = entry.reverses
    return (
        f"Entry {entry.sequence} on {timezone.localtime(entry.occurred_at):%m/%d/%Y}: reverses "
        f"entry {reverses.sequence} ({reverses.get_kind_display().lower()}), {entry.reason}"
    )
