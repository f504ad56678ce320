"""The staff home page: panels contributed by the apps (the front desk's intake counts, the
clinician's urgent alerts and intakes to review), each a single query."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse

from clinic import home
from intake.models import ClinicalAlert
from intake.services.questionnaires import alert_raise
from tests.factories import PatientFactory
from tests.intake.intakes import intake_of, intakes_in_every_state, issue, submitted_intake

HOME_URL = reverse("home")
QUEUE_URL = reverse("intake:intake_queue")


def panel(page: str, title: str) -> str:
    match = re.search(
        rf'<section class="card[^"]*" aria-labelledby="panel-[\w-]+">\s*<div class="card-body">\s*'
        rf"<h2[^>]*>{title}</h2>.*?</section>",
        page,
        re.S,
    )
    assert match, f"no {title!r} panel"
    return match.group(0)


def has_panel(page: str, title: str) -> bool:
    return re.search(rf"<h2[^>]*>{title}</h2>", page) is not None


def count_in(panel_html: str, label: str) -> int:
    match = re.search(rf">{label}</a>\s*<span[^>]*>(\d+)</span>", panel_html)
    assert match, f"no {label!r} count"
    return int(match.group(1))


# --- The registry -----------------------------------------------------------------------------


@pytest.fixture
def registry(monkeypatch):
    """An empty registry for the test, so the apps' own panels stay as they are."""
    monkeypatch.setattr(home, "_panels", {})
    return home


def test_panels_come_in_order_and_empty_ones_are_left_out(registry, rf: RequestFactory):
    registry.register_panel("second", lambda request: {"title": "Second"}, order=20)
    registry.register_panel("nothing", lambda request: None, order=5)
    registry.register_panel("first", lambda request: {"title": "First", "urgent": True}, order=10)

    shown = registry.panels_for(rf.get("/"))

    assert [p["title"] for p in shown] == ["First", "Second"]
    assert shown[0] == {
        "name": "first",
        "title": "First",
        "counts": [],
        "link": None,
        "urgent": True,
    }


def test_registering_again_replaces_the_panel(registry, rf):
    # AppConfig.ready() may run more than once (tests, management commands).
    registry.register_panel("intake", lambda request: {"title": "Old"})
    registry.register_panel("intake", lambda request: {"title": "New"})

    assert [p["title"] for p in registry.panels_for(rf.get("/"))] == ["New"]

    registry.unregister_panel("intake")
    assert registry.panels_for(rf.get("/")) == []


def test_each_panel_sees_the_request(registry, rf):
    registry.register_panel("path", lambda request: {"title": request.path})

    assert registry.panels_for(rf.get("/somewhere/"))[0]["title"] == "/somewhere/"


def test_the_intake_app_registers_its_panels():
    assert {"intake-queue", "intake-alerts", "intake-review"} <= set(home._panels)


def test_clinic_does_not_import_the_apps():
    """clinic sits below the apps (STYLE.md): the registry is how they reach the home page."""
    import ast
    from pathlib import Path

    import clinic

    for path in Path(clinic.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("intake", "treatments", "followups")), path
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("intake", "treatments", "followups")), path


# --- What each role sees ------------------------------------------------------------------------


def test_the_front_desk_sees_intake_counts_linked_to_the_queue(front_desk, front_desk_user):
    intakes_in_every_state(front_desk_user)
    issue(PatientFactory(), front_desk_user)  # a second invited intake

    page = front_desk.get(HOME_URL).content.decode()

    intake = panel(page, "Intake")
    expected = {
        "Invited": 2,
        "Opened": 1,
        "In progress": 1,
        "Submitted": 1,
        "Expired": 1,
        "Revoked": 1,
    }
    for label, count in expected.items():
        assert count_in(intake, label) == count
    assert f'href="{QUEUE_URL}?status=invited"' in intake
    assert f'href="{QUEUE_URL}?status=in_progress"' in intake
    assert f'href="{QUEUE_URL}">Open the intake queue' in intake
    assert not has_panel(page, "Urgent alerts")
    assert not has_panel(page, "Intakes to review")


def test_the_clinician_sees_urgent_alerts_and_intakes_to_review(
    clinician, clinician_user, front_desk_user
):
    now = datetime(2026, 3, 10, 15, tzinfo=UTC)
    with time_machine.travel(now - timedelta(days=45), tick=False):
        submitted_intake(PatientFactory(), front_desk_user)  # too long ago to be "to review"
    with time_machine.travel(now - timedelta(days=2), tick=False):
        submitted_intake(PatientFactory(), front_desk_user)
        submitted_intake(PatientFactory(), front_desk_user)
        alerts = [
            alert_raise(
                patient_id=intake.patient_id,
                kind=ClinicalAlert.Kind.PHQ9_ITEM9,
                source_kind="intake",
                source_id=intake.pk,
            )
            for intake in (intake_of(issue(PatientFactory(), front_desk_user)) for _ in range(3))
        ]
    ClinicalAlert.objects.filter(pk=alerts[0].pk).update(
        acknowledged_at=now, acknowledged_by=clinician_user, acknowledgement_note="Called"
    )

    with time_machine.travel(now, tick=False):
        page = clinician.get(HOME_URL).content.decode()

    urgent = panel(page, "Urgent alerts")
    assert "border-danger" in urgent
    assert count_in(urgent, "Waiting for a clinician") == 2
    assert reverse("intake:alert_list") in urgent
    review = panel(page, "Intakes to review")
    assert count_in(review, "Submitted in the last 30 days") == 2
    assert f"{QUEUE_URL}?status=submitted" in review
    assert not has_panel(page, "Intake")


def test_no_open_alerts_is_not_drawn_as_urgent(clinician):
    urgent = panel(clinician.get(HOME_URL).content.decode(), "Urgent alerts")

    assert count_in(urgent, "Waiting for a clinician") == 0
    assert "border-danger" not in urgent


# --- What the page costs ------------------------------------------------------------------------


@pytest.mark.parametrize("how_many", [1, 4])
def test_the_front_desk_home_costs_the_same_however_many_intakes(
    front_desk, front_desk_user, django_assert_num_queries, how_many
):
    for _ in range(how_many):
        intakes_in_every_state(front_desk_user)
    front_desk.get(HOME_URL)  # warm-up

    # session, user, TOTP device, roles, the intake counts (one aggregate), open tasks,
    # today's sessions
    with django_assert_num_queries(8):
        front_desk.get(HOME_URL)


@pytest.mark.parametrize("how_many", [1, 10])
def test_the_clinician_home_costs_the_same_however_many_alerts(
    clinician, front_desk_user, django_assert_num_queries, how_many
):
    for patient in PatientFactory.create_batch(how_many):
        intake = intake_of(issue(patient, front_desk_user))
        alert_raise(
            patient_id=patient.pk,
            kind=ClinicalAlert.Kind.PHQ9_ITEM9,
            source_kind="intake",
            source_id=intake.pk,
        )
    clinician.get(HOME_URL)  # warm-up

    # session, user, TOTP device, roles, open alerts count, intakes to review count, screenings
    # to review (one aggregate), sessions to sign (one aggregate)
    with django_assert_num_queries(10):
        clinician.get(HOME_URL)
