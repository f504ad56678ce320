"""The patient's questionnaire: drafts saved as they go, server-side scoring, and the lock."""

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from intake.consent import CONSENT_VERSION, text_digest
from intake.models import Assessment, ClinicalAlert, ConsentSignature, Intake
from intake.questionnaire import STEP_BY_SLUG
from intake.questionnaire_state import recorded_height_and_weight
from intake.services.patients import patient_record_measurement
from intake.services.questionnaires import IntakeLocked, intake_step_save
from tests.intake.answers import (
    ABOUT,
    HISTORY,
    MEDICATIONS,
    QUESTIONNAIRES,
    SYMPTOMS,
    consent_for,
)
from tests.intake.conftest import complete_steps, open_link

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


def submit(client):
    return client.post("/intake/step/review/", {"confirm": "on", "action": "submit"})


def test_a_complete_intake_is_scored_on_the_server_and_locked(patient_client, patient):
    complete_steps(patient_client, patient)
    review = patient_client.get("/intake/step/review/")
    assert "Sertraline" in text(review) and "I can't stop worrying." in text(review)

    response = submit(patient_client)

    assert response["Location"] == "/intake/submitted/"
    intake = Intake.objects.get()
    assert intake.status == "submitted" and intake.submitted_at is not None
    assert (intake.gad7_total, intake.gad7_band) == (14, "Moderate")
    assert (intake.phq9_total, intake.phq9_band) == (8, "Mild")
    assert intake.phq9_item9 == 0 and intake.flags == []
    scores = {a.instrument: (a.total, a.band) for a in Assessment.objects.all()}
    assert scores == {"gad7": (14, "Moderate"), "phq9": (8, "Mild")}


def test_a_total_posted_by_the_browser_is_ignored(patient_client, patient):
    complete_steps(patient_client, patient, until="questionnaires")
    patient_client.post(
        "/intake/step/questionnaires/",
        {**QUESTIONNAIRES, "gad7_total": "0", "phq9_total": "0", "action": "next"},
    )
    complete_steps(patient_client, patient)  # re-saving the earlier steps is harmless
    submit(patient_client)
    assert Intake.objects.get().gad7_total == 14
    assert "gad7_total" not in Intake.objects.get().answers["questionnaires"]


def test_submission_updates_the_record_with_confirmed_details(patient_client, patient):
    complete_steps(patient_client, patient)
    submit(patient_client)
    patient.refresh_from_db()
    assert patient.email == ABOUT["email"]
    assert patient.emergency_contact_name == "Sam Rivera"
    measurement = patient.measurements.get(source="intake")
    assert measurement.weight_kg == Decimal("69.9")  # 154 lb
    assert measurement.height_cm == Decimal("167.6")  # 5 ft 6 in


def test_closing_the_browser_and_opening_the_link_again_resumes_with_answers(
    patient_client, issued_link, patient
):
    complete_steps(patient_client, patient, until="symptoms")
    patient_client.post("/intake/step/symptoms/", {**SYMPTOMS, "action": "back"})

    later = open_link(Client(), issued_link, patient.date_of_birth)  # a new browser session
    page = later.get("/intake/", follow=True)

    assert page.redirect_chain[-1][0] == "/intake/step/history/"
    assert 'value="2015"' in text(page)
    symptoms = later.get("/intake/step/symptoms/")
    assert "I can&#x27;t stop worrying." in symptoms.content.decode()
    about = later.get("/intake/step/about/")
    assert 'value="Sam Rivera"' in text(about)


def test_back_keeps_an_unfinished_step_without_showing_errors_yet(patient_client, patient):
    complete_steps(patient_client, patient, until="history")
    partial = {"diagnoses": ["gad"], "since_gad": "2015"}  # treatments not answered yet
    response = patient_client.post("/intake/step/history/", {**partial, "action": "back"})
    assert response["Location"] == "/intake/step/about/"

    page = patient_client.get("/intake/step/history/")
    assert 'value="2015"' in text(page)
    assert "Choose “Not tried”, or whether it helped" not in text(page)
    assert "history" not in Intake.objects.get().completed_steps


def test_errors_show_beside_the_field_and_keep_every_answer(patient_client, patient):
    data = {**ABOUT, "mobile": "555-12", "postal_code": "7870", "action": "next"}
    response = patient_client.post("/intake/step/about/", data)

    page = text(response)
    assert response.status_code == 200
    assert "Please check 2 answers marked below." in page
    assert "Enter a valid phone number" in page and "Enter a 5-digit ZIP code" in page
    assert 'value="Sam Rivera"' in page and 'value="555-12"' in page
    assert Intake.objects.get().completed_steps == []
    assert "about" not in Intake.objects.get().answers


