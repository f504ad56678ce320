import pytest
from django.test import Client

from intake.services.questionnaires import intake_link_issue
from tests.intake.answers import steps_for


@pytest.fixture
def issued_link(patient, front_desk_user):
    return intake_link_issue(patient=patient, channel="screen", created_by=front_desk_user)


def open_link(client: Client, issued, date_of_birth) -> Client:
    """What the patient does: open the link, confirm their date of birth."""
    client.get(issued.path)
    response = client.post("/intake/confirm/", {"date_of_birth": date_of_birth.isoformat()})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client


@pytest.fixture
def patient_client(issued_link, patient):
    return open_link(Client(), issued_link, patient.date_of_birth)


def complete_steps(client: Client, patient, *, until: str | None = None) -> None:
    for slug, data in steps_for(patient):
        if slug == until:
            return
        response = client.post(f"/intake/step/{slug}/", {**data, "action": "next"})
        assert response.status_code == 302, (slug, response.content.decode()[:3000])
