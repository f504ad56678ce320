"""``{% patient_panel panel %}``: one card another app adds to the patient summary
(intake/patient_panels.py), built in Python: the page shows three of them on every visit and
their template was a sixth of the page's rendering."""

from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

register = template.Library()


def _text(value) -> str:
    """As ``{{ value }}`` shows it: localized, escaped unless marked safe."""
    return conditional_escape(localize(value))


@register.simple_tag
def patient_panel(panel: dict) -> SafeString:
    """The card: a heading, an optional badge, label/value rows, a sentence and a link."""
    heading_id = f"panel-{slugify(panel['name'])}"
    out = [
        f'<section class="card h-100" aria-labelledby="{heading_id}">',
        '<div class="card-body">',
        f'<h2 class="h5" id="{heading_id}">{_text(panel["title"])}</h2>',
    ]
    if badge := panel.get("badge"):
        style = _text(badge.get("style") or "text-bg-secondary")
        out.append(
            f'<p class="mb-2"><span class="badge {style}">{_text(badge["label"])}</span></p>'
        )
    if rows := panel.get("rows"):
        out.append('<dl class="row record">')
        out.extend(
            f'<dt class="col-sm-5">{_text(row["label"])}</dt>'
            f'<dd class="col-sm-7">{_text(row["value"])}</dd>'
            for row in rows
        )
        out.append("</dl>")
    if text := panel.get("text"):
        out.append(f"<p>{_text(text)}</p>")
    if link := panel.get("link"):
        out.append(f'<a href="{_text(link["url"])}">{_text(link["label"])}</a>')
    out.append("</div></section>")
    return mark_safe("\n".join(out))  # noqa: S308 - every value escaped above
