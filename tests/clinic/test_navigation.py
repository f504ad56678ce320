"""The main menu: each role sees its own links, the current section is marked for screen
readers, and the links are worked out once per set of roles, not on every page."""

import re

import pytest
from django.urls import reverse

from clinic import navigation
from clinic.roles import CLINIC_ADMIN, CLINICIAN
from tests.conftest import sign_in
from tests.factories import UserFactory

LINK = re.compile(
    r'<a class="nav-link text-nowrap( active)?" href="([^"]+)"( aria-current="page")?>([^<]+)</a>'
)


def menu(client, url=None) -> list[tuple[str, str, bool]]:
    """(label, href, marked current) of each main-menu link on the page."""
    page = client.get(url or reverse("intake:patient_list")).content.decode()
    nav = page[page.index('aria-label="Main"') : page.index("</nav>")]
    return [
        (label, href, bool(active) and bool(current))
        for active, href, current, label in LINK.findall(nav)
    ]


def labels(client, url=None) -> list[str]:
    return [label for label, _href, _current in menu(client, url)]


def test_the_front_desk_sees_its_desk_work_and_no_clinical_lists(front_desk):
    assert labels(front_desk) == [
        "Home",
        "Patients",
        "Register patient",
        "New inquiries",
        "Intakes",
        "Chair board",
        "Tasks",
        "Follow-ups",
    ]


def test_the_clinician_sees_alerts_screening_and_outcomes(clinician):
    assert labels(clinician) == [
        "Home",
        "Patients",
        "Intakes",
        "Chair board",
        "Alerts",
        "Screening",
        "Controlled substances",
        "Follow-ups",
        "Outcomes",
    ]


def test_the_clinic_admin_sees_the_administration(clinic_admin):
    assert labels(clinic_admin, reverse("followups:outcomes")) == [
        "Controlled substances",
        "Outcomes",
        "Screening rules",
        "Administration",
        "Audit trail",
        "Staff",
    ]


def test_a_clinician_who_is_also_an_admin_reaches_the_rules_from_screening(client, db):
    user = UserFactory(username="both", role=CLINICIAN)
    user.groups.add(*UserFactory(username="other", role=CLINIC_ADMIN).groups.all())
    sign_in(client, user)

    shown = labels(client)

    assert "Screening rules" not in shown
    assert {"Alerts", "Outcomes", "Administration", "Staff"} <= set(shown)


def test_each_link_goes_where_it_says(front_desk):
    links = {label: href for label, href, _ in menu(front_desk)}

    assert links["Register patient"] == reverse("intake:patient_register")
    assert links["Follow-ups"] == reverse("followups:worklist")
    assert front_desk.get(links["Tasks"]).status_code == 200


@pytest.mark.parametrize(
    ("url_name", "args", "current"),
    [
        ("home", [], "Home"),
        ("intake:patient_list", [], "Patients"),
        # The register page sits under /patients/: the longer, closer link is the current one.
        ("intake:patient_register", [], "Register patient"),
        ("followups:worklist", [], "Follow-ups"),
    ],
)
def test_the_current_section_is_marked_for_screen_readers(front_desk, url_name, args, current):
    marked = [
        label for label, _href, here in menu(front_desk, reverse(url_name, args=args)) if here
    ]

    assert marked == [current]


def test_a_patient_page_is_in_the_patients_section(front_desk, patient):
    marked = [
        label
        for label, _href, here in menu(
            front_desk, reverse("intake:patient_detail", args=[patient.pk])
        )
        if here
    ]

    assert marked == ["Patients"]


def test_the_links_are_worked_out_once_per_set_of_roles(front_desk, clinician_user, monkeypatch):
    navigation._links_for.cache_clear()
    reversed_names = []
    real_reverse = navigation.reverse
    monkeypatch.setattr(
        navigation, "reverse", lambda name: reversed_names.append(name) or real_reverse(name)
    )

    labels(front_desk)
    labels(front_desk, reverse("home"))
    front_desk_count = len(reversed_names)
    labels(sign_in(front_desk, clinician_user))

    assert front_desk_count == 8
    assert len(reversed_names) == 17


def test_nobody_signed_in_sees_no_menu(client, db):
    page = client.get(reverse("login")).content.decode()

    assert 'class="nav-link' not in page


def test_the_header_links_home_and_signs_out_under_a_script_prefix(front_desk):
    from django.urls import set_script_prefix

    set_script_prefix("/clinic/")  # as a server mounted under /clinic sets it
    try:
        page = front_desk.get("/")
    finally:
        set_script_prefix("/")
    html = page.content.decode()
    assert 'class="navbar-brand" href="/clinic/"' in html
    assert 'action="/clinic/accounts/logout/"' in html
    assert 'class="navbar-brand" href="/"' in front_desk.get("/").content.decode()
