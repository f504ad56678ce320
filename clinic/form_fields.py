"""One form field as crispy-forms' Bootstrap 5 pack draws it, built in Python.

crispy-bootstrap5's ``field.html`` is a large template with nested includes, and rendering it
costs about half a millisecond a field: the intake steps show 13 to 16 fields to a patient on
every visit, so that template was the biggest cost of those pages. ``render_field`` writes the
same markup (the same elements, attributes and classes; only the whitespace between tags
differs) for the cases this app uses: text-like inputs, selects, text areas, checkboxes,
radio groups and checkbox groups, labelled or in a fieldset with a legend, with the errors and
help text beside the field. Anything else (files, widgets made of several widgets, horizontal
forms, custom field templates) is handed to crispy's own ``as_crispy_field``.

``tests/clinic/test_form_fields.py`` renders every field of every form in the app both ways,
unbound and with errors, and requires the same HTML, so a crispy upgrade that changes its
markup fails a test instead of drifting.
"""

from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field, optgroups
from django import forms
from django.utils.formats import localize
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

from .form_renderer import attrs_html

_DEFAULTS = {
    "form_show_errors": True,
    "form_show_labels": True,
    "label_class": "",
    "field_class": "",
    "error_text_inline": False,
    "help_text_inline": False,
    "flat_attrs": "",
}


def _options(field) -> dict | None:
    """The rendering options crispy would use for ``field``, or None where this module does not
    draw it the same way (crispy then renders it)."""
    widget = field.field.widget
    if isinstance(widget, forms.FileInput | forms.MultiWidget) or hasattr(widget, "widget"):
        return None
    helper = getattr(field.form, "helper", None)
    if helper is None:
        return _DEFAULTS
    cached = getattr(helper, "_clinic_field_options", None)
    if cached is None:
        attributes = helper.get_attributes("bootstrap5")
        supported = (
            attributes["field_template"] == "bootstrap5/field.html"
            and not attributes["label_class"]
            and "form-horizontal" not in helper.form_class.split()
        )
        cached = {**_DEFAULTS, **attributes} if supported else {}
        helper._clinic_field_options = cached
    return cached or None


def render_field(field) -> SafeString:
    """``{{ field|as_crispy_field }}``, drawn in Python where the markup is known."""
    options = _options(field)
    if options is None:
        return as_crispy_field(field)
    if field.is_hidden:
        return mark_safe(str(field))  # noqa: S308 - the widget's own rendering
    widget = field.field.widget
    checkbox = isinstance(widget, forms.CheckboxInput)
    show_labels = options["form_show_labels"]
    required = field.field.required
    asterisk = '<span class="asteriskField">*</span>' if required else ""
    label = conditional_escape(field.label) if field.label else ""
    out = []

    if checkbox:
        out.append('<div class="mb-3">')
    wrapper = "form-check" if checkbox and show_labels else "mb-3"
    css_classes = field.css_classes()
    if css_classes:
        wrapper += " " + escape(css_classes)
    out.append(f'<div id="div_{escape(field.auto_id)}" class="{wrapper}">')

    fieldset = field.use_fieldset and field.label and show_labels
    if field.label and not checkbox and show_labels:
        tag = "legend" if field.use_fieldset else "label"
        if field.use_fieldset:
            describedby = getattr(field, "aria_describedby", "")
            out.append(
                f'<fieldset aria-describedby="{escape(describedby)}">'
                if describedby
                else "<fieldset>"
            )
        target = f' for="{escape(field.id_for_label)}"' if field.id_for_label else ""
        classes = "form-label"
        if required:
            classes += " requiredField"
        if field.use_fieldset:
            classes += " fs-6"
        out.append(f'<{tag}{target} class="{classes}">{label}{asterisk}</{tag}>')

    if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple too: a subclass
        out.append(_choices(field, options))
    elif checkbox and show_labels:
        out.append(_widget(field, "form-check-input"))
        label_classes = "form-check-label requiredField" if required else "form-check-label"
        out.append(
            f'<label for="{escape(field.id_for_label)}" class="{label_classes}">'
            f"{label}{asterisk}</label>"
        )
        out.append(_help_and_errors(field, options))
    else:
        field_class = options["field_class"]
        if field_class:
            out.append(f'<div class="{escape(field_class)}">')
        if isinstance(widget, forms.Select):
            out.append(_widget(field, "form-select"))
        elif checkbox:
            out.append(_widget(field, "form-check-input"))
        else:
            out.append(_widget(field, "form-control"))
        out.append(_help_and_errors(field, options))
        if field_class:
            out.append("</div>")

    if fieldset:
        out.append("</fieldset>")
    out.append("</div>")
    if checkbox:
        out.append("</div>")
    # Every value above is escaped where it is put in, as the template escapes it; the help
    # text is not, as crispy marks it |safe (it is written by us, not typed by a user).
    return mark_safe("".join(out))  # noqa: S308


