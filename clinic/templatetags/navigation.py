"""``{% main_nav %}``: the main menu's links for the signed-in user's roles (see
``clinic.navigation``), the current section marked for screen readers."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..navigation import current_url

register = template.Library()


@register.simple_tag(takes_context=True)
def main_nav(context) -> SafeString:
    links = context.get("nav_links") or ()
    request = context.get("request")
    here = current_url(links, request.path) if request is not None else None
    return format_html_join(
        "",
        '<li class="nav-item"><a class="nav-link text-nowrap{}" href="{}"{}>{}</a></li>',
        (
            (" active", url, mark_safe(' aria-current="page"'), label)
            if url == here
            else ("", url, "", label)
            for label, url in links
        ),
    )
