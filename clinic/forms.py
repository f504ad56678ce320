"""The clinic's forms, and the rules every form of the app follows on what may be typed.

``TypedInputRules`` is mixed into every form (``ClinicForm``, ``ClinicModelForm``, and each
admin page's form through ``TypedInputAdmin``, which the admin site adds to every page it
registers): its text fields refuse control characters (clinic.text_input) and its date and
date-time fields refuse dates outside the clinic's windows (clinic.date_bounds), each with a
message beside the field and the rest of what was typed kept. The rules are installed when the
form is cleaned, so fields a form adds or replaces after its own ``__init__`` follow them too.
``tests/clinic/test_hostile_input.py`` checks every form of the app and of the admin.
"""

import re
from zoneinfo import available_timezones

from crispy_forms.helper import FormHelper
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import ProhibitNullCharactersValidator

from .date_bounds import clinic_dates, has_window
from .models import Location
from .text_input import refuse_control_characters

DATE_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)


def _model_validators(form, name: str) -> list:
    model = getattr(getattr(form, "_meta", None), "model", None)
    if model is None:
        return []
    try:
        return model._meta.get_field(name).validators
    except FieldDoesNotExist:
        return []


def apply_typed_input_rules(form: forms.BaseForm) -> None:
    """Give each of ``form``'s fields the clinic's rule for its kind (idempotent)."""
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField):
            if refuse_control_characters not in field.validators:
                # Ours covers NUL too: one message beside the field, not Django's and ours.
                field.validators = [
                    validator
                    for validator in field.validators
                    if not isinstance(validator, ProhibitNullCharactersValidator)
                ]
                field.validators.append(refuse_control_characters)
        elif (
            isinstance(field, DATE_FIELDS)
            and not has_window(field.validators)
            and not has_window(_model_validators(form, name))
        ):
            field.validators.append(clinic_dates)


class TypedInputRules:
    """A form mixin: the clinic's rules on typed text and dates, checked with the form."""

    def full_clean(self):
        apply_typed_input_rules(self)
        super().full_clean()


class ServiceErrors:
    """A form mixin: a service's refusal shown on the form."""

    # A service's name for a field this form calls otherwise (e.g. {"draws": "container_1"}).
    error_aliases: dict[str, str] = {}

    def add_service_errors(self, error) -> None:
        """Each of a service's ValidationError's errors beside the field it names, the rest at
        the top of the form. The errors themselves, not their messages: a form may read their
        codes."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, field_errors in error.error_dict.items():
            name = self.error_aliases.get(name, name)
            self.add_error(name if name in self.fields else None, field_errors)


class ClinicForm(ServiceErrors, TypedInputRules, forms.Form):
    pass


class ClinicModelForm(ServiceErrors, TypedInputRules, forms.ModelForm):
    pass


def with_typed_input_rules(form_class: type[forms.BaseForm]) -> type[forms.BaseForm]:
    """``form_class`` following the rules, for a form class made elsewhere (the admin's)."""
    if issubclass(form_class, TypedInputRules):
        return form_class
    return type(
        form_class.__name__,
        (TypedInputRules, form_class),
        {"__module__": form_class.__module__, "__qualname__": form_class.__qualname__},
    )


class TypedInputAdmin:
    """A ModelAdmin mixin: its add, change and list-edit forms follow the rules."""

    def get_form(self, request, obj=None, **kwargs):
        return with_typed_input_rules(super().get_form(request, obj, **kwargs))

    def get_changelist_form(self, request, **kwargs):
        return with_typed_input_rules(super().get_changelist_form(request, **kwargs))

    def get_formsets_with_inlines(self, request, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.form = with_typed_input_rules(formset.form)  # a class made for this request
            yield formset, inline


class StaffLoginForm(TypedInputRules, AuthenticationForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs["autocomplete"] = "username"
        self.fields["password"].widget.attrs["autocomplete"] = "current-password"
        self.helper = FormHelper()
        self.helper.form_tag = False


class TokenForm(ClinicForm):
    token = forms.CharField(
        label="6-digit code from your authenticator app",
        min_length=6,
        max_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]{6}"}
        ),
        error_messages={"min_length": "Enter all 6 digits.", "max_length": "Enter 6 digits."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_token(self):
        token = self.cleaned_data["token"].strip()
        if not token.isdigit():
            raise forms.ValidationError("The code is 6 digits.")
        return token


class LocationForm(ClinicForm):
    """The location to work in, of the member of staff's own."""

    location = forms.ChoiceField(
        label="Where are you working?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the location you are working at."},
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["location"].choices = [
            (str(location.pk), location.name) for location in choices
        ]


WEEKDAYS = (
    ("mon", "Monday"),
    ("tue", "Tuesday"),
    ("wed", "Wednesday"),
    ("thu", "Thursday"),
    ("fri", "Friday"),
    ("sat", "Saturday"),
    ("sun", "Sunday"),
)
_HOURS = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$")


class LocationAdminForm(ClinicModelForm):
    """A location in the admin: its opening hours one weekday at a time ("08:00-18:00"; left
    empty, the day is closed) rather than as JSON; its time zone from the zone names."""

    time_zone = forms.ChoiceField(choices=[], help_text="Times at this location are shown in it.")

    class Meta:
        model = Location
        fields = [
            "name", "address", "phone", "time_zone", "dea_registration", "rems_setting_number",
            "sender_name", "active", "display_order",
        ]  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [(z, z) for z in sorted(available_timezones())]
        hours = self.instance.opening_hours or {}
        for day, label in WEEKDAYS:
            self.fields[f"hours_{day}"] = forms.CharField(
                label=f"{label} hours",
                required=False,
                max_length=11,
                initial=hours.get(day, ""),
                help_text="e.g. 08:00-18:00; empty: closed",
            )

    def clean(self):
        cleaned = super().clean()
        opening = {}
        for day, label in WEEKDAYS:
            value = (cleaned.get(f"hours_{day}") or "").strip()
            if not value:
                continue
            if not _HOURS.match(value) or value[:5] >= value[6:]:
                self.add_error(
                    f"hours_{day}", f"{label}: opening and closing time, e.g. 08:00-18:00."
                )
            else:
                opening[day] = value
        self.instance.opening_hours = opening
        return cleaned
