"""The staff side of the intake: sending, resending and revoking links, the front desk's queue,
the patient summary's Intake card, the clinician's view of a submitted intake, and amendments."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from auditlog.models import LogEntry
from django.apps import apps
from django.conf import settings
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from clinic.notifications.sms import LocmemSMSBackend
from clinic.role_sync import sync_role_groups
from intake.models import Assessment, ClinicalAlert, Intake, IntakeAmendment, IntakeLink
from intake.services.amendments import AmendmentRefused, intake_amend
from tests.conftest import sign_in
from tests.factories import PatientFactory
from tests.intake.intakes import (
    HEALTH_WORDS,
    answer_steps,
    intake_of,
    intakes_in_every_state,
    issue,
    open_link,
    submitted_intake,
)

pytestmark = pytest.mark.clinic_day

CLINIC_TZ = ZoneInfo("America/Chicago")
QUEUE_URL = reverse("intake:intake_queue")
LINK_PATH = re.compile(r"/i/[A-Za-z0-9_-]{40,}/")
# The default clinic name itself says "Ketamine": messages are checked under a neutral name so
# that the words the message templates add are what is tested.
NEUTRAL_NAME = "Lone Star Wellness"


@pytest.fixture(autouse=True)
def _empty_sms_outbox():
    LocmemSMSBackend.outbox.clear()
    yield
    LocmemSMSBackend.outbox.clear()


@pytest.fixture
def neutral_clinic_name(settings):
    settings.CLINIC_NAME = NEUTRAL_NAME


def send_url(patient) -> str:
    return reverse("intake:intake_link_send", args=[patient.pk])


def patient_url(patient) -> str:
    return reverse("intake:patient_detail", args=[patient.pk])


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def assert_no_health_words(text: str) -> None:
    # The link's token is random letters: it may spell "gad" without saying anything.
    lowered = LINK_PATH.sub("/i/<token>/", text).lower()
    for word in HEALTH_WORDS:
        assert word not in lowered, f"{word!r} in a message to the patient: {text!r}"


def link_on_page(response) -> str:
    match = LINK_PATH.search(response.content.decode())
    assert match, "no intake link on the page"
    return match.group(0)


# --- Sending a link -----------------------------------------------------------------------------


def test_front_desk_sends_the_link_by_email(
    front_desk,
    patient,
    mailoutbox,
    neutral_clinic_name,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk.post(send_url(patient), {"channel": "email"})

    assert response.status_code == 302
    assert response["Location"] == patient_url(patient)
    local, _, domain = patient.email.partition("@")
    # The outbox's sweep sends it as the transaction commits, after the page has answered.
    assert message_texts(response) == [
        f"Intake link queued to go by email to {local[0]}…@{domain} within a minute; the "
        "Intake card shows when it is delivered."
    ]
    [email] = mailoutbox
    assert email.to == [patient.email]
    link = IntakeLink.objects.get()
    assert link.channel == "email" and link.sent_at is not None and link.send_error == ""
    path = LINK_PATH.search(email.body).group(0)
    assert settings.CLINIC_BASE_URL.rstrip("/") + path in email.body
    assert NEUTRAL_NAME in email.body and NEUTRAL_NAME in email.subject
    assert_no_health_words(email.subject + "\n" + email.body)
    assert patient.legal_last_name not in email.body
    # The link in the email opens the patient's intake.
    assert Client().get(path)["Location"] == reverse("intake:confirm")


def test_front_desk_sends_the_link_by_text_message(
    front_desk, patient, mailoutbox, neutral_clinic_name, django_capture_on_commit_callbacks
):
    patient.mobile = "+15125550143"
    patient.save(update_fields=["mobile"])

    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk.post(send_url(patient), {"channel": "sms"}, follow=True)

    assert (
        "Intake link queued to go by text message to the mobile number ending 0143 within a "
        "minute" in response.content.decode()
    )
    assert mailoutbox == []
    [sms] = LocmemSMSBackend.outbox
    assert sms.to == "+15125550143"
    assert re.search(r"https?://\S+/i/[A-Za-z0-9_-]{40,}/", sms.body)
    assert NEUTRAL_NAME in sms.body
    assert_no_health_words(sms.body)
    assert IntakeLink.objects.get().sent_at is not None


def test_a_clinician_may_send_a_link_too(clinician, patient, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = clinician.post(send_url(patient), {"channel": "email"})

    assert response.status_code == 302
    assert IntakeLink.objects.get().created_by.username == "drcarter"


@pytest.mark.parametrize(
    ("details", "channel", "reason"),
    [
        ({"email": ""}, "email", "no email address on file"),
        ({"mobile": "", "consent_sms": False}, "sms", "no mobile number on file"),
        ({"consent_sms": False}, "sms", "the patient has not agreed to text messages"),
    ],
)
def test_a_way_that_cannot_reach_the_patient_is_refused_with_the_reason(
    front_desk, patient, mailoutbox, details, channel, reason
):
    for name, value in details.items():
        setattr(patient, name, value)
    patient.save()

    page = front_desk.get(patient_url(patient)).content.decode()
    radio = re.search(rf'<input[^>]*value="{channel}"[^>]*>', page).group(0)
    assert "disabled" in radio
    assert f"({reason})" in page

    response = front_desk.post(send_url(patient), {"channel": channel}, follow=True)

    way = "email" if channel == "email" else "text message"
    assert f"Can&#x27;t send the link by {way}: {reason}." in response.content.decode()
    assert not IntakeLink.objects.exists()
    assert not Intake.objects.exists()
    assert mailoutbox == [] and LocmemSMSBackend.outbox == []


def test_the_service_refuses_a_text_to_a_patient_who_has_not_agreed(patient, front_desk_user):
    patient.consent_sms = False
    patient.save()

    with pytest.raises(ValueError, match="not agreed to text messages"):
        issue(patient, front_desk_user, channel="sms")


@pytest.fixture
def role_groups(transactional_db):
    """A transactional test's flush removes the role groups the migration made."""
    sync_role_groups(apps, None)


