"""The ledger's forms: a delivery with its containers, a disposal with its witness, a reversing
entry, the full ledger's filters. They parse; the services decide (``services.ledger``)."""

from django import forms
from django.contrib.auth import get_user_model
from django.forms import formset_factory

from clinic.forms import ClinicForm
from clinic.roles import CLINICIAN

from .models import ControlledProduct, LedgerEntry

# Up to this many containers a delivery form takes (a larger delivery: two forms).
RECEIPT_ROWS = 10


def other_clinicians(user):
    """The active clinicians other than ``user``: who may check a delivery."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINICIAN)
        .exclude(pk=user.pk)
        .order_by("last_name", "first_name")
    )


class ClinicianChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ReceiptForm(ClinicForm):
    supplier = forms.CharField(max_length=200)
    supplier_address = forms.CharField(
        label="Supplier's address",
        max_length=300,
        help_text="As on the invoice.",
    )
    supplier_dea_number = forms.CharField(
        label="Supplier's DEA registration number",
        max_length=9,
        help_text="Two letters and seven digits, as on the invoice.",
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    invoice_number = forms.CharField(label="Invoice number", max_length=60)
    received_on = forms.DateField(
        label="Date received", widget=forms.DateInput(attrs={"type": "date"})
    )
    checked_by = ClinicianChoiceField(
        label="Checked by",
        queryset=get_user_model().objects.none(),
        empty_label="Choose the second clinician",
        help_text="A second clinician checks the containers against the invoice.",
        error_messages={
            "invalid_choice": (
                "Choose another active clinician: a second person checks the delivery, "
                "not the one receiving it."
            )
        },
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["checked_by"].queryset = other_clinicians(user)


class ProductChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.name} (NDC {obj.ndc})"


class ReceivedContainerForm(ClinicForm):
    """One container of a delivery; a row left blank is ignored."""

    product = ProductChoiceField(
        queryset=ControlledProduct.objects.filter(active=True), empty_label="Choose the product"
    )
    label = forms.CharField(
        max_length=20, help_text="What is written on the container, e.g. K-0013."
    )
    lot = forms.CharField(label="Lot", max_length=40)
    expires_on = forms.DateField(
        label="Expiry date", widget=forms.DateInput(attrs={"type": "date"})
    )
    storage = forms.CharField(label="Kept in", max_length=100)


class BaseReceivedContainers(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.received():
            raise forms.ValidationError("Add the containers received: one row each.")

    def received(self) -> list[dict]:
        """The rows filled in (blank ones left out)."""
        return [row.cleaned_data for row in self.forms if row.has_changed() and row.cleaned_data]


ReceivedContainerFormSet = formset_factory(
    ReceivedContainerForm,
    formset=BaseReceivedContainers,
    extra=RECEIPT_ROWS,
    max_num=RECEIPT_ROWS,
    absolute_max=RECEIPT_ROWS,
    validate_max=True,
)


def container_rows(data=None, *, suggested_labels: list[str]):
    """The delivery's container rows, each blank row's label field suggesting the next free
    label (as a placeholder, so a row left blank stays blank)."""
    formset = ReceivedContainerFormSet(data, prefix="containers")
    # The products are read once for the whole formset, not once a row.
    # (Iterated, not list()-ed: list() would ask the iterator its length, a COUNT query.)
    products = [choice for choice in formset.forms[0].fields["product"].choices]  # noqa: C416
    for row, suggestion in zip(formset.forms, suggested_labels, strict=False):
        row.fields["label"].widget.attrs["placeholder"] = suggestion
        row.fields["product"].widget.choices = products
    return formset


class WitnessFields(ClinicForm):
    """The witness confirms on the same screen with their own credentials."""

    witness_username = forms.CharField(
        label="Witness's user name",
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    witness_password = forms.CharField(
        label="Witness's password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}),  # never shown back
    )
    witness_token = forms.CharField(
        label="Witness's authenticator code",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )


class DisposalForm(WitnessFields):
    quantity = forms.DecimalField(
        label="Amount disposed of",
        required=False,
        min_value=0,
        max_digits=9,
        decimal_places=1,
        help_text="Leave blank to dispose of everything left.",
    )
    method = forms.ChoiceField(
        label="Method of disposal",
        choices=[("", "Choose the method"), *LedgerEntry.Method.choices],
    )
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="e.g. expired; vial dropped and broken.",
    )

    field_order = ["quantity", "method", "reason"]


class ReversalForm(ClinicForm):
    reason = forms.CharField(
        label="Reason for the reversing entry",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What was wrong with the entry: it stays in the ledger, with this beside it.",
    )


class EntryFilterForm(ClinicForm):
    product = ProductChoiceField(
        queryset=ControlledProduct.objects.all(), required=False, empty_label="All products"
    )
    kind = forms.ChoiceField(
        label="Kind of entry",
        required=False,
        choices=[("", "All kinds"), *LedgerEntry.Kind.choices],
    )
