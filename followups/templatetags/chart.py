"""The chart's score table rows and timeline entries, built in Python: a patient in treatment
has a GAD-7 and a PHQ-9 at every survey and session, and a template loop over them cost more
than the rest of the page's body (Django's ``format_html`` per row, too, costs twice what the
row's texts do); the timeline's loop over its 25 entries was half of what remained."""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def score_rows(points) -> SafeString:
    """One ``<tr>`` per score: the date, the scale and its source, the total with its band and
    whether it is a baseline, a response or a remission. Every text is escaped here; the
    labels, a handful of texts repeated down the table, once each."""
    label = _Escaped()
    rows = "\n".join(
        f'<tr><td class="text-nowrap"><time datetime="{escape(point.iso)}">'
        f"{escape(point.date_text)}</time></td>"
        f"<td>{label[point.instrument_label]}<br>"
        f'<span class="text-body-secondary">{label[point.source_label]}</span></td>'
        f"<td>{escape(point.total_text)}</td><td>{label[point.outcome_text]}</td></tr>"
        for point in points
    )
    return mark_safe(rows)  # noqa: S308 - every value escaped above


class _Escaped(dict):
    """``escaped[text]``: ``escape(text)``, worked out once per text."""

    def __missing__(self, text: str) -> str:
        escaped = self[text] = escape(text)
        return escaped


@register.simple_tag
def timeline_items(entries) -> SafeString:
    """One ``<li>`` per timeline entry: what happened and when (in the clinic's zone), and an
    "Open" link to the record, named for a screen reader. Every text is escaped here."""
    items = []
    for entry in entries:
        when = entry.when
        link = (
            f' <a href="{escape(entry.url)}">Open<span class="visually-hidden"> '
            f"{escape(entry.open_label)}</span></a>"
            if entry.url
            else ""
        )
        items.append(
            '<li class="list-group-item">'
            '<div class="d-flex flex-wrap justify-content-between gap-2">'
            f'<span class="fw-semibold">{escape(entry.kind)}</span>'
            f'<time class="small text-body-secondary text-nowrap" datetime="{escape(entry.iso)}">'
            f"{escape(when)}</time></div>"
            f'<p class="mb-0">{escape(entry.summary)}{link}</p></li>'
        )
    return mark_safe("\n".join(items))  # noqa: S308 - every value escaped above
