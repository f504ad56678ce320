"""Row links built from one reverse() per view: the same urls reverse() gives."""

import pytest
from django.urls import reverse, set_script_prefix

from clinic import links


@pytest.mark.parametrize(
    "viewname",
    ["intake:patient_detail", "followups:patient_chart", "treatments:session_detail"],
)
@pytest.mark.parametrize("pk", [1, 42, 2_000_000])
def test_each_link_is_what_reverse_gives(viewname, pk):
    assert links.url_for_pk(viewname)(pk) == reverse(viewname, args=[pk])


def test_a_view_is_reversed_once(monkeypatch):
    links._around_pk.cache_clear()
    reversed_names = []
    original = links.reverse

    def spy(viewname, *args, **kwargs):
        reversed_names.append(viewname)
        return original(viewname, *args, **kwargs)

    monkeypatch.setattr(links, "reverse", spy)
    for pk in range(3):
        links.url_for_pk("intake:patient_detail")(pk)
    assert reversed_names == ["intake:patient_detail"]


def test_links_follow_the_script_prefix():
    set_script_prefix("/clinic/")  # as a server mounted under /clinic sets it
    try:
        assert links.url_for_pk("intake:patient_detail")(7) == "/clinic/patients/7/"
    finally:
        set_script_prefix("/")
    assert links.url_for_pk("intake:patient_detail")(7) == "/patients/7/"
