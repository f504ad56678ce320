"""Screening services: a submitted intake is screened, findings screen again and the history is
kept, and a clinician's determination is validated, signed, locked and acted on (a new intake
step or a task for more information; a message without clinical detail for a decline)."""

import re

import pytest
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from clinic.notifications.sms import LocmemSMSBackend
from followups.services.outbox import outbox_sweep
from intake.models import Intake
from intake.services.questionnaires import intake_request_more_information
from tests.treatments.screenings import born_years_ago, screened
from treatments.models import Screening, ScreeningDetermination, StaffTask
from treatments.screening_rules import RULESET_VERSION, Result
from treatments.selectors.screening import current_screening_status, screening_worklist
from treatments.services.screening import (
    finding_record,
    screening_determine,
    screening_run,
    task_complete,
)

Decision = ScreeningDetermination.Decision
Route = ScreeningDetermination.InfoRoute
LINK_PATH = re.compile(r"/i/[A-Za-z0-9_-]{40,}/")
# Nothing in a message to the patient may say why: a text or an email can be read by others.
CLINICAL_WORDS = (
    "ketamine",
    "declined",
    "decline",
    "contraindication",
    "screening",
    "not a candidate",
    "eligible",
    "blood pressure",
    "psychosis",
    "pregnan",
    "diagnos",
    "depression",
    "anxiety",
    "result",
)
NORMAL = {"systolic": 122, "diastolic": 78, "pulse": 70}


@pytest.fixture(autouse=True)
def _messages(settings):
    # The default clinic name says "Ketamine": a neutral one shows what the templates add.
    settings.CLINIC_MESSAGE_NAME = "Lone Star Wellness"
    # The "please call us" goes through the outbox, which keeps quiet hours: none here, so the
    # tests do not depend on the hour they run at (tests/followups/test_outbox_patient_messages.py
    # has the quiet hours).
    settings.CLINIC_QUIET_HOURS = ""
    LocmemSMSBackend.outbox.clear()
    yield
    LocmemSMSBackend.outbox.clear()


def assert_no_clinical_words(text: str) -> None:
    found = [word for word in CLINICAL_WORDS if word in text.lower()]
    assert found == [], f"clinical words {found} in: {text}"


def reasons_of(screening: Screening, rule_id: str) -> list[dict]:
    return [r for r in screening.reasons if r["rule_id"] == rule_id]


# --- Screening a submitted intake; the history -----------------------------------------------


def test_a_submitted_intake_is_screened_through_the_intake_hook(front_desk_user):
    screening = screened(front_desk_user)

    assert screening.is_current
    assert screening.status == Screening.Status.PENDING
    assert screening.ruleset_version == RULESET_VERSION
    # Standard answers are clean, but no assessment yet: never "Eligible" on missing findings.
    assert screening.result == Result.NEEDS_REVIEW
    assert [r["rule_id"] for r in screening.reasons] == ["assessment-missing"]
    # Six treatments answered "Tried: it did not help", in the intake's words.
    assert len(screening.failed_treatments) == 6
    assert "Bupropion (Wellbutrin)" in screening.failed_treatments
    assert list(screening_worklist()) == [screening]


def test_screening_again_makes_a_new_current_screening_and_keeps_the_old_one(front_desk_user):
    first = screened(front_desk_user)

    second = screening_run(intake=first.intake)

    first.refresh_from_db()
    assert second.pk != first.pk
    assert second.is_current and not first.is_current
    assert first.result == Result.NEEDS_REVIEW  # the history is kept as it was
    assert Screening.objects.filter(patient=first.patient).count() == 2
    assert list(screening_worklist()) == [second]


def test_only_one_screening_per_patient_can_be_current(front_desk_user):
    first = screened(front_desk_user)

    with pytest.raises(IntegrityError), transaction.atomic():
        Screening.objects.create(
            patient=first.patient,
            intake=first.intake,
            result=Result.ELIGIBLE,
            ruleset_version=RULESET_VERSION,
            created_at=timezone.now(),
        )


