"""The chart's score table rows, built in Python: a patient in treatment has a GAD-7 and a PHQ-9
at every survey and session, and a template loop over them cost more than the rest of the
page's body (Django's ``format_html`` per row, too, costs twice what the row's texts do)."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def score_rows(points) -> SafeString:
    """One ``<tr>`` per score: the date, the scale and its source, the total with its band and
    whether it is a baseline, a response or a remission. Every text is escaped here."""
    rows = "\n".join(
        f'<tr><td class="text-nowrap"><time datetime="{escape(point.iso)}">'
        f"{escape(point.date_text)}</time></td>"
        f"<td>{escape(point.instrument_label)}<br>"
        f'<span class="text-body-secondary">{escape(point.source_label)}</span></td>'
        f"<td>{escape(point.total_text)}</td><td>{escape(point.outcome_text)}</td></tr>"
        for point in points
    )
    return mark_safe(rows)  # noqa: S308 - every value escaped above