def test_a_missing_answer_is_refused_and_nothing_is_stored(patient_client, patient):
    complete_steps(patient_client, patient, until="questionnaires")
    missing = {k: v for k, v in QUESTIONNAIRES.items() if k != "phq9_4"}
    response = patient_client.post("/intake/step/questionnaires/", {**missing, "action": "next"})
    assert "Choose how often you were bothered by this" in text(response)
    assert "questionnaires" not in Intake.objects.get().answers


@pytest.mark.parametrize("value", ["4", "-1", "3.0", "three"])
def test_an_out_of_range_answer_is_refused(patient_client, patient, value):
    complete_steps(patient_client, patient, until="questionnaires")
    response = patient_client.post(
        "/intake/step/questionnaires/", {**QUESTIONNAIRES, "gad7_3": value, "action": "next"}
    )
    assert "Choose one of the options." in text(response)
    assert "questionnaires" not in Intake.objects.get().answers


def test_an_oversized_answer_is_refused_and_never_stored_even_as_a_draft(patient_client, patient):
    complete_steps(patient_client, patient, until="symptoms")
    huge = "x" * 1_000_000
    response = patient_client.post(
        "/intake/step/symptoms/", {**SYMPTOMS, "symptoms_details": huge, "action": "next"}
    )
    assert "Ensure this value has at most 2000 characters" in text(response)
    patient_client.post(
        "/intake/step/symptoms/", {**SYMPTOMS, "symptoms_details": huge, "action": "back"}
    )
    stored = Intake.objects.get().answers["symptoms"]
    assert "symptoms_details" not in stored
    assert stored["symptoms"] == ["worry", "sleep"]


def test_a_forged_step_order_is_refused(patient_client, patient):
    response = patient_client.post(
        "/intake/step/questionnaires/", {**QUESTIONNAIRES, "action": "next"}
    )
    assert response["Location"] == "/intake/step/about/"
    assert Intake.objects.get().answers == {}
    assert patient_client.get("/intake/step/review/")["Location"] == "/intake/step/about/"
    assert patient_client.get("/intake/step/nonsense/")["Location"] == "/intake/"


def test_fields_that_are_not_part_of_the_step_are_not_stored(patient_client):
    patient_client.post("/intake/step/about/", {**ABOUT, "is_admin": "1", "action": "next"})
    assert "is_admin" not in Intake.objects.get().answers["about"]


