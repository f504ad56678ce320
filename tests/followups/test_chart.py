"""The patient chart: the SVG score charts (drawn from plain data), response and remission
against the baseline, the timeline of everything, who may see it, its audit entry and its cost;
and the "Scores over time" card on the patient page."""

import itertools
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from auditlog.models import LogEntry
from django.test import RequestFactory
from django.urls import reverse

from clinic.roles import user_roles
from followups import outcomes
from followups.chart import panel as chart_panel
from followups.chart import scores as chart_scores
from followups.chart import svg as charts
from followups.chart import timeline as chart_timeline
from followups.models import FollowUpCall, Survey
from intake import patient_panels
from intake.models import Assessment, ConsultationRequest, Intake, Patient
from intake.scoring import GAD7_BANDS, GAD7_MAX, PHQ9_BANDS, PHQ9_MAX
from tests.treatments.sessions import booked_session
from treatments.models import (
    Screening,
    ScreeningDetermination,
    TreatmentChair,
    TreatmentSession,
)

from .worklist_data import CLINIC_ZONE, NOON, failed_message, sent_message, survey_scores

pytestmark = pytest.mark.clinic_day

SVG = "{http://www.w3.org/2000/svg}"
GAD7_16 = [3, 3, 2, 2, 2, 2, 2]
GAD7_7 = [1, 1, 1, 1, 1, 1, 1]
GAD7_4 = [1, 1, 1, 1, 0, 0, 0]
PHQ9_12 = [2, 2, 2, 2, 1, 1, 1, 1, 0]
_chairs = itertools.count(1)  # a chair of its own for each session: none overlaps


def chart_url(patient) -> str:
    return reverse("followups:patient_chart", args=[patient.pk])


# --- History written directly with the ORM ------------------------------------------------------


def intake_score(patient: Patient, *, at: datetime, instrument: str, total: int, band: str):
    """An intake's score, as the intake service records it."""
    intake = Intake.objects.create(
        patient=patient,
        status=Intake.Status.SUBMITTED,
        submitted_at=at,
        **{f"{instrument}_total": total, f"{instrument}_band": band},
    )
    Intake.objects.filter(pk=intake.pk).update(created_at=at)
    Assessment.objects.create(
        patient=patient,
        instrument=instrument,
        answers=[],
        total=total,
        band=band,
        taken_at=at,
        source_kind="intake",
        source_id=intake.pk,
    )
    return intake


