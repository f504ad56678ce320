"""Staff follow-up pages: the worklist (escalations first), one answered survey with its review,
logging a phone call for a task, closing a task, and a patient's communication log.

The front desk works its own tasks and never sees survey answers, scores or escalations;
clinicians review surveys and may switch the worklist to the front desk's tasks. Every page that
shows a patient's record writes an ACCESS audit entry, as the patient page does.
"""

from collections.abc import Mapping

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clinic.audit import record_access
from clinic.locations import current_location_id
from clinic.roles import CLINICIAN, FRONT_DESK, has_role, role_required
from clinic.show_more import more_label, shown_query, shown_sizes
from intake.access import patient_visible, visible_patients
from intake.scoring import ANSWER_CHOICES, GAD7_ITEMS, PHQ9_ITEMS
from treatments.models import StaffTask

from .. import selectors
from ..forms import FollowUpCallForm, SurveyReviewForm, TaskDoneForm
from ..models import OutboxEntry, Survey
from ..services import outbox as outbox_services
from ..services import worklist as services

ROLE_FILTERS = (
    (StaffTask.Role.CLINICIAN, "My tasks and surveys"),
    (StaffTask.Role.FRONT_DESK, "Front-desk tasks"),
)
ANSWER_WORDS = dict(ANSWER_CHOICES)
INSTRUMENT_ITEMS = {"gad7": GAD7_ITEMS, "phq9": PHQ9_ITEMS, "anx_24h": GAD7_ITEMS}
# The check-in's anxiety questions are asked since the treatment: not the GAD-7, so no band and
# no "before treatment" score to compare with.
SURVEY_INSTRUMENTS = (
    ("gad7", "GAD-7 (over the last 2 weeks)"),
    ("phq9", "PHQ-9 (over the last 2 weeks)"),
    ("anx_24h", "24-hour anxiety check-in (since the treatment; not the GAD-7)"),
)
SIDE_EFFECT_WORDS = {
    "dissociation": "Dissociation",
    "hallucinations": "Hallucinations",
    "dizziness": "Dizziness",
    "nausea": "Nausea",
    "vomiting": "Vomiting",
    "drowsiness": "Drowsiness",
    "headache": "Headache",
    "raised_bp": "Raised blood pressure",
}


def task_roles_of(user) -> list[str]:
    """The follow-up task lists a member of staff may act on: clinicians may also work the
    front desk's (the worklist's filter); the front desk its own only."""
    roles = []
    if has_role(user, [CLINICIAN]):
        roles.append(StaffTask.Role.CLINICIAN)
    if has_role(user, [FRONT_DESK, CLINICIAN]):
        roles.append(StaffTask.Role.FRONT_DESK)
    return roles


def _section_sizes(query: QueryDict) -> dict[str, int]:
    """The rows asked for in each worklist section (``?overdue=40``), as every staff list
    reads them (``clinic.show_more``)."""
    return shown_sizes(query, selectors.SECTION_SLUGS)


def _worklist_query(role: str, sizes: Mapping[str, int] | None = None) -> str:
    """``?tasks=front_desk&overdue=40``: whose list, and the sections shown past their first
    page; empty for the default list."""
    ordered = {slug: sizes[slug] for slug in selectors.SECTION_SLUGS if slug in (sizes or {})}
    return shown_query(ordered, {"tasks": role if role == StaffTask.Role.FRONT_DESK else ""})


def _worklist_url(role: str, sizes: Mapping[str, int] | None = None) -> str:
    return reverse("followups:worklist") + _worklist_query(role, sizes)


# --- The worklist -------------------------------------------------------------------------------


