"""Urgent alerts: a PHQ-9 item 9 answer above "Not at all" raises one alert per intake, every
active clinician is emailed once (with nothing about the patient in it), even when the broker
was down at the time; clinicians see the alerts and acknowledge them with a note."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from kombu.exceptions import OperationalError
from redis.exceptions import TimeoutError as RedisTimeoutError

from clinic.roles import CLINICIAN, FRONT_DESK
from intake import tasks
from intake.models import ClinicalAlert
from intake.services.questionnaires import alert_acknowledge, alert_raise
from tests.factories import PatientFactory, UserFactory
from tests.intake.answers import QUESTIONNAIRES
from tests.intake.intakes import answer_steps, intake_of, issue, open_link

pytestmark = pytest.mark.clinic_day

ALERTS_URL = reverse("intake:alert_list")
SELF_HARM = {"questionnaires": {"phq9_9": "1"}}


@pytest.fixture
def clinicians(clinician_user):
    """Who should hear about an alert: active clinicians with an email address."""
    UserFactory(username="drlee", role=CLINICIAN)
    UserFactory(username="drgone", role=CLINICIAN, is_active=False)
    UserFactory(username="drnomail", role=CLINICIAN, email="")
    UserFactory(username="desk2", role=FRONT_DESK)
    return ["drcarter@example.com", "drlee@example.com"]


def raise_alert_for(patient, by) -> ClinicalAlert:
    intake = intake_of(issue(patient, by))
    return alert_raise(
        patient_id=patient.pk,
        kind=ClinicalAlert.Kind.PHQ9_ITEM9,
        source_kind="intake",
        source_id=intake.pk,
    )


def acknowledge_url(alert) -> str:
    return reverse("intake:alert_acknowledge", args=[alert.pk])


# --- Raising and notifying ----------------------------------------------------------------------


def test_item9_raises_one_alert_per_intake_and_emails_each_clinician_once(
    patient, front_desk_user, clinicians, mailoutbox, django_capture_on_commit_callbacks
):
    issued = issue(patient, front_desk_user)
    device = open_link(issued)
    with django_capture_on_commit_callbacks(execute=True):
        answer_steps(device, patient, changes=SELF_HARM)
        # The patient goes back and saves the questionnaires again, still answering item 9.
        device.post(
            reverse("intake:step", args=["questionnaires"]),
            {**QUESTIONNAIRES, "phq9_9": "2", "action": "next"},
        )
        device.post(reverse("intake:step", args=["review"]), {"confirm": "on", "action": "submit"})

    intake = intake_of(issued)
    assert intake.is_submitted and intake.phq9_item9 == 2
    alert = ClinicalAlert.objects.get()
    assert (alert.patient, alert.source_kind, alert.source_id) == (patient, "intake", intake.pk)
    assert alert.urgent and alert.notified_at is not None and alert.acknowledged_at is None
    assert sorted(to for email in mailoutbox for to in email.to) == clinicians
    for email in mailoutbox:
        text = f"{email.subject}\n{email.body}"
        assert reverse("intake:alert_list") in email.body
        for private in (patient.legal_first_name, patient.legal_last_name, patient.mrn):
            assert private not in text
        for word in ("phq", "score", "item 9", "self-harm", "depress"):
            assert word not in text.lower()
        assert not re.search(rf"\b{intake.phq9_total}\b", email.body)


@pytest.mark.parametrize(
    "failure",
    [
        OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused."),
        # A broker that hangs: redis-py's timeout, or the socket's own error.
        RedisTimeoutError("Timeout reading from 127.0.0.1:6379"),
        OSError(113, "No route to host"),
    ],
    ids=["refused", "timed-out", "socket-error"],
)
def test_an_alert_waits_for_the_sweep_when_the_broker_is_down(
    failure,
    patient,
    front_desk_user,
    clinicians,
    mailoutbox,
    monkeypatch,
    caplog,
    django_capture_on_commit_callbacks,
):
    def broker_down(*args, **kwargs):
        raise failure

    monkeypatch.setattr(tasks.notify_clinicians_of_alert, "delay", broker_down)
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)

    with time_machine.travel(start, tick=False):
        device = open_link(issue(patient, front_desk_user))
        with django_capture_on_commit_callbacks(execute=True):
            answer_steps(device, patient, until="consent", changes=SELF_HARM)
        # The patient is shown the crisis resources all the same.
        page = device.get(reverse("intake:step", args=["consent"])).content.decode()
        assert "You don't have to face this alone" in page

    (warning,) = [r.getMessage() for r in caplog.records if r.name == "clinic.broker"]
    assert warning == (
        f"intake.tasks.notify_clinicians_of_alert not queued ({type(failure).__name__}); "
        "its beat sweep will pick the row up"
    )

    alert = ClinicalAlert.objects.get()
    assert alert.notified_at is None
    assert mailoutbox == []

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        # Within a minute the alert may still be on its way through the normal path.
        assert tasks.notify_pending_alerts.apply().get() == 0
    with time_machine.travel(start + timedelta(minutes=2), tick=False):
        assert tasks.notify_pending_alerts.apply().get() == 1
        assert tasks.notify_pending_alerts.apply().get() == 0  # sent once, not again

    alert.refresh_from_db()
    assert alert.notified_at == start + timedelta(minutes=2)
    assert sorted(to for email in mailoutbox for to in email.to) == clinicians


def test_the_alert_list_says_when_clinicians_have_not_been_emailed_yet(
    clinician, patient, front_desk_user
):
    raise_alert_for(patient, front_desk_user)  # on_commit never ran: not notified

    page = clinician.get(ALERTS_URL).content.decode()

    assert "email to clinicians not sent yet" in page


# --- The alert list ---------------------------------------------------------------------------


def test_open_alerts_come_first_newest_first_with_patient_and_source(
    clinician, clinician_user, front_desk_user
):
    older_patient = PatientFactory(legal_first_name="Omar", legal_last_name="Older")
    newer_patient = PatientFactory(legal_first_name="Nina", legal_last_name="Newer")
    done_patient = PatientFactory(legal_first_name="Dana", legal_last_name="Done")
    with time_machine.travel(datetime(2026, 3, 10, 15, tzinfo=UTC), tick=False):
        older = raise_alert_for(older_patient, front_desk_user)
    with time_machine.travel(datetime(2026, 3, 10, 16, tzinfo=UTC), tick=False):
        newer = raise_alert_for(newer_patient, front_desk_user)
        done = raise_alert_for(done_patient, front_desk_user)
        ClinicalAlert.objects.filter(pk=done.pk).update(
            acknowledged_at=datetime(2026, 3, 10, 16, 30, tzinfo=UTC),
            acknowledged_by=clinician_user,
            acknowledgement_note="Called patient, safety plan reviewed",
        )

    page = clinician.get(ALERTS_URL).content.decode()

    waiting = page[page.index('id="open-heading"') : page.index('id="done-heading"')]
    assert "Waiting for a clinician (2)" in waiting
    assert waiting.index("Nina Newer") < waiting.index("Omar Older")
    assert "Dana Done" not in waiting
    assert "Thoughts of self-harm (PHQ-9 item 9)" in waiting
    assert "03/10/2026 11:00" in waiting  # shown in the clinic's time zone
    for alert, patient in ((older, older_patient), (newer, newer_patient)):
        assert reverse("intake:patient_detail", args=[patient.pk]) in waiting
        assert patient.mrn in waiting
        assert reverse("intake:intake_detail", args=[alert.source_id]) in waiting
        assert acknowledge_url(alert) in waiting
    acknowledged = page[page.index('id="done-heading"') :]
    assert "Dana Done" in acknowledged
    assert "Casey Carter" in acknowledged
    assert "03/10/2026 11:30" in acknowledged
    assert "Called patient, safety plan reviewed" in acknowledged


def test_acknowledging_needs_a_note_and_records_who_and_when(
    clinician, clinician_user, patient, front_desk_user
):
    alert = raise_alert_for(patient, front_desk_user)

    for note in ("", "   "):
        response = clinician.post(acknowledge_url(alert), {f"alert-{alert.pk}-note": note})
        assert response.status_code == 400
        assert "Write a short note of what was done." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_at is None

    moment = datetime(2026, 3, 10, 17, 5, tzinfo=UTC)
    with time_machine.travel(moment, tick=False):
        response = clinician.post(
            acknowledge_url(alert),
            {f"alert-{alert.pk}-note": "Called patient,  safety plan reviewed"},
            follow=True,
        )

    assert "Alert for Jane Rivera acknowledged." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician_user
    assert alert.acknowledged_at == moment
    assert alert.acknowledgement_note == "Called patient, safety plan reviewed"
    assert "No open alerts." in response.content.decode()


def test_an_alert_is_acknowledged_once(clinician, clinician_user, patient, front_desk_user):
    alert = raise_alert_for(patient, front_desk_user)
    clinician.post(acknowledge_url(alert), {f"alert-{alert.pk}-note": "Called patient"})

    response = clinician.post(
        acknowledge_url(alert), {f"alert-{alert.pk}-note": "Second look"}, follow=True
    )

    assert "Someone else acknowledged that alert already." in response.content.decode()
    alert.refresh_from_db()
    assert alert.acknowledgement_note == "Called patient"


def test_acknowledging_is_post_only(clinician, patient, front_desk_user):
    alert = raise_alert_for(patient, front_desk_user)

    assert clinician.get(acknowledge_url(alert)).status_code == 405


def test_the_front_desk_cannot_see_or_acknowledge_alerts(front_desk, patient, front_desk_user):
    alert = raise_alert_for(patient, front_desk_user)

    assert front_desk.get(ALERTS_URL).status_code == 403
    response = front_desk.post(acknowledge_url(alert), {f"alert-{alert.pk}-note": "Seen"})

    assert response.status_code == 403
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


MAIN_NAV = re.compile(r'<nav[^>]*aria-label="Main".*?</nav>', re.S)


def test_clinicians_have_alerts_in_their_navigation(clinician):
    nav = MAIN_NAV.search(clinician.get(reverse("home")).content.decode()).group(0)

    assert f'href="{ALERTS_URL}">Alerts<' in nav


def test_the_front_desk_has_no_alerts_link(front_desk):
    nav = MAIN_NAV.search(front_desk.get(reverse("home")).content.decode()).group(0)

    assert ALERTS_URL not in nav
    assert f'href="{reverse("intake:intake_queue")}">Intakes<' in nav


@pytest.mark.parametrize("how_many", [1, 12])
def test_the_alert_list_query_count_is_constant(
    clinician, clinician_user, front_desk_user, django_assert_num_queries, how_many
):
    for number, patient in enumerate(PatientFactory.create_batch(how_many)):
        alert = raise_alert_for(patient, front_desk_user)
        if number % 2:
            ClinicalAlert.objects.filter(pk=alert.pk).update(
                acknowledged_at=alert.created_at, acknowledged_by=clinician_user
            )
    clinician.get(ALERTS_URL)  # warm-up

    # session, user, TOTP device, roles, a page of open alerts with patients, how many are
    # open, acknowledged alerts with patients and who acknowledged them
    with django_assert_num_queries(7):
        response = clinician.get(ALERTS_URL)

    assert response.status_code == 200


def test_open_alerts_are_shown_20_at_a_time_and_an_acknowledgement_returns_to_the_same_rows(
    clinician, front_desk_user
):
    patients = PatientFactory.create_batch(23)
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)
    alerts = []
    for minutes, patient in enumerate(patients):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            alerts.append(raise_alert_for(patient, front_desk_user))
    newest_first = alerts[::-1]

    page = clinician.get(ALERTS_URL).content.decode()

    assert "Waiting for a clinician (23)" in page
    assert page.count("<article") == 20
    assert acknowledge_url(newest_first[19]) in page
    assert acknowledge_url(newest_first[20]) not in page
    assert f'href="{ALERTS_URL}?open=40#open">Show 3 more open alerts</a>' in page
    assert "Showing 20 of 23." in page

    page = clinician.get(f"{ALERTS_URL}?open=40").content.decode()
    assert page.count("<article") == 23
    assert "Show 3 more" not in page

    # Acknowledged from the longer list, the clinician is brought back to it.
    oldest = newest_first[22]
    form_url = f"{acknowledge_url(oldest)}?open=40"
    assert f'action="{form_url}"' in page
    response = clinician.post(form_url, {f"alert-{oldest.pk}-note": "Called, safe"})
    assert response.status_code == 302
    assert response["Location"] == f"{ALERTS_URL}?open=40"

    # A note missing for an alert no longer among those shown: said, not lost.
    hidden = newest_first[21]
    response = clinician.post(acknowledge_url(hidden), {f"alert-{hidden.pk}-note": ""})
    assert response.status_code == 400
    assert "The alert was not acknowledged: Write a short note of what was done." in (
        response.content.decode()
    )


def test_the_latest_20_acknowledged_alerts_are_shown(clinician, clinician_user, front_desk_user):
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)
    patients = PatientFactory.create_batch(22)
    for minutes, patient in enumerate(patients):
        alert = raise_alert_for(patient, front_desk_user)
        ClinicalAlert.objects.filter(pk=alert.pk).update(
            acknowledged_at=start + timedelta(minutes=minutes), acknowledged_by=clinician_user
        )

    page = clinician.get(ALERTS_URL).content.decode()

    acknowledged = page[page.index('id="done-heading"') :]
    assert "most recent first (up to 20)" in acknowledged
    shown = [p for p in patients if reverse("intake:patient_detail", args=[p.pk]) in acknowledged]
    assert shown == patients[2:]


def test_the_service_refuses_an_acknowledgement_without_a_note(
    clinician_user, patient, front_desk_user
):
    alert = raise_alert_for(patient, front_desk_user)

    with pytest.raises(ValueError, match="note of what was done"):
        alert_acknowledge(alert=alert, user=clinician_user, note="  ")

    alert.refresh_from_db()
    assert alert.acknowledged_at is None and alert.acknowledged_by is None


def test_an_alert_acknowledged_before_its_email_went_out_is_not_emailed(
    clinician_user, clinicians, patient, front_desk_user, mailoutbox
):
    start = datetime(2026, 3, 10, 15, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        alert = raise_alert_for(patient, front_desk_user)  # its email never queued
        alert_acknowledge(alert=alert, user=clinician_user, note="Seen in clinic, safe")

    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert tasks.notify_pending_alerts.apply().get() == 1
        assert tasks.notify_pending_alerts.apply().get() == 0  # and it leaves the sweep

    assert mailoutbox == []
