"""The staff follow-up worklist: escalations first, the front desk's own tasks without clinical
details, phone calls that close or keep a task, survey reviews, and the home and patient cards."""

import re
from datetime import timedelta

import pytest
import time_machine
from auditlog.models import LogEntry
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape

from clinic import home
from followups import home_panels, patient_panels
from followups.models import FollowUpCall, Survey
from followups.selectors import SECTION_MAX, SECTION_PAGE
from followups.services.worklist import survey_review
from intake import patient_panels as patient_panel_registry
from intake.models import ClinicalAlert
from tests.factories import PatientFactory
from treatments.models import StaffTask

from .worklist_data import NOON, TaskKind, answered_survey, followup_task, many_followup_tasks

WORKLIST_URL = reverse("followups:worklist")
MILD_GAD7 = [1, 1, 1, 1, 1, 1, 0]  # 6, Mild
SEVERE_GAD7 = [3, 3, 3, 3, 3, 2, 2]  # 19, Severe


@pytest.fixture(autouse=True)
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


def section(page: str, slug: str) -> str:
    """The HTML of one worklist section, from its heading to the end of the section."""
    start = page.index(f'id="{slug}-heading"')
    return page[start : page.index("</section>", start)]


def call_url(task: StaffTask) -> str:
    return reverse("followups:call_log", args=[task.pk])


def survey_url(survey: Survey) -> str:
    return reverse("followups:survey_detail", args=[survey.pk])


def rows_of(page: str, slug: str) -> int:
    return section(page, slug).count("<tr>") - 1  # less the heading row


# --- What each role sees ------------------------------------------------------------------------


def test_escalated_surveys_come_first_with_their_reasons(clinician, clinician_user):
    calm = answered_survey(
        by=clinician_user,
        patient=PatientFactory(legal_last_name="Calm"),
        completed_at=NOON - timedelta(hours=3),
        gad7=MILD_GAD7,
    )
    worried = answered_survey(
        by=clinician_user,
        patient=PatientFactory(legal_last_name="Worried"),
        completed_at=NOON - timedelta(minutes=30),
        escalations=("item9", "gad7_worse"),
        gad7=SEVERE_GAD7,
        safety_answer=2,
    )

    page = clinician.get(WORKLIST_URL).content.decode()

    escalations = section(page, "escalations")
    assert worried.patient.full_name in escalations
    assert "Thoughts of self-harm" in escalations
    assert "GAD-7 worse than before treatment" in escalations
    assert calm.patient.full_name not in escalations
    assert calm.patient.full_name in section(page, "due-today")
    assert page.index(worried.patient.full_name) < page.index(calm.patient.full_name)
    assert "GAD-7 19 (Severe)" in escalations