def test_an_amended_answer_gives_a_new_screening(front_desk_user, clinician_user):
    from intake.services.amendments import intake_amend

    first = screened(front_desk_user)

    intake_amend(
        intake=first.intake,
        step="medical",
        field="screen_psychosis",
        new_value="yes",
        reason="Patient told me at the visit",
        author=clinician_user,
    )

    current = Screening.objects.get(patient=first.patient, is_current=True)
    assert current.pk != first.pk
    assert current.result == Result.NOT_A_CANDIDATE
    assert reasons_of(current, "psychosis")


# --- Findings --------------------------------------------------------------------------------


def test_severe_blood_pressure_at_assessment_means_not_a_candidate(front_desk_user, clinician_user):
    first = screened(front_desk_user, sex_at_birth="male")

    screening = finding_record(
        patient=first.patient, recorded_by=clinician_user, systolic=185, diastolic=100, pulse=72
    )

    assert screening.result == Result.NOT_A_CANDIDATE
    [bp] = reasons_of(screening, "bp-severe")
    assert bp["severity"] == "absolute"
    assert bp["evidence"] == "Assessment: blood pressure 185/100 mmHg"
    assert screening.finding.systolic == 185
    assert screening.finding.recorded_by == clinician_user
    first.refresh_from_db()
    assert not first.is_current


def test_normal_findings_for_a_man_make_him_eligible(front_desk_user, clinician_user):
    first = screened(front_desk_user, sex_at_birth="male")

    screening = finding_record(patient=first.patient, recorded_by=clinician_user, **NORMAL)

    # Height and weight come from the intake (5 ft 6 in, 154 lb): BMI about 24.9.
    assert screening.result == Result.ELIGIBLE, screening.reasons
    assert screening.reasons == []


def test_a_woman_of_30_without_a_pregnancy_test_needs_review(front_desk_user, clinician_user):
    first = screened(front_desk_user, sex_at_birth="female", date_of_birth=born_years_ago(30))

    screening = finding_record(patient=first.patient, recorded_by=clinician_user, **NORMAL)

    assert screening.result == Result.NEEDS_REVIEW
    [missing] = reasons_of(screening, "assessment-missing")
    assert missing["severity"] == "missing"
    assert "no pregnancy test result" in missing["evidence"]

    tested = finding_record(
        patient=first.patient, recorded_by=clinician_user, pregnancy_test="negative", **NORMAL
    )
    assert tested.result == Result.ELIGIBLE, tested.reasons


def test_findings_need_a_submitted_intake(clinician_user, patient):
    with pytest.raises(ValidationError, match="no submitted intake"):
        finding_record(patient=patient, recorded_by=clinician_user, **NORMAL)


# --- Determinations: what each decision needs -------------------------------------------------


def determine(screening, user, **kwargs) -> ScreeningDetermination:
    return screening_determine(screening=screening, signed_by=user, **kwargs)


def field_errors(error: pytest.ExceptionInfo) -> dict[str, list[str]]:
    return error.value.message_dict


def test_a_decline_needs_a_reason(front_desk_user, clinician_user):
    screening = screened(front_desk_user)

    with pytest.raises(ValidationError) as refused:
        determine(screening, clinician_user, decision=Decision.DECLINE, reason="   ")

    assert field_errors(refused) == {"reason": ["Give the clinical reason for declining."]}
    assert not ScreeningDetermination.objects.exists()


def test_a_request_for_more_information_needs_the_request_and_where_it_goes(
    front_desk_user, clinician_user
):
    screening = screened(front_desk_user)

    with pytest.raises(ValidationError) as refused:
        determine(screening, clinician_user, decision=Decision.MORE_INFO)

    assert set(field_errors(refused)) == {"info_request", "info_route"}