def session_at(patient: Patient, *, by, starts_at: datetime, status: str) -> TreatmentSession:
    """A session of the patient's one plan (made with the first), on a chair of its own."""
    earlier = TreatmentSession.objects.filter(patient=patient).first()
    if earlier is None:
        session = booked_session(by=by, patient=patient, starts_at=starts_at)
        session.chair = TreatmentChair.objects.create(name=f"Chart chair {next(_chairs)}")
        session.status = status
        session.save(update_fields=["chair", "status"])
        return session
    return TreatmentSession.objects.create(
        patient=patient,
        plan=earlier.plan,
        plan_version=earlier.plan_version,
        chair=TreatmentChair.objects.create(name=f"Chart chair {next(_chairs)}"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        booked_by=by,
        status=status,
    )


def survey_after(
    session: TreatmentSession,
    *,
    completed_at: datetime,
    gad7: list[int],
    phq9: list[int] | None = None,
    offset_label: str = "24h",
) -> Survey:
    """A check-in survey after ``session``, answered at ``completed_at``, with its scores."""
    survey = Survey.objects.create(
        patient=session.patient,
        session=session,
        offset_label=offset_label,
        content=Survey.Content.CHECKIN if phq9 is None else Survey.Content.SCORES,
        status=Survey.Status.COMPLETED,
        due_at=completed_at - timedelta(hours=2),
        invited_at=completed_at - timedelta(hours=2),
        completed_at=completed_at,
        feeling=7,
        safety_answer=0,
    )
    survey_scores(survey, gad7=gad7, phq9=phq9)
    return survey


def responding_history(patient: Patient, *, by) -> dict:
    """Baseline GAD-7 16 at intake, a session, then 7 (a response) and 4 (a remission)."""
    intake = intake_score(
        patient, at=NOON - timedelta(days=30), instrument="gad7", total=16, band="Severe"
    )
    session = session_at(patient, by=by, starts_at=NOON - timedelta(days=20), status="completed")
    response = survey_after(session, completed_at=NOON - timedelta(days=10), gad7=GAD7_7)
    remission = survey_after(
        session, completed_at=NOON - timedelta(days=2), gad7=GAD7_4, offset_label="7d"
    )
    return {"intake": intake, "session": session, "response": response, "remission": remission}


def full_history(patient: Patient, *, by, rows: int) -> None:
    """``rows`` of every kind the timeline shows."""
    for number in range(rows):
        day = NOON - timedelta(days=40 - number)
        ConsultationRequest.objects.create(
            first_name="Jane",
            last_name="Rivera",
            date_of_birth=patient.date_of_birth,
            email=f"jane{number}@example.com",
            mobile="+15125550100",
            concerns=["anxiety"],
            status=ConsultationRequest.Status.CONVERTED,
            patient=patient,
        )
        intake = intake_score(
            patient,
            at=day,
            instrument="phq9",
            total=12,
            band="Moderate",
        )
        Screening.objects.filter(patient=patient).update(is_current=False)
        screening = Screening.objects.create(
            patient=patient,
            intake=intake,
            result="eligible",
            ruleset_version="test",
            created_at=day + timedelta(hours=1),
        )
        ScreeningDetermination.objects.create(
            screening=screening,
            decision=ScreeningDetermination.Decision.APPROVE,
            signed_by=by,
            signed_at=day + timedelta(hours=2),
        )
        session = session_at(patient, by=by, starts_at=day + timedelta(days=5), status="completed")
        if number:
            version = session.plan_version
            version.pk = None
            version.number = number + 1
            version.amendment_reason = f"Amendment {number}"
            version.dose_mg = Decimal("40.0")
            version.save()
        survey_after(
            session,
            completed_at=day + timedelta(days=6),
            gad7=GAD7_7,
            phq9=PHQ9_12,
            offset_label=f"{number + 1}d",
        )
        sent_message(patient=patient, due_at=day + timedelta(days=4), key=f"chart-sent-{number}")
        failed_message(
            patient=patient, due_at=day + timedelta(days=4, hours=1), key=f"chart-fail-{number}"
        )
        FollowUpCall.objects.create(
            patient=patient,
            outcome=FollowUpCall.Outcome.REACHED,
            note=f"Call {number}",
            called_at=day + timedelta(days=7),
            called_by=by,
        )


@pytest.fixture
def at_noon():
    with time_machine.travel(NOON, tick=False):
        yield


# --- The SVG -------------------------------------------------------------------------------------

DAY = datetime(2026, 3, 1, 9, 0, tzinfo=CLINIC_ZONE)
GAD7 = charts.bands_from(GAD7_BANDS, GAD7_MAX)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 (our own output)


def circles(root: ET.Element) -> list[ET.Element]:
    return [c for c in root.iter(f"{SVG}circle") if "chart-point" in c.get("class", "")]


def test_bands_come_from_the_scoring_tables():
    assert charts.bands_from(GAD7_BANDS, GAD7_MAX) == (
        charts.Band(0, 4, "Minimal"),
        charts.Band(5, 9, "Mild"),
        charts.Band(10, 14, "Moderate"),
        charts.Band(15, 21, "Severe"),
    )
    assert charts.bands_from(PHQ9_BANDS, PHQ9_MAX)[-2:] == (
        charts.Band(15, 19, "Moderately severe"),
        charts.Band(20, 27, "Severe"),
    )


def test_points_are_placed_by_time_and_total():
    points = [
        charts.Point(at=DAY, total=0),
        charts.Point(at=DAY + timedelta(days=10), total=21),
        charts.Point(at=DAY + timedelta(days=5), total=10),
    ]

    root = parse(charts.score_chart(label="GAD-7", points=points, bands=GAD7, maximum=21))

    placed = [(float(c.get("cx")), float(c.get("cy"))) for c in circles(root)]
    bottom = charts.HEIGHT - charts.BOTTOM
    first, middle, last = placed  # drawn in time order
    assert first[1] == pytest.approx(bottom)  # 0 on the axis
    assert last[1] == pytest.approx(charts.TOP)  # the maximum at the top
    assert middle[1] == pytest.approx(charts.TOP + (1 - 10 / 21) * (bottom - charts.TOP), abs=0.1)
    assert first[0] < middle[0] < last[0]
    assert middle[0] - first[0] == pytest.approx(last[0] - middle[0], abs=0.2)  # 5 days each
    assert first[0] > charts.LEFT and last[0] < charts.WIDTH - charts.RIGHT  # inside the plot
    line = root.find(f"{SVG}polyline")
    assert line.get("points").split() == [f"{charts._n(x)},{charts._n(y)}" for x, y in placed]


def test_each_band_is_a_shaded_rectangle_as_tall_as_its_totals():
    root = parse(
        charts.score_chart(
            label="GAD-7", points=[charts.Point(at=DAY, total=3)], bands=GAD7, maximum=21
        )
    )

    rects = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "chart-band"]
    assert len(rects) == 4
    plot_height = charts.HEIGHT - charts.BOTTOM - charts.TOP
    heights = [float(r.get("height")) for r in rects]
    # Minimal covers 0-4 (from the axis to 4.5), Severe 15-21 (14.5 to the top).
    assert heights[0] == pytest.approx(4.5 / 21 * plot_height, abs=0.1)
    assert heights[-1] == pytest.approx(6.5 / 21 * plot_height, abs=0.1)
    assert sum(heights) == pytest.approx(plot_height, abs=0.3)
    assert len({r.get("fill") for r in rects}) == 4
    labels = [t.text for t in root.iter(f"{SVG}text")]
    for band in ("Minimal", "Mild", "Moderate", "Severe"):
        assert band in labels


