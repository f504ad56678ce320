"""Hostile bytes and impossible dates, on every form of the app and of the admin (issue 23).

A control character (NUL above all: PostgreSQL refuses it in text and in jsonb) typed or sent
into any text field is refused with a message beside the field; a date such as 01/01/0001 or
12/31/9999 in any date or date-time field is refused beside the field too; a nonsense choice
gets the usual "valid choice" message. Nothing raises.

The forms are found, not listed (``tests/clinic/app_forms.py``), so a form added later is
checked without anyone remembering to. Left out, with the reason:
- an admin page that can neither add nor change (``ReadOnlyAdmin`` and the lockout logs): the
  admin never binds its form to a request, so nothing typed reaches it. The test checks that
  these pages really refuse both, so a page made editable later joins the sweep.
"""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.test import RequestFactory

import clinic.urls  # noqa: F401 - registers every admin page
from clinic.date_bounds import birth_dates, clinic_dates
from clinic.forms import ClinicForm, TypedInputRules
from clinic.text_input import (
    CONTROL_CHARACTER_MESSAGE,
    data_without_control_characters,
    has_control_characters,
    without_control_characters,
)
from followups import timing_rules
from intake.models import Patient
from tests.clinic.app_forms import app_forms, make_form

pytestmark = [pytest.mark.django_db, pytest.mark.clinic_day]

NUL_TEXT = "Two weeks\x00 in 2019"
IMPOSSIBLE_DATES = ("0001-01-01", "9999-12-31")
ZONE = ZoneInfo("America/Chicago")
DATE_FIELDS = (forms.DateField, forms.DateTimeField, forms.SplitDateTimeField)


def _data(**values) -> QueryDict:
    data = QueryDict(mutable=True)
    for name, value in values.items():
        data.setlist(name, value if isinstance(value, list) else [value])
    return data


def _fields(form: forms.BaseForm, kinds) -> list[str]:
    return [name for name, field in form.fields.items() if isinstance(field, kinds)]


def _text_fields(form) -> list[str]:
    return _fields(form, forms.CharField)


def _date_value(field, day: str):
    """The date as a browser posts it into ``field``: one value, or a date and a time."""
    if isinstance(field, forms.SplitDateTimeField):
        return {"_0": day, "_1": "10:00"}
    if isinstance(field, forms.DateTimeField):
        return {"": f"{day} 10:00"}
    return {"": day}


def assert_text_refused(make, names: list[str]) -> None:
    prefixed = make().add_prefix
    for name in names:
        form = make(data=_data(**{prefixed(name): NUL_TEXT}))
        assert not form.is_valid()
        assert CONTROL_CHARACTER_MESSAGE in form.errors.get(name, []), (type(form), name)
        assert name not in form.cleaned_data


def assert_dates_refused(make, form) -> None:
    for name, field in form.fields.items():
        if not isinstance(field, DATE_FIELDS):
            continue
        for day in IMPOSSIBLE_DATES:
            values = {
                f"{form.add_prefix(name)}{suffix}": value
                for suffix, value in _date_value(field, day).items()
            }
            bound = make(data=_data(**values))
            assert not bound.is_valid()
            codes = [error.code for error in bound.errors.as_data().get(name, [])]
            assert codes and set(codes) <= {"too_early", "too_late"}, (type(form), name, day)


def assert_nonsense_choices_refused(make, form) -> None:
    for name in _fields(form, forms.ChoiceField):
        if form.fields[name].disabled:
            continue
        for nonsense in ("\x00", "zzz"):
            bound = make(data=_data(**{form.add_prefix(name): [nonsense]}))
            assert not bound.is_valid()
            assert bound.errors.get(name), (type(form), name, nonsense)


# --- Every form of the app ----------------------------------------------------------------------


def _app_forms():
    return [pytest.param(cls, id=cls.__name__) for cls in app_forms()]