def _render_worklist(
    request, *, role: str | None = None, bound: tuple[int, TaskDoneForm] | None = None, status=200
):
    """The worklist, each section to the rows asked for in the query string; ``bound`` is a
    Mark-done form that failed, shown with its errors in its task's row."""
    clinician = has_role(request.user, [CLINICIAN])
    if role is None:
        requested = request.GET.get("tasks")
        role = requested if clinician and requested in StaffTask.Role.values else None
        role = role or (StaffTask.Role.CLINICIAN if clinician else StaffTask.Role.FRONT_DESK)
    sizes = _section_sizes(request.GET)
    # A chain: the working location's patients' tasks and surveys, its day.
    worklist = selectors.worklist(
        role=role, now=timezone.now(), sizes=sizes, location_id=current_location_id(request)
    )
    bound_shown = False
    for section in worklist.sections:
        if section.more and not section.at_most:
            wider = {**sizes, section.slug: section.size + selectors.SECTION_PAGE}
            section.more_url = f"{_worklist_url(role, wider)}#{section.slug}"
            section.more_label = more_label(section.more, section.nouns)
        if section.slug == "done":
            continue
        for item in section.items:
            if item.task is None:
                continue
            pk = item.task.pk
            if bound and bound[0] == pk:
                item.done_form, bound_shown = bound[1], True
            else:
                item.done_form = TaskDoneForm(prefix=f"task-{pk}")
    if bound and not bound_shown:
        # Its row is no longer among those shown (the list moved on): say why nothing changed.
        errors = [error for errors in bound[1].errors.values() for error in errors]
        messages.error(request, f"The task was not marked done: {' '.join(errors)}")
    return render(
        request,
        "followups/staff/worklist.html",
        {
            "worklist": worklist,
            "role_filters": ROLE_FILTERS if clinician else (),
            "worklist_query": _worklist_query(role, sizes),
        },
        status=status,
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_GET
def worklist(request):
    return _render_worklist(request)


@role_required(FRONT_DESK, CLINICIAN)
@require_POST
def task_done(request, pk: int):
    task = selectors.followup_task(pk=pk, roles=task_roles_of(request.user))
    if task is None or not patient_visible(request, task.patient_id):
        raise Http404
    form = TaskDoneForm(request.POST, prefix=f"task-{task.pk}")
    if form.is_valid():
        try:
            services.task_complete(task=task, by=request.user, outcome=form.cleaned_data["outcome"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error)
            else:
                messages.info(request, "Someone else closed that task already.")
                return redirect(_worklist_url(task.role))
        else:
            messages.success(request, f"{task.title}: done for {task.patient.full_name}.")
            return redirect(_worklist_url(task.role, _section_sizes(request.GET)))
    return _render_worklist(request, role=task.role, bound=(task.pk, form), status=400)


# --- Phone calls --------------------------------------------------------------------------------


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["GET", "POST"])
def call_log(request, pk: int):
    """Log a phone call for a task: reaching the patient closes it, anything else keeps it open
    with the call listed."""
    task = selectors.followup_task(pk=pk, roles=task_roles_of(request.user))
    if task is None or not patient_visible(request, task.patient_id):
        raise Http404
    form = FollowUpCallForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if task.status != StaffTask.Status.OPEN:
            messages.info(request, "That task is closed already.")
            return redirect(_worklist_url(task.role))
        if form.is_valid():
            try:
                call = services.followup_call_record(
                    task=task,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    messages.info(request, "Someone else closed that task already.")
                    return redirect(_worklist_url(task.role))
                for name, field_errors in error.message_dict.items():
                    form.add_error(name if name in form.fields else None, field_errors)
            else:
                if call.outcome == call.Outcome.REACHED:
                    messages.success(
                        request, f"Call logged and the task closed for {task.patient.full_name}."
                    )
                else:
                    messages.success(
                        request,
                        f"Call logged ({call.get_outcome_display().lower()}): the task stays "
                        "open for another try.",
                    )
                return redirect(_worklist_url(task.role))
    record_access(request, task)
    return render(
        request,
        "followups/staff/call_log.html",
        {"task": task, "patient": task.patient, "calls": task.calls.all(), "form": form},
        status=status,
    )


# --- One survey ---------------------------------------------------------------------------------


def _score_rows(scores: selectors.SurveyScores) -> list[dict]:
    rows = []
    for instrument, label in SURVEY_INSTRUMENTS:
        assessment = scores.survey.get(instrument)
        if assessment is None:
            continue
        items = INSTRUMENT_ITEMS[instrument]
        rows.append(
            {
                "label": label,
                "assessment": assessment,
                "baseline": scores.baseline.get(instrument),
                "items": [
                    {"question": items[index], "answer": ANSWER_WORDS.get(answer, answer)}
                    for index, answer in enumerate(assessment.answers or [])
                    if index < len(items)
                ],
            }
        )
    return rows


def _side_effects(survey: Survey) -> list[dict]:
    effects = []
    for effect in survey.side_effects or []:
        code = str(effect.get("effect", ""))
        effects.append(
            {
                "effect": SIDE_EFFECT_WORDS.get(code, code.replace("_", " ").capitalize()),
                "severity": str(effect.get("severity", "")).capitalize(),
                "severe": effect.get("severity") == "severe",
            }
        )
    return effects


def _render_survey(request, survey: Survey, form: SurveyReviewForm, *, status: int = 200):
    record_access(request, survey)
    can_review = survey.status == Survey.Status.COMPLETED and survey.reviewed_at is None
    return render(
        request,
        "followups/staff/survey_detail.html",
        {
            "survey": survey,
            "patient": survey.patient,
            "reasons": selectors.escalation_reasons(survey),
            "scores": _score_rows(selectors.survey_scores(survey=survey)),
            "side_effects": _side_effects(survey),
            "safety_answer": (
                ANSWER_WORDS.get(survey.safety_answer, survey.safety_answer)
                if survey.safety_answer is not None
                else None
            ),
            "alerts": selectors.survey_alerts(survey=survey),
            "can_review": can_review,
            "form": form,
        },
        status=status,
    )


@role_required(CLINICIAN)
@require_http_methods(["GET", "POST"])
def survey_detail(request, pk: int):
    survey = selectors.survey_for_review(pk=pk)
    if survey is None or not patient_visible(request, survey.patient_id):
        raise Http404
    form = SurveyReviewForm(request.POST or None, escalated=survey.escalated)
    if request.method != "POST":
        return _render_survey(request, survey, form)
    if form.is_valid():
        try:
            services.survey_review(survey=survey, by=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                messages.info(request, " ".join(error.messages))
                return redirect("followups:survey_detail", pk=survey.pk)
            form.add_error("note", error.message_dict.get("note"))
        else:
            messages.success(request, f"Survey of {survey.patient.full_name} reviewed.")
            return redirect("followups:worklist")
    return _render_survey(request, survey, form, status=400)


# --- The communication log ----------------------------------------------------------------------


@role_required(FRONT_DESK, CLINICIAN)
@require_GET
def communication_log(request, pk: int):
    patient = get_object_or_404(visible_patients(request), pk=pk)
    record_access(request, patient)
    clinician = has_role(request.user, [CLINICIAN])
    surveys = (
        selectors.patient_surveys(patient=patient)
        if clinician
        else selectors.patient_survey_statuses(patient=patient)
    )
    return render(
        request,
        "followups/staff/communication_log.html",
        {
            "patient": patient,
            "entries": selectors.communication_log(patient=patient),
            "calls": selectors.patient_calls(patient=patient),
            "surveys": surveys,
            "clinician": clinician,
            "limit": selectors.LOG_LIMIT,
        },
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_POST
def send_again(request, pk: int):
    entry = selectors.outbox_entry(pk=pk)
    if entry is None or entry.purpose == OutboxEntry.Purpose.TASK:
        raise Http404
    if not patient_visible(request, entry.patient_id):
        raise Http404
    if outbox_services.outbox_send_again(entry=entry, user=request.user):
        messages.success(request, f"{entry.description}: it will be sent again shortly.")
    else:
        messages.info(request, f"{entry.description} is not failed any more: nothing to do.")
    return redirect("followups:communication_log", pk=entry.patient_id)