def test_a_submitted_intake_cannot_be_changed_by_the_patient(patient_client, patient):
    complete_steps(patient_client, patient)
    submit(patient_client)
    before = Intake.objects.get().answers

    response = patient_client.post(
        "/intake/step/about/", {**ABOUT, "city": "Dallas", "action": "next"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/intake/submitted/"
    assert "can't be changed now" in text(response)
    assert Intake.objects.get().answers == before
    with pytest.raises(IntakeLocked):
        intake_step_save(
            intake=Intake.objects.get(),
            step=STEP_BY_SLUG["about"],
            data=ABOUT,
            action="next",
            request_meta={},
        )
    assert submit(patient_client)["Location"] == "/intake/submitted/"


def test_item9_shows_crisis_resources_at_once_and_alerts_clinicians_once(
    patient_client, patient, clinician_user, django_capture_on_commit_callbacks
):
    complete_steps(patient_client, patient, until="questionnaires")
    with django_capture_on_commit_callbacks(execute=True):
        response = patient_client.post(
            "/intake/step/questionnaires/",
            {**QUESTIONNAIRES, "phq9_9": "1", "action": "next"},
            follow=True,
        )
    page = text(response)
    assert 'href="tel:988"' in page and 'href="tel:911"' in page
    assert "A clinician at the clinic has been told" in page
    alert = ClinicalAlert.objects.get()
    assert (alert.kind, alert.patient_id) == ("phq9_item9", patient.pk)
    assert [m.to for m in mail.outbox] == [[clinician_user.email]]
    assert patient.legal_last_name not in mail.outbox[0].body

    with django_capture_on_commit_callbacks(execute=True):
        # Answering again, and submitting, does not raise a second alert for this intake.
        patient_client.post(
            "/intake/step/questionnaires/", {**QUESTIONNAIRES, "phq9_9": "2", "action": "next"}
        )
        patient_client.post("/intake/step/consent/", {**consent_for(patient), "action": "next"})
        submit(patient_client)
    assert ClinicalAlert.objects.count() == 1 and len(mail.outbox) == 1
    assert Intake.objects.get().flags[0]["kind"] == "item9"
    assert "Suicide & Crisis Lifeline, any time" in text(patient_client.get("/intake/submitted/"))


def test_consent_is_signed_with_the_legal_name_and_stored_with_its_text(patient_client, patient):
    complete_steps(patient_client, patient, until="consent")
    wrong = patient_client.post(
        "/intake/step/consent/",
        {
            "agree_treatment": "on",
            "agree_privacy": "on",
            "signature": "Someone Else",
            "action": "next",
        },
    )
    assert "doesn't match the legal name" in text(wrong)
    assert not ConsentSignature.objects.exists()

    typed = f"  {patient.legal_first_name.upper()}   {patient.legal_last_name} "
    patient_client.post(
        "/intake/step/consent/",
        {"agree_treatment": "on", "agree_privacy": "on", "signature": typed, "action": "next"},
        REMOTE_ADDR="203.0.113.9",
    )
    treatment = ConsentSignature.objects.get(document="treatment")
    assert treatment.version == CONSENT_VERSION
    assert "no driving" in treatment.text.lower() or "will not drive" in treatment.text
    assert treatment.text_sha256 == text_digest(treatment.text)
    assert treatment.ip_address == "203.0.113.9" and treatment.signed_at is not None
    assert ConsentSignature.objects.filter(document="privacy").exists()


def test_medications_rows_can_be_added_and_classes_are_flagged(patient_client, patient):
    complete_steps(patient_client, patient, until="medications")
    more = patient_client.post("/intake/step/medications/", {**MEDICATIONS, "action": "add_row"})
    assert 'name="meds-5-name"' in text(more)

    contradiction = patient_client.post(
        "/intake/step/medications/", {**MEDICATIONS, "no_medications": "on", "action": "next"}
    )
    assert "You ticked that you take no medications but listed some" in text(contradiction)
    nothing = {**MEDICATIONS, "meds-0-name": "", "meds-0-dose": "", "meds-0-frequency": ""}
    empty = patient_client.post("/intake/step/medications/", {**nothing, "action": "next"})
    assert "List the medications you take" in text(empty)

    flagged = {**MEDICATIONS, "meds-1-name": "Klonopin", "meds-2-name": "Adderall"}
    patient_client.post("/intake/step/medications/", {**flagged, "action": "next"})
    complete_steps(patient_client, patient)
    # the medications step was just saved again by complete_steps with Sertraline only
    patient_client.post("/intake/step/medications/", {**flagged, "action": "next"})
    submit(patient_client)
    kinds = {(f["kind"], f["code"]) for f in Intake.objects.get().flags}
    assert kinds == {("medication", "Benzodiazepine"), ("medication", "Stimulant")}


def test_screening_answers_yes_or_not_sure_are_flagged(patient_client, patient):
    complete_steps(patient_client, patient, until="medical")
    from tests.intake.answers import MEDICAL

    patient_client.post(
        "/intake/step/medical/",
        {**MEDICAL, "screen_seizures": "yes", "screen_glaucoma": "unsure", "action": "next"},
    )
    complete_steps(patient_client, patient, until="medical")
    complete_steps(patient_client, patient)
    patient_client.post(
        "/intake/step/medical/",
        {**MEDICAL, "screen_seizures": "yes", "screen_glaucoma": "unsure", "action": "next"},
    )
    submit(patient_client)
    flags = {f["code"]: f["answer"] for f in Intake.objects.get().flags if f["kind"] == "screening"}
    assert flags == {"seizures": "Yes", "glaucoma": "Not sure"}


def test_history_needs_the_year_of_each_diagnosis(patient_client, patient):
    complete_steps(patient_client, patient, until="history")
    response = patient_client.post(
        "/intake/step/history/", {**HISTORY, "since_gad": "", "action": "next"}
    )
    assert "Enter the year (your best guess is fine)." in text(response)


def test_editing_from_the_review_returns_to_the_review(patient_client, patient):
    complete_steps(patient_client, patient)
    response = patient_client.post(
        "/intake/step/symptoms/", {**SYMPTOMS, "symptoms_details": "Better", "action": "next"}
    )
    assert response["Location"] == "/intake/step/review/"


def test_each_radio_group_is_a_fieldset_with_a_legend(patient_client, patient):
    complete_steps(patient_client, patient, until="questionnaires")
    page = text(patient_client.get("/intake/step/questionnaires/"))
    assert page.count("<fieldset") >= 17
    assert "<legend" in page and "Feeling nervous, anxious, or on edge" in page
    gad7_at = page.index("Feeling nervous, anxious, or on edge")
    phq9_at = page.index("Little interest or pleasure in doing things")
    assert page.count("bothered by the following problems?") == 1
    assert page.count("bothered by any of the following problems?") == 1
    # Each stem heads its own instrument: the GAD-7's without "any of", the PHQ-9's with it.
    assert page.index("bothered by the following problems?") < gad7_at
    assert gad7_at < page.index("bothered by any of the following problems?") < phq9_at


def test_saving_the_same_signature_again_adds_no_rows_but_a_new_name_does(patient_client, patient):
    complete_steps(patient_client, patient)
    patient_client.post("/intake/step/consent/", {**consent_for(patient), "action": "next"})
    assert ConsentSignature.objects.count() == 2  # treatment and privacy, once
    patient.legal_first_name = "Janet"
    patient.save(update_fields=["legal_first_name"])
    patient_client.post("/intake/step/consent/", {**consent_for(patient), "action": "next"})
    assert ConsentSignature.objects.filter(signed_name="Janet Rivera").count() == 2


# --- What the patient is told, what is filled in (issue 21) --------------------------------------


def error_of(page: str, name: str) -> str:
    """The error shown beside the field ``name`` (its text, tags removed)."""
    match = re.search(rf'id="id_{name}_error"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no error beside {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())


def test_a_missing_about_you_answer_says_what_to_enter(patient_client):
    blank = dict.fromkeys(ABOUT, "")
    page = text(patient_client.post("/intake/step/about/", {**blank, "action": "next"}))

    assert "This field is required" not in page
    assert error_of(page, "height_feet") == "Enter your height in feet, e.g. 5 for 5 ft 6 in."
    assert error_of(page, "weight_lb") == "Enter your weight in pounds, e.g. 154."
    assert error_of(page, "city") == "Enter your city or town."
    assert error_of(page, "emergency_contact_phone").startswith(
        "Enter your emergency contact's phone number"
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"height_feet": "3"}, "height_feet", "Enter a height between 4 ft 0 in and 7 ft 6 in."),
        ({"height_feet": "66", "height_inches": "0"}, "height_feet", "from 4 to 7 (for 5 ft 6"),
        ({"height_feet": "7", "height_inches": "8"}, "height_feet", "and 7 ft 6 in."),
        ({"height_inches": "14"}, "height_inches", "from 0 to 11"),
        ({"weight_lb": "45"}, "weight_lb", "Enter a weight between 70 and 700 lb"),
        ({"weight_lb": "750"}, "weight_lb", "Enter a weight between 70 and 700 lb"),
        ({"weight_lb": "1540"}, "weight_lb", "Enter a weight between 70 and 700 lb"),
        ({"weight_lb": "a lot"}, "weight_lb", "Enter your weight in pounds as a number"),
        (
            {"height_feet": "4", "height_inches": "0", "weight_lb": "690"},
            "weight_lb",
            "would be a BMI of",
        ),
    ],
)
def test_an_implausible_height_or_weight_is_refused_with_the_bounds_and_kept(
    patient_client, changes, field, message
):
    response = patient_client.post("/intake/step/about/", {**ABOUT, **changes, "action": "next"})

    page = text(response)
    assert response.status_code == 200
    assert message in error_of(page, field)
    for name, value in changes.items():
        assert f'name="{name}" value="{value}"' in page  # kept as typed
    assert "about" not in Intake.objects.get().completed_steps