def test_no_decision_is_refused(front_desk_user, clinician_user):
    screening = screened(front_desk_user)

    with pytest.raises(ValidationError) as refused:
        determine(screening, clinician_user, decision="")

    assert set(field_errors(refused)) == {"decision"}


@pytest.fixture
def not_a_candidate(front_desk_user):
    return screened(front_desk_user, changes={"medical": {"screen_psychosis": "yes"}})


def test_approving_not_a_candidate_needs_a_written_justification(not_a_candidate, clinician_user):
    assert not_a_candidate.result == Result.NOT_A_CANDIDATE

    with pytest.raises(ValidationError) as refused:
        determine(not_a_candidate, clinician_user, decision=Decision.APPROVE)

    assert set(field_errors(refused)) == {"override_justification"}
    not_a_candidate.refresh_from_db()
    assert not_a_candidate.status == Screening.Status.PENDING


def test_an_approved_override_is_signed_and_marked_in_the_audit_trail(
    not_a_candidate, clinician_user
):
    determination = determine(
        not_a_candidate,
        clinician_user,
        decision=Decision.APPROVE,
        override_justification="  Single drug-induced episode in 2009; psychiatrist agrees.  ",
    )

    assert determination.is_override
    assert determination.override_justification == (
        "Single drug-induced episode in 2009; psychiatrist agrees."
    )
    assert determination.signed_by == clinician_user
    assert determination.signed_at is not None
    not_a_candidate.refresh_from_db()
    assert not_a_candidate.status == Screening.Status.APPROVED
    assert current_screening_status(patient=not_a_candidate.patient) == "Approved"
    [entry] = LogEntry.objects.get_for_object(determination)
    assert entry.action == LogEntry.Action.CREATE
    assert entry.additional_data["override"] is True
    assert entry.additional_data["patient_id"] == not_a_candidate.patient_id


def test_approving_a_flagged_but_not_excluded_patient_is_no_override(
    front_desk_user, clinician_user
):
    screening = screened(front_desk_user)  # needs review: findings missing

    determination = determine(screening, clinician_user, decision=Decision.APPROVE)

    assert not determination.is_override
    assert determination.override_justification == ""
    [entry] = LogEntry.objects.get_for_object(determination)
    assert entry.additional_data["override"] is False


def test_a_signed_determination_is_locked(front_desk_user, clinician_user):
    screening = screened(front_desk_user)
    determine(screening, clinician_user, decision=Decision.APPROVE)

    with pytest.raises(ValidationError, match="already signed"):
        determine(screening, clinician_user, decision=Decision.DECLINE, reason="Changed my mind")

    assert ScreeningDetermination.objects.filter(screening=screening).count() == 1
    screening.refresh_from_db()
    assert screening.status == Screening.Status.APPROVED
    # And the database holds one determination per screening, whatever the code does.
    with pytest.raises(IntegrityError), transaction.atomic():
        ScreeningDetermination.objects.create(
            screening=screening,
            decision=Decision.DECLINE,
            reason="x",
            signed_by=clinician_user,
            signed_at=timezone.now(),
        )


def test_an_older_screening_cannot_be_determined(front_desk_user, clinician_user):
    old = screened(front_desk_user)
    screening_run(intake=old.intake)

    with pytest.raises(ValidationError, match="newer screening exists"):
        determine(old, clinician_user, decision=Decision.APPROVE)

    assert not ScreeningDetermination.objects.exists()


# --- What a determination sets off -----------------------------------------------------------


