"""Intakes in each state, made as a patient would make them (through the patient's pages):
for the staff-side tests (queue, clinician's view, alerts, home counts)."""

from datetime import timedelta

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Intake
from intake.services.questionnaires import IssuedLink, intake_link_issue, intake_link_revoke
from tests.factories import PatientFactory
from tests.intake.answers import steps_for

PATIENT_IP = "203.0.113.9"
PATIENT_AGENT = "Mozilla/5.0 (iPad)"
HEALTH_WORDS = ("ketamine", "anxiety", "depression", "phq", "gad", "score")


def issue(patient, by, channel: str = "screen") -> IssuedLink:
    return intake_link_issue(patient=patient, channel=channel, created_by=by)


def intake_of(issued: IssuedLink) -> Intake:
    return Intake.objects.select_related("patient").get(pk=issued.link.intake_id)


def open_link(issued: IssuedLink) -> Client:
    """The patient opens the link on their device and confirms their date of birth."""
    patient = intake_of(issued).patient
    device = Client(REMOTE_ADDR=PATIENT_IP, HTTP_USER_AGENT=PATIENT_AGENT)
    device.get(issued.path)
    response = device.post(
        reverse("intake:confirm"), {"date_of_birth": patient.date_of_birth.isoformat()}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return device


def answer_steps(
    device: Client, patient, *, until: str | None = None, changes: dict | None = None
) -> None:
    """Answer each step validly, in order, stopping before ``until``; ``changes`` maps a step's
    slug to answers that replace the standard ones."""
    for slug, data in steps_for(patient):
        if slug == until:
            return
        response = device.post(
            reverse("intake:step", args=[slug]),
            {**data, **(changes or {}).get(slug, {}), "action": "next"},
        )
        assert response.status_code == 302, (slug, response.content.decode()[:3000])


def submitted_intake(patient, by, *, changes: dict | None = None) -> Intake:
    issued = issue(patient, by)
    device = open_link(issued)
    answer_steps(device, patient, changes=changes)
    response = device.post(
        reverse("intake:step", args=["review"]), {"confirm": "on", "action": "submit"}
    )
    assert response["Location"] == reverse("intake:submitted"), response.content.decode()[:2000]
    intake = intake_of(issued)
    assert intake.is_submitted
    return intake


def intakes_in_every_state(by, *, now=None) -> dict[str, Intake]:
    """One intake per queue state, each for its own patient."""
    now = now or timezone.now()
    made = {}
    made["invited"] = intake_of(issue(PatientFactory(legal_last_name="Invited"), by))
    issued = issue(PatientFactory(legal_last_name="Opened"), by)
    open_link(issued)
    made["opened"] = intake_of(issued)
    issued = issue(PatientFactory(legal_last_name="Progressing"), by)
    answer_steps(open_link(issued), issued.link.intake.patient, until="symptoms")
    made["in_progress"] = intake_of(issued)
    made["submitted"] = submitted_intake(PatientFactory(legal_last_name="Submitted"), by)
    with time_machine.travel(now - timedelta(days=8), tick=False):
        made["expired"] = intake_of(issue(PatientFactory(legal_last_name="Expired"), by))
    made["revoked"] = intake_of(issue(PatientFactory(legal_last_name="Revoked"), by))
    intake_link_revoke(intake=made["revoked"], revoked_by=by)
    for intake in made.values():
        intake.refresh_from_db()
    return made
