import copy

from crispy_forms.helper import FormHelper
from django import forms
from django.core.validators import RegexValidator
from phonenumber_field.formfields import PhoneNumberField

from clinic.date_bounds import birth_dates
from clinic.forms import ClinicForm, ClinicModelForm

from . import units
from .form_fields import US_STATES, PhoneInput
from .models import ConsultationRequest, ContactChannel, InquiryConcern, Patient, ReferralSource
from .services.inquiries import (
    INQUIRY_FIELDS,
    NO_CONCERN,
    NO_CONSENT,
    NO_LOCATION,
    inquiry_errors,
)
from .services.questionnaires import intake_link_channel_refusal


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class PatientForm(ClinicModelForm):
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
        self.fields["date_of_birth"].validators.append(birth_dates)
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


class MeasurementFieldsMixin(ClinicForm):
    """A height and a weight in inches and pounds, refused when no adult patient measures
    that (intake/units.py); stored in centimetres and kilograms (``measurement_kwargs``)."""

    weight_lb = forms.DecimalField(
        label="Weight (lb)",
        required=False,
        min_value=units.WEIGHT_LB_MIN,
        max_value=units.WEIGHT_LB_MAX,
        max_digits=5,
        decimal_places=1,
        error_messages={
            "invalid": "Enter the weight in pounds as a number, e.g. 154.",
            "min_value": units.WEIGHT_RANGE_MESSAGE,
            "max_value": units.WEIGHT_RANGE_MESSAGE,
            "max_decimal_places": "Enter the weight to one decimal place at most, e.g. 154.5.",
            "max_digits": units.WEIGHT_RANGE_MESSAGE,
            "max_whole_digits": units.WEIGHT_RANGE_MESSAGE,
        },
    )
    height_in = forms.DecimalField(
        label="Height (in)",
        required=False,
        min_value=units.HEIGHT_IN_MIN,
        max_value=units.HEIGHT_IN_MAX,
        max_digits=4,
        decimal_places=1,
        help_text="5 ft 6 in = 66 in.",
        error_messages={
            "invalid": "Enter the height in inches as a number, e.g. 66.",
            "min_value": units.HEIGHT_RANGE_MESSAGE,
            "max_value": units.HEIGHT_RANGE_MESSAGE,
            "max_decimal_places": "Enter the height to one decimal place at most, e.g. 66.5.",
            "max_digits": units.HEIGHT_RANGE_MESSAGE,
            "max_whole_digits": units.HEIGHT_RANGE_MESSAGE,
        },
    )

    def clean(self):
        cleaned = super().clean()
        if "weight_lb" not in self.errors and "height_in" not in self.errors:
            problems = units.implausible_measurement(
                weight_lb=cleaned.get("weight_lb"), height_in=cleaned.get("height_in")
            )
            for what, message in problems.items():
                self.add_error("weight_lb" if what == "weight" else "height_in", message)
        return cleaned

    def measurement_kwargs(self) -> dict:
        weight_lb = self.cleaned_data.get("weight_lb")
        height_in = self.cleaned_data.get("height_in")
        return {
            "weight_kg": units.kg_from_lb(weight_lb) if weight_lb else None,
            "height_cm": units.cm_from_in(height_in) if height_in else None,
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


class PatientSearchForm(ClinicForm):
    q = forms.CharField(
        label="Search patients",
        required=False,
        max_length=100,
        help_text="Name, MRN, date of birth (YYYY-MM-DD or MM/DD/YYYY) or phone number.",
    )


class BirthDateConfirmForm(ClinicForm):
    date_of_birth = forms.DateField(
        label="Your date of birth",
        widget=DateInput(attrs={"autocomplete": "bday"}),
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        validators=[birth_dates],
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


# --- Staff: intake links and alerts -------------------------------------------------------------


class _RadioSelectWithUnavailable(forms.RadioSelect):
    """Radio buttons where some options are shown but cannot be chosen."""

    def __init__(self, *args, unavailable: frozenset = frozenset(), **kwargs):
        super().__init__(*args, **kwargs)
        self.unavailable = unavailable

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value in self.unavailable:
            option["attrs"]["disabled"] = True
        return option


class IntakeLinkForm(ClinicForm):
    """How the front desk sends a patient their intake link. Ways that cannot reach this
    patient (no address, no consent to texts) are shown disabled, with the reason."""

    CHANNEL_LABELS = {
        "email": "Email",
        "sms": "Text message",
        "screen": "Show on screen (for a tablet or the patient's phone camera)",
    }

    channel = forms.ChoiceField(
        label="Send the intake link by",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how to send the link."},
    )

    def __init__(self, *args, patient: Patient, **kwargs):
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.refusals = {
            channel: refusal
            for channel in self.CHANNEL_LABELS
            if (refusal := intake_link_channel_refusal(patient=patient, channel=channel))
        }
        field = self.fields["channel"]
        field.choices = [
            (channel, f"{label} ({self.refusals[channel]})" if channel in self.refusals else label)
            for channel, label in self.CHANNEL_LABELS.items()
        ]
        field.widget = _RadioSelectWithUnavailable(
            attrs={"class": "form-check-input"}, unavailable=frozenset(self.refusals)
        )
        field.widget.choices = field.choices
        preferred = patient.preferred_contact
        if preferred in self.CHANNEL_LABELS and preferred not in self.refusals:
            self.initial.setdefault("channel", preferred)

    def clean_channel(self):
        channel = self.cleaned_data["channel"]
        if channel in self.refusals:
            way = "email" if channel == "email" else "text message"
            raise forms.ValidationError(
                f"Can't send the link by {way}: {self.refusals[channel]}. "
                "Update the patient's details, or choose another way."
            )
        return channel


class AlertAcknowledgeForm(ClinicForm):
    note = forms.CharField(
        label="What was done",
        max_length=500,
        help_text='For example "Called patient, safety plan reviewed".',
        error_messages={"required": "Write a short note of what was done."},
    )

    def clean_note(self):
        note = " ".join(self.cleaned_data["note"].split())
        if not note:
            raise forms.ValidationError("Write a short note of what was done.")
        return note


# --- Inquiries -------------------------------------------------------------------------------


class ConsultationRequestForm(ClinicModelForm):
    """The public "Request a consultation" form. Never saved directly: the view hands the
    cleaned data to intake.services.inquiries.inquiry_submit, which also checks for spam."""

    mobile = PhoneNumberField(
        label="Mobile phone",
        region="US",
        widget=PhoneInput(region="US", attrs={"autocomplete": "tel"}),
        help_text="For example (512) 555-0143.",
        error_messages={
            "required": "Enter your mobile number.",
            "invalid": "Enter a valid phone number, e.g. (512) 555-0143.",
        },
    )
    preferred_contact = forms.ChoiceField(
        label="How should we contact you?",
        choices=ContactChannel.choices,
        widget=forms.RadioSelect,
        initial="sms",
        error_messages={"required": "Choose how you would like us to contact you."},
    )
    concerns = forms.MultipleChoiceField(
        label="What would you like help with?",
        choices=InquiryConcern.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Tick all that apply.",
        error_messages={"required": NO_CONCERN},
    )
    concern_details = forms.CharField(
        label="Anything you would like to tell us",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Needed if you ticked "Something else". A sentence or two is plenty.',
    )
    heard_about = forms.ChoiceField(
        label="How did you hear about us?",
        choices=[("", "Choose one (optional)"), *ReferralSource.choices],
        required=False,
    )
    consent_to_contact = forms.BooleanField(
        label="I agree to the clinic contacting me about this request",
        error_messages={"required": NO_CONSENT},
        help_text=(
            "We use your details only to reply to you and arrange your consultation. "
            "We do not share them or send you marketing."
        ),
    )
    # Spam traps: a field people never see, and when the page was shown (signed).
    website = forms.CharField(
        label="Leave this empty",
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    form_stamp = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = ConsultationRequest
        fields = list(INQUIRY_FIELDS)
        widgets = {
            "first_name": forms.TextInput(attrs={"autocomplete": "given-name"}),
            "last_name": forms.TextInput(attrs={"autocomplete": "family-name"}),
            "date_of_birth": DateInput(attrs={"autocomplete": "bday"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }
        labels = {"email": "Email"}
        error_messages = {
            "first_name": {"required": "Enter your first name."},
            "last_name": {"required": "Enter your last name."},
            "date_of_birth": {
                "required": "Enter your date of birth.",
                "invalid": "Enter a real date, e.g. 04/23/1985.",
            },
            "email": {
                "required": "Enter your email address.",
                "invalid": "Enter a valid email address, e.g. name@example.com.",
            },
        }

    def __init__(self, *args, locations=(), **kwargs):
        """``locations``: those a chain of several offers (``inquiry_locations``); none, no
        question."""
        super().__init__(*args, **kwargs)
        self.fields["date_of_birth"].validators.append(birth_dates)
        self.fields["date_of_birth"].input_formats = ["%Y-%m-%d", "%m/%d/%Y"]
        self.locations = {location.pk: location for location in locations}
        if self.locations:
            self.fields["location"] = forms.TypedChoiceField(
                label="Which location?",
                coerce=int,
                choices=[
                    (location.pk, f"{location.name}, {location.address}".rstrip(", "))
                    for location in locations
                ],
                widget=forms.RadioSelect,
                help_text="The clinic you would like to go to.",
                error_messages={"required": NO_LOCATION, "invalid_choice": NO_LOCATION},
            )
        self.helper = FormHelper()
        self.helper.form_tag = False

    @property
    def asks_location(self) -> bool:
        return bool(self.locations)

    def chosen_location(self):
        """The location chosen (None when the form does not ask)."""
        return self.locations.get(self.cleaned_data.get("location"))

    def clean(self):
        cleaned = super().clean()
        problems = inquiry_errors(
            concerns=cleaned.get("concerns") or [],
            concern_details=cleaned.get("concern_details", ""),
            consent=bool(cleaned.get("consent_to_contact")),
        )
        for field, message in problems.items():
            if field not in self.errors:
                self.add_error(field, message)
        return cleaned

    def inquiry_details(self) -> dict:
        """What inquiry_submit needs: the request's fields, the honeypot and the form stamp."""
        return {
            name: self.cleaned_data[name] for name in [*self.Meta.fields, "website", "form_stamp"]
        }


class InquiryCloseForm(ClinicForm):
    close_reason = forms.ChoiceField(
        label="Reason",
        choices=[("", "Choose a reason"), *ConsultationRequest.CloseReason.choices],
        error_messages={"required": "Choose why the inquiry is being closed."},
    )
    close_note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For colleagues, e.g. who you spoke to or where they were referred.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class IntakeAmendmentForm(ClinicForm):
    """One answer of a submitted intake, corrected by a clinician with a reason. The answer's
    field is the questionnaire's own (same options, same limits)."""

    reason = forms.CharField(
        label="Reason for the amendment",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text='For example "Patient corrected this by phone on 03/05".',
        error_messages={"required": "Give a reason for the amendment."},
    )

    def __init__(self, *args, answer_field: forms.Field, **kwargs):
        super().__init__(*args, **kwargs)
        field = copy.deepcopy(answer_field)
        self.fields = {"value": field, **self.fields}
        self.multiple = isinstance(field, forms.MultipleChoiceField)

    def new_value(self):
        """The answer as typed, stored the way the patient's own answers are."""
        key = self.add_prefix("value")
        return self.data.getlist(key) if self.multiple else self.data.get(key, "")
