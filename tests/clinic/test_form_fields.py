"""``|as_field`` draws every field of every form in the app as crispy-forms' ``|as_crispy_field``
does: the same elements, attributes, classes, labels, errors and help text (the whitespace
between tags aside). If a crispy upgrade changes its markup, these tests say where."""

import datetime
import importlib
import pkgutil
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.forms.renderers import DjangoTemplates
from django.http import QueryDict
from django.template import Context, Template
from django.utils.safestring import mark_safe

from clinic.form_fields import render_field
from clinic.form_renderer import FormRenderer
from intake.models import Patient
from treatments.models import TreatmentChair

APPS = ("clinic", "intake", "treatments", "followups")


def _project_forms() -> list[type[forms.BaseForm]]:
    """Every form class of the app with fields of its own (not the bases that only share code),
    whichever modules the tests happen to have imported."""
    for app in APPS:
        package = importlib.import_module(app)
        for module in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" not in module.name and ".management" not in module.name:
                importlib.import_module(module.name)
    found, pending = [], [forms.Form, forms.ModelForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        base = not cls.base_fields and cls.__subclasses__()  # e.g. StageForm: shared code only
        if cls.__module__.split(".")[0] in APPS and not base and cls not in found:
            found.append(cls)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def _patient() -> Patient:
    return Patient(
        legal_first_name="Ana",
        legal_last_name="Reyes",
        date_of_birth=datetime.date(1980, 1, 2),
        mobile="+15125550100",
        email="",
        consent_sms=False,
        preferred_contact="sms",
    )


# Forms whose constructor needs more than data: how each is made.
MAKERS: dict[str, Callable[..., forms.BaseForm]] = {
    "IntakeLinkForm": lambda cls, **kw: cls(patient=_patient(), **kw),
    "IntakeAmendmentForm": lambda cls, **kw: cls(
        answer_field=forms.MultipleChoiceField(
            choices=[("a", "A"), ("b", "B")], widget=forms.CheckboxSelectMultiple
        ),
        **kw,
    ),
    "SlotForm": lambda cls, **kw: cls(
        chairs=[TreatmentChair(pk=1, name="Chair 1"), TreatmentChair(pk=2, name="Chair <2>")],
        **kw,
    ),
    "SurveyReviewForm": lambda cls, **kw: cls(escalated=True, **kw),
    "OutcomesPeriodForm": lambda cls, **kw: cls(today=datetime.date(2026, 11, 24), **kw),
}


def _make(cls, **kwargs) -> forms.BaseForm:
    if cls.__name__ in MAKERS:
        return MAKERS[cls.__name__](cls, **kwargs)
    if issubclass(cls, _stage_form()):
        return cls(day=datetime.date(2026, 11, 24), **kwargs)
    return cls(**kwargs)


def _stage_form():
    from treatments.forms_sessions import StageForm

    return StageForm


def _normalised(html: str) -> str:
    html = re.sub(r"\s+", " ", str(html))
    return re.sub(r"\s*(<|>)\s*", r"\1", html).strip()


# Data that leaves every kind of field in error: required ones empty, the rest not valid.
BAD = QueryDict(mutable=True)
BAD.update({"email": "not an address", "mobile": "12", "date_of_birth": "31/31/1800"})


def _forms_both_ways():
    for cls in _project_forms():
        for state in ("unbound", "errors"):
            kwargs = {} if state == "unbound" else {"data": BAD}
            yield pytest.param(cls, kwargs, id=f"{cls.__name__}-{state}")


@pytest.mark.django_db
@pytest.mark.parametrize(("cls", "kwargs"), list(_forms_both_ways()))
def test_every_field_is_drawn_as_crispy_draws_it(cls, kwargs):
    ours, theirs = _make(cls, **kwargs), _make(cls, **kwargs)
    if kwargs:
        ours.is_valid(), theirs.is_valid()
    assert list(ours) and [field.name for field in ours] == [field.name for field in theirs]
    for field, same_field in zip(ours, theirs, strict=True):
        assert _normalised(render_field(field)) == _normalised(as_crispy_field(same_field)), (
            f"{cls.__name__}.{field.name}"
        )


def test_every_form_of_the_app_is_covered():
    names = {cls.__name__ for cls in _project_forms()}
    # The discovery finds the intake steps, the staff forms and the follow-up surveys.
    assert {
        "AboutYouForm",
        "QuestionnairesForm",
        "PatientForm",
        "Phq9Form",
        "PlanForm",
        "VitalsForm",
        "StaffLoginForm",
    } <= names
    assert len(names) > 40
    assert set(MAKERS) <= names


@pytest.mark.django_db
def test_a_field_in_error_says_so_beside_itself():
    from intake.questionnaire import AboutYouForm

    form = AboutYouForm(data={"email": "not an address"})
    form.is_valid()
    html = Template("{% load fields %}{{ form.email|as_field }}").render(Context({"form": form}))
    assert 'class="emailinput form-control is-invalid"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="error_1_id_email"' in html and "Enter an email like name@example.com." in html
    assert 'value="not an address"' in html  # what the patient typed is kept


@pytest.mark.django_db
def test_a_radio_group_is_a_fieldset_with_a_legend_and_labelled_options():
    from intake.questionnaire import QuestionnairesForm

    form = QuestionnairesForm()
    field = form["gad7_1"]
    html = str(render_field(field))
    assert html.count("<fieldset") == 1 and "<legend" in html
    assert html.count('type="radio"') == len(field.field.choices)
    for number in range(len(field.field.choices)):
        assert f'<label for="id_gad7_1_{number}" class="form-check-label">' in html


def test_a_file_field_is_left_to_crispy():
    class Upload(forms.Form):
        scan = forms.FileField()

    field = Upload()["scan"]
    assert render_field(field) == as_crispy_field(Upload()["scan"])


# --- Widgets: clinic.form_renderer.FormRenderer against Django's own templates ---------------

DJANGO = DjangoTemplates()
OURS = FormRenderer()


@pytest.mark.django_db
@pytest.mark.parametrize(("cls", "kwargs"), list(_forms_both_ways()))
def test_every_widget_is_drawn_as_django_draws_it(cls, kwargs):
    ours, django = _make(cls, renderer=OURS, **kwargs), _make(cls, renderer=DJANGO, **kwargs)
    if kwargs:
        ours.is_valid(), django.is_valid()
    for field, same_field in zip(ours, django, strict=True):
        assert str(field) == str(same_field), f"{cls.__name__}.{field.name}"


@pytest.mark.django_db
@pytest.mark.parametrize(("cls", "kwargs"), list(_forms_both_ways()))
def test_every_choice_of_a_group_is_drawn_as_django_draws_it(cls, kwargs):
    """Templates that lay out a radio group themselves draw each choice with ``{{ radio.tag }}``
    (no label) or ``{{ radio }}`` (inside its label)."""
    ours, django = _make(cls, renderer=OURS, **kwargs), _make(cls, renderer=DJANGO, **kwargs)
    if kwargs:
        ours.is_valid(), django.is_valid()
    for field, same_field in zip(ours, django, strict=True):
        if not isinstance(field.field.widget, forms.RadioSelect):
            continue
        for choice, same_choice in zip(field, same_field, strict=True):
            assert choice.tag() == same_choice.tag(), f"{cls.__name__}.{field.name}"
            assert str(choice) == str(same_choice), f"{cls.__name__}.{field.name}"


class Awkward(forms.Form):
    """Values and labels a template would escape, or not, and the widgets' less usual options."""

    text = forms.CharField(initial='He said "<b>hi</b>" & left', widget=forms.TextInput)
    trusted = forms.CharField(initial=mark_safe("<i>kept</i>"))
    number = forms.DecimalField(
        initial=Decimal("1.50"), widget=forms.NumberInput(attrs={"step": "0.01"})
    )
    nothing = forms.CharField(required=False, widget=forms.TextInput(attrs={"placeholder": None}))
    ticked = forms.BooleanField(initial=True, required=False)
    unticked = forms.BooleanField(required=False, disabled=True)
    notes = forms.CharField(initial="</textarea><script>x</script>", widget=forms.Textarea)
    empty_notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    grouped = forms.ChoiceField(
        choices=[("", "Choose"), ("Fruit & nuts", [("a", "Apple"), (1, "<One>")]), ("b", "Bean")],
        initial=1,
    )
    several = forms.MultipleChoiceField(
        choices=[("x", "X"), ("y", 'Y "why"')], initial=["x", "y"], required=False
    )
    maybe = forms.NullBooleanField(initial=None)
    day = forms.DateField(initial=datetime.date(2026, 1, 2), widget=forms.DateInput)
    at = forms.TimeField(widget=forms.TimeInput(format="%H:%M"))
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="pw")
    hidden = forms.CharField(widget=forms.HiddenInput, initial=7)
    web = forms.URLField(initial="https://example.com/?a=1&b=2", assume_scheme="https")
    way = forms.ChoiceField(
        choices=[("a", 'A & "b"'), (2, mark_safe("<i>two</i>"))], widget=forms.RadioSelect
    )
    ways = forms.MultipleChoiceField(
        choices=[("x", "<X>"), ("y", "Y")], initial=["y"], widget=forms.CheckboxSelectMultiple
    )
    unlabelled = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect(attrs={"id": ""}))


@pytest.mark.parametrize(
    "data", [None, {"text": "typed <again>", "grouped": "zzz", "several": ["y"]}]
)
def test_awkward_widgets_are_drawn_as_django_draws_them(data):
    ours, django = Awkward(data, renderer=OURS), Awkward(data, renderer=DJANGO)
    for field, same_field in zip(ours, django, strict=True):
        assert str(field) == str(same_field), field.name
        if isinstance(field.field.widget, forms.RadioSelect):
            for choice, same_choice in zip(field, same_field, strict=True):
                assert choice.tag() == same_choice.tag(), field.name
                assert str(choice) == str(same_choice), field.name


def test_a_widget_without_a_drawing_of_its_own_is_rendered_by_its_template():
    class Choices(forms.Form):
        pick = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect)
        when = forms.SplitDateTimeField()

    assert str(Choices(renderer=OURS)) == str(Choices(renderer=DJANGO))


def test_the_app_uses_the_python_drawings():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FormRenderer)
    assert 'value="&lt;One&gt;"' not in str(Awkward()["grouped"])  # escaped label, not value
    assert "&lt;One&gt;</option>" in str(Awkward()["grouped"])
