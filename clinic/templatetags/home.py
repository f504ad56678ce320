"""The home page's list rows, built in Python: the front desk's board alone can hold a row for
every session of the day, and a template include per row cost most of the page's rendering."""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def home_item(item: dict, first: bool) -> SafeString:
    """One row of a panel's short list: an optional lead (a time), the text (a link when it has
    a url), a badge, "Urgent", a detail line and an action link with words for screen readers."""
    parts = []
    if item.get("lead"):
        parts.append(format_html('<span class="fw-semibold text-nowrap">{}</span> ', item["lead"]))
    if item.get("url"):
        parts.append(format_html('<a href="{}">{}</a>', item["url"], item["text"]))
    else:
        parts.append(format_html("{}", item["text"]))
    if item.get("badge"):
        style = item.get("badge_style") or "text-bg-light border"
        parts.append(format_html(' <span class="badge {}">{}</span>', style, item["badge"]))
    if item.get("urgent"):
        parts.append(mark_safe(' <span class="badge text-bg-danger">Urgent</span>'))
    if item.get("detail"):
        parts.append(format_html('<br><span class="text-body-secondary">{}</span>', item["detail"]))
    if action := item.get("action"):
        parts.append(
            format_html(
                '<br><a class="fw-semibold" href="{}">{}{}</a>',
                action["url"],
                action["label"],
                format_html('<span class="visually-hidden"> {}</span>', action.get("context", "")),
            )
        )
    border = "" if first else " border-top"
    return format_html(
        '<li class="py-1{}">{}</li>', border, format_html_join("", "{}", ((p,) for p in parts))
    )
