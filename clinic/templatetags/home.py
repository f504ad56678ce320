"""The home page's list rows, built in Python: the front desk's board alone can hold a row for
every session of the day, and a template include per row cost most of the page's rendering."""

from django import template
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def home_item(item: dict, first: bool) -> SafeString:
    """One row of a panel's short list: an optional lead (a time), the text (a link when it has
    a url), a badge, "Urgent", a detail line and an action link with words for screen readers.

    Each value is escaped once and the row joined as one string: the board can hold a row for
    every session of the day, and a format_html() per part cost more than the rest of the row."""
    esc = conditional_escape
    parts = []
    if lead := item.get("lead"):
        parts.append(f'<span class="fw-semibold text-nowrap">{esc(lead)}</span> ')
    if url := item.get("url"):
        parts.append(f'<a href="{esc(url)}">{esc(item["text"])}</a>')
    else:
        parts.append(esc(item["text"]))
    if badge := item.get("badge"):
        style = item.get("badge_style") or "text-bg-light border"
        parts.append(f' <span class="badge {esc(style)}">{esc(badge)}</span>')
    if item.get("urgent"):
        parts.append(' <span class="badge text-bg-danger">Urgent</span>')
    if detail := item.get("detail"):
        parts.append(f'<br><span class="text-body-secondary">{esc(detail)}</span>')
    if action := item.get("action"):
        parts.append(
            f'<br><a class="fw-semibold" href="{esc(action["url"])}">{esc(action["label"])}'
            f'<span class="visually-hidden"> {esc(action.get("context", ""))}</span></a>'
        )
    border = "" if first else " border-top"
    return mark_safe(f'<li class="py-1{border}">{"".join(parts)}</li>')  # noqa: S308 - escaped above