def test_more_information_from_the_patient_is_a_new_intake_step_and_a_link(
    front_desk_user, clinician_user, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user)
    request = "Please tell us the name of your cardiologist and when you last saw them."

    with django_capture_on_commit_callbacks(execute=True):
        determine(
            screening,
            clinician_user,
            decision=Decision.MORE_INFO,
            info_request=request,
            info_route=Route.PATIENT,
        )

    screening.refresh_from_db()
    assert screening.status == Screening.Status.MORE_INFO
    assert current_screening_status(patient=screening.patient) == "More information needed"
    new_intake = Intake.objects.filter(patient=screening.patient).latest("created_at")
    assert new_intake.pk != screening.intake_id
    assert new_intake.clinician_request == request
    assert not new_intake.is_submitted
    # The previous answers are there to check; the patient sees the request on every step.
    assert new_intake.answers["medical"] == screening.intake.answers["medical"]
    [sms] = LocmemSMSBackend.outbox  # the patient prefers text messages
    assert sms.to == screening.patient.mobile.as_e164
    assert LINK_PATH.search(sms.body)
    assert request not in sms.body
    assert_no_clinical_words(sms.body)
    assert not StaffTask.objects.exists()


def test_more_information_from_the_patient_by_email(
    front_desk_user, clinician_user, mailoutbox, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user)
    screening.patient.preferred_contact = "email"
    screening.patient.save(update_fields=["preferred_contact"])

    with django_capture_on_commit_callbacks(execute=True):
        determine(
            screening,
            clinician_user,
            decision=Decision.MORE_INFO,
            info_request="Which dose of lamotrigine do you take?",
            info_route=Route.PATIENT,
        )

    [email] = mailoutbox
    assert email.to == [screening.patient.email]
    assert LINK_PATH.search(email.body)
    assert "lamotrigine" not in email.body
    assert_no_clinical_words(email.subject + " " + email.body)


def test_more_information_through_the_front_desk_is_a_task(front_desk_user, clinician_user):
    screening = screened(front_desk_user)

    determine(
        screening,
        clinician_user,
        decision=Decision.MORE_INFO,
        info_request="Ask for a copy of the last ECG.",
        info_route=Route.FRONT_DESK,
    )

    [task] = StaffTask.objects.all()
    assert task.role == StaffTask.Role.FRONT_DESK
    assert task.patient == screening.patient
    assert task.status == StaffTask.Status.OPEN
    assert task.details == "Ask for a copy of the last ECG."
    assert (task.source_kind, task.source_id) == ("screening", screening.pk)
    assert task.created_by == clinician_user
    assert Intake.objects.filter(patient=screening.patient).count() == 1  # no new intake
    assert LocmemSMSBackend.outbox == []


def test_a_patient_who_cannot_be_messaged_is_handed_to_the_front_desk(
    front_desk_user, clinician_user
):
    screening = screened(front_desk_user)
    patient = screening.patient
    patient.consent_sms = False
    patient.email = ""
    patient.save(update_fields=["consent_sms", "email"])

    determine(
        screening,
        clinician_user,
        decision=Decision.MORE_INFO,
        info_request="When did you last have a seizure?",
        info_route=Route.PATIENT,
    )

    [task] = StaffTask.objects.all()
    assert task.details == "When did you last have a seizure?"
    assert Intake.objects.filter(patient=patient).count() == 1


def test_a_decline_asks_the_patient_to_call_with_no_clinical_detail(
    settings, front_desk_user, clinician_user, mailoutbox, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user, changes={"medical": {"screen_psychosis": "yes"}})

    with django_capture_on_commit_callbacks(execute=True):
        determine(
            screening,
            clinician_user,
            decision=Decision.DECLINE,
            reason="Schizophrenia, hospitalised 2021: ketamine contraindicated.",
        )

    screening.refresh_from_db()
    assert screening.status == Screening.Status.DECLINED
    assert current_screening_status(patient=screening.patient) == "Declined"
    [sms] = LocmemSMSBackend.outbox
    assert sms.to == screening.patient.mobile.as_e164
    assert settings.CLINIC_PHONE in sms.body
    assert "Schizophrenia" not in sms.body
    assert_no_clinical_words(sms.body)
    assert mailoutbox == []


