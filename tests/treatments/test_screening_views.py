"""The screening pages: the clinician's worklist (flagged first, constant cost), one screening
with its reasons and evidence, findings that screen again, the signed and locked determination,
the rule list, the front desk's status-only view and task list, and who may see what."""

import re
from datetime import timedelta

import pytest
from auditlog.models import LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from intake.models import ClinicalAlert
from tests.factories import PatientFactory
from tests.treatments.screenings import screened, screening_row
from treatments.models import Screening, ScreeningDetermination, StaffTask
from treatments.screening_rules import RULES, RULESET_VERSION, Result
from treatments.services.screening import (
    ITEM9_NOT_ACKNOWLEDGED,
    screening_determine,
    screening_run,
)

WORKLIST_URL = reverse("treatments:screening_worklist")
RULES_URL = reverse("treatments:screening_rules")
TASKS_URL = reverse("treatments:task_list")
AUDIT_URL = reverse("admin:auditlog_logentry_changelist")
WORKLIST_ROW = re.compile(r'<tr>\s*<td><a href="/patients/\d+/">(?P<name>[^<]+)</a>')
PSYCHOSIS_EVIDENCE = (
    "Intake: “Have you ever been diagnosed with psychosis or schizophrenia, or had "
    "hallucinations or delusions?” answered Yes"
)
JUSTIFICATION = "One drug-induced episode in 2009, none since; her psychiatrist agrees."


def detail_url(screening) -> str:
    return reverse("treatments:screening_detail", args=[screening.pk])


def sign_url(screening) -> str:
    return reverse("treatments:screening_sign", args=[screening.pk])


def findings_url(screening) -> str:
    return reverse("treatments:screening_record_findings", args=[screening.pk])


def patient_url(patient) -> str:
    return reverse("intake:patient_detail", args=[patient.pk])


def worklist_names(response) -> list[str]:
    return [m.group("name") for m in WORKLIST_ROW.finditer(response.content.decode())]


def typed_in(page: str, text: str) -> bool:
    """The text is still in its text box (Django starts a textarea's content on a new line)."""
    return f">\n{text}</textarea>" in page