# Transactional: the message is sent when the issuing transaction really commits, before the
# view reports on it (a test transaction would hold it back until the test's end).
@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_is_reported_to_the_front_desk(
    role_groups, front_desk, patient, monkeypatch
):
    def provider_down(self, message):
        raise ConnectionError("provider unreachable")

    monkeypatch.setattr(LocmemSMSBackend, "send", provider_down)

    response = front_desk.post(send_url(patient), {"channel": "sms"}, follow=True)

    page = response.content.decode()
    assert "The intake link could not be sent (SMS not sent: ConnectionError)" in page
    link = IntakeLink.objects.get()
    assert link.sent_at is None and link.send_error == "SMS not sent: ConnectionError"
    assert "Not delivered: SMS not sent: ConnectionError" in page  # on the Intake card


def test_show_on_screen_gives_the_link_and_a_qr_code_once(
    front_desk, patient, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk.post(send_url(patient), {"channel": "screen"})

    assert response.status_code == 200  # a page, not a redirect: the token is not stored
    assert response["Referrer-Policy"] == "no-referrer"
    assert "no-store" in response["Cache-Control"]
    page = response.content.decode()
    assert "<svg" in page and "QR code of the intake link" in page
    path = link_on_page(response)
    assert f'value="{settings.CLINIC_BASE_URL.rstrip("/")}{path}"' in page
    assert "Hand the tablet to the patient" in page
    assert mailoutbox == [] and LocmemSMSBackend.outbox == []
    assert IntakeLink.objects.get().channel == "screen"

    # The patient summary never shows the link again.
    assert path not in front_desk.get(patient_url(patient)).content.decode()
    # The link on the screen works for the patient.
    assert Client().get(path)["Location"] == reverse("intake:confirm")


def test_sending_is_post_only(front_desk, patient):
    assert front_desk.get(send_url(patient)).status_code == 405
    assert not IntakeLink.objects.exists()


# --- Resend and revoke --------------------------------------------------------------------------


def test_resend_replaces_the_link_and_the_old_one_stops_working(front_desk, patient):
    first_path = link_on_page(front_desk.post(send_url(patient), {"channel": "screen"}))
    intake = Intake.objects.get()

    response = front_desk.post(reverse("intake:intake_link_resend", args=[intake.pk]))

    assert response.status_code == 200  # shown on screen again, like the first one
    second_path = link_on_page(response)
    assert second_path != first_path
    assert Intake.objects.count() == 1
    old = Client().get(first_path)
    assert old.status_code == 410
    assert "This link is no longer active" in old.content.decode()
    assert Client().get(second_path)["Location"] == reverse("intake:confirm")


def test_resend_uses_the_same_way_as_before(
    front_desk, patient, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        front_desk.post(send_url(patient), {"channel": "email"})
    intake = Intake.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = front_desk.post(
            reverse("intake:intake_link_resend", args=[intake.pk]), {"next": QUEUE_URL}
        )

    assert response["Location"] == QUEUE_URL
    assert len(mailoutbox) == 2
    first, second = (LINK_PATH.search(m.body).group(0) for m in mailoutbox)
    assert Client().get(first).status_code == 410
    assert Client().get(second).status_code == 302


def test_revoke_asks_first_then_stops_the_link(front_desk, patient):
    path = link_on_page(front_desk.post(send_url(patient), {"channel": "screen"}))
    intake = Intake.objects.get()
    url = reverse("intake:intake_link_revoke", args=[intake.pk])

    confirm = front_desk.post(url, {"next": patient_url(patient)})

    assert confirm.status_code == 200
    assert "Revoke the intake link for Jane Rivera?" in confirm.content.decode()
    assert IntakeLink.objects.get().revoked_at is None

    response = front_desk.post(url, {"confirm": "yes", "next": patient_url(patient)}, follow=True)

    page = response.content.decode()
    assert "The intake link for Jane Rivera is revoked" in page
    assert "Link revoked" in page  # the Intake card's status
    assert Intake.objects.get().queue_status() == "Link revoked"
    refused = Client().get(path)
    assert refused.status_code == 410
    assert "no longer active" in refused.content.decode()


def test_revoke_and_resend_are_post_only(front_desk, patient, front_desk_user):
    intake = intake_of(issue(patient, front_desk_user))
    for name in ("intake:intake_link_revoke", "intake:intake_link_resend"):
        assert front_desk.get(reverse(name, args=[intake.pk])).status_code == 405
    assert IntakeLink.objects.get().revoked_at is None


def test_a_submitted_intake_has_no_link_to_resend_or_revoke(front_desk, patient, front_desk_user):
    intake = submitted_intake(patient, front_desk_user)

    for name in ("intake:intake_link_revoke", "intake:intake_link_resend"):
        response = front_desk.post(reverse(name, args=[intake.pk]), {"confirm": "yes"})
        assert response.status_code == 302
        assert "has been submitted" in message_texts(response)[0]
    assert IntakeLink.objects.filter(intake=intake).count() == 1


def test_an_expired_link_shows_the_expired_page(front_desk, patient, front_desk_user):
    start = datetime(2026, 3, 2, 9, tzinfo=CLINIC_TZ)
    with time_machine.travel(start, tick=False):
        path = link_on_page(front_desk.post(send_url(patient), {"channel": "screen"}))

    # Seven days of elapsed time (UTC arithmetic: the clocks go forward on March 8).
    expiry = start.astimezone(UTC) + timedelta(days=7)
    with time_machine.travel(expiry - timedelta(minutes=1), tick=False):
        assert Client().get(path).status_code == 302
    with time_machine.travel(expiry + timedelta(minutes=1), tick=False):
        response = Client().get(path)
        desk = sign_in(Client(), front_desk_user)  # a week later: a new staff session
        queue = desk.get(QUEUE_URL, {"status": "expired"}).content.decode()

    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert "Rivera, Jane" in queue


# --- The Intake card on the patient summary -----------------------------------------------------


def test_the_card_shows_the_newest_intake_status_and_dates(front_desk, patient, front_desk_user):
    page = front_desk.get(patient_url(patient)).content.decode()
    assert "No intake link has been sent yet." in page
    assert "Send intake link" in page

    with time_machine.travel(datetime(2026, 3, 2, 9, 30, tzinfo=CLINIC_TZ), tick=False):
        issued = issue(patient, front_desk_user)
    with time_machine.travel(datetime(2026, 3, 3, 18, 5, tzinfo=CLINIC_TZ), tick=False):
        open_link(issued)
        page = front_desk.get(patient_url(patient)).content.decode()

    assert "Opened</span>" in page
    assert "03/02/2026 09:30, shown on screen" in page
    assert re.search(r"Opened</dt><dd[^>]*>03/03/2026 18:05", page)
    # Seven days to the minute: across the switch to daylight time, 09:30 CST is 10:30 CDT.
    assert re.search(r"Link expires</dt><dd[^>]*>03/09/2026 10:30", page)
    assert "Send a new intake link" in page
    assert "Revoke link" in page
    assert "View the submitted intake" not in page


def test_only_clinicians_get_the_link_to_the_submitted_intake(
    front_desk, patient, front_desk_user, clinician_user
):
    intake = submitted_intake(patient, front_desk_user)
    review_url = reverse("intake:intake_detail", args=[intake.pk])

    desk_page = front_desk.get(patient_url(patient)).content.decode()
    assert "Submitted</span>" in desk_page
    assert review_url not in desk_page

    clinician = sign_in(Client(), clinician_user)
    assert review_url in clinician.get(patient_url(patient)).content.decode()

    # A new intake sent later: the clinician can still reach the submitted one.
    issue(patient, front_desk_user)
    page = clinician.get(patient_url(patient)).content.decode()
    assert "Invited</span>" in page
    assert review_url in page


def test_the_card_reads_the_newest_intake_with_its_newest_link(patient, front_desk_user):
    from intake.selectors import patient_latest_intake

    assert patient_latest_intake(patient=patient) is None
    first = issue(patient, front_desk_user)
    resent = issue(patient, front_desk_user, channel="email")
    assert resent.link.intake_id == first.link.intake_id  # a resend: the same intake

    intake = patient_latest_intake(patient=patient)

    assert intake.pk == first.link.intake_id
    assert intake.newest_link == resent.link
    assert intake.newest_link.intake is intake

    # A newer intake without a link (none is made so today): the card shows no link rather
    # than an older intake's.
    newer = Intake.objects.create(patient=patient, created_by=front_desk_user)
    intake = patient_latest_intake(patient=patient)
    assert intake.pk == newer.pk
    assert intake.newest_link is None


def test_the_card_shows_when_a_link_was_revoked_and_offers_no_revoke_for_a_locked_one(
    front_desk, patient, front_desk_user
):
    issued = issue(patient, front_desk_user)
    revoked_at = datetime(2026, 3, 4, 11, 15, tzinfo=CLINIC_TZ)
    IntakeLink.objects.filter(pk=issued.link.pk).update(revoked_at=revoked_at)
    Intake.objects.filter(pk=issued.link.intake_id).update(status=Intake.Status.REVOKED)

    page = front_desk.get(patient_url(patient)).content.decode()
    assert "Link revoked</span>" in page
    assert re.search(r"Revoked</dt><dd[^>]*>03/04/2026 11:15", page)
    assert "Revoke link" not in page

    locked = issue(patient, front_desk_user)  # a new intake, its link then locked by misses
    page = front_desk.get(patient_url(patient)).content.decode()
    assert "Revoke link" in page
    IntakeLink.objects.filter(pk=locked.link.pk).update(locked_at=revoked_at)
    page = front_desk.get(patient_url(patient)).content.decode()
    assert "Invited</span>" in page
    assert "Revoke link" not in page


@pytest.mark.parametrize("links", [1, 6])
def test_the_summary_page_costs_the_same_however_many_links(
    front_desk, patient, front_desk_user, django_assert_num_queries, links
):
    for _ in range(links):
        issue(patient, front_desk_user)
    url = patient_url(patient)
    front_desk.get(url)  # warm-up

    # session, user, TOTP device, roles, patient, ACCESS audit entry, latest weight and height,
    # newest intake with its newest link, the screening status and the treatment plan
    # (treatments' panels), the surveys (followups' panel)
    with django_assert_num_queries(11):
        response = front_desk.get(url)

    assert response.status_code == 200


# --- The front desk's queue ---------------------------------------------------------------------

ROW = re.compile(r"<tr>\s*<td><a href=\"/patients/\d+/\">(?P<name>[^<]+)</a>.*?</tr>", re.S)


def queue_rows(response) -> list[str]:
    return [m.group("name") for m in ROW.finditer(response.content.decode())]


def tab_count(page: str, label: str) -> int:
    match = re.search(rf">{label} <span class=\"badge[^\"]*\">(\d+)</span>", page)
    assert match, f"no {label} tab"
    return int(match.group(1))


def test_the_queue_shows_each_intake_with_its_status_and_counts(front_desk, front_desk_user):
    made = intakes_in_every_state(front_desk_user)

    response = front_desk.get(QUEUE_URL)

    page = response.content.decode()
    assert sorted(queue_rows(response)) == sorted(
        f"{i.patient.legal_last_name}, {i.patient.legal_first_name}" for i in made.values()
    )
    for label in ("Invited", "Opened", "In progress", "Submitted", "Expired", "Link revoked"):
        assert f">{label}</span>" in page
    for label in ("Invited", "Opened", "In progress", "Submitted", "Expired", "Revoked"):
        assert tab_count(page, label) == 1
    assert tab_count(page, "All") == 6
    for state, intake in made.items():
        rows = queue_rows(front_desk.get(QUEUE_URL, {"status": state}))
        assert rows == [f"{intake.patient.legal_last_name}, {intake.patient.legal_first_name}"]


def test_old_finished_intakes_leave_the_queue(front_desk, patient, front_desk_user):
    with time_machine.travel(datetime(2026, 1, 5, 9, tzinfo=CLINIC_TZ), tick=False):
        submitted_intake(patient, front_desk_user)
        old_expired = intake_of(issue(PatientFactory(), front_desk_user))
    with time_machine.travel(datetime(2026, 3, 1, 9, tzinfo=CLINIC_TZ), tick=False):
        response = front_desk.get(QUEUE_URL)

    assert queue_rows(response) == []
    assert old_expired.queue_status() == "Expired"


def test_queue_rows_offer_resend_and_revoke_and_review_for_clinicians(
    front_desk, clinician_user, front_desk_user
):
    made = intakes_in_every_state(front_desk_user)
    page = front_desk.get(QUEUE_URL).content.decode()

    for state in ("invited", "opened", "in_progress", "expired"):
        pk = made[state].pk
        assert reverse("intake:intake_link_resend", args=[pk]) in page
        assert reverse("intake:intake_link_revoke", args=[pk]) in page
    assert reverse("intake:intake_link_resend", args=[made["revoked"].pk]) in page
    assert reverse("intake:intake_link_revoke", args=[made["revoked"].pk]) not in page
    submitted = made["submitted"].pk
    assert reverse("intake:intake_link_resend", args=[submitted]) not in page
    review_url = reverse("intake:intake_detail", args=[submitted])
    assert review_url not in page

    clinician = sign_in(Client(), clinician_user)
    assert review_url in clinician.get(QUEUE_URL).content.decode()


def test_the_queue_shows_who_was_not_reached(
    front_desk, patient, front_desk_user, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(
        LocmemSMSBackend, "send", lambda self, message: (_ for _ in ()).throw(OSError("down"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        issue(patient, front_desk_user, channel="sms")

    page = front_desk.get(QUEUE_URL).content.decode()

    assert "Text message" in page
    assert "Not delivered: SMS not sent: OSError" in page


def test_resend_from_the_queue_returns_to_the_same_tab(front_desk, patient, front_desk_user):
    intake = intake_of(issue(patient, front_desk_user, channel="email"))
    here = f"{QUEUE_URL}?status=invited"

    response = front_desk.post(
        reverse("intake:intake_link_resend", args=[intake.pk]), {"next": here}
    )

    assert response["Location"] == here
    assert IntakeLink.objects.filter(intake=intake, revoked_at__isnull=True).count() == 1
    # A "next" pointing elsewhere is ignored.
    response = front_desk.post(
        reverse("intake:intake_link_resend", args=[intake.pk]),
        {"next": "https://evil.example/"},
    )
    assert response["Location"] == QUEUE_URL


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_queue_query_count_is_constant(
    front_desk, front_desk_user, django_assert_num_queries, how_many
):
    for patient in PatientFactory.create_batch(how_many):
        issue(patient, front_desk_user)
        issued = issue(patient, front_desk_user)  # a second link: only the newest is shown
        if patient.pk % 2:
            open_link(issued)
    front_desk.get(QUEUE_URL)  # warm-up

    # session, user, TOTP device, roles, the tab counts (two, each read from an index), the
    # first 20 intakes with their patients, their newest links
    with django_assert_num_queries(8):
        response = front_desk.get(QUEUE_URL)

    assert len(queue_rows(response)) == min(how_many, 20)


def test_the_queue_shows_twenty_at_a_time_and_comes_back_to_the_same_rows(
    front_desk, front_desk_user
):
    start = datetime(2026, 2, 2, 9, tzinfo=CLINIC_TZ)
    names = []
    for number in range(23):
        # An hour apart: each newer link expires later, and the newest is listed first.
        with time_machine.travel(start + timedelta(hours=number), tick=False):
            issue(PatientFactory(legal_last_name=f"Invited{number:02d}"), front_desk_user)
        names.insert(0, f"Invited{number:02d}")

    with time_machine.travel(start + timedelta(days=1), tick=False):
        page = front_desk.get(QUEUE_URL, {"status": "invited"})
        more = front_desk.get(QUEUE_URL, {"status": "invited", "queue": "40"})

    assert [row.split(",")[0] for row in queue_rows(page)] == names[:20]
    assert '<nav aria-label="More intakes"' in page.text
    assert f'href="{QUEUE_URL}?status=invited&amp;queue=40#queue">Show 3 more intakes</a>' in (
        page.text
    )
    assert "Showing 20 of 23." in page.text
    assert [row.split(",")[0] for row in queue_rows(more)] == names
    assert "Show 3 more" not in more.text
    # Resend and revoke bring the front desk back to the same tab and rows.
    assert f'name="next" value="{QUEUE_URL}?status=invited&amp;queue=40"' in more.text


# --- The clinician's view of an intake ----------------------------------------------------------

FLAGGED_ANSWERS = {
    "medical": {"screen_high_blood_pressure": "yes", "screen_seizures": "unsure"},
    "medications": {"meds-1-name": "Xanax", "meds-1-dose": "0.5 mg"},
    "questionnaires": {"phq9_9": "2"},
}


@pytest.fixture
def flagged_intake(patient, front_desk_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return submitted_intake(patient, front_desk_user, changes=FLAGGED_ANSWERS)


def intake_url(intake) -> str:
    return reverse("intake:intake_detail", args=[intake.pk])


def test_the_clinician_sees_scores_flags_answers_and_signatures(clinician, flagged_intake):
    response = clinician.get(intake_url(flagged_intake))

    assert response.status_code == 200
    page = response.content.decode()
    # GAD-7 all "More than half the days": 14, Moderate. PHQ-9 eight "Several days" and item 9
    # "More than half the days": 10, Moderate.
    scores = page[page.index('id="scores-heading"') : page.index('id="flags-heading"')]
    assert re.search(r"GAD-7.*?>14</span>.*?Moderate", scores, re.S)
    assert re.search(r"PHQ-9 \(depression\).*?>10</span>.*?Moderate", scores, re.S)
    assert re.search(
        r"PHQ-9 item 9.*?fw-bold text-danger\">More than half the days \(2\)", scores, re.S
    )
    assert "Somewhat difficult" in scores
    flags = page[page.index('id="flags-heading"') : page.index('id="answers-heading"')]
    assert "PHQ-9 item 9 (thoughts of self-harm): More than half the days" in flags
    assert "Do you have high blood pressure? <strong>Yes</strong>" in flags
    assert "Do you have seizures or epilepsy? <strong>Not sure</strong>" in flags
    assert "Medication — Benzodiazepine: Xanax" in flags
    answers = page[page.index('id="answers-heading"') : page.index('id="consent-heading"')]
    for text in ("I can&#x27;t stop worrying.", "Sertraline", "100 mg, once a day", "Spouse"):
        assert text in answers
    signatures = page[page.index('id="consent-heading"') :]
    assert "Consent to treatment" in signatures and "Privacy notice" in signatures
    assert signatures.count("Jane Rivera") == 2
    assert signatures.count("203.0.113.9") == 2
    assert reverse("intake:patient_detail", args=[flagged_intake.patient_id]) in page


def test_nothing_flagged_says_so(clinician, patient, front_desk_user):
    intake = submitted_intake(patient, front_desk_user)

    page = clinician.get(intake_url(intake)).content.decode()

    assert "Nothing flagged" in page
    assert "fw-bold text-danger" not in page


def test_an_unsubmitted_intake_shows_no_scores(clinician, patient, front_desk_user):
    issued = issue(patient, front_desk_user)
    answer_steps(open_link(issued), patient, until="consent")
    intake = intake_of(issued)

    page = clinician.get(intake_url(intake)).content.decode()

    assert "Not submitted yet" in page
    assert 'id="scores-heading"' not in page
    assert "Sertraline" not in page


def test_the_front_desk_cannot_see_an_intake(front_desk, flagged_intake):
    assert front_desk.get(intake_url(flagged_intake)).status_code == 403


def test_viewing_an_intake_is_in_the_audit_trail(clinician, clinician_user, flagged_intake):
    clinician.get(intake_url(flagged_intake), REMOTE_ADDR="198.51.100.23")

    entry = LogEntry.objects.get_for_object(flagged_intake).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == clinician_user
    assert entry.remote_addr == "198.51.100.23"
    assert entry.additional_data == {"patient_id": flagged_intake.patient_id}


def test_an_unknown_intake_is_not_found(clinician):
    assert clinician.get(reverse("intake:intake_detail", args=[999999])).status_code == 404


def test_the_intake_links_to_its_screening_and_its_alert(
    clinician, clinician_user, front_desk_user, patient
):
    from intake.services.questionnaires import alert_acknowledge
    from treatments.models import Screening  # the card the treatments app adds to the page

    intake = submitted_intake(patient, front_desk_user, changes={"questionnaires": {"phq9_9": "2"}})
    screening = Screening.objects.get(intake=intake, is_current=True)
    alert = ClinicalAlert.objects.get(source_kind="intake", source_id=intake.pk)

    page = clinician.get(intake_url(intake)).text

    screening_url = reverse("treatments:screening_detail", args=[screening.pk])
    assert f'<a href="{screening_url}">Open the screening</a>' in page
    assert "Rules suggested" in page
    assert f'href="{reverse("intake:alert_list")}#alert-{alert.pk}-title"' in page
    assert "Not acknowledged</span> Thoughts of self-harm (PHQ-9 item 9)" in page

    alert_acknowledge(alert=alert, user=clinician_user, note="Called, safety plan reviewed")
    page = clinician.get(intake_url(intake)).text

    assert "Acknowledged</span> Thoughts of self-harm (PHQ-9 item 9)" in page
    assert "Called, safety plan reviewed" in page


@pytest.mark.parametrize("amendments", [0, 5])
def test_the_intake_view_query_count_is_constant(
    clinician, clinician_user, flagged_intake, django_assert_num_queries, amendments
):
    for number in range(amendments):
        intake_amend(
            intake=flagged_intake,
            step="symptoms",
            field="symptoms_details",
            new_value=f"Correction {number}",
            reason="Patient phoned",
            author=clinician_user,
        )
    url = intake_url(flagged_intake)
    clinician.get(url)  # warm-up

    # session, user, TOTP device, roles, the intake with its patient, signatures, amendments
    # with their authors, the ACCESS audit entry, its screening (treatments' card), its alerts
    with django_assert_num_queries(10):
        response = clinician.get(url)

    assert response.status_code == 200


# --- Amendments ---------------------------------------------------------------------------------


def test_amending_a_phq9_answer_keeps_the_original_and_recomputes_the_scores(
    clinician, clinician_user, flagged_intake
):
    response = clinician.post(
        reverse("intake:intake_amend", args=[flagged_intake.pk]),
        {
            "target": "questionnaires.phq9_9",
            "value": "0",
            "reason": "Patient says they misread the question; confirmed by phone",
        },
    )

    assert response.status_code == 302
    flagged_intake.refresh_from_db()
    assert flagged_intake.phq9_total == 8
    assert flagged_intake.phq9_band == "Mild"
    assert flagged_intake.phq9_item9 == 0
    assert not [f for f in flagged_intake.flags if f["kind"] == "item9"]
    assert [f["code"] for f in flagged_intake.flags if f["kind"] == "screening"] == [
        "high_blood_pressure",
        "seizures",
    ]
    phq9 = Assessment.objects.get(source_id=flagged_intake.pk, instrument="phq9")
    assert (phq9.total, phq9.band, phq9.answers[8]) == (8, "Mild", 0)
    amendment = IntakeAmendment.objects.get()
    assert (amendment.original_value, amendment.new_value) == ("2", "0")
    assert amendment.author == clinician_user
    # The alert already raised stays: it was a real answer at the time.
    assert ClinicalAlert.objects.filter(source_id=flagged_intake.pk).count() == 1

    page = clinician.get(intake_url(flagged_intake)).content.decode()
    assert "Amended</span>" in page
    assert "by Casey Carter on" in page
    assert "Patient says they misread the question; confirmed by phone" in page
    assert "The patient's original answer: More than half the days" in page


def test_an_amendment_that_raises_item9_raises_the_alert(
    clinician_user, patient, front_desk_user, django_capture_on_commit_callbacks, mailoutbox
):
    intake = submitted_intake(patient, front_desk_user)
    assert not ClinicalAlert.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        intake_amend(
            intake=intake,
            step="questionnaires",
            field="phq9_9",
            new_value="1",
            reason="Patient told the nurse at check-in",
            author=clinician_user,
        )

    assert intake.phq9_item9 == 1 and intake.phq9_total == 9
    assert ClinicalAlert.objects.get().source_id == intake.pk
    assert len(mailoutbox) == 1


@pytest.mark.parametrize(
    ("step", "field", "value", "reason", "message"),
    [
        ("symptoms", "symptoms_details", "Better now", "  ", "Give a reason"),
        ("questionnaires", "phq9_9", "7", "typo", "Choose one of the options."),
        ("history", "since_gad", "", "unknown", "Enter the year"),
        ("consent", "signature", "Someone Else", "typo", "cannot be amended"),
        ("about", "email", "x@example.com", "typo", "cannot be amended"),
        ("symptoms", "symptoms_details", "I can't stop worrying.", "same", "already the answer"),
    ],
)
def test_an_invalid_amendment_is_refused_and_changes_nothing(
    clinician_user, patient, front_desk_user, step, field, value, reason, message
):
    intake = submitted_intake(patient, front_desk_user)
    before = Intake.objects.get(pk=intake.pk).answers

    with pytest.raises(AmendmentRefused, match=message):
        intake_amend(
            intake=intake,
            step=step,
            field=field,
            new_value=value,
            reason=reason,
            author=clinician_user,
        )

    assert Intake.objects.get(pk=intake.pk).answers == before
    assert not IntakeAmendment.objects.exists()


def test_an_unsubmitted_intake_cannot_be_amended(clinician_user, patient, front_desk_user):
    issued = issue(patient, front_desk_user)
    answer_steps(open_link(issued), patient, until="consent")
    intake = intake_of(issued)

    with pytest.raises(AmendmentRefused, match="Only a submitted intake"):
        intake_amend(
            intake=intake,
            step="symptoms",
            field="symptoms_details",
            new_value="x",
            reason="y",
            author=clinician_user,
        )


def test_the_amend_page_uses_the_question_and_explains_errors(clinician, flagged_intake):
    url = reverse("intake:intake_amend", args=[flagged_intake.pk])

    page = clinician.get(url, {"target": "questionnaires.phq9_9"}).content.decode()
    assert "Thoughts that you would be better off dead" in page
    assert "Current answer: <strong>More than half the days</strong>" in page

    response = clinician.post(url, {"target": "questionnaires.phq9_9", "value": "1"})
    assert response.status_code == 400
    assert "Give a reason for the amendment." in response.content.decode()
    assert not IntakeAmendment.objects.exists()


def test_front_desk_cannot_amend(front_desk, flagged_intake):
    response = front_desk.post(
        reverse("intake:intake_amend", args=[flagged_intake.pk]),
        {"target": "questionnaires.phq9_9", "value": "0", "reason": "x"},
    )

    assert response.status_code == 403
    assert not IntakeAmendment.objects.exists()


def test_a_checklist_answer_is_amended_through_the_page(clinician, flagged_intake):
    url = reverse("intake:intake_amend", args=[flagged_intake.pk])

    response = clinician.post(
        url,
        {
            "target": "symptoms.symptoms",
            "value": ["panic", "sleep"],
            "reason": "Patient added panic attacks at the consultation",
        },
    )

    assert response["Location"] == f"{intake_url(flagged_intake)}#section-symptoms"
    flagged_intake.refresh_from_db()
    assert flagged_intake.answers["symptoms"]["symptoms"] == ["panic", "sleep"]
    amendment = IntakeAmendment.objects.get()
    assert amendment.original_value == ["worry", "sleep"]
    page = clinician.get(intake_url(flagged_intake)).content.decode()
    assert "Panic attacks, Trouble sleeping" in page
    assert (
        "The patient's original answer: Constant or hard-to-control worry, Trouble sleeping" in page
    )


@pytest.mark.parametrize("target", ["", "consent.signature", "questionnaires.nope", "x"])
def test_the_amend_page_refuses_answers_it_cannot_amend(clinician, flagged_intake, target):
    response = clinician.get(
        reverse("intake:intake_amend", args=[flagged_intake.pk]), {"target": target}
    )

    assert response["Location"] == intake_url(flagged_intake)
    assert message_texts(response) == ["That answer cannot be amended here."]


def test_a_link_the_worker_has_not_sent_yet_is_said_to_be_queued_not_sent(
    front_desk, patient, mailoutbox
):
    # The sweep that sends it runs when the transaction commits: not yet here (a worker that
    # has not picked it up), so the page must not say "sent".
    response = front_desk.post(send_url(patient), {"channel": "email"})

    local, _, domain = patient.email.partition("@")
    assert message_texts(response) == [
        f"Intake link queued to go by email to {local[0]}…@{domain} within a minute; the "
        "Intake card shows when it is delivered."
    ]
    assert not mailoutbox