def test_a_decline_by_email_has_no_clinical_detail_either(
    settings, front_desk_user, clinician_user, mailoutbox, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user)
    screening.patient.preferred_contact = "email"
    screening.patient.save(update_fields=["preferred_contact"])

    with django_capture_on_commit_callbacks(execute=True):
        determine(screening, clinician_user, decision=Decision.DECLINE, reason="Bladder disease")

    [email] = mailoutbox
    assert settings.CLINIC_PHONE in email.body
    assert_no_clinical_words(email.subject + " " + email.body)


def test_a_decline_for_a_patient_who_prefers_texts_but_only_agreed_to_email_goes_by_email(
    settings, front_desk_user, clinician_user, mailoutbox, django_capture_on_commit_callbacks
):
    # The same channel as their reminders and surveys (intake.contact.patient_channel).
    screening = screened(front_desk_user)
    patient = screening.patient
    patient.preferred_contact = "sms"
    patient.consent_sms = False
    patient.consent_email = True
    patient.save(update_fields=["preferred_contact", "consent_sms", "consent_email"])

    with django_capture_on_commit_callbacks(execute=True):
        determine(screening, clinician_user, decision=Decision.DECLINE, reason="Liver disease")

    [email] = mailoutbox
    assert email.to == [patient.email]
    assert settings.CLINIC_PHONE in email.body
    assert LocmemSMSBackend.outbox == []
    assert not StaffTask.objects.exists()


def test_a_decline_for_a_patient_who_cannot_be_messaged_is_a_call_for_the_front_desk(
    front_desk_user, clinician_user, django_capture_on_commit_callbacks
):
    screening = screened(front_desk_user)
    patient = screening.patient
    patient.consent_sms = False
    patient.consent_email = False
    patient.save(update_fields=["consent_sms", "consent_email"])

    with django_capture_on_commit_callbacks(execute=True):
        determine(screening, clinician_user, decision=Decision.DECLINE, reason="Liver disease")
    # The outbox's sweep (queued by the decline) finds no way to message them and asks for the
    # call; the next sweep (beat's, every minute) puts it on the front desk's worklist.
    outbox_sweep()

    [task] = StaffTask.objects.all()
    assert task.role == StaffTask.Role.FRONT_DESK
    assert task.title == "Call the patient about their consultation"
    assert_no_clinical_words(task.title + " " + task.details)
    assert LocmemSMSBackend.outbox == []


def test_the_patients_new_answers_make_a_new_screening_and_keep_the_determined_one(
    front_desk_user, clinician_user
):
    screening = screened(front_desk_user)
    determine(
        screening,
        clinician_user,
        decision=Decision.MORE_INFO,
        info_request="Send your cardiologist's letter.",
        info_route=Route.FRONT_DESK,
    )

    new_intake = Intake.objects.create(
        patient=screening.patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=timezone.now(),
        answers=screening.intake.answers,
        completed_steps=screening.intake.completed_steps,
        phq9_item9=0,
    )
    newer = screening_run(intake=new_intake)

    screening.refresh_from_db()
    assert not screening.is_current
    assert screening.status == Screening.Status.MORE_INFO
    assert screening.determination.info_request == "Send your cardiologist's letter."
    assert newer.status == Screening.Status.PENDING
    assert current_screening_status(patient=screening.patient) == "Pending review"


# --- Tasks ----------------------------------------------------------------------------------


def test_a_task_is_done_once(front_desk_user, clinician_user):
    screening = screened(front_desk_user)
    determine(
        screening,
        clinician_user,
        decision=Decision.MORE_INFO,
        info_request="Ask for the ECG.",
        info_route=Route.FRONT_DESK,
    )
    task = StaffTask.objects.get()

    done = task_complete(task=task, user=front_desk_user, outcome="  Called; ECG faxed over.  ")

    assert done.status == StaffTask.Status.DONE
    assert done.completed_by == front_desk_user
    assert done.outcome == "Called; ECG faxed over."
    with pytest.raises(ValidationError, match="already closed"):
        task_complete(task=task, user=front_desk_user, outcome="Again")