@pytest.mark.parametrize("cls", _app_forms())
def test_every_text_field_of_every_form_refuses_a_control_character(cls):
    form = make_form(cls)
    assert issubclass(cls, TypedInputRules), f"{cls.__name__} is not a ClinicForm"
    assert_text_refused(lambda **kw: make_form(cls, **kw), _text_fields(form))


@pytest.mark.parametrize("cls", _app_forms())
def test_every_date_field_of_every_form_refuses_the_ends_of_the_calendar(cls):
    assert_dates_refused(lambda **kw: make_form(cls, **kw), make_form(cls))


@pytest.mark.parametrize("cls", _app_forms())
def test_every_choice_of_every_form_refuses_a_nul_or_a_made_up_value(cls):
    assert_nonsense_choices_refused(lambda **kw: make_form(cls, **kw), make_form(cls))


def test_the_sweep_reaches_the_forms_that_take_dates_and_text():
    names = {cls.__name__ for cls in app_forms()}
    assert {"SlotForm", "PlanForm", "AsOfForm", "OutcomesPeriodForm", "PatientForm"} <= names
    assert {"BirthDateConfirmForm", "ConsultationRequestForm", "FeelingForm"} <= names


# --- Every admin page that adds or changes ------------------------------------------------------


@pytest.fixture
def superuser_request(db):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def _admin_forms(request):
    """(page, form class, instance) for each add and change form the admin can show, and the
    pages left out (they can do neither)."""
    found, left_out = [], []
    for model, model_admin in admin.site._registry.items():
        page = model._meta.label
        can_add = model_admin.has_add_permission(request)
        can_change = model_admin.has_change_permission(request)
        if can_add:
            found.append((f"{page} add", model_admin.get_form(request, None), model()))
        if can_change:
            instance = model()
            found.append((f"{page} change", model_admin.get_form(request, instance), instance))
        if not (can_add or can_change):
            left_out.append(page)
    return found, left_out


def test_every_admin_form_refuses_control_characters_and_impossible_dates(superuser_request):
    found, _ = _admin_forms(superuser_request)
    pages = [page for page, _, _ in found]
    assert {"auth.Group add", "auth.User add", "auth.User change", "intake.Patient change"} <= set(
        pages
    )
    assert "treatments.TreatmentChair add" in pages
    checked_text = checked_dates = 0
    for page, form_class, instance in found:

        def make(data=None, form_class=form_class, instance=instance):
            return form_class(data=data, instance=instance)

        form = make()
        assert isinstance(form, TypedInputRules), page
        editable = [
            name for name in _text_fields(form) if not form.fields[name].disabled
        ]  # e.g. the password hash's display is not typed
        assert_text_refused(make, editable)
        assert_dates_refused(make, form)
        assert_nonsense_choices_refused(make, form)
        checked_text += len(editable)
        checked_dates += len(_fields(form, DATE_FIELDS))
    assert checked_text >= 20 and checked_dates >= 1  # names, addresses, the date of birth


def test_admin_pages_left_out_can_neither_add_nor_change(superuser_request):
    _, left_out = _admin_forms(superuser_request)
    assert "intake.Intake" in left_out and "treatments.TreatmentSession" in left_out
    for model, model_admin in admin.site._registry.items():
        if model._meta.label in left_out:
            assert not model_admin.has_add_permission(superuser_request)
            assert not model_admin.has_change_permission(superuser_request, model())


def test_an_admin_date_of_birth_is_refused_beside_the_field_and_a_real_one_is_not(
    superuser_request,
):
    form_class = admin.site._registry[Patient].get_form(superuser_request, Patient())
    form = form_class(data=_data(date_of_birth="0001-01-01"), instance=Patient())
    form.is_valid()
    assert form.errors["date_of_birth"] == ["Enter a date of birth after 1900."]
    form = form_class(data=_data(date_of_birth="1985-04-23"), instance=Patient())
    form.is_valid()
    assert "date_of_birth" not in form.errors


# --- The rules themselves -----------------------------------------------------------------------