def test_sessions_are_vertical_lines_at_their_dates():
    session = DAY + timedelta(days=3)
    points = [charts.Point(at=DAY, total=12), charts.Point(at=session, total=9)]

    root = parse(
        charts.score_chart(label="GAD-7", points=points, bands=GAD7, maximum=21, sessions=[session])
    )

    lines = [line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-session"]
    assert len(lines) == 1
    assert lines[0].get("x1") == lines[0].get("x2") == circles(root)[1].get("cx")
    assert lines[0].get("stroke-dasharray")
    assert "Session" in [t.text for t in root.iter(f"{SVG}text")]  # the legend says so


def test_response_and_remission_have_their_own_marks_and_the_baseline_a_line():
    points = [
        charts.Point(at=DAY, total=16),
        charts.Point(at=DAY + timedelta(days=7), total=7, marker=charts.RESPONSE),
        charts.Point(at=DAY + timedelta(days=14), total=4, marker=charts.REMISSION),
    ]

    root = parse(
        charts.score_chart(label="GAD-7", points=points, bands=GAD7, maximum=21, baseline=16)
    )

    assert len([c for c in circles(root) if "chart-response" in c.get("class")]) == 2  # + legend
    remissions = [p for p in root.iter(f"{SVG}path") if "chart-remission" in p.get("class")]
    assert len(remissions) == 2  # the point and the legend's
    baseline = next(
        line for line in root.iter(f"{SVG}line") if line.get("class") == "chart-baseline"
    )
    assert baseline.get("y1") == circles(root)[0].get("cy")
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"Baseline 16", "Response", "Remission"} <= set(texts)


def test_the_chart_is_an_image_named_by_its_label_with_text_escaped():
    label = 'GAD-7 <script>alert("x")</script> & more'
    points = [charts.Point(at=DAY, total=5, note="<b>03/01/2026</b>")]

    svg = charts.score_chart(label=label, points=points, bands=GAD7, maximum=21)

    assert "<script" not in svg and "<b>" not in svg
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == label
    assert root.find(f"{SVG}title").text == label
    assert root.get("viewBox") == f"0 0 {charts.WIDTH} {charts.HEIGHT}"
    assert root.get("width") == "100%"
    assert circles(root)[0].find(f"{SVG}title").text == "<b>03/01/2026</b>"


def test_the_chart_needs_no_inline_style():
    points = [charts.Point(at=DAY + timedelta(days=n), total=n) for n in range(5)]
    svg = charts.score_chart(
        label="GAD-7", points=points, bands=GAD7, maximum=21, sessions=[DAY], baseline=4
    )

    assert not re.search(r"\sstyle\s*=", svg, re.IGNORECASE)
    assert "<style" not in svg


def test_a_chart_without_scores_says_so():
    svg = charts.score_chart(label="GAD-7: no scores", points=[], bands=GAD7, maximum=21)

    assert "No scores yet" in svg
    parse(svg)


# --- Response and remission ----------------------------------------------------------------------


def test_the_baseline_is_the_last_score_before_the_first_session():
    start = DAY + timedelta(days=10)
    totals = [(DAY, 18), (DAY + timedelta(days=5), 16), (start, 9), (start + timedelta(1), 8)]

    outcome = outcomes.score_outcome(totals, treatment_start=start, baseline_min=10)

    assert outcome.baseline == 1
    assert outcome.responses == {3}  # 9 is 44% below 16; 8 is 50% below
    assert outcome.remissions == set()