def test_the_request_helper_returns_false_without_a_channel(front_desk_user, clinician_user):
    screening = screened(front_desk_user)
    patient = screening.patient
    patient.consent_sms = False
    patient.email = ""
    patient.save(update_fields=["consent_sms", "email"])

    assert not intake_request_more_information(
        previous=screening.intake, request="x", requested_by=clinician_user
    )


def test_the_patient_sees_the_question_and_resubmitting_screens_again(
    front_desk_user, clinician_user, django_capture_on_commit_callbacks
):
    from django.test import Client

    from treatments.selectors.screening import screening_worklist

    screening = screened(front_desk_user)
    question = "Please tell us the name of your cardiologist."
    with django_capture_on_commit_callbacks(execute=True):
        determine(
            screening,
            clinician_user,
            decision=Decision.MORE_INFO,
            info_request=question,
            info_route=Route.PATIENT,
        )
    [sms] = LocmemSMSBackend.outbox
    patient = screening.patient
    browser = Client()
    browser.get(LINK_PATH.search(sms.body).group(0))
    browser.post("/intake/confirm/", {"date_of_birth": patient.date_of_birth.isoformat()})

    review = browser.get("/intake/", follow=True)
    assert review.redirect_chain[-1][0] == "/intake/step/review/"
    assert question in review.content.decode()
    # Submitting asks for the consent to be signed again, then a new screening is waiting.
    response = browser.post("/intake/step/review/", {"confirm": "on", "action": "submit"})
    assert response["Location"] == "/intake/step/consent/"
    browser.post(
        "/intake/step/consent/",
        {"agree_treatment": "on", "agree_privacy": "on", "signature": patient.full_name,
         "action": "next"},
    )  # fmt: skip
    browser.post("/intake/step/review/", {"confirm": "on", "action": "submit"})
    new = Screening.objects.get(patient=patient, is_current=True)
    assert new.pk != screening.pk and new.status == Screening.Status.PENDING
    assert new in screening_worklist()


def test_completing_the_front_desk_task_puts_the_patient_back_on_the_worklist(
    front_desk_user, clinician_user
):
    from treatments.selectors.screening import screening_worklist
    from treatments.services.screening import task_complete

    screening = screened(front_desk_user)
    determine(
        screening,
        clinician_user,
        decision=Decision.MORE_INFO,
        info_request="Ask for a copy of the last ECG.",
        info_route=Route.FRONT_DESK,
    )
    assert list(screening_worklist()) == []

    task_complete(task=StaffTask.objects.get(), user=front_desk_user, outcome="ECG received")

    [waiting] = screening_worklist()
    assert waiting.patient == screening.patient and waiting.pk != screening.pk


def test_approval_is_refused_while_an_item9_alert_of_the_patient_is_open(
    front_desk_user, clinician_user
):
    from intake.models import ClinicalAlert
    from intake.services.questionnaires import alert_acknowledge
    from treatments.services.screening import ITEM9_NOT_ACKNOWLEDGED

    screening = screened(front_desk_user, changes={"questionnaires": {"phq9_9": "2"}})
    alert = ClinicalAlert.objects.get(patient=screening.patient, kind="phq9_item9")

    with pytest.raises(ValidationError) as refused:
        screening_determine(
            screening=screening, decision=Decision.APPROVE, signed_by=clinician_user
        )

    assert refused.value.message_dict == {"decision": [ITEM9_NOT_ACKNOWLEDGED]}
    assert not ScreeningDetermination.objects.exists()
    alert_acknowledge(alert=alert, user=clinician_user, note="Called, safety plan reviewed")
    approved = screening_determine(
        screening=screening, decision=Decision.APPROVE, signed_by=clinician_user
    )
    assert approved.decision == Decision.APPROVE