@pytest.mark.parametrize(
    ("height", "weight"), [(("4", "0"), "70"), (("7", "6"), "700"), (("4", "11"), "98.5")]
)
def test_heights_and_weights_at_the_bounds_are_accepted(patient_client, height, weight):
    feet, inches = height
    data = {**ABOUT, "height_feet": feet, "height_inches": inches, "weight_lb": weight}
    response = patient_client.post("/intake/step/about/", {**data, "action": "next"})
    assert response.status_code == 302, text(response)[:2000]


def test_missing_answers_on_the_later_steps_say_how_to_answer(patient_client, patient):
    complete_steps(patient_client, patient, until="history")
    page = text(patient_client.post("/intake/step/history/", {"action": "next"}))
    assert error_of(page, "hospitalised") == "Choose Yes, No or Not sure."
    assert error_of(page, "treatment_ssri").startswith("Choose “Not tried”")

    complete_steps(patient_client, patient, until="symptoms")
    page = text(patient_client.post("/intake/step/symptoms/", {"action": "next"}))
    assert "Tell us in a few words what is hardest" in error_of(page, "symptoms_details")

    complete_steps(patient_client, patient, until="medical")
    page = text(patient_client.post("/intake/step/medical/", {"action": "next"}))
    assert error_of(page, "screen_seizures") == "Choose Yes, No or Not sure."
    assert error_of(page, "screen_pregnancy") == "Choose Yes, No, Not sure or Not applicable."

    complete_steps(patient_client, patient, until="questionnaires")
    answers = {**QUESTIONNAIRES, "phq9_9": "1", "phq9_difficulty": ""}
    del answers["gad7_2"]
    page = text(patient_client.post("/intake/step/questionnaires/", {**answers, "action": "next"}))
    assert error_of(page, "gad7_2").startswith("Choose how often you were bothered by this")
    assert error_of(page, "phq9_difficulty").startswith("Choose how difficult these problems")
    assert "This field is required" not in page