def test_nothing_counts_before_treatment_or_without_a_baseline():
    totals = [(DAY, 16), (DAY + timedelta(days=1), 3)]

    assert outcomes.score_outcome(totals, treatment_start=None, baseline_min=10).responses == set()
    no_baseline = outcomes.score_outcome(totals, treatment_start=DAY, baseline_min=10)
    assert no_baseline.baseline is None
    assert no_baseline.responses == set()
    # Nor a remission: without a baseline nobody knows the patient started symptomatic.
    assert no_baseline.remissions == set()


@pytest.mark.parametrize(("baseline", "counted"), [(9, False), (10, True)])
def test_response_and_remission_need_a_symptomatic_baseline(baseline, counted):
    start = DAY + timedelta(days=10)
    totals = [(DAY, baseline), (start + timedelta(days=1), 2)]

    outcome = outcomes.score_outcome(totals, treatment_start=start, baseline_min=10)

    assert outcome.symptomatic is counted
    assert outcome.responses == outcome.remissions == ({1} if counted else set())


def test_the_chart_says_why_a_patient_who_starts_at_3_shows_no_remission(
    at_noon, clinician, clinician_user, patient
):
    intake_score(patient, at=NOON - timedelta(days=30), instrument="gad7", total=3, band="Minimal")
    session = session_at(
        patient, by=clinician_user, starts_at=NOON - timedelta(days=20), status="completed"
    )
    survey_after(session, completed_at=NOON - timedelta(days=13), gad7=[1, 1, 1, 0, 0, 0, 0],
                 phq9=[0] * 9, offset_label="7d")  # fmt: skip

    page = clinician.get(chart_url(patient)).content.decode()

    assert "Remission at" not in page and "chart-remission" not in page
    assert (
        "No response or remission shown: the baseline 3 is below 10, the clinic&#x27;s cut-off"
        in page
    )


def test_the_24_hour_check_in_is_its_own_line_never_the_gad7(
    at_noon, clinician, clinician_user, patient
):
    intake_score(patient, at=NOON - timedelta(days=30), instrument="gad7", total=16, band="Severe")
    session = session_at(
        patient, by=clinician_user, starts_at=NOON - timedelta(days=20), status="completed"
    )
    Assessment.objects.create(
        patient=patient, instrument="anx_24h", answers=[0] * 7, total=0, band="",
        taken_at=NOON - timedelta(days=19), source_kind="survey", source_id=session.pk,
    )  # fmt: skip

    response = clinician.get(chart_url(patient))

    gad7, _phq9, checkin = response.context["chart"].courses
    assert [point.total for point in gad7.points] == [16]  # the check-in's 0 is not a GAD-7
    assert gad7.remission_at is None and gad7.response_at is None
    assert checkin.instrument.label == "24-hour anxiety check-in"
    assert [(point.total, point.total_text, point.outcome_label) for point in checkin.points] == [
        (0, "0", "")
    ]
    assert checkin.statements == [] and checkin.baseline is None


# --- The page ------------------------------------------------------------------------------------


