"""``{{ form.field|as_field }}``: a form field as crispy-forms draws it, at a fraction of the
cost (see ``clinic.form_fields``)."""

from django import template

from ..form_fields import render_field

register = template.Library()
register.filter("as_field", render_field)
