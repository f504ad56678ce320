"""Cards other apps add to the patient summary (intake/patient_panels.py), as staff see them."""

import re

import pytest
from django.urls import reverse

from intake import patient_panels


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, the apps' own put back afterwards."""
    monkeypatch.setattr(patient_panels, "_panels", {})
    return patient_panels


def page_of(client, patient) -> str:
    return client.get(reverse("intake:patient_detail", args=[patient.pk])).content.decode()


def test_a_card_shows_its_heading_badge_rows_text_and_link(registry, front_desk, patient):
    registry.register(
        "demo-card",
        lambda request, patient: {
            "title": "Care team",
            "badge": {"label": "Active", "style": "text-bg-success"},
            "rows": [{"label": "Lead", "value": "Dr Carter"}, {"label": "Visits", "value": 3}],
            "text": "Seen weekly.",
            "link": {"label": "Open the team", "url": "/team/"},
        },
    )

    page = page_of(front_desk, patient)

    card = page[page.rindex("<section", 0, page.index("panel-demo-card")) :]
    card = card[: card.index("</section>")]
    assert '<h2 class="h5" id="panel-demo-card">Care team</h2>' in card
    assert '<span class="badge text-bg-success">Active</span>' in card
    words = " ".join(re.sub(r"<[^>]+>", " ", card).split())
    assert words == "Care team Active Lead Dr Carter Visits 3 Seen weekly. Open the team"
    assert '<a href="/team/">Open the team</a>' in card


def test_cards_come_in_order_and_one_with_nothing_to_show_is_left_out(
    registry, front_desk, patient
):
    registry.register("second", lambda r, p: {"title": "Second card"}, order=20)
    registry.register("first", lambda r, p: {"title": "First card"}, order=10)
    registry.register("empty", lambda r, p: None, order=15)

    page = page_of(front_desk, patient)

    assert page.index("First card") < page.index("Second card")
    assert 'id="panel-empty"' not in page


def test_a_badge_without_a_style_is_grey(registry, front_desk, patient):
    registry.register("plain", lambda r, p: {"title": "Plain", "badge": {"label": "New"}})

    assert '<span class="badge text-bg-secondary">New</span>' in page_of(front_desk, patient)


def test_what_a_card_shows_is_text_never_markup(registry, front_desk, patient):
    typed = '<script>alert("x")</script>'
    registry.register(
        "typed",
        lambda r, p: {
            "title": typed,
            "badge": {"label": typed},
            "rows": [{"label": typed, "value": typed}],
            "text": typed,
            "link": {"label": typed, "url": '/x/?a=1&b="2"'},
        },
    )

    page = page_of(front_desk, patient)

    assert "<script>alert" not in page
    assert page.count("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;") == 6
    assert 'href="/x/?a=1&amp;b=&quot;2&quot;"' in page
