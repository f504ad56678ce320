"""After a session: check-in surveys at the clinic's offsets, re-sends of an unanswered one and
then a phone task, booking tasks, and what an answer escalates."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from clinic.notifications.sms import LocmemSMSBackend
from followups.models import OutboxEntry, Survey, SurveyLink
from followups.services.results import survey_results_record
from intake.models import Assessment, ClinicalAlert
from intake.services.questionnaires import token_digest
from tests.followups.outbox_data import CLINICAL_WORDS, clear_outboxes, sweep_at, texts_to
from tests.followups.surveys import completed_session_of
from tests.treatments.booking import CHICAGO, clinic_time
from tests.treatments.sessions import completed_session
from treatments.models import PlanVersion, StaffTask, TreatmentSession
from treatments.services.plans import plan_complete, plan_stop

pytestmark = [pytest.mark.clinic_day, pytest.mark.django_db]

Status = OutboxEntry.Status
NONE_GAD7 = [0] * 7
NONE_PHQ9 = [0] * 9


@pytest.fixture(autouse=True)
def _defaults(settings):
    settings.CLINIC_QUIET_HOURS = "21:00-08:00"
    settings.CLINIC_SURVEY_SCHEDULE = ["24h:checkin", "7d:scores", "14d:scores"]
    settings.CLINIC_SURVEY_RESENDS = 2
    settings.CLINIC_SURVEY_RESEND_HOURS = 24
    clear_outboxes()


def session_done_at(user, moment, **kwargs):
    """A session that started an hour before ``moment`` and was discharged at ``moment`` (the
    first infusion of an induction series of six)."""
    with time_machine.travel(moment, tick=False):
        return completed_session(by=user, starts_at=moment - timedelta(hours=1), **kwargs)


def maintenance_session_done_at(user, moment):
    """A maintenance session that started an hour before ``moment``, discharged at ``moment``."""
    with time_machine.travel(moment, tick=False):
        return completed_session_of(
            by=user, phase=PlanVersion.Phase.MAINTENANCE, starts_at=moment - timedelta(hours=1)
        )


def local(moment) -> str:
    return f"{moment.astimezone(CHICAGO):%a %d %b %H:%M}"


def test_a_completed_session_schedules_its_surveys_and_a_booking_task(clinician_user):
    session = maintenance_session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    surveys = list(Survey.objects.filter(session=session).order_by("due_at"))
    assert [(s.offset_label, s.content, local(s.due_at)) for s in surveys] == [
        ("24h", "checkin", "Tue 24 Nov 14:00"),
        ("7d", "scores", "Mon 30 Nov 14:00"),
        ("14d", "scores", "Mon 07 Dec 14:00"),
    ]
    task = OutboxEntry.objects.get(session=session, purpose=OutboxEntry.Purpose.TASK)
    assert (task.task_kind, local(task.due_at)) == ("integration", "Wed 25 Nov 14:00")


def test_a_late_session_s_24_hour_survey_waits_for_the_morning(clinician_user):
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 21, 30))
    survey = Survey.objects.get(session=session, offset_label="24h")
    assert local(survey.due_at) == "Wed 25 Nov 08:00"


def test_the_24_hour_survey_keeps_the_clock_time_when_the_clocks_go_back(clinician_user):
    session = session_done_at(clinician_user, clinic_time(2026, 10, 31, 15))
    survey = Survey.objects.get(session=session, offset_label="24h")
    assert local(survey.due_at) == "Sun 01 Nov 15:00"


def test_the_invitation_is_a_private_link_and_nothing_clinical(clinician_user):
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    report = sweep_at(clinic_time(2026, 11, 24, 14))
    assert report.sent == 1
    (text,) = texts_to(session.patient.mobile.as_e164)
    url = re.search(r"http\S+/s/(\S+)/", text)
    assert url, text
    # The words, not the link: its random token may hold "mg" or "phq".
    words = text.replace(url.group(0), "").lower()
    assert not [word for word in CLINICAL_WORDS if word in words]
    link = SurveyLink.objects.get()
    assert link.token_hash == token_digest(url.group(1))  # only the hash is stored
    survey = link.survey
    assert (survey.offset_label, survey.status) == ("24h", Survey.Status.INVITED)
    assert local(survey.expires_at) == "Sun 29 Nov 14:00"


def test_an_unanswered_survey_is_resent_twice_a_day_apart_then_becomes_a_phone_task(
    clinician_user,
):
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    number = session.patient.mobile.as_e164
    sweep_at(clinic_time(2026, 11, 24, 14))
    assert sweep_at(clinic_time(2026, 11, 25, 13, 59)).sent == 0
    sweep_at(clinic_time(2026, 11, 25, 14))
    sweep_at(clinic_time(2026, 11, 26, 14))
    texts = texts_to(number)
    assert len(texts) == 3
    assert texts[1].startswith("Lone Star Wellness: a reminder: we'd like to hear")
    assert not StaffTask.objects.filter(title__startswith="Phone follow-up").exists()
    report = sweep_at(clinic_time(2026, 11, 27, 14))
    assert report.tasks == 1
    phone = StaffTask.objects.get(title="Phone follow-up: survey not answered")
    assert (phone.role, phone.patient_id) == ("front_desk", session.patient_id)
    assert StaffTask.objects.filter(title="Book an integration appointment").exists()
    assert len(texts_to(number)) == 3  # no third re-send
    log = [
        (entry.description, entry.status)
        for entry in OutboxEntry.objects.filter(survey__offset_label="24h").order_by("due_at")
    ]
    assert log == [
        ("Check-in survey (24 hours after the session)", "sent"),
        ("Check-in survey, reminder 1", "sent"),
        ("Check-in survey, reminder 2", "sent"),
        ("Phone follow-up: survey not answered", "sent"),
    ]


def test_answering_stops_the_re_sends(clinician_user):
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    sweep_at(clinic_time(2026, 11, 24, 14))
    survey = Survey.objects.get(session=session, offset_label="24h")
    with time_machine.travel(clinic_time(2026, 11, 24, 18), tick=False):
        survey_results_record(
            survey=survey, gad7=NONE_GAD7, phq9=None, safety_answer=0, feeling=7, side_effects=[]
        )
    resend = OutboxEntry.objects.get(survey=survey, purpose="survey_resend")
    assert (resend.status, resend.cancel_reason) == (Status.CANCELLED, "The survey was answered")
    sweep_at(clinic_time(2026, 11, 27, 14))
    assert len(texts_to(session.patient.mobile.as_e164)) == 1
    assert not StaffTask.objects.filter(title__startswith="Phone follow-up").exists()


def test_a_patient_who_cannot_be_messaged_gets_a_phone_task_at_once(clinician_user):
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    patient = session.patient
    patient.consent_sms = patient.consent_email = False
    patient.save()
    sweep_at(clinic_time(2026, 11, 24, 14))
    sweep_at(clinic_time(2026, 11, 24, 14, 1))
    assert StaffTask.objects.filter(title__startswith="Phone follow-up", patient=patient).exists()
    assert LocmemSMSBackend.outbox == [] and mail.outbox == []


def test_the_last_session_of_an_induction_makes_booking_and_maintenance_review_tasks(
    clinician_user,
):
    with time_machine.travel(clinic_time(2026, 11, 23, 14), tick=False):
        from tests.treatments.sessions import booked_session

        session = booked_session(by=clinician_user, starts_at=clinic_time(2026, 11, 23, 13))
    version = session.plan_version
    version.sessions_planned = 1
    version.save()
    with time_machine.travel(clinic_time(2026, 11, 23, 14), tick=False):
        from tests.treatments import sessions as steps

        steps.checked_in(session, by=clinician_user)
        steps.pre_dose(session, by=clinician_user)
        steps.administered(session, by=clinician_user)
        steps.monitored(session, by=clinician_user)
        steps.discharged(session, by=clinician_user)
    sweep_at(clinic_time(2026, 11, 23, 14, 1))
    review = StaffTask.objects.get(title="Maintenance review due")
    assert review.role == "clinician"
    sweep_at(clinic_time(2026, 12, 7, 14))
    assert StaffTask.objects.filter(
        title="Book a follow-up appointment", role="front_desk"
    ).exists()


def _baseline(patient, instrument, total, when):
    Assessment.objects.create(
        patient=patient,
        instrument=instrument,
        answers=[],
        total=total,
        band="",
        taken_at=when,
        source_kind="intake",
        source_id=patient.pk,
    )


def _answer(survey, when, **answers):
    with time_machine.travel(when, tick=False):
        return survey_results_record(survey=survey, **answers)


def test_item_9_escalates_and_emails_clinicians(clinician_user, django_capture_on_commit_callbacks):
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    survey = Survey.objects.get(session=session, offset_label="24h")
    with django_capture_on_commit_callbacks(execute=True):
        answered = _answer(
            survey,
            clinic_time(2026, 11, 24, 15),
            gad7=None,
            checkin_anxiety=NONE_GAD7,
            phq9=None,
            safety_answer=1,
            feeling=3,
            side_effects=[],
        )
    assert answered.escalations == ["item9"]
    alert = ClinicalAlert.objects.get(source_kind="survey", source_id=survey.pk)
    assert (alert.kind, alert.urgent) == ("phq9_item9", True)
    assert [m.to for m in mail.outbox] == [[clinician_user.email]]
    assert (
        "Rivera" not in mail.outbox[0].body and str(answered.patient.mrn) not in mail.outbox[0].body
    )


def test_a_score_worse_than_before_treatment_and_a_severe_side_effect_escalate(clinician_user):
    session = maintenance_session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    _baseline(session.patient, "gad7", 8, clinic_time(2026, 11, 10, 9))
    _baseline(session.patient, "phq9", 10, clinic_time(2026, 11, 10, 9))
    survey = Survey.objects.get(session=session, offset_label="7d")
    answered = _answer(
        survey,
        clinic_time(2026, 11, 30, 15),
        gad7=[2, 2, 2, 2, 2, 2, 1],  # 13: 5 above the baseline of 8
        phq9=[1, 1, 1, 1, 1, 1, 1, 1, 0],  # 8: better than 10
        phq9_difficulty="somewhat",
        side_effects=[{"effect": "nausea", "severity": "severe"}],
    )
    assert answered.escalations == ["gad7_worse", "severe_side_effect"]
    kinds = set(ClinicalAlert.objects.filter(source_id=survey.pk).values_list("kind", "urgent"))
    assert kinds == {("score_worse", False), ("side_effect", False)}
    totals = dict(
        Assessment.objects.filter(source_kind="survey").values_list("instrument", "total")
    )
    assert totals == {"gad7": 13, "phq9": 8}


def test_one_point_short_of_the_threshold_does_not_escalate(clinician_user):
    session = maintenance_session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    _baseline(session.patient, "gad7", 8, clinic_time(2026, 11, 10, 9))
    survey = Survey.objects.get(session=session, offset_label="7d")
    answered = _answer(
        survey, clinic_time(2026, 11, 30, 15), gad7=[2, 2, 2, 2, 2, 2, 0], phq9=NONE_PHQ9,
        side_effects=[],
    )  # fmt: skip
    assert answered.escalations == []


def test_the_check_in_s_anxiety_since_the_treatment_is_never_compared_with_the_gad7(
    clinician_user,
):
    """Asked "since your treatment", the seven questions are not the GAD-7: however high,
    they raise no "GAD-7 worse" escalation and make no maintenance review."""
    session = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    _baseline(session.patient, "gad7", 8, clinic_time(2026, 11, 10, 9))
    survey = Survey.objects.get(session=session, offset_label="24h")
    answered = _answer(
        survey, clinic_time(2026, 11, 24, 15), gad7=None, checkin_anxiety=[3] * 7, phq9=None,
        safety_answer=0, feeling=2, side_effects=[],
    )  # fmt: skip
    assert answered.escalations == []
    assert not ClinicalAlert.objects.exists()
    assert not OutboxEntry.objects.filter(task_kind="maintenance").exists()
    stored = Assessment.objects.get(source_kind="survey", source_id=survey.pk)
    assert (stored.instrument, stored.total, stored.band) == ("anx_24h", 21, "")


def test_a_gad7_rising_back_from_the_best_score_makes_one_maintenance_review(clinician_user):
    session = maintenance_session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    _baseline(session.patient, "gad7", 15, clinic_time(2026, 11, 10, 9))
    day1, day7, day14 = Survey.objects.filter(session=session).order_by("due_at")
    # The check-in's 0 since the treatment is not a GAD-7: not the best score to rise from.
    _answer(day1, clinic_time(2026, 11, 24, 15), gad7=None, checkin_anxiety=[0] * 7, phq9=None,
            safety_answer=0, feeling=8, side_effects=[])  # fmt: skip
    _answer(day7, clinic_time(2026, 11, 30, 15), gad7=[1, 1, 1, 0, 0, 0, 0], phq9=NONE_PHQ9)
    assert not OutboxEntry.objects.filter(task_kind="maintenance").exists()
    _answer(day14, clinic_time(2026, 12, 7, 15), gad7=[2, 1, 1, 1, 1, 1, 1], phq9=NONE_PHQ9)
    sweep_at(clinic_time(2026, 12, 7, 15, 1))
    review = StaffTask.objects.get(title="Maintenance review due")
    assert review.role == "clinician"
    assert OutboxEntry.objects.filter(task_kind="maintenance").count() == 1


def test_only_discharge_schedules_the_follow_ups_timed_from_discharge(clinician_user):
    from tests.treatments import sessions as steps
    from tests.treatments.sessions import booked_session

    with time_machine.travel(clinic_time(2026, 11, 23, 10), tick=False):
        session = booked_session(by=clinician_user, starts_at=clinic_time(2026, 11, 23, 10))
        steps.checked_in(session, by=clinician_user)
    with time_machine.travel(clinic_time(2026, 11, 23, 10, 30), tick=False):
        steps.pre_dose(session, by=clinician_user)
        steps.administered(session, by=clinician_user)
        steps.monitored(session, by=clinician_user)
    assert not Survey.objects.filter(session=session).exists()
    assert not OutboxEntry.objects.filter(session=session, purpose="task").exists()
    with time_machine.travel(clinic_time(2026, 11, 23, 12, 15), tick=False):
        steps.discharged(session, by=clinician_user)
    survey = Survey.objects.get(session=session, offset_label="24h")
    assert local(survey.due_at) == "Tue 24 Nov 12:15"


def _infusion_done_at(user, first: TreatmentSession, moment) -> TreatmentSession:
    """Another infusion of ``first``'s plan, started an hour before ``moment`` and discharged
    at ``moment``."""
    from tests.treatments import sessions as steps

    with time_machine.travel(moment - timedelta(hours=1), tick=False):
        session = TreatmentSession.objects.create(
            patient=first.patient,
            plan=first.plan,
            plan_version=first.plan_version,
            chair=first.chair,
            starts_at=moment - timedelta(hours=1),
            ends_at=moment + timedelta(hours=1),
            booked_by=user,
        )
    with time_machine.travel(moment, tick=False):
        steps.checked_in(session, by=user)
        steps.pre_dose(session, by=user)
        steps.administered(session, by=user)
        steps.monitored(session, by=user)
        return steps.discharged(session, by=user)


def test_an_induction_of_six_asks_the_two_week_questionnaires_once_after_the_last(
    clinician_user,
):
    first = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    for day in (25, 27, 30):
        _infusion_done_at(clinician_user, first, clinic_time(2026, 11, day, 14))
    for day in (2, 4):
        last = _infusion_done_at(clinician_user, first, clinic_time(2026, 12, day, 14))

    surveys = Survey.objects.filter(patient=first.patient)
    assert surveys.filter(offset_label="24h", content="checkin").count() == 6
    assert [(s.offset_label, s.session_id, local(s.due_at)) for s in surveys.exclude(
        offset_label="24h").order_by("due_at")] == [
        ("7d", last.pk, "Fri 11 Dec 14:00"),
        ("14d", last.pk, "Fri 18 Dec 14:00"),
    ]  # fmt: skip


def test_a_maintenance_session_gets_the_check_in_and_both_questionnaires(clinician_user):
    session = maintenance_session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))

    assert sorted(
        Survey.objects.filter(session=session).values_list("offset_label", "content")
    ) == [("14d", "scores"), ("24h", "checkin"), ("7d", "scores")]


def _two_week_questionnaires(patient) -> list[tuple[str, int, str]]:
    surveys = Survey.objects.filter(patient=patient).exclude(offset_label="24h")
    return [(s.offset_label, s.session_id, local(s.due_at)) for s in surveys.order_by("due_at")]


@pytest.mark.parametrize("ending", ["stopped", "completed"])
def test_an_induction_cut_short_asks_the_two_week_questionnaires_after_its_last_infusion(
    clinician_user, ending
):
    first = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    last = _infusion_done_at(clinician_user, first, clinic_time(2026, 11, 25, 14))
    assert _two_week_questionnaires(first.patient) == []  # two of six: the series goes on

    with time_machine.travel(clinic_time(2026, 11, 26, 10), tick=False):
        if ending == "stopped":
            plan_stop(plan=first.plan, user=clinician_user, reason="Patient moved away")
        else:
            plan_complete(plan=first.plan, user=clinician_user)

    assert _two_week_questionnaires(first.patient) == [
        ("7d", last.pk, "Wed 02 Dec 14:00"),
        ("14d", last.pk, "Wed 09 Dec 14:00"),
    ]
    invitations = OutboxEntry.objects.filter(
        purpose=OutboxEntry.Purpose.SURVEY_INVITATION, session=last
    ).exclude(offset_label="24h")
    assert sorted(invitations.values_list("offset_label", flat=True)) == ["14d", "7d"]


def test_a_plan_stopped_long_after_its_last_infusion_sends_no_stale_questionnaire(
    clinician_user,
):
    first = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))

    # 10 days on: the 7-day questionnaire would ask about a fortnight already past.
    with time_machine.travel(clinic_time(2026, 12, 3, 10), tick=False):
        plan_stop(plan=first.plan, user=clinician_user, reason="Patient moved away")

    assert _two_week_questionnaires(first.patient) == [("14d", first.pk, "Mon 07 Dec 14:00")]


def test_a_finished_series_ended_afterwards_asks_nothing_twice(clinician_user):
    first = session_done_at(clinician_user, clinic_time(2026, 11, 23, 14))
    for day in (25, 27, 30):
        _infusion_done_at(clinician_user, first, clinic_time(2026, 11, day, 14))
    for day in (2, 4):
        last = _infusion_done_at(clinician_user, first, clinic_time(2026, 12, day, 14))

    with time_machine.travel(clinic_time(2026, 12, 5, 10), tick=False):
        plan_complete(plan=first.plan, user=clinician_user)

    assert _two_week_questionnaires(first.patient) == [
        ("7d", last.pk, "Fri 11 Dec 14:00"),
        ("14d", last.pk, "Fri 18 Dec 14:00"),
    ]
