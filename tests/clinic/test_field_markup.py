"""What a person and a screen reader get from a form field drawn by crispy-forms'
``|as_crispy_field``, as the app's templates draw every field: the label tied to its input, the
error beside the field and announced with it, and a radio group as a fieldset with a legend."""

import re

import pytest
from django.template import Context, Template

from intake.questionnaire import AboutYouForm, QuestionnairesForm


def _field(form, name: str) -> str:
    template = Template("{% load crispy_forms_tags %}{{ field|as_crispy_field }}")
    html = template.render(Context({"field": form[name]}))
    return re.sub(r"\s*(<|>)\s*", r"\1", re.sub(r"\s+", " ", html))  # crispy's line breaks aside


@pytest.mark.django_db
def test_a_field_in_error_says_so_beside_itself():
    form = AboutYouForm(data={"email": "not an address"})
    form.is_valid()
    html = _field(form, "email")
    assert '<label for="id_email" class="form-label requiredField">Email' in html
    assert 'class="emailinput form-control is-invalid"' in html
    assert 'aria-invalid="true"' in html
    assert 'id="error_1_id_email"' in html and "Enter an email like name@example.com." in html
    assert 'value="not an address"' in html  # what the patient typed is kept


@pytest.mark.django_db
def test_a_radio_group_is_a_fieldset_with_a_legend_and_labelled_options():
    form = QuestionnairesForm()
    html = _field(form, "gad7_1")
    assert html.count("<fieldset") == 1 and "<legend" in html
    choices = form["gad7_1"].field.choices
    assert html.count('type="radio"') == len(choices)
    for number in range(len(choices)):
        assert f'<label for="id_gad7_1_{number}" class="form-check-label">' in html
