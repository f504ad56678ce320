"""The Content-Security-Policy (default-src 'self') blocks inline styles, inline scripts and
event-handler attributes: no template may rely on them (a page would look or work differently
in production than its template suggests)."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
FORBIDDEN = {
    "inline style attribute": re.compile(r"\sstyle\s*=", re.IGNORECASE),
    "inline <style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.IGNORECASE),
    "event-handler attribute": re.compile(r"\son[a-z]+\s*=\s*[\"']", re.IGNORECASE),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 20


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_template_needs_what_the_csp_blocks(template):
    text = template.read_text(encoding="utf-8")
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    assert found == [], f"{template.name}: {', '.join(found)}"


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_template_comment_spans_lines(template):
    # Django's {# #} comments end at the line: a longer one is printed on the page.
    for number, line in enumerate(template.read_text().splitlines(), start=1):
        if "{#" in line:
            assert "#}" in line.split("{#", 1)[1], f"line {number}: use {{% comment %}}"
