"""Django's form renderer, with the widget templates of nearly every field written in Python.

Django draws each widget through a template and its includes (``input.html`` then
``attrs.html``; a select adds one include per option), about 0.2 ms a field: a tenth of an
intake step's whole time. ``FormRenderer`` (settings ``FORM_RENDERER``) writes those
templates' exact output for inputs, checkboxes, selects and text areas, from the same context
Django prepares, and renders every other template as Django does. ``tests/clinic/
test_form_fields.py`` renders every widget of every form in the app both ways and requires the
same string, so a Django upgrade that changes these templates fails a test.
"""

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeData

WIDGETS = "django/forms/widgets/"
SELECT_OPTION = WIDGETS + "select_option.html"


def _formatted(value) -> str:
    """``{{ value|stringformat:'s' }}``: safe strings as they are, anything else escaped."""
    if isinstance(value, SafeData):
        return value
    if isinstance(value, tuple):
        value = str(value)
    return escape("%s" % value)  # noqa: UP031 - the filter's own formatting


def attrs_html(attrs: dict) -> str:
    """``attrs.html`` (crispy's is the same): ``name="value"``, a bare name for True, nothing
    for False."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{_formatted(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input(widget: dict) -> str:
    value = widget["value"]
    shown = f' value="{_formatted(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}"'
        f' name="{conditional_escape(widget["name"])}"{shown}{attrs_html(widget["attrs"])}>'
    )


def _input_option(widget: dict) -> str:
    """``input_option.html`` (a radio or checkbox of a group, as ``BoundWidget.tag`` draws it):
    the input, inside its label when ``wrap_label`` (the included ``input.html`` keeps its
    closing newline there)."""
    html = _input(widget)
    if not widget.get("wrap_label"):
        return html
    id_ = widget["attrs"].get("id")
    target = f' for="{conditional_escape(id_)}"' if id_ else ""
    return f"<label{target}>{html}\n {conditional_escape(widget['label'])}</label>"


def _textarea(widget: dict) -> str:
    value = conditional_escape(widget["value"]) if widget["value"] else ""
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>\n'
        f"{value}</textarea>"
    )


def _option(option: dict) -> str:
    return (
        f'<option value="{_formatted(option["value"])}"{attrs_html(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>\n"
    )


def _select(widget: dict) -> str | None:
    out = [f'<select name="{conditional_escape(widget["name"])}"{attrs_html(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in options:
            if option["template_name"] != SELECT_OPTION:
                return None
            out.append("\n  " + _option(option))
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


INPUTS = ("text", "email", "number", "password", "hidden", "date", "datetime", "time", "url")
DRAWN = {
    **{f"{WIDGETS}{kind}.html": _input for kind in (*INPUTS, "tel", "search", "checkbox")},
    WIDGETS + "radio_option.html": _input_option,
    WIDGETS + "checkbox_option.html": _input_option,
    WIDGETS + "textarea.html": _textarea,
    WIDGETS + "select.html": _select,
}


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        draw = DRAWN.get(template_name)
        if draw is not None and (html := draw(context["widget"])) is not None:
            return html
        return super().render(template_name, context, request=request)