@pytest.mark.parametrize("character", ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x1b", "\x7f"])
def test_control_characters_are_refused_with_one_message(character):
    class Note(ClinicForm):
        note = forms.CharField(widget=forms.Textarea)

    form = Note(data={"note": f"Called{character} the patient"})
    assert not form.is_valid()
    assert form.errors["note"] == [CONTROL_CHARACTER_MESSAGE]
    assert CONTROL_CHARACTER_MESSAGE.startswith("Remove the control character")


def test_tabs_and_line_breaks_are_typing_not_control_characters():
    class Note(ClinicForm):
        note = forms.CharField(widget=forms.Textarea)

    form = Note(data={"note": "Line one\r\nLine two\twith a tab"})
    assert form.is_valid(), form.errors
    assert not has_control_characters("Line one\r\nLine two\twith a tab")


def test_a_field_added_after_the_forms_init_follows_the_rules_too():
    class Late(ClinicForm):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.fields["added"] = forms.CharField()
            self.fields["day"] = forms.DateField()

    form = Late(data={"added": "a\x00b", "day": "0001-01-01"})
    assert not form.is_valid()
    assert form.errors["added"] == [CONTROL_CHARACTER_MESSAGE]
    assert form.errors["day"][0].startswith("Enter a date between 01/01/2000 and ")


def test_a_draft_keeps_the_typing_without_the_control_characters():
    assert without_control_characters("Sertra\x00line\t20\x07 mg\n") == "Sertraline\t20 mg\n"
    assert without_control_characters(["gad", "\x00"]) == ["gad", ""]
    assert without_control_characters(None) is None
    typed = _data(name="a\x00b", diagnoses=["gad", "pa\x1bnic"])
    cleaned = data_without_control_characters(typed)
    assert cleaned.getlist("diagnoses") == ["gad", "panic"] and cleaned["name"] == "ab"


def test_the_date_windows():
    # The clinic day is Monday 11/23/2026.
    assert birth_dates.bounds() == (date(1900, 1, 1), date(2026, 11, 23))
    assert clinic_dates.bounds() == (date(2000, 1, 1), date(2031, 11, 23))
    assert clinic_dates.bounds(date(2028, 2, 29)) == (date(2000, 1, 1), date(2033, 2, 28))
    for good in (date(2000, 1, 1), date(2031, 11, 23), datetime(2026, 11, 23, 9, 0, tzinfo=ZONE)):
        clinic_dates(good)
    for day, message in (
        (date(2026, 11, 24), "Date of birth cannot be in the future."),
        (date(1899, 12, 31), "Enter a date of birth after 1900."),
    ):
        with pytest.raises(forms.ValidationError, match=message):
            birth_dates(day)
    with pytest.raises(forms.ValidationError, match="between 01/01/2000 and 11/23/2031"):
        clinic_dates(datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("America/Chicago")))


# --- The reminder schedule at the ends of the calendar ------------------------------------------

QUIET = timing_rules.QuietHours(start=time(21), end=time(8))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(1, 1, 1, tzinfo=ZONE),
        datetime(1, 1, 1, tzinfo=ZoneInfo("UTC")),
        datetime(9999, 12, 31, 23, 59, tzinfo=ZONE),
        datetime(9999, 12, 31, 23, 59, tzinfo=ZoneInfo("Pacific/Kiritimati")),
    ],
    ids=["year-1-chicago", "year-1-utc", "year-9999-chicago", "year-9999-kiritimati"],
)
@pytest.mark.parametrize("offset", ["48h", "2h", "7d", "30m", "9999w"])
def test_the_schedule_never_overflows_whatever_date_reaches_it(moment, offset):
    parsed = timing_rules.parse_offset(offset)
    for quiet in (None, QUIET):
        due = timing_rules.reminder_time(moment, parsed, quiet, ZONE)
        assert timing_rules.EARLIEST_MOMENT <= due <= timing_rules.LATEST_MOMENT
        later = timing_rules.patient_message_time(
            timing_rules.after(moment, parsed, ZONE), quiet, ZONE
        )
        assert timing_rules.EARLIEST_MOMENT <= later <= timing_rules.LATEST_MOMENT
