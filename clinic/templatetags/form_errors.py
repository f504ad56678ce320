"""Counting a bound form's errors for the error summary (templates/clinic/_form_errors.html)."""

from django import forms, template

register = template.Library()


@register.simple_tag
def error_count(form: forms.BaseForm | str, formset: forms.BaseFormSet | str = "") -> int:
    """The fields in error plus the form-wide errors, and the same for an optional formset's rows
    and its own errors: the number the summary's heading announces. A name missing from the
    template's context arrives as ""."""
    count = len(form.errors) if isinstance(form, forms.BaseForm) else 0
    if isinstance(formset, forms.BaseFormSet) and formset.is_bound:
        count += sum(len(row_errors) for row_errors in formset.errors)
        count += len(formset.non_form_errors())
    return count
