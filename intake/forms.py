from datetime import date
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.phonenumber import to_python
from phonenumber_field.widgets import RegionalPhoneNumberWidget

from .models import Patient

US_STATES = [
    ("", "—"),
    ("AL", "Alabama"),
    ("AK", "Alaska"),
    ("AZ", "Arizona"),
    ("AR", "Arkansas"),
    ("CA", "California"),
    ("CO", "Colorado"),
    ("CT", "Connecticut"),
    ("DE", "Delaware"),
    ("DC", "District of Columbia"),
    ("FL", "Florida"),
    ("GA", "Georgia"),
    ("HI", "Hawaii"),
    ("ID", "Idaho"),
    ("IL", "Illinois"),
    ("IN", "Indiana"),
    ("IA", "Iowa"),
    ("KS", "Kansas"),
    ("KY", "Kentucky"),
    ("LA", "Louisiana"),
    ("ME", "Maine"),
    ("MD", "Maryland"),
    ("MA", "Massachusetts"),
    ("MI", "Michigan"),
    ("MN", "Minnesota"),
    ("MS", "Mississippi"),
    ("MO", "Missouri"),
    ("MT", "Montana"),
    ("NE", "Nebraska"),
    ("NV", "Nevada"),
    ("NH", "New Hampshire"),
    ("NJ", "New Jersey"),
    ("NM", "New Mexico"),
    ("NY", "New York"),
    ("NC", "North Carolina"),
    ("ND", "North Dakota"),
    ("OH", "Ohio"),
    ("OK", "Oklahoma"),
    ("OR", "Oregon"),
    ("PA", "Pennsylvania"),
    ("RI", "Rhode Island"),
    ("SC", "South Carolina"),
    ("SD", "South Dakota"),
    ("TN", "Tennessee"),
    ("TX", "Texas"),
    ("UT", "Utah"),
    ("VT", "Vermont"),
    ("VA", "Virginia"),
    ("WA", "Washington"),
    ("WV", "West Virginia"),
    ("WI", "Wisconsin"),
    ("WY", "Wyoming"),
]
POUNDS_PER_KG = Decimal("2.20462")
CM_PER_INCH = Decimal("2.54")


def validate_date_of_birth(value: date) -> None:
    today = timezone.localdate()
    if value > today:
        raise forms.ValidationError("Date of birth cannot be in the future.")
    if value.year < 1900:
        raise forms.ValidationError("Enter a date of birth after 1900.")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PhoneInput(RegionalPhoneNumberWidget):
    """A phone field that shows a number it cannot read exactly as typed (the stock widget
    reformats it, so the person no longer sees what they entered)."""

    def format_value(self, value):
        if isinstance(value, str) and value:
            number = to_python(value, region=self.region)
            if not (number and number.is_valid()):
                return value
        return super().format_value(value)


class PatientForm(forms.ModelForm):
    """Demographics, contact and emergency contact: shared by registration and editing."""

    mobile = PhoneNumberField(
        label="Mobile phone",
        required=False,
        region="US",
        widget=PhoneInput(region="US"),
        help_text="US number, e.g. (512) 555-0143, or +country code.",
        error_messages={"invalid": "Enter a valid phone number, e.g. (512) 555-0143."},
    )
    emergency_contact_phone = PhoneNumberField(
        label="Emergency contact phone",
        required=False,
        region="US",
        widget=PhoneInput(region="US"),
        error_messages={"invalid": "Enter a valid phone number, e.g. (512) 555-0143."},
    )
    state = forms.ChoiceField(choices=US_STATES, required=False)
    postal_code = forms.CharField(
        label="ZIP code",
        required=False,
        max_length=10,
        validators=[RegexValidator(r"^\d{5}(-\d{4})?$", "Enter a 5-digit ZIP code, e.g. 78701.")],
    )

    class Meta:
        model = Patient
        fields = [
            "legal_first_name",
            "legal_last_name",
            "preferred_name",
            "date_of_birth",
            "sex_at_birth",
            "gender",
            "pronouns",
            "mobile",
            "email",
            "preferred_contact",
            "consent_sms",
            "consent_email",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "emergency_contact_name",
            "emergency_contact_relationship",
            "emergency_contact_phone",
        ]
        widgets = {"date_of_birth": DateInput()}
        error_messages = {"date_of_birth": {"invalid": "Enter a real date, e.g. 1985-04-23."}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].validators.append(validate_date_of_birth)
        self.fields["date_of_birth"].help_text = "As on a photo ID."
        self.fields[
            "preferred_name"
        ].help_text = "What the patient likes to be called, if different."
        self.fields["email"].error_messages["invalid"] = (
            "Enter a valid email address, e.g. name@example.com."
        )
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        channel = cleaned.get("preferred_contact")
        if (
            channel in ("sms", "phone")
            and not cleaned.get("mobile")
            and "mobile" not in self.errors
        ):
            self.add_error("mobile", "A mobile number is needed for the preferred contact.")
        if channel == "email" and not cleaned.get("email") and "email" not in self.errors:
            self.add_error("email", "An email address is needed for the preferred contact.")
        if cleaned.get("consent_sms") and not cleaned.get("mobile") and "mobile" not in self.errors:
            self.add_error("mobile", "A mobile number is needed to send text messages.")
        return cleaned


class MeasurementFieldsMixin(forms.Form):
    weight_lb = forms.DecimalField(
        label="Weight (lb)",
        required=False,
        min_value=Decimal("20"),
        max_value=Decimal("1000"),
        max_digits=5,
        decimal_places=1,
    )
    height_in = forms.DecimalField(
        label="Height (in)",
        required=False,
        min_value=Decimal("20"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        help_text="5 ft 6 in = 66 in.",
    )

    def measurement_kwargs(self) -> dict:
        weight_lb = self.cleaned_data.get("weight_lb")
        height_in = self.cleaned_data.get("height_in")
        return {
            "weight_kg": (weight_lb / POUNDS_PER_KG).quantize(Decimal("0.1"))
            if weight_lb
            else None,
            "height_cm": (height_in * CM_PER_INCH).quantize(Decimal("0.1")) if height_in else None,
        }


class PatientRegistrationForm(MeasurementFieldsMixin, PatientForm):
    confirm_new_patient = forms.BooleanField(
        label="I have checked the records above: this is a different person. Create a new record.",
        required=False,
    )

    class Meta(PatientForm.Meta):
        pass


class MeasurementForm(MeasurementFieldsMixin):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("weight_lb") and not cleaned.get("height_in"):
            raise forms.ValidationError("Enter a weight, a height, or both.")
        return cleaned


class PatientSearchForm(forms.Form):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        help_text="Name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone number.",
    )


class BirthDateConfirmForm(forms.Form):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        widget=DateInput(attrs={"autocomplete": "bday"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        error_messages={
            "required": "Enter your date of birth.",
            "invalid": "Enter a real date, e.g. 04/23/1985.",
        },
        help_text="We ask this to make sure these forms reach the right person.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