def test_the_front_desk_sees_its_own_tasks_and_nothing_clinical(
    front_desk, clinician_user, patient
):
    front_desk_task = followup_task(patient=patient)
    clinician_task = followup_task(
        patient=PatientFactory(legal_last_name="Maintenance"), kind=TaskKind.MAINTENANCE_REVIEW
    )
    escalated = answered_survey(
        by=clinician_user,
        patient=PatientFactory(legal_last_name="Escalated"),
        escalations=("item9",),
        gad7=SEVERE_GAD7,
    )

    response = front_desk.get(WORKLIST_URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert front_desk_task.title in section(page, "due-today")
    assert patient.full_name in page
    assert clinician_task.patient.full_name not in page
    assert escalated.patient.full_name not in page
    for clinical in ("Escalations", "GAD-7", "PHQ-9", "Thoughts of self-harm", "Severe"):
        assert clinical not in page
    assert "Front-desk tasks" not in page  # no switch to the clinicians' list
    asked_for_clinicians = front_desk.get(WORKLIST_URL, {"tasks": "clinician"}).content.decode()
    assert clinician_task.patient.full_name not in asked_for_clinicians
    assert escalated.patient.full_name not in asked_for_clinicians


def test_the_front_desk_cannot_open_a_survey(front_desk, clinician_user):
    survey = answered_survey(by=clinician_user, escalations=("item9",), gad7=SEVERE_GAD7)

    response = front_desk.get(survey_url(survey))

    assert response.status_code == 403
    assert "GAD-7" not in response.content.decode()


def test_a_clinician_can_switch_to_the_front_desk_tasks(clinician, patient):
    task = followup_task(patient=patient)

    own = clinician.get(WORKLIST_URL).content.decode()
    front_desks = clinician.get(WORKLIST_URL, {"tasks": "front_desk"}).content.decode()

    assert patient.full_name not in own
    assert patient.full_name in section(front_desks, "due-today")
    assert task.title in front_desks
    assert 'aria-current="page">Front-desk tasks' in front_desks


def test_tasks_are_due_today_overdue_or_not_yet_shown(front_desk):
    today = followup_task(patient=PatientFactory(legal_last_name="Today"), due_at=NOON)
    late = followup_task(
        patient=PatientFactory(legal_last_name="Yesterday"), due_at=NOON - timedelta(days=1)
    )
    # Late tonight in the clinic's zone is still today (it is tomorrow in UTC).
    tonight = followup_task(
        patient=PatientFactory(legal_last_name="Tonight"),
        due_at=NOON.replace(hour=23, minute=30),
    )
    tomorrow = followup_task(
        patient=PatientFactory(legal_last_name="Tomorrow"), due_at=NOON + timedelta(days=1)
    )

    page = front_desk.get(WORKLIST_URL).content.decode()

    assert today.patient.full_name in section(page, "due-today")
    assert tonight.patient.full_name in section(page, "due-today")
    assert late.patient.full_name in section(page, "overdue")
    assert late.patient.full_name not in section(page, "due-today")
    assert tomorrow.patient.full_name not in page


def test_a_survey_answered_before_today_and_not_reviewed_is_overdue(clinician, clinician_user):
    survey = answered_survey(by=clinician_user, completed_at=NOON - timedelta(days=2))

    page = clinician.get(WORKLIST_URL).content.decode()

    assert survey.patient.full_name in section(page, "overdue")


# --- Phone calls --------------------------------------------------------------------------------


def test_reaching_the_patient_closes_the_task(front_desk, front_desk_user, patient):
    task = followup_task(patient=patient)

    response = front_desk.post(
        call_url(task), {"outcome": "reached", "note": "Feeling better, no side effects"}
    )

    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == StaffTask.Status.DONE
    assert task.completed_by == front_desk_user
    assert "Feeling better" in task.outcome
    [call] = FollowUpCall.objects.filter(task=task)
    assert call.outcome == FollowUpCall.Outcome.REACHED
    page = front_desk.get(WORKLIST_URL).content.decode()
    assert patient.full_name in section(page, "done")
    assert patient.full_name not in section(page, "due-today")


def test_a_voicemail_keeps_the_task_open_with_the_call_listed(front_desk, patient):
    task = followup_task(patient=patient)

    response = front_desk.post(call_url(task), {"outcome": "voicemail", "note": ""}, follow=True)

    assert "stays open" in response.content.decode()
    task.refresh_from_db()
    assert task.status == StaffTask.Status.OPEN
    due_today = section(response.content.decode(), "due-today")
    assert patient.full_name in due_today
    assert "Left a voicemail" in due_today


def test_reaching_the_patient_needs_a_note(front_desk, patient):
    task = followup_task(patient=patient)

    response = front_desk.post(call_url(task), {"outcome": "reached", "note": "  "})

    assert response.status_code == 400
    assert "Write what the patient said." in response.content.decode()
    task.refresh_from_db()
    assert task.status == StaffTask.Status.OPEN
    assert not FollowUpCall.objects.exists()


def test_the_call_page_groups_the_outcomes_under_a_legend(front_desk, patient):
    task = followup_task(patient=patient)

    page = front_desk.get(call_url(task)).content.decode()

    fieldset = page[page.index("<fieldset") : page.index("</fieldset>")]
    assert "<legend" in fieldset
    assert fieldset.count('type="radio"') == len(FollowUpCall.Outcome.choices)
    assert LogEntry.objects.filter(action=LogEntry.Action.ACCESS).exists()


def test_the_front_desk_cannot_log_a_call_for_a_clinician_task(front_desk):
    task = followup_task(kind=TaskKind.MAINTENANCE_REVIEW)

    response = front_desk.post(call_url(task), {"outcome": "reached", "note": "Spoke"})

    assert response.status_code == 404
    assert not FollowUpCall.objects.exists()


def test_marking_a_task_done_needs_what_was_done(front_desk, patient):
    task = followup_task(patient=patient, kind=TaskKind.INTEGRATION_BOOKING)
    url = reverse("followups:task_done", args=[task.pk])

    refused = front_desk.post(url, {f"task-{task.pk}-outcome": " "})
    done = front_desk.post(url, {f"task-{task.pk}-outcome": "Booked for Tuesday 10:00"})

    assert refused.status_code == 400
    assert "Write a short note of what was done." in refused.content.decode()
    assert done.status_code == 302
    task.refresh_from_db()
    assert task.status == StaffTask.Status.DONE
    assert task.outcome == "Booked for Tuesday 10:00"


# --- Reviewing a survey -------------------------------------------------------------------------


def test_the_survey_page_puts_the_escalation_first_and_shows_the_scores(clinician, clinician_user):
    survey = answered_survey(
        by=clinician_user,
        escalations=("severe_side_effect",),
        gad7=SEVERE_GAD7,
        side_effects=[{"effect": "nausea", "severity": "severe"}],
    )

    page = clinician.get(survey_url(survey)).content.decode()

    assert page.index("Severe side effect reported") < page.index("Answers")
    assert "19 (Severe)" in page
    assert "Nausea" in page
    entry = LogEntry.objects.get_for_object(survey).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == clinician_user
    assert entry.additional_data["patient_id"] == survey.patient_id


def test_an_escalated_survey_needs_a_review_note(clinician, clinician_user):
    survey = answered_survey(by=clinician_user, escalations=("item9",), safety_answer=1)
    alert = ClinicalAlert.objects.create(
        patient=survey.patient,
        kind=ClinicalAlert.Kind.PHQ9_ITEM9,
        source_kind="survey",
        source_id=survey.pk,
    )

    refused = clinician.post(survey_url(survey), {"note": ""})

    assert refused.status_code == 400
    assert "Write what you did about the escalation." in refused.content.decode()
    survey.refresh_from_db()
    assert survey.reviewed_at is None

    reviewed = clinician.post(survey_url(survey), {"note": "Called, safety plan reviewed"})

    assert reviewed.status_code == 302
    survey.refresh_from_db()
    assert survey.reviewed_by == clinician_user
    assert survey.review_note == "Called, safety plan reviewed"
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinician_user
    page = clinician.get(WORKLIST_URL).content.decode()
    assert survey.patient.full_name not in section(page, "escalations")
    assert survey.patient.full_name in section(page, "done")


def test_a_calm_survey_is_reviewed_without_a_note(clinician, clinician_user):
    survey = answered_survey(by=clinician_user, gad7=MILD_GAD7)

    response = clinician.post(survey_url(survey), {"note": ""})

    assert response.status_code == 302
    survey.refresh_from_db()
    assert survey.reviewed_at is not None


def test_a_second_review_is_refused_and_the_first_kept(clinician_user):
    survey = answered_survey(by=clinician_user, escalations=("phq9_worse",))
    survey_review(survey=survey, by=clinician_user, note="Phoned, plan unchanged")

    with pytest.raises(ValidationError):
        survey_review(survey=survey, by=clinician_user, note="Second look")

    survey.refresh_from_db()
    assert survey.review_note == "Phoned, plan unchanged"


# --- The home page and the patient page ---------------------------------------------------------


@pytest.fixture
def followup_cards():
    """The cards as ``FollowupsConfig.ready`` registers them, left as they were found."""
    had_home = "followups-worklist" in home._panels
    had_patient = "followups-surveys" in patient_panel_registry._panels
    home_panels.register()
    patient_panels.register()
    yield
    if not had_home:
        home.unregister_panel("followups-worklist")
    if not had_patient:
        patient_panel_registry.unregister("followups-surveys")


def test_the_home_panel_counts_escalations_due_and_overdue(
    followup_cards, clinician, clinician_user
):
    answered_survey(by=clinician_user, escalations=("item9",))
    answered_survey(by=clinician_user)
    followup_task(kind=TaskKind.MAINTENANCE_REVIEW, due_at=NOON - timedelta(days=3))

    page = clinician.get(reverse("home")).content.decode()

    panel = page[page.index(">Follow-ups</h2>") :]
    panel = panel[: panel.index("</section>")]
    assert re.search(r">Escalations</a>\s*<span[^>]*>1</span>", panel)
    assert re.search(r">Due today</a>\s*<span[^>]*>1</span>", panel)
    assert re.search(r">Overdue</a>\s*<span[^>]*>1</span>", panel)
    assert "text-danger" in panel  # urgent


def test_the_patient_card_shows_scores_to_clinicians_only(
    followup_cards, clinician, front_desk_user, clinician_user, client
):
    survey = answered_survey(by=clinician_user, gad7=SEVERE_GAD7)
    url = reverse("intake:patient_detail", args=[survey.patient_id])

    clinician_page = clinician.get(url).content.decode()
    client.logout()
    from tests.conftest import sign_in

    front_desk_page = sign_in(client, front_desk_user).get(url).content.decode()

    log_url = reverse("followups:communication_log", args=[survey.patient_id])
    for page in (clinician_page, front_desk_page):
        assert ">Follow-ups</h2>" in page
        assert log_url in page
    assert "GAD-7 19 (Severe)" in clinician_page
    assert "GAD-7" not in front_desk_page.split(">Follow-ups</h2>")[1].split("</section>")[0]


# --- Long lists ---------------------------------------------------------------------------------


def test_a_long_section_shows_its_first_page_its_total_and_a_link_to_more(front_desk):
    overdue = many_followup_tasks(SECTION_PAGE + 5, first_due_at=NOON - timedelta(days=3))
    today = followup_task(patient=PatientFactory(legal_last_name="Today"), due_at=NOON)

    page = front_desk.get(WORKLIST_URL).content.decode()

    listed = section(page, "overdue")
    assert ">Overdue (25)</h2>" in listed
    assert rows_of(page, "overdue") == SECTION_PAGE
    assert call_url(overdue[0]) in listed  # oldest first
    assert call_url(overdue[SECTION_PAGE - 1]) in listed
    assert call_url(overdue[SECTION_PAGE]) not in listed
    more = f"{WORKLIST_URL}?tasks=front_desk&overdue=40#overdue"
    assert f'href="{escape(more)}">Show 5 more overdue follow-ups</a>' in listed
    assert today.patient.full_name in section(page, "due-today")
    assert "Show" not in section(page, "due-today")

    page = front_desk.get(more).content.decode()

    assert rows_of(page, "overdue") == SECTION_PAGE + 5
    assert call_url(overdue[-1]) in section(page, "overdue")
    assert "more overdue follow-ups" not in page


def test_showing_more_of_one_section_keeps_the_others_as_they_were(clinician):
    many_followup_tasks(SECTION_PAGE + 1, first_due_at=NOON - timedelta(days=3))
    many_followup_tasks(SECTION_PAGE + 1, first_due_at=NOON - timedelta(hours=3))

    page = clinician.get(WORKLIST_URL, {"tasks": "front_desk", "overdue": "40"}).content.decode()

    assert rows_of(page, "overdue") == SECTION_PAGE + 1
    assert rows_of(page, "due-today") == SECTION_PAGE
    more = f"{WORKLIST_URL}?tasks=front_desk&due-today=40&overdue=40#due-today"
    assert f'href="{escape(more)}">Show 1 more follow-up due today</a>' in page
    assert ">Due today (21)</h2>" in page


@pytest.mark.parametrize(
    ("asked", "shown"),
    [
        *[(bad, SECTION_PAGE) for bad in ("", "abc", "30", "-20", "0", "2e1", " 40")],
        ("40", 40),
        ("1000", 45),  # SECTION_MAX at most: all 45 here
    ],
)
def test_a_section_grows_by_whole_pages_and_anything_else_is_the_first_page(
    front_desk, asked, shown
):
    many_followup_tasks(45, first_due_at=NOON - timedelta(days=3))

    page = front_desk.get(WORKLIST_URL, {"overdue": asked}).content.decode()

    assert rows_of(page, "overdue") == shown
    assert ">Overdue (45)</h2>" in page


def test_at_its_most_a_section_says_how_many_it_leaves_out(front_desk):
    many_followup_tasks(SECTION_MAX + 1, first_due_at=NOON - timedelta(days=30))
    today = followup_task(patient=PatientFactory(legal_last_name="Today"), due_at=NOON)

    first_page = front_desk.get(WORKLIST_URL).content.decode()
    most = front_desk.get(WORKLIST_URL, {"overdue": str(SECTION_MAX * 3)}).content.decode()

    # More than a page overdue leaves the tasks due today in sight (they were once crowded out).
    assert today.patient.full_name in section(first_page, "due-today")
    assert ">Overdue (501)</h2>" in first_page
    assert "Show 20 more overdue follow-ups</a>" in section(first_page, "overdue")
    assert rows_of(most, "overdue") == SECTION_MAX
    assert "Showing the first 500 of 501, oldest first" in section(most, "overdue")
    assert "more overdue follow-ups" not in most
    assert today.patient.full_name in section(most, "due-today")


def test_an_escalated_survey_is_listed_however_many_calm_ones_are_older(clinician, clinician_user):
    calm = PatientFactory(legal_last_name="Calm")
    for hours in range(SECTION_PAGE + 1):
        answered_survey(
            by=clinician_user, patient=calm, completed_at=NOON - timedelta(days=2, hours=hours)
        )
    worried = answered_survey(
        by=clinician_user,
        patient=PatientFactory(legal_last_name="Worried"),
        escalations=("item9",),
        gad7=SEVERE_GAD7,
    )

    page = clinician.get(WORKLIST_URL).content.decode()

    escalations = section(page, "escalations")
    assert ">Escalations (1)</h2>" in escalations
    assert worried.patient.full_name in escalations
    assert "GAD-7 19 (Severe)" in escalations
    assert ">Overdue (21)</h2>" in page
    assert "Show 1 more overdue follow-up</a>" in section(page, "overdue")


def test_tasks_and_surveys_share_a_section_in_time_order(clinician, clinician_user):
    start = NOON - timedelta(days=3)
    tasks = many_followup_tasks(15, first_due_at=start, role=StaffTask.Role.CLINICIAN)
    for task, hours in zip(tasks, range(0, 30, 2), strict=True):
        task.due_at = start + timedelta(hours=hours)
        task.save(update_fields=["due_at"])
    surveys = [
        answered_survey(by=clinician_user, completed_at=start + timedelta(hours=hours + 1))
        for hours in range(0, 30, 2)
    ]

    overdue = section(clinician.get(WORKLIST_URL).content.decode(), "overdue")

    assert ">Overdue (30)</h2>" in overdue
    # Interleaved task, survey, task...: the first 20 are the first 10 of each.
    for shown in (tasks[0], tasks[9]):
        assert call_url(shown) in overdue
    for shown in (surveys[0], surveys[9]):
        assert survey_url(shown) in overdue
    assert call_url(tasks[10]) not in overdue
    assert survey_url(surveys[10]) not in overdue
    assert overdue.index(call_url(tasks[0])) < overdue.index(survey_url(surveys[0]))
    assert overdue.index(survey_url(surveys[0])) < overdue.index(call_url(tasks[1]))


def test_marking_a_task_done_further_down_comes_back_to_the_same_rows(front_desk):
    tasks = many_followup_tasks(SECTION_PAGE + 5, first_due_at=NOON - timedelta(days=3))
    last = tasks[-1]
    shown = "?tasks=front_desk&overdue=40"
    done_url = reverse("followups:task_done", args=[last.pk]) + shown
    page = front_desk.get(WORKLIST_URL + shown).content.decode()
    assert f'action="{escape(done_url)}"' in page

    refused = front_desk.post(done_url, {f"task-{last.pk}-outcome": " "})

    assert refused.status_code == 400
    assert "Write a short note of what was done." in section(refused.content.decode(), "overdue")

    done = front_desk.post(done_url, {f"task-{last.pk}-outcome": "Spoke with the patient"})

    assert done.status_code == 302
    assert done.url == WORKLIST_URL + shown


def test_a_refused_task_not_on_the_page_says_why(front_desk):
    tasks = many_followup_tasks(SECTION_PAGE + 5, first_due_at=NOON - timedelta(days=3))
    last = tasks[-1]

    refused = front_desk.post(
        reverse("followups:task_done", args=[last.pk]), {f"task-{last.pk}-outcome": " "}
    )

    assert refused.status_code == 400
    assert "The task was not marked done: Write a short note" in refused.content.decode()
    assert call_url(last) not in refused.content.decode()


# --- Cost ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 5])
def test_the_clinician_worklist_costs_the_same_however_many_rows(
    clinician, clinician_user, django_assert_num_queries, rows
):
    for number in range(rows):
        answered_survey(by=clinician_user, escalations=("item9",), gad7=SEVERE_GAD7)
        answered_survey(by=clinician_user, gad7=MILD_GAD7)
        reviewed = answered_survey(by=clinician_user)
        survey_review(survey=reviewed, by=clinician_user, note="")
        task = followup_task(kind=TaskKind.MAINTENANCE_REVIEW, due_at=NOON - timedelta(days=1))
        FollowUpCall.objects.create(
            patient=task.patient,
            task=task,
            outcome=FollowUpCall.Outcome.NO_ANSWER,
            called_at=NOON - timedelta(hours=number + 1),
            called_by=clinician_user,
        )
    clinician.get(WORKLIST_URL)  # warm-up

    # session, user, TOTP device, roles; the counts of open tasks, tasks done, surveys to review
    # and surveys reviewed; the tasks due today and overdue with their patients, their calls
    # with who called, the tasks done; the surveys escalated, to review today, overdue and
    # reviewed, with their patients; the scores of the surveys shown
    with django_assert_num_queries(17):
        response = clinician.get(WORKLIST_URL)

    assert response.content.decode().count("Thoughts of self-harm") == rows


@pytest.mark.parametrize("rows", [1, 5, SECTION_PAGE + 5])
def test_the_front_desk_worklist_costs_the_same_however_many_rows(
    front_desk, front_desk_user, django_assert_num_queries, rows
):
    for _ in range(rows):
        followup_task()
        followup_task(due_at=NOON - timedelta(days=2))
        done = followup_task(kind=TaskKind.FOLLOWUP_BOOKING)
        done.status, done.completed_at, done.completed_by = "done", NOON, front_desk_user
        done.save()
    front_desk.get(WORKLIST_URL)  # warm-up

    # session, user, TOTP device, roles; the counts of open tasks and tasks done; the tasks due
    # today and overdue with their patients, their calls, the tasks done
    with django_assert_num_queries(10):
        response = front_desk.get(WORKLIST_URL)

    assert response.content.decode().count("Mark done<") == min(rows, SECTION_PAGE) * 2


@pytest.mark.parametrize("calls", [1, 5])
def test_the_call_page_costs_the_same_however_many_calls(
    front_desk, front_desk_user, django_assert_num_queries, calls
):
    task = followup_task()
    for number in range(calls):
        FollowUpCall.objects.create(
            patient=task.patient,
            task=task,
            outcome=FollowUpCall.Outcome.VOICEMAIL,
            called_at=NOON - timedelta(hours=number + 1),
            called_by=front_desk_user,
        )
    front_desk.get(call_url(task))  # warm-up

    # session, user, TOTP device, roles, the task with its patient, its calls with who called,
    # the ACCESS audit entry
    with django_assert_num_queries(7):
        response = front_desk.get(call_url(task))

    assert response.content.decode().count("<td>Left a voicemail</td>") == calls