def flash(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


@pytest.fixture
def not_a_candidate(front_desk_user):
    """A patient who answered Yes to psychosis: an absolute contraindication."""
    return screened(
        front_desk_user,
        legal_first_name="Nora",
        legal_last_name="Quinn",
        changes={"medical": {"screen_psychosis": "yes"}},
    )


# --- The worklist --------------------------------------------------------------------------


def test_the_worklist_shows_flagged_patients_first_then_the_longest_waiting(
    clinician, clinician_user
):
    now = timezone.now()
    screening_row(result=Result.ELIGIBLE, last_name="Eligible", created_at=now - timedelta(days=9))
    screening_row(
        result=Result.NEEDS_REVIEW, last_name="Review", created_at=now - timedelta(days=5)
    )
    screening_row(result=Result.NOT_A_CANDIDATE, last_name="Newer", created_at=now)
    screening_row(
        result=Result.NOT_A_CANDIDATE, last_name="Older", created_at=now - timedelta(days=1)
    )
    decided = screening_row(result=Result.NEEDS_REVIEW, last_name="Decided")
    screening_determine(screening=decided, decision="approve", signed_by=clinician_user)
    screening_row(result=Result.NEEDS_REVIEW, last_name="Replaced", is_current=False)

    response = clinician.get(WORKLIST_URL)

    assert response.status_code == 200
    names = [name.split(",")[0] for name in worklist_names(response)]
    assert names == ["Older", "Newer", "Review", "Eligible"]


def test_a_worklist_row_says_why_and_how_resistant(clinician):
    screening = screening_row(result=Result.NOT_A_CANDIDATE, last_name="Quinn")

    page = clinician.get(WORKLIST_URL).content.decode()

    assert screening.patient.mrn in page
    assert f'href="{patient_url(screening.patient)}"' in page
    assert "Not a candidate</span>" in page
    assert "2 reasons" in page
    assert "History of psychosis or schizophrenia" in page
    assert "BMI 40 or more" in page
    assert "2 failed treatments" in page
    assert f'href="{detail_url(screening)}"' in page


def test_an_empty_worklist_says_so(clinician):
    assert "No screenings are waiting for a decision." in clinician.get(WORKLIST_URL).text


@pytest.mark.parametrize("how_many", [3, 30])
def test_the_worklist_query_count_is_constant(clinician, django_assert_num_queries, how_many):
    results = list(Result)
    for number in range(how_many):
        screening_row(result=results[number % 3])
    clinician.get(WORKLIST_URL)  # warm-up: the session's first-request bookkeeping

    # session, user, TOTP device, roles, how many wait, the first 20 with their patients
    with django_assert_num_queries(6):
        response = clinician.get(WORKLIST_URL)

    assert len(worklist_names(response)) == min(how_many, 20)


def test_the_worklist_puts_thoughts_of_self_harm_before_every_other_flag(clinician):
    now = timezone.now()
    screening_row(
        result=Result.NOT_A_CANDIDATE, last_name="Absolute", created_at=now - timedelta(days=3)
    )
    screening_row(
        result=Result.NEEDS_REVIEW,
        last_name="Item9Newer",
        phq9_item9=1,
        created_at=now - timedelta(hours=1),
    )
    screening_row(
        result=Result.NEEDS_REVIEW,
        last_name="Item9Older",
        phq9_item9=3,
        created_at=now - timedelta(days=1),
    )
    screening_row(result=Result.ELIGIBLE, last_name="NotAtAll", phq9_item9=0)

    page = clinician.get(WORKLIST_URL)

    names = [name.split(",")[0] for name in worklist_names(page)]
    assert names == ["Item9Older", "Item9Newer", "Absolute", "NotAtAll"]
    assert "Self-harm: PHQ-9 item 9 Nearly every day" in page.text
    assert "Self-harm: PHQ-9 item 9 Several days" in page.text
    assert page.text.count("Self-harm: PHQ-9 item 9") == 2


@pytest.mark.parametrize("how_many", [4, 40])
def test_the_worklist_pages_item9_first_at_a_constant_cost(
    clinician, django_assert_num_queries, how_many
):
    now = timezone.now()
    results = list(Result)
    for number in range(how_many):
        # Every fourth patient answered item 9 above "Not at all"; they wait the least time.
        screening_row(
            result=results[number % 3],
            last_name=f"Item9-{number:02d}" if number % 4 == 3 else f"Other-{number:02d}",
            phq9_item9=2 if number % 4 == 3 else 0,
            created_at=now - timedelta(hours=how_many - number),
        )
    clinician.get(WORKLIST_URL)  # warm-up: the session's first-request bookkeeping

    # session, user, TOTP device, roles, how many wait, the first 20 with their patients
    with django_assert_num_queries(6):
        response = clinician.get(WORKLIST_URL)

    names = [name.split(",")[0] for name in worklist_names(response)]
    item9 = how_many // 4
    assert len(names) == min(how_many, 20)
    assert all(name.startswith("Item9-") for name in names[:item9])
    assert not any(name.startswith("Item9-") for name in names[item9:])


def test_the_worklist_shows_twenty_at_a_time_with_how_many_wait(clinician):
    now = timezone.now()
    made = [
        screening_row(
            result=[Result.ELIGIBLE, Result.NEEDS_REVIEW, Result.NOT_A_CANDIDATE][number % 3],
            last_name=f"Waiting{number:02d}",
            created_at=now - timedelta(hours=number),
        )
        for number in range(23)
    ]
    flag_order = {Result.NOT_A_CANDIDATE: 0, Result.NEEDS_REVIEW: 1, Result.ELIGIBLE: 2}
    in_order = [
        s.patient.legal_last_name
        for s in sorted(made, key=lambda s: (flag_order[s.result], s.created_at))
    ]

    page = clinician.get(WORKLIST_URL)

    assert [name.split(",")[0] for name in worklist_names(page)] == in_order[:20]
    assert "Awaiting a decision (23)" in page.text
    assert '<nav aria-label="More screenings"' in page.text
    assert f'href="{WORKLIST_URL}?waiting=40#waiting">Show 3 more screenings</a>' in page.text
    assert "Showing 20 of 23." in page.text

    more = clinician.get(WORKLIST_URL, {"waiting": 40})

    assert [name.split(",")[0] for name in worklist_names(more)] == in_order
    assert "Show 3 more" not in more.text


# --- One screening ----------------------------------------------------------------------------


def test_the_screening_shows_each_reason_with_its_evidence(clinician, not_a_candidate):
    response = clinician.get(detail_url(not_a_candidate))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Not a candidate</span>" in page
    assert "Absolute contraindication" in page
    assert "History of psychosis or schizophrenia" in page
    assert PSYCHOSIS_EVIDENCE in page
    assert "Missing or contradictory information" in page
    assert "No assessment findings recorded (blood pressure, pulse, BMI)" in page
    assert RULESET_VERSION in page
    assert "Supporting evidence of treatment resistance: 6 failed adequate treatments" in page
    assert "Bupropion (Wellbutrin)" in page
    assert f'href="{reverse("intake:intake_detail", args=[not_a_candidate.intake_id])}"' in page
    # The most serious reasons come first.
    assert page.index("Absolute contraindication") < page.index("Missing or contradictory")


def test_viewing_a_screening_is_in_the_audit_trail(clinician, clinician_user, not_a_candidate):
    clinician.get(detail_url(not_a_candidate))

    entry = LogEntry.objects.get_for_object(not_a_candidate).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == clinician_user


def test_an_unknown_screening_is_not_found(clinician):
    assert clinician.get(reverse("treatments:screening_detail", args=[999999])).status_code == 404


def test_recording_findings_screens_again(clinician, not_a_candidate):
    response = clinician.post(
        findings_url(not_a_candidate),
        {"systolic": "185", "diastolic": "112", "pulse": "72", "pregnancy_test": "negative"},
    )

    newer = Screening.objects.get(patient=not_a_candidate.patient, is_current=True)
    assert newer.pk != not_a_candidate.pk
    assert response["Location"] == detail_url(newer)
    assert flash(response) == ["Screened again: Not a candidate."]
    page = clinician.get(detail_url(newer)).content.decode()
    assert "Assessment: blood pressure 185/112 mmHg" in page
    assert "185/112 mmHg" in page
    assert "No assessment findings recorded" not in page
    # BMI from the height and weight the intake recorded (5 ft 6 in, 154 lb).
    assert "24.9" in page
    assert "(from the latest height and weight on the record)" in page


def test_an_older_screening_points_to_the_newer_one_and_has_no_forms(clinician, not_a_candidate):
    newer = screening_run(intake=not_a_candidate.intake)

    page = clinician.get(detail_url(not_a_candidate)).content.decode()

    assert "A newer screening exists" in page
    assert f'href="{detail_url(newer)}"' in page
    assert "Sign determination" not in page
    assert "Record findings" not in page


def test_findings_errors_are_shown_beside_the_fields_with_the_typed_values(
    clinician, not_a_candidate
):
    response = clinician.post(
        findings_url(not_a_candidate), {"systolic": "150", "pulse": "72", "notes": "Anxious"}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter both numbers of the blood pressure." in page
    assert 'value="150"' in page
    assert typed_in(page, "Anxious")
    assert Screening.objects.filter(patient=not_a_candidate.patient).count() == 1


def test_an_empty_findings_form_is_refused(clinician, not_a_candidate):
    response = clinician.post(findings_url(not_a_candidate), {})

    assert response.status_code == 400
    assert "Enter at least one finding." in response.text


# --- The determination ------------------------------------------------------------------------


def test_determination_errors_keep_what_was_typed(clinician, not_a_candidate):
    response = clinician.post(
        sign_url(not_a_candidate),
        {"decision": "approve", "reason": "Stable for twelve years", "override_justification": ""},
    )

    assert response.status_code == 400
    page = response.content.decode()
    error = "Approving a patient screened “Not a candidate” needs a written justification."
    # Beside the field (its feedback follows the field), and in the list at the top.
    field_at = page.index('id="id_override_justification"')
    assert error in page[field_at:]
    assert typed_in(page, "Stable for twelve years")
    assert re.search(r'value="approve"[^>]*checked', page)
    assert not ScreeningDetermination.objects.exists()


def test_a_decline_without_a_reason_is_refused_beside_the_reason(clinician, not_a_candidate):
    response = clinician.post(sign_url(not_a_candidate), {"decision": "decline"})

    assert response.status_code == 400
    page = response.content.decode()
    assert "Give the clinical reason for declining." in page[page.index('id="id_reason"') :]
    assert "never sent to the patient" in page


def test_a_request_for_more_information_needs_words_and_a_route(clinician, not_a_candidate):
    response = clinician.post(
        sign_url(not_a_candidate), {"decision": "more_info", "info_request": "Your ECG, please"}
    )

    assert response.status_code == 400
    assert "Choose who should get the information." in response.text
    assert typed_in(response.text, "Your ECG, please")


def test_a_signed_override_is_shown_locked(clinician, not_a_candidate):
    response = clinician.post(
        sign_url(not_a_candidate),
        {"decision": "approve", "override_justification": JUSTIFICATION},
    )

    assert response["Location"] == detail_url(not_a_candidate)
    assert flash(response) == ["Signed: approved for treatment, overriding “Not a candidate”."]
    page = clinician.get(detail_url(not_a_candidate)).content.decode()
    assert "Signed and locked" in page
    assert "Override of Not a candidate" in page
    assert JUSTIFICATION in page
    assert "Approve for treatment" in page
    assert "Casey Carter" in page
    assert "Sign determination" not in page
    assert "Approved</span>" in page


def test_a_screening_that_is_not_a_not_a_candidate_has_no_override_field(
    clinician, front_desk_user
):
    screening = screened(front_desk_user)  # needs review

    page = clinician.get(detail_url(screening)).content.decode()

    assert "Sign determination" in page
    assert "override_justification" not in page


def test_signing_twice_is_refused(clinician, clinician_user, not_a_candidate):
    screening_determine(
        screening=not_a_candidate, decision="decline", reason="Psychosis", signed_by=clinician_user
    )

    response = clinician.post(
        sign_url(not_a_candidate),
        {"decision": "approve", "override_justification": JUSTIFICATION},
    )

    assert response["Location"] == detail_url(not_a_candidate)
    assert flash(response) == ["This screening is already signed; it cannot be changed."]
    assert ScreeningDetermination.objects.get().decision == "decline"


def test_signing_an_older_screening_is_refused(clinician, not_a_candidate):
    screening_run(intake=not_a_candidate.intake)

    response = clinician.post(sign_url(not_a_candidate), {"decision": "decline", "reason": "x"})

    assert flash(response) == ["A newer screening exists for this patient: review that one."]
    assert not ScreeningDetermination.objects.exists()


@pytest.fixture
def thoughts_of_self_harm(front_desk_user):
    """A patient who answered PHQ-9 item 9 "Several days": an urgent alert no one has
    acknowledged yet."""
    return screened(
        front_desk_user,
        legal_first_name="Ada",
        legal_last_name="Self",
        changes={"questionnaires": {"phq9_9": "1"}},
    )


def test_approving_waits_for_the_item9_alert_to_be_acknowledged(
    clinician, clinician_user, thoughts_of_self_harm
):
    screening = thoughts_of_self_harm
    alert = ClinicalAlert.objects.get(patient=screening.patient)

    refused = clinician.post(sign_url(screening), {"decision": "approve"})

    assert refused.status_code == 400
    assert ITEM9_NOT_ACKNOWLEDGED in refused.text
    assert f'action="{reverse("intake:alert_acknowledge", args=[alert.pk])}"' in refused.text
    assert "Acknowledge the alert" in refused.text
    assert not ScreeningDetermination.objects.exists()

    acknowledged = clinician.post(
        reverse("intake:alert_acknowledge", args=[alert.pk]),
        {
            f"alert-{alert.pk}-note": "Called patient, safety plan reviewed",
            "next": detail_url(screening),
        },
    )

    assert acknowledged["Location"] == detail_url(screening)
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician_user
    page = clinician.get(detail_url(screening)).text
    assert "Acknowledge the alert" not in page
    signed = clinician.post(sign_url(screening), {"decision": "approve"})
    assert flash(signed)[-1] == "Signed: approved for treatment."
    assert ScreeningDetermination.objects.get().decision == "approve"


def test_an_empty_acknowledgement_from_the_screening_returns_to_it_with_the_reason(
    clinician, thoughts_of_self_harm
):
    alert = ClinicalAlert.objects.get(patient=thoughts_of_self_harm.patient)

    response = clinician.post(
        reverse("intake:alert_acknowledge", args=[alert.pk]),
        {f"alert-{alert.pk}-note": " ", "next": detail_url(thoughts_of_self_harm)},
    )

    assert response["Location"] == detail_url(thoughts_of_self_harm)
    assert flash(response) == [
        "The alert was not acknowledged: Write a short note of what was done."
    ]
    alert.refresh_from_db()
    assert alert.acknowledged_at is None


def test_declining_or_asking_for_more_is_not_held_by_the_item9_alert(
    clinician_user, thoughts_of_self_harm
):
    determination = screening_determine(
        screening=thoughts_of_self_harm,
        decision="more_info",
        info_request="Ask about the self-harm answer.",
        info_route="front_desk",
        signed_by=clinician_user,
    )

    assert determination.decision == "more_info"


def test_a_signed_screening_shows_the_rules_suggestion_apart_from_the_outcome(
    clinician, clinician_user, front_desk_user
):
    screening = screened(front_desk_user)  # needs review: no assessment findings yet
    screening_determine(screening=screening, decision="approve", signed_by=clinician_user)

    page = clinician.get(detail_url(screening)).text

    assert re.search(r"Outcome: <span[^>]*>Approved</span>", page)
    assert "Rules suggested: Needs clinician review" in page
    assert "Status:" not in page
    assert "Record findings" not in page
    assert f'action="{findings_url(screening)}"' not in page


def test_findings_posted_to_a_signed_screening_are_refused(
    clinician, clinician_user, not_a_candidate
):
    screening_determine(
        screening=not_a_candidate, decision="decline", reason="Psychosis", signed_by=clinician_user
    )

    response = clinician.post(findings_url(not_a_candidate), {"systolic": "120", "diastolic": "80"})

    assert response["Location"] == detail_url(not_a_candidate)
    assert "signed or replaced" in flash(response)[0]
    assert Screening.objects.filter(patient=not_a_candidate.patient).count() == 1


def test_an_undecided_screening_says_the_rules_suggest_it(clinician, not_a_candidate):
    page = clinician.get(detail_url(not_a_candidate)).text

    assert re.search(r"Rules suggested: <span[^>]*>Not a candidate</span>", page)
    assert "Status: <span" in page
    assert f'action="{findings_url(not_a_candidate)}"' in page


def test_history_lists_the_older_screenings_with_their_determinations(
    clinician, clinician_user, not_a_candidate
):
    screening_determine(
        screening=not_a_candidate,
        decision="more_info",
        info_request="Ask about the 2009 episode.",
        info_route="front_desk",
        signed_by=clinician_user,
    )
    newer = screening_run(intake=not_a_candidate.intake)

    page = clinician.get(detail_url(newer)).content.decode()

    history = page[page.index("Other screenings of this patient") :]
    assert f'href="{detail_url(not_a_candidate)}"' in history
    assert "Request more information" in history
    assert RULESET_VERSION in history


def test_an_override_can_be_found_in_the_admin_audit_trail(
    client, clinician_user, admin_user, not_a_candidate, front_desk_user
):
    from tests.conftest import sign_in

    override = screening_determine(
        screening=not_a_candidate,
        decision="approve",
        override_justification=JUSTIFICATION,
        signed_by=clinician_user,
    )
    plain = screened(front_desk_user)
    screening_determine(screening=plain, decision="approve", signed_by=clinician_user)
    admin = sign_in(client, admin_user)

    response = admin.get(AUDIT_URL, {"override": "yes"})

    assert response.status_code == 200
    assert "Overrides only" in response.text
    shown = list(response.context["cl"].result_list)
    assert [entry.object_pk for entry in shown] == [str(override.pk)]
    assert shown[0].additional_data["override"] is True


# --- Rules ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["clinician", "clinic_admin"])
def test_the_rule_list_shows_every_rule_and_the_thresholds(db, request, persona):
    page = request.getfixturevalue(persona).get(RULES_URL).content.decode()

    assert RULESET_VERSION in page
    for rule in RULES:
        assert f"<code>{rule.id}</code>" in page
    assert "History of psychosis or schizophrenia" in page
    assert "Relative contraindication" in page
    assert "at or above 180/110 mmHg" in page
    assert "aged 12 to 55" in page
    not_a_candidate = page.index("Leading to")
    assert page.index("<code>psychosis</code>") > not_a_candidate
    assert page.index("<code>psychosis</code>") < page.index("<code>mania</code>")


def test_the_rules_page_quotes_the_clinics_settings(clinician, settings):
    settings.CLINIC_MIN_AGE = 21
    settings.CLINIC_BP_GATE_SYSTOLIC, settings.CLINIC_BP_GATE_DIASTOLIC = 150, 95
    settings.CLINIC_BP_SEVERE_SYSTOLIC, settings.CLINIC_BP_SEVERE_DIASTOLIC = 170, 105
    settings.CLINIC_SCREENING_PULSE_LOW, settings.CLINIC_SCREENING_PULSE_HIGH = 45, 120
    settings.CLINIC_SCREENING_BMI_REVIEW = 45.0

    page = clinician.get(RULES_URL).content.decode()

    assert "Younger than 21, the clinic&#x27;s minimum age" in page
    assert "Blood pressure above 150/95 at assessment" in page
    assert "blood pressure at or above 170/105 at assessment" in page
    assert "Pulse outside 45-120 at assessment" in page
    assert "BMI 45 or more" in page
    assert "above 150/95 mmHg" in page  # the thresholds list
    assert "at or above 170/105 mmHg" in page
    assert "140/90" not in page
    assert "180/110" not in page


def test_the_clinic_admin_reaches_the_rules_from_the_admin(clinic_admin):
    page = clinic_admin.get(reverse("admin:index")).content.decode()

    assert f'href="{RULES_URL}"' in page


# --- Who may see what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["front_desk", "clinic_admin", "outsider"])
def test_only_clinicians_see_the_worklist_and_screenings(db, request, persona, not_a_candidate):
    client = request.getfixturevalue(persona)

    for url in (WORKLIST_URL, detail_url(not_a_candidate)):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "You don't have access to this page" in response.text
    assert client.post(sign_url(not_a_candidate), {"decision": "approve"}).status_code == 403
    assert not ScreeningDetermination.objects.exists()


@pytest.mark.parametrize("persona", ["front_desk", "outsider"])
def test_the_rules_are_for_clinicians_and_clinic_admins(db, request, persona):
    assert request.getfixturevalue(persona).get(RULES_URL).status_code == 403


def test_the_front_desk_sees_the_status_but_never_the_reasons(
    front_desk, clinician_user, not_a_candidate
):
    pending = front_desk.get(patient_url(not_a_candidate.patient)).content.decode()
    assert "Pending review</span>" in pending

    screening_determine(
        screening=not_a_candidate,
        decision="approve",
        override_justification=JUSTIFICATION,
        signed_by=clinician_user,
    )
    page = front_desk.get(patient_url(not_a_candidate.patient)).content.decode()

    card = page[page.index('id="panel-treatments-screening"') :]
    assert "Approved</span>" in card
    for clinical in (
        PSYCHOSIS_EVIDENCE,
        "psychosis",
        "Not a candidate",
        "Absolute contraindication",
        JUSTIFICATION,
        "Override",
        detail_url(not_a_candidate),
    ):
        assert clinical not in page, clinical


def test_the_clinician_sees_the_result_on_the_patient_page(clinician, not_a_candidate):
    page = clinician.get(patient_url(not_a_candidate.patient)).content.decode()

    card = page[page.index('id="panel-treatments-screening"') :]
    assert "Pending review</span>" in card
    assert "Not a candidate" in card
    assert f'href="{detail_url(not_a_candidate)}"' in card


def test_a_patient_without_a_screening_says_so(front_desk, patient):
    page = front_desk.get(patient_url(patient)).content.decode()

    assert "Not screened yet" in page


# --- Tasks ----------------------------------------------------------------------------------


@pytest.fixture
def front_desk_task(clinician_user, not_a_candidate) -> StaffTask:
    screening_determine(
        screening=not_a_candidate,
        decision="more_info",
        info_request="Ask her to send the discharge letter from 2009.",
        info_route="front_desk",
        signed_by=clinician_user,
    )
    return StaffTask.objects.get()


def test_the_front_desk_does_a_task_and_the_clinician_sees_the_outcome(
    client, front_desk, front_desk_task, not_a_candidate, clinician_user
):
    from tests.conftest import sign_in

    page = front_desk.get(TASKS_URL).content.decode()
    assert "Contact the patient: the clinician needs more information" in page
    assert "Ask her to send the discharge letter from 2009." in page
    assert (
        "More information needed</span>"
        in front_desk.get(patient_url(not_a_candidate.patient)).content.decode()
    )

    done_url = reverse("treatments:task_done", args=[front_desk_task.pk])
    refused = front_desk.post(done_url, {f"task-{front_desk_task.pk}-outcome": "  "})
    assert refused.status_code == 400
    assert "Write a short note of what was done." in refused.text

    response = front_desk.post(
        done_url, {f"task-{front_desk_task.pk}-outcome": "Called; letter on its way by fax"}
    )

    assert response["Location"] == TASKS_URL
    page = front_desk.get(TASKS_URL).content.decode()
    assert "No open tasks." in page
    assert "Called; letter on its way by fax" in page
    clinician = sign_in(client, clinician_user)
    screening_page = clinician.get(detail_url(not_a_candidate)).content.decode()
    assert "Called; letter on its way by fax" in screening_page


def test_the_task_list_shows_no_clinical_reasons(front_desk, front_desk_task):
    page = front_desk.get(TASKS_URL).content.decode()

    assert "psychosis" not in page.lower()
    assert "Not a candidate" not in page


def test_a_clinician_cannot_close_the_front_desks_tasks(clinician, front_desk_task):
    response = clinician.post(
        reverse("treatments:task_done", args=[front_desk_task.pk]),
        {f"task-{front_desk_task.pk}-outcome": "Done"},
    )

    assert response.status_code == 404
    front_desk_task.refresh_from_db()
    assert front_desk_task.status == StaffTask.Status.OPEN


@pytest.mark.parametrize("how_many", [2, 50])
def test_the_task_list_query_count_is_constant(
    front_desk, clinician_user, front_desk_user, django_assert_num_queries, how_many
):
    from treatments.services.screening import task_complete, task_create

    for number in range(how_many):
        task = task_create(
            patient=screening_row(result=Result.ELIGIBLE).patient,
            role=StaffTask.Role.FRONT_DESK,
            title="Call the patient about their consultation",
            created_by=clinician_user,
        )
        if number % 2:
            task_complete(task=task, user=front_desk_user, outcome="Called")
    front_desk.get(TASKS_URL)  # warm-up

    # session, user, TOTP device, roles, how many are open, the first 20 open with patients
    # and authors, the latest done with patients and who did them
    with django_assert_num_queries(7):
        response = front_desk.get(TASKS_URL)

    assert response.text.count("Mark done<span") == min(how_many - how_many // 2, 20)
    assert response.text.count("<td>Called</td>") == min(how_many // 2, 20)


TASK_TITLE = re.compile(r'<h3 class="h5" id="task-\d+-title">([^<]+)</h3>')


def open_task_titles(response) -> list[str]:
    return TASK_TITLE.findall(response.content.decode())


def done_task_titles(response) -> list[str]:
    page = response.content.decode()
    done = page[page.index('id="done-heading"') :]
    return re.findall(r'text-body-secondary">[^<]*</span></td>\s*<td>([^<]+)</td>', done)


def tasks_due_hourly(how_many: int, *, role=StaffTask.Role.FRONT_DESK) -> list[StaffTask]:
    """Open tasks "Call 00", "Call 01", ..., due an hour apart, made latest due first (so that
    the list's order is the due time's, not the order they were made in)."""
    now = timezone.now()
    tasks = [
        StaffTask.objects.create(
            patient=PatientFactory(),
            role=role,
            title=f"Call {number:02d}",
            due_at=now + timedelta(hours=number),
        )
        for number in reversed(range(how_many))
    ]
    return tasks[::-1]


def test_the_task_list_shows_twenty_open_tasks_soonest_due_first_and_how_many_more(front_desk):
    tasks_due_hourly(25)

    page = front_desk.get(TASKS_URL)

    assert open_task_titles(page) == [f"Call {number:02d}" for number in range(20)]
    assert "Open (25)" in page.text
    assert '<nav aria-label="More open tasks"' in page.text
    assert f'href="{TASKS_URL}?open=40#open">Show 5 more open tasks</a>' in page.text

    more = front_desk.get(TASKS_URL, {"open": 40})

    assert open_task_titles(more) == [f"Call {number:02d}" for number in range(25)]
    assert "Show 5 more" not in more.text


def test_a_task_done_past_the_first_twenty_comes_back_to_the_same_rows(front_desk):
    tasks = tasks_due_hourly(25)
    late = tasks[22]
    done_url = reverse("treatments:task_done", args=[late.pk])
    page = front_desk.get(TASKS_URL, {"open": 40}).content.decode()
    assert f'action="{done_url}?open=40"' in page

    refused = front_desk.post(f"{done_url}?open=40", {f"task-{late.pk}-outcome": " "})

    assert refused.status_code == 400
    assert open_task_titles(refused) == [f"Call {number:02d}" for number in range(25)]
    row = refused.text[refused.text.index("Call 22</h3>") :]
    assert "Write a short note of what was done." in row[: row.index("</article>")]

    response = front_desk.post(f"{done_url}?open=40", {f"task-{late.pk}-outcome": "Called"})

    assert response["Location"] == f"{TASKS_URL}?open=40"
    after = front_desk.get(response["Location"])
    assert "Call 22" not in open_task_titles(after)
    assert len(open_task_titles(after)) == 24
    assert "Open (24)" in after.text


def test_a_refused_task_not_among_those_shown_says_why(front_desk):
    late = tasks_due_hourly(25)[22]

    refused = front_desk.post(
        reverse("treatments:task_done", args=[late.pk]), {f"task-{late.pk}-outcome": ""}
    )

    assert refused.status_code == 400
    assert flash(refused) == ["The task was not marked done: Write a short note of what was done."]
    late.refresh_from_db()
    assert late.status == StaffTask.Status.OPEN


def test_recently_done_lists_the_latest_twenty_newest_first(front_desk, front_desk_user):
    now = timezone.now()
    for number in range(25):
        StaffTask.objects.create(
            patient=PatientFactory(),
            role=StaffTask.Role.FRONT_DESK,
            title=f"Called {number:02d}",
            status=StaffTask.Status.DONE,
            completed_at=now - timedelta(minutes=number),
            completed_by=front_desk_user,
            outcome="Reached",
        )

    page = front_desk.get(TASKS_URL)

    assert done_task_titles(page) == [f"Called {number:02d}" for number in range(20)]


def test_someone_in_both_roles_sees_both_lists_in_one_order(db, client):
    from django.contrib.auth.models import Group

    from clinic.roles import CLINICIAN
    from tests.conftest import sign_in
    from tests.factories import UserFactory

    both = UserFactory(username="pat", role="Front desk")
    both.groups.add(Group.objects.get(name=CLINICIAN))
    desk = tasks_due_hourly(22)
    clinical = tasks_due_hourly(3, role=StaffTask.Role.CLINICIAN)
    for number, task in enumerate(clinical):
        task.title = f"Review {number}"
        task.due_at = desk[number * 2].due_at + timedelta(minutes=30)
        task.save(update_fields=["title", "due_at"])
    now = timezone.now()
    for number, task in enumerate([*desk[20:], clinical[2]]):
        task.status, task.completed_at = StaffTask.Status.DONE, now - timedelta(minutes=number)
        task.completed_by, task.outcome = both, "Done"
        task.save()

    page = sign_in(client, both).get(TASKS_URL)

    assert open_task_titles(page) == [
        *("Call 00", "Review 0", "Call 01", "Call 02", "Review 1"),
        *(f"Call {number:02d}" for number in range(3, 18)),
    ]
    assert "Open (22)" in page.text
    assert "· Clinician" in page.text and "· Front desk" in page.text
    assert done_task_titles(page) == ["Call 20", "Call 21", "Review 2"]


# --- Home panels ----------------------------------------------------------------------------


def test_the_clinician_home_counts_screenings_to_review(clinician):
    screening_row(result=Result.NOT_A_CANDIDATE)
    screening_row(result=Result.NOT_A_CANDIDATE)
    screening_row(result=Result.ELIGIBLE)

    page = clinician.get(reverse("home")).content.decode()

    panel = page[page.index(">Screenings to review</h2>") :]
    panel = panel[: panel.index("</section>")]
    assert re.search(r">Not a candidate</a>\s*<span[^>]*>2</span>", panel)
    assert re.search(r">Needs clinician review</a>\s*<span[^>]*>0</span>", panel)
    assert re.search(r">Eligible</a>\s*<span[^>]*>1</span>", panel)
    assert f'href="{WORKLIST_URL}"' in panel


def test_the_front_desk_home_counts_open_tasks(front_desk, front_desk_task):
    page = front_desk.get(reverse("home")).content.decode()

    panel = page[page.index(">Tasks</h2>") :]
    assert re.search(r">Open tasks</a>\s*<span[^>]*>1</span>", panel)
    assert "Screenings to review" not in page


@pytest.mark.parametrize("older", [1, 8])
def test_the_screening_page_costs_the_same_however_long_the_history(
    clinician, clinician_user, not_a_candidate, django_assert_num_queries, older
):
    for _ in range(older):
        previous = Screening.objects.get(patient=not_a_candidate.patient, is_current=True)
        screening_determine(
            screening=previous, decision="decline", reason="Psychosis", signed_by=clinician_user
        )
        screening_run(intake=not_a_candidate.intake)
    current = Screening.objects.get(patient=not_a_candidate.patient, is_current=True)
    clinician.get(detail_url(current))  # warm-up

    # session, user, TOTP device, roles, the screening with its patient, findings and
    # determination, the ACCESS audit entry, the history with determinations and signers, the
    # latest weight and height in one query (no findings recorded: the BMI comes from the record),
    # the patient's unacknowledged item 9 alerts (approving waits for them)
    with django_assert_num_queries(9):
        response = clinician.get(detail_url(current))

    assert response.text.count("Decline, ") == older