def test_height_and_weight_already_recorded_are_filled_in(patient_client, patient):
    patient_record_measurement(
        patient=patient, recorded_by=None, weight_kg=Decimal("69.9"), height_cm=Decimal("180.3")
    )
    page = text(patient_client.get("/intake/step/about/"))
    assert 'name="height_feet" value="5"' in page  # 71 in
    assert 'name="height_inches" value="11"' in page
    assert 'name="weight_lb" value="154"' in page


def test_the_latest_of_each_measurement_is_filled_in(patient, front_desk_user):
    earlier = timezone.now() - timedelta(days=30)
    patient_record_measurement(
        patient=patient,
        recorded_by=front_desk_user,
        height_cm=Decimal("160.0"),
        weight_kg=Decimal("90.0"),
        recorded_at=earlier,
    )
    patient_record_measurement(
        patient=patient, recorded_by=front_desk_user, weight_kg=Decimal("80.0")
    )
    assert recorded_height_and_weight(patient) == {
        "height_feet": 5,
        "height_inches": 3,  # 160 cm = 63 in
        "weight_lb": Decimal("176"),  # 80 kg
    }


def test_nothing_recorded_leaves_height_and_weight_empty(patient_client, patient):
    assert recorded_height_and_weight(patient) == {}
    page = text(patient_client.get("/intake/step/about/"))
    assert re.search(r'<input[^>]*name="height_feet"(?![^>]*value=)[^>]*>', page)


def test_the_intakes_own_saved_answers_win_over_the_record(patient_client, patient):
    patient_record_measurement(
        patient=patient, recorded_by=None, weight_kg=Decimal("69.9"), height_cm=Decimal("167.6")
    )
    saved = {**ABOUT, "height_feet": "6", "height_inches": "1", "weight_lb": "201"}
    patient_client.post("/intake/step/about/", {**saved, "action": "back"})

    page = text(patient_client.get("/intake/step/about/"))

    assert 'name="height_feet" value="6"' in page
    assert 'name="weight_lb" value="201"' in page


# --- The crisis resources beside PHQ-9 item 9 ----------------------------------------------------


def crisis_box(page: str) -> str:
    start = page.index('<section id="crisis-resources"')
    return page[start : page.index("</section>", start)]


def test_the_crisis_resources_sit_beside_item_9_and_follow_the_answer_shown(
    patient_client, patient
):
    complete_steps(patient_client, patient, until="questionnaires")
    page = text(patient_client.get("/intake/step/questionnaires/"))
    assert page.count('id="crisis-resources"') == 1
    item9 = page.index('name="phq9_9"')
    box = page.index('id="crisis-resources"')
    assert item9 < box < page.index('name="phq9_difficulty"')
    assert crisis_box(page).split(">")[0].endswith(" hidden")
    assert 'role="alert"' in crisis_box(page).split(">")[0]

    # Refused for another reason, the page keeps the answer and shows the resources beside it.
    answers = {**QUESTIONNAIRES, "phq9_9": "2", "phq9_difficulty": ""}
    page = text(patient_client.post("/intake/step/questionnaires/", {**answers, "action": "next"}))
    assert not crisis_box(page).split(">")[0].endswith(" hidden")
    assert "When you continue, a clinician at the clinic will be told" in crisis_box(page)

    # Saved, then opened again: shown beside the question once, saying the clinic was told.
    patient_client.post(
        "/intake/step/questionnaires/", {**QUESTIONNAIRES, "phq9_9": "2", "action": "next"}
    )
    page = text(patient_client.get("/intake/step/questionnaires/"))
    assert page.count('id="crisis-resources"') == 1
    assert not crisis_box(page).split(">")[0].endswith(" hidden")
    assert "has been told" in crisis_box(page)

    # Answered "Not at all" again: hidden beside the question.
    patient_client.post(
        "/intake/step/questionnaires/", {**QUESTIONNAIRES, "phq9_9": "0", "action": "next"}
    )
    page = text(patient_client.get("/intake/step/questionnaires/"))
    assert crisis_box(page).split(">")[0].endswith(" hidden")