def _widget(field, classes: str) -> str:
    """crispy's ``{% crispy_field field 'class' classes %}``: the widget's class name and the
    Bootstrap classes are added to the widget's own (as crispy does, on the form's copy)."""
    if field.errors:
        classes += " is-invalid"
    widget = field.field.widget
    class_name = widget.__class__.__name__.lower()
    css_class = widget.attrs.get("class", "")
    if css_class:
        if css_class.find(class_name) == -1:
            css_class += " " + class_name
    else:
        css_class = class_name
    for token in classes.split():
        if token not in css_class.split():
            css_class += " " + token
    widget.attrs["class"] = css_class
    return str(field)


def _help_text(field, *, inline: bool) -> str:
    if not field.help_text:
        return ""
    if inline:
        auto_id = escape(field.auto_id)
        return f'<span id="{auto_id}_helptext" class="form-text">{field.help_text}</span>'
    target = f'id="{escape(field.auto_id)}_helptext" ' if field.auto_id else ""
    return f'<div {target}class="form-text">{field.help_text}</div>'


def _errors(field, options, *, tag: str) -> str:
    if not (options["form_show_errors"] and field.errors):
        return ""
    auto_id = escape(field.auto_id)
    items = "".join(
        f'<{tag} id="error_{number}_{auto_id}"><strong>{conditional_escape(error)}</strong></{tag}>'
        for number, error in enumerate(field.errors, start=1)
    )
    field_id = escape(getattr(field.errors, "field_id", None) or "")
    return f'<div id="{field_id}_error" class="invalid-feedback">{items}</div>'


def _help_and_errors(field, options) -> str:
    """crispy's ``help_text_and_errors.html``."""
    inline_help, inline_errors = options["help_text_inline"], options["error_text_inline"]
    out = []
    if inline_help and not inline_errors:
        out.append(_help_text(field, inline=True))
    out.append(_errors(field, options, tag="span" if inline_errors else "p"))
    if not inline_help:
        out.append(_help_text(field, inline=False))
    return "".join(out)


def _choices(field, options) -> str:
    """crispy's ``radio_checkbox_select.html`` (never inline here: no layout object sets it)."""
    field_class = options["field_class"]
    flat_attrs = options["flat_attrs"]
    out = ["<div"]
    if field_class:
        out.append(f' class="{escape(field_class)}"')
    if flat_attrs:
        out.append(f" {flat_attrs}")
    out.append(">")
    input_class = "form-check-input is-invalid" if field.errors else "form-check-input"
    name = escape(field.html_name)
    groups = optgroups(field)
    for group_number, (group, choices, _index) in enumerate(groups, start=1):
        if group:
            out.append(f"<strong>{conditional_escape(group)}</strong>")
        for number, option in enumerate(choices, start=1):
            value = conditional_escape(localize(option["value"], use_l10n=False))
            text = conditional_escape(localize(option["label"], use_l10n=False))
            out.append(
                '<div class="form-check">'
                f'<input type="{escape(option["type"])}" class="{input_class}" name="{name}"'
                f' value="{value}"{attrs_html(option["attrs"])}>'
                f'<label for="{escape(option["attrs"].get("id", ""))}" class="form-check-label">'
                f"{text}</label>"
            )
            if field.errors and number == len(choices) and group_number == len(groups):
                out.append(_errors(field, options, tag="p"))
            out.append("</div>")
    out.append("</div>")
    out.append(_help_text(field, inline=options["help_text_inline"]))
    return "".join(out)