def test_the_clinician_sees_response_and_remission_for_a_responding_patient(
    at_noon, clinician, clinician_user, patient
):
    responding_history(patient, by=clinician_user)

    response = clinician.get(chart_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Response at 02/28/2026" in page
    assert "Remission at 03/08/2026" in page
    assert "Current status: In remission (latest 4 on 03/08/2026, 75% below baseline 16)" in page
    assert 'role="img"' in page
    assert re.search(r'aria-label="GAD-7 totals over time: 3 scores from 02/08/2026', page)
    assert "chart-remission" in page and "chart-response" in page
    assert page.count('class="chart-session"') == 1
    assert not re.search(r"\sstyle\s*=", page)


def test_the_table_lists_every_score_with_its_outcome(at_noon, clinician, clinician_user, patient):
    responding_history(patient, by=clinician_user)

    response = clinician.get(chart_url(patient))

    scores = response.context["chart"].scores
    assert [(p.at.astimezone(CLINIC_ZONE).strftime("%m/%d"), p.total) for p in scores] == [
        ("03/08", 4),
        ("02/28", 7),
        ("02/08", 16),
    ]
    assert [p.outcome_label for p in scores] == ["Response, Remission", "Response", "Baseline"]
    assert [p.source_label for p in scores] == ["Check-in survey", "Check-in survey", "Intake"]
    page = response.content.decode()
    table = page[page.index('id="score-table-heading"') :]
    table = table[: table.index("</tbody>")]
    rows = [re.sub(r"<[^>]+>|\s+", " ", row).split() for row in table.split("<tr>")[2:]]
    assert [" ".join(row) for row in rows] == [
        "03/08/2026 GAD-7 Check-in survey 4 (Minimal) Response, Remission",
        "02/28/2026 GAD-7 Check-in survey 7 (Mild) Response",
        "02/08/2026 GAD-7 Intake 16 (Severe) Baseline",
    ]


def test_without_a_completed_session_nothing_is_a_response(
    at_noon, clinician, clinician_user, patient
):
    intake_score(patient, at=NOON - timedelta(days=3), instrument="gad7", total=4, band="Minimal")

    page = clinician.get(chart_url(patient)).content.decode()

    assert "No completed session yet" in page
    assert "Remission at" not in page
    assert "PHQ-9 totals over time: no scores recorded" in page


def test_the_timeline_lists_everything_newest_first_with_links(
    at_noon, clinician, clinician_user, patient
):
    full_history(patient, by=clinician_user, rows=2)

    response = clinician.get(chart_url(patient))

    timeline = response.context["chart"].timeline
    moments = [entry.at for entry in timeline]
    assert moments == sorted(moments, reverse=True)
    kinds = {entry.kind for entry in timeline}
    assert {
        "Consultation request",
        "Intake",
        "Screening",
        "Screening determination",
        "Treatment plan",
        "Session",
        "Check-in survey (1d after)",
        "Message",
        "Follow-up call",
    } <= kinds
    page = response.content.decode()
    for text in (
        "Asked for help with Anxiety (Became a patient)",
        "Submitted: PHQ-9 12 (Moderate)",
        "Approve for treatment, signed by Casey Carter",
        "Version 2: Induction, IV infusion, 0.50 mg/kg (40.0 mg), 6 sessions planned; "
        "reason: Amendment 1",
        "Answered: GAD-7 7 (Mild), PHQ-9 12 (Moderate)",
        "Appointment reminder (48 hours before): failed by text message (provider unreachable)",
        "Check-in survey (24 hours after the session): sent by email",
        "Spoke with the patient (by Casey Carter): Call 1",
    ):
        assert text in page, text
    session = TreatmentSession.objects.filter(patient=patient, status="completed").first()
    for url in (
        reverse("treatments:session_detail", args=[session.pk]),
        reverse("intake:intake_detail", args=[Intake.objects.filter(patient=patient)[0].pk]),
        reverse("treatments:plan_detail", args=[session.plan_id]),
        reverse("followups:communication_log", args=[patient.pk]),
        reverse("treatments:screening_detail", args=[Screening.objects.first().pk]),
    ):
        assert f'href="{url}"' in page
    assert 'Open<span class="visually-hidden"> the session of' in page


def test_the_timeline_shows_dates_in_the_clinic_zone(at_noon, clinician, clinician_user, patient):
    FollowUpCall.objects.create(
        patient=patient,
        outcome=FollowUpCall.Outcome.VOICEMAIL,
        called_at=datetime(2026, 3, 9, 8, 30, tzinfo=CLINIC_ZONE),
        called_by=clinician_user,
    )

    page = clinician.get(chart_url(patient)).content.decode()

    assert "03/09/2026 08:30" in page


def test_what_staff_typed_is_shown_as_text_in_the_timeline(
    at_noon, clinician, clinician_user, patient
):
    FollowUpCall.objects.create(
        patient=patient,
        outcome=FollowUpCall.Outcome.REACHED,
        called_at=datetime(2026, 3, 9, 8, 30, tzinfo=CLINIC_ZONE),
        called_by=clinician_user,
        note='<script>alert("x")</script> & <b>better</b>',
    )

    page = clinician.get(chart_url(patient)).content.decode()

    assert "<script>alert" not in page and "<b>better" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;better" in page
    assert 'datetime="2026-03-09T08:30:00' in page


def test_the_page_shows_the_latest_events_across_sources_and_links_to_the_rest(
    at_noon, clinician, clinician_user, patient
):
    limit = chart_timeline.TIMELINE_LIMIT
    for number in range(limit + 5):  # older messages, one a day
        sent_message(
            patient=patient, due_at=NOON - timedelta(days=10 + number), key=f"old-{number}"
        )
    for number in range(3):  # and newer calls
        FollowUpCall.objects.create(
            patient=patient,
            outcome=FollowUpCall.Outcome.REACHED,
            called_at=NOON - timedelta(days=number),
            called_by=clinician_user,
        )

    response = clinician.get(chart_url(patient))

    timeline = response.context["chart"].timeline
    assert len(timeline) == limit
    assert [entry.kind for entry in timeline] == ["Follow-up call"] * 3 + ["Message"] * (limit - 3)
    assert timeline[-1].at == NOON - timedelta(days=10 + limit - 4)  # the newest messages
    page = response.content.decode()
    assert f"The latest {limit} events." in page
    assert '<a href="?timeline=all#timeline-heading">Show the full timeline</a>' in page

    response = clinician.get(chart_url(patient), {"timeline": "all"})

    timeline = response.context["chart"].timeline
    assert len(timeline) == limit + 5 + 3
    assert [entry.at for entry in timeline] == sorted((e.at for e in timeline), reverse=True)
    page = response.content.decode()
    assert "Show the full timeline" not in page
    assert (
        f'<a href="{chart_url(patient)}#timeline-heading">Show the latest events only</a>' in page
    )


def test_a_short_history_is_shown_whole(at_noon, clinician, clinician_user, patient):
    full_history(patient, by=clinician_user, rows=1)

    response = clinician.get(chart_url(patient))

    assert len(response.context["chart"].timeline) < chart_timeline.TIMELINE_LIMIT
    assert "Show the full timeline" not in response.content.decode()


def test_the_page_and_the_full_timeline_agree_on_a_record_that_fits(
    at_noon, clinician, clinician_user, patient
):
    """Both read the sources in one statement, with another limit on the rows of each."""
    full_history(patient, by=clinician_user, rows=2)

    latest = clinician.get(chart_url(patient)).context["chart"]
    every = clinician.get(chart_url(patient), {"timeline": "all"}).context["chart"]

    assert not latest.timeline_more and not every.truncated
    assert len(latest.timeline) < chart_timeline.TIMELINE_LIMIT
    assert [(e.at, e.kind, e.summary, e.url) for e in latest.timeline] == [
        (e.at, e.kind, e.summary, e.url) for e in every.timeline
    ]


def test_events_of_one_moment_are_listed_in_the_order_of_their_sources(
    at_noon, clinician, clinician_user, patient
):
    moment = NOON - timedelta(days=1)
    FollowUpCall.objects.create(
        patient=patient,
        outcome=FollowUpCall.Outcome.REACHED,
        called_at=moment,
        called_by=clinician_user,
    )
    sent_message(patient=patient, due_at=moment, key="same-moment")
    intake_score(patient, at=moment, instrument="gad7", total=4, band="Minimal")

    timeline = clinician.get(chart_url(patient)).context["chart"].timeline

    assert [entry.kind for entry in timeline] == ["Intake", "Message", "Follow-up call"]


def test_a_determination_shows_with_its_screening_only(
    at_noon, clinician, clinician_user, patient, monkeypatch
):
    """Only the latest screening is shown, without a determination yet: the older one's, though
    the newest event, is not shown without its screening."""
    monkeypatch.setattr(chart_timeline, "TIMELINE_LIMIT", 1)
    intake = intake_score(
        patient, at=NOON - timedelta(days=5), instrument="gad7", total=16, band="Severe"
    )
    older = Screening.objects.create(
        patient=patient,
        intake=intake,
        result="eligible",
        ruleset_version="test",
        created_at=NOON - timedelta(days=3),
        is_current=False,
    )
    ScreeningDetermination.objects.create(
        screening=older,
        decision=ScreeningDetermination.Decision.APPROVE,
        signed_by=clinician_user,
        signed_at=NOON - timedelta(days=1),
    )
    Screening.objects.create(
        patient=patient,
        intake=intake,
        result="eligible",
        ruleset_version="test",
        created_at=NOON - timedelta(days=2),
    )

    chart = clinician.get(chart_url(patient)).context["chart"]

    assert [(entry.kind, entry.at) for entry in chart.timeline] == [
        ("Screening", NOON - timedelta(days=2))
    ]
    assert chart.timeline_more


def test_one_source_past_the_limit_is_enough_to_link_to_the_rest(
    at_noon, clinician, patient, monkeypatch
):
    monkeypatch.setattr(chart_timeline, "TIMELINE_LIMIT", 2)
    for number in range(3):
        sent_message(patient=patient, due_at=NOON - timedelta(days=number), key=f"cap-{number}")

    response = clinician.get(chart_url(patient))

    assert [entry.kind for entry in response.context["chart"].timeline] == ["Message"] * 2
    assert "Show the full timeline" in response.content.decode()


def test_each_source_of_the_full_timeline_is_capped(
    at_noon, clinician, clinician_user, patient, monkeypatch
):
    monkeypatch.setattr(chart_timeline, "SOURCE_LIMIT", 2)
    for number in range(3):
        sent_message(patient=patient, due_at=NOON - timedelta(days=number), key=f"cap-{number}")

    response = clinician.get(chart_url(patient), {"timeline": "all"})

    assert [entry.kind for entry in response.context["chart"].timeline] == ["Message"] * 2
    assert "showing the latest 2 of: messages." in response.content.decode()


def test_treatment_starts_at_the_first_completed_session_even_past_the_sessions_read(
    at_noon, clinician, clinician_user, patient, monkeypatch
):
    """The sessions read tell when treatment started; a record with more of them than are read
    asks the database for the first completed one."""
    monkeypatch.setattr(chart_timeline, "SOURCE_LIMIT", 2)
    session_at(patient, by=clinician_user, starts_at=NOON - timedelta(days=20), status="completed")
    for days in (3, 2, 1):
        session_at(
            patient, by=clinician_user, starts_at=NOON - timedelta(days=days), status="completed"
        )

    chart = clinician.get(chart_url(patient)).context["chart"]

    assert chart.treatment_start == NOON - timedelta(days=20)
    assert len(chart.completed_sessions) == 2  # the lines drawn: the latest SOURCE_LIMIT


def test_treatment_start_is_the_first_completed_session_not_the_first_booked(
    at_noon, clinician, clinician_user, patient
):
    session_at(patient, by=clinician_user, starts_at=NOON - timedelta(days=20), status="cancelled")
    session_at(patient, by=clinician_user, starts_at=NOON - timedelta(days=10), status="completed")
    session_at(patient, by=clinician_user, starts_at=NOON - timedelta(days=5), status="completed")

    response = clinician.get(chart_url(patient))

    assert response.context["chart"].treatment_start == NOON - timedelta(days=10)
    assert "first completed session 02/28/2026" in response.content.decode()


def test_the_front_desk_may_not_open_the_chart(front_desk, patient):
    assert front_desk.get(chart_url(patient)).status_code == 403


def test_an_unknown_patient_is_not_found(clinician):
    assert clinician.get(reverse("followups:patient_chart", args=[999999])).status_code == 404


def test_opening_the_chart_is_audited(clinician, clinician_user, patient):
    clinician.get(chart_url(patient))

    entry = LogEntry.objects.get_for_object(patient).get(action=LogEntry.Action.ACCESS)
    assert entry.actor == clinician_user
    # The same record of who was looked at as the patient page writes.
    assert entry.object_repr == f"Jane Rivera ({patient.mrn})"
    assert entry.additional_data == {"patient_id": patient.pk, "mrn": patient.mrn}


@pytest.mark.parametrize("timeline", ["", "all"])
@pytest.mark.parametrize("rows", [1, 4])
def test_the_chart_costs_the_same_however_long_the_record(
    at_noon, clinician, clinician_user, patient, django_assert_num_queries, rows, timeline
):
    full_history(patient, by=clinician_user, rows=rows)
    clinician.get(chart_url(patient))  # warm-up

    # session, user, TOTP device, roles, the patient, the ACCESS audit entry; the scores (with
    # the surveys'); the sessions (with when treatment started); one query per other timeline
    # source: inquiries, intakes, screenings (with their determinations), plan versions,
    # surveys, messages and calls
    with django_assert_num_queries(15):
        response = clinician.get(chart_url(patient), {"timeline": timeline})

    assert len(response.context["chart"].scores) == rows * 3  # PHQ-9 at intake, both at survey


# --- The card on the patient page ----------------------------------------------------------------


@pytest.fixture
def chart_card(monkeypatch):
    """The card registered (as FollowupsConfig.ready does), on a copy of the registry that is
    put back afterwards."""
    monkeypatch.setattr(patient_panels, "_panels", dict(patient_panels._panels))
    chart_panel.register()


def test_the_card_shows_the_latest_scores_and_links_to_the_chart(
    at_noon, chart_card, clinician, clinician_user, patient
):
    responding_history(patient, by=clinician_user)
    intake_score(
        patient, at=NOON - timedelta(days=29), instrument="phq9", total=12, band="Moderate"
    )

    page = clinician.get(reverse("intake:patient_detail", args=[patient.pk])).content.decode()

    assert "Scores over time" in page
    assert "4 (Minimal), 03/08/2026" in page
    assert "12 (Moderate), 02/09/2026" in page
    assert f'href="{chart_url(patient)}">Open the chart<' in page


def test_the_front_desk_gets_no_card(chart_card, front_desk, patient):
    page = front_desk.get(reverse("intake:patient_detail", args=[patient.pk])).content.decode()

    assert "Scores over time" not in page
    assert chart_url(patient) not in page


def test_the_card_costs_one_query(at_noon, clinician_user, patient, django_assert_num_queries):
    responding_history(patient, by=clinician_user)
    request = RequestFactory().get("/")
    request.user = clinician_user
    user_roles(clinician_user)  # read once per request, by the page

    with django_assert_num_queries(1):
        panel = chart_panel.chart_panel(request, patient)

    assert panel["rows"] == [{"label": "Latest GAD-7", "value": "4 (Minimal), 03/08/2026"}]


def test_the_card_finds_a_scale_older_than_the_latest_scores_read(at_noon, clinician_user, patient):
    intake_score(
        patient, at=NOON - timedelta(days=60), instrument="phq9", total=12, band="Moderate"
    )
    for days in range(chart_scores.LATEST_SCORES_READ + 1):
        intake_score(
            patient, at=NOON - timedelta(days=days), instrument="gad7", total=4, band="Minimal"
        )
    request = RequestFactory().get("/")
    request.user = clinician_user

    panel = chart_panel.chart_panel(request, patient)

    assert panel["rows"] == [
        {"label": "Latest GAD-7", "value": "4 (Minimal), 03/10/2026"},
        {"label": "Latest PHQ-9", "value": "12 (Moderate), 01/09/2026"},
    ]


def test_the_card_says_when_there_are_no_scores(clinician_user, patient):
    request = RequestFactory().get("/")
    request.user = clinician_user

    panel = chart_panel.chart_panel(request, patient)

    assert panel["text"] == "No GAD-7 or PHQ-9 recorded yet."
    assert panel["link"]["label"] == "Open the chart"


@pytest.mark.parametrize(
    ("value", "text"),
    [(12.0, "12"), (100.0, "100"), (12.46, "12.5"), (0.04, "0"), (-0.04, "-0"), (7.25, "7.2")],
)
def test_coordinates_are_written_to_a_tenth_without_a_trailing_zero(value, text):
    assert charts._n(value) == text


def test_the_score_table_escapes_every_text_in_every_row():
    from followups.templatetags.chart import score_rows

    at = datetime(2026, 3, 9, 8, 30, tzinfo=CLINIC_ZONE)
    points = [
        chart_scores.ScorePoint(
            instrument="gad7",
            instrument_label="<b>GAD</b>",
            at=at + timedelta(days=day),
            total=day,
            band="Mild & <i>more</i>",
            source_kind="<script>",
        )
        for day in range(2)
    ]
    html = str(score_rows(points))
    assert "<b>" not in html and "<i>" not in html and "<script>" not in html
    assert html.count("&lt;b&gt;GAD&lt;/b&gt;") == 2  # the repeated label, in each row
    assert html.count("&lt;script&gt;") == 2
    assert "0 (Mild &amp; &lt;i&gt;more&lt;/i&gt;)" in html
    assert '<time datetime="2026-03-10T08:30:00-05:00">03/10/2026</time>' in html


def test_the_timeline_escapes_what_happened_and_its_link():
    from followups.templatetags.chart import timeline_items

    entry = chart_timeline.TimelineEntry(
        at=datetime(2026, 3, 9, 14, 30, tzinfo=CLINIC_ZONE),
        kind="<Session>",
        summary='Cancelled: "<script>alert(1)</script>"',
        url='/sessions/1/?a="b"',
    )
    html = str(timeline_items([entry]))
    assert "<script>" not in html and "<Session>" not in html
    assert "Cancelled: &quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in html
    assert 'href="/sessions/1/?a=&quot;b&quot;"' in html
    assert "the &lt;session&gt; of 03/09/2026 14:30" in html
