"""Candidacy screening pages: the clinician's worklist, one screening with its reasons, the
findings and the signed determination; the rule list; staff tasks.

Only clinicians see results, reasons and determinations. Clinic admins may read the rule list.
The front desk sees a patient's screening status on the patient page (patient_panels.py) and
its own tasks here.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic.audit import record_access
from clinic.locations import current_location_id
from clinic.roles import CLINIC_ADMIN, CLINICIAN, FRONT_DESK, has_role, role_required
from clinic.show_more import ShownRows, shown_query, shown_sizes
from intake import selectors as intake_selectors
from intake.access import patient_visible, scope_rows
from intake.scoring import ANSWER_CHOICES

from .. import limits
from .. import screening_rules as rules
from ..forms import DeterminationForm, FindingForm, TaskCompleteForm
from ..models import Screening, ScreeningDetermination, StaffTask
from ..patient_panels import STATUS_STYLES
from ..screening_rules import RESULT_LABELS, SEVERITY_LABELS, Result, Severity
from ..selectors import screening as selectors
from ..selectors.plans import PLAN_BOOKING_TASK
from ..services import screening as services

RESULT_STYLES = {
    Result.NOT_A_CANDIDATE: "text-bg-danger",
    Result.NEEDS_REVIEW: "text-bg-warning",
    Result.ELIGIBLE: "text-bg-success",
}
WORKLIST_SECTIONS = ("waiting",)
# The descriptions shown in a worklist row; the rest are counted.
WORKLIST_DESCRIPTIONS = 2
ITEM9_ANSWERS = dict(ANSWER_CHOICES)


def _descriptions(screening: Screening) -> list[str]:
    """The rules that applied, each once, most serious first (RULES lists them in that order)."""
    return list(dict.fromkeys(reason["description"] for reason in screening.reasons))


# --- The worklist ----------------------------------------------------------------------------


@role_required(CLINICIAN)
@require_GET
def screening_worklist(request):
    """The screenings awaiting a decision, 20 at a time (``?waiting=40`` shows 40)."""
    sizes = shown_sizes(request.GET, WORKLIST_SECTIONS)
    location_id = current_location_id(request)  # a chain: the working location's patients'
    waiting = ShownRows.asked("waiting", ("screening", "screenings"), sizes)
    waiting.fill(
        list(selectors.screening_worklist(limit=waiting.size + 1, location_id=location_id)),
        sum(selectors.screening_worklist_counts(location_id=location_id).values()),
    )
    waiting.link(reverse("treatments:screening_worklist"), sizes)
    for screening in waiting.rows:
        descriptions = _descriptions(screening)
        screening.result_style = RESULT_STYLES.get(screening.result, "text-bg-secondary")
        if screening.phq9_item9:
            screening.item9_label = ITEM9_ANSWERS.get(screening.phq9_item9, screening.phq9_item9)
        screening.first_descriptions = descriptions[:WORKLIST_DESCRIPTIONS]
        screening.more_descriptions = max(len(descriptions) - WORKLIST_DESCRIPTIONS, 0)
        screening.patient_url = reverse("intake:patient_detail", args=[screening.patient_id])
        screening.review_url = reverse("treatments:screening_detail", args=[screening.pk])
    return render(request, "treatments/worklist.html", {"waiting": waiting})


# --- One screening ---------------------------------------------------------------------------


def _reason_groups(screening: Screening) -> list[dict]:
    """Reasons by severity (most serious first), and within each by rule: the rule's
    description once, with the evidence for each time it applied."""
    groups = []
    for severity in Severity:
        rules_seen: dict[str, dict] = {}
        for reason in screening.reasons:
            if reason["severity"] != severity:
                continue
            rule = rules_seen.setdefault(
                reason["rule_id"],
                {
                    "rule_id": reason["rule_id"],
                    "description": reason["description"],
                    "evidence": [],
                },
            )
            rule["evidence"].append(reason["evidence"])
        if rules_seen:
            groups.append(
                {
                    "severity": severity.value,
                    "label": SEVERITY_LABELS[severity],
                    "rules": list(rules_seen.values()),
                }
            )
    return groups


def _render_screening(
    request,
    screening: Screening,
    *,
    finding_form: FindingForm | None = None,
    determination_form: DeterminationForm | None = None,
    status: int = 200,
):
    record_access(request, screening)
    determination = getattr(screening, "determination", None)
    history = selectors.screening_history(patient_id=screening.patient_id, exclude_pk=screening.pk)
    newer = None
    if not screening.is_current:
        newer = next((other for other in history if other.is_current), None)
    for other in history:
        other.result_style = RESULT_STYLES.get(other.result, "text-bg-secondary")
    can_override = screening.result == Result.NOT_A_CANDIDATE
    can_determine = screening.is_current and determination is None
    # Approving waits for these to be acknowledged (screening_determine refuses until then).
    item9_alerts = (
        intake_selectors.patient_open_item9_alerts(patient_id=screening.patient_id)
        if can_determine
        else []
    )
    finding = screening.finding
    task = None
    if (
        determination is not None
        and determination.decision == ScreeningDetermination.Decision.MORE_INFO
    ):
        task = selectors.screening_task(screening=screening)
    return render(
        request,
        "treatments/screening_detail.html",
        {
            "screening": screening,
            "patient": screening.patient,
            "result_style": RESULT_STYLES.get(screening.result, "text-bg-secondary"),
            "status_style": STATUS_STYLES.get(screening.status, "text-bg-secondary"),
            "reason_groups": _reason_groups(screening),
            "finding": finding,
            "bmi": selectors.screening_bmi(patient=screening.patient, finding=finding),
            "determination": determination,
            "task": task,
            "history": history,
            "newer": newer,
            "can_determine": can_determine,
            # Signed means locked: new findings would only make a screening nobody asked for.
            "can_record_findings": can_determine,
            "can_override": can_override,
            "item9_alerts": item9_alerts,
            "rules_result_label": RESULT_LABELS[Result(screening.result)],
            "finding_form": finding_form or FindingForm(),
            "determination_form": determination_form
            or DeterminationForm(can_override=can_override),
        },
        status=status,
    )


def _screening_or_404(request, pk: int) -> Screening:
    screening = selectors.screening_for_review(pk=pk)
    if screening is None or not patient_visible(request, screening.patient_id):
        raise Http404
    return screening


@role_required(CLINICIAN)
@require_GET
def screening_detail(request, pk: int):
    return _render_screening(request, _screening_or_404(request, pk))


@role_required(CLINICIAN)
@require_POST
def screening_record_findings(request, pk: int):
    """Record the assessment's findings: the patient is screened again with them."""
    screening = _screening_or_404(request, pk)
    if not screening.is_current or hasattr(screening, "determination"):
        # A stale page: the screening was signed or replaced since it was opened.
        messages.error(
            request,
            "This screening is signed or replaced: findings are recorded on a current screening "
            "awaiting a decision.",
        )
        return redirect("treatments:screening_detail", pk=screening.pk)
    form = FindingForm(request.POST)
    if form.is_valid():
        try:
            new = services.finding_record(
                patient=screening.patient, recorded_by=request.user, **form.finding_kwargs()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Screened again: {RESULT_LABELS[Result(new.result)]}.")
            return redirect("treatments:screening_detail", pk=new.pk)
    return _render_screening(request, screening, finding_form=form, status=400)


def _signed_message(screening: Screening, determination: ScreeningDetermination) -> str:
    Decision = ScreeningDetermination.Decision
    if determination.decision == Decision.APPROVE:
        if determination.is_override:
            return "Signed: approved for treatment, overriding “Not a candidate”."
        return "Signed: approved for treatment."
    if determination.decision == Decision.DECLINE:
        return (
            "Signed: declined. The patient is asked to call the clinic (the message has no "
            "clinical details); if they cannot be messaged, the front desk has a task to call."
        )
    task = selectors.screening_task(screening=screening)
    if task is None:
        return "Signed: more information requested. The patient was sent a link to a new step."
    if determination.info_route == ScreeningDetermination.InfoRoute.PATIENT:
        return (
            "Signed: more information requested. The patient cannot be reached by email or "
            "text, so the front desk has a task to contact them."
        )
    return "Signed: more information requested. The front desk has a task to contact the patient."


@role_required(CLINICIAN)
@require_POST
def screening_sign(request, pk: int):
    """Sign the clinician's determination. Signed means locked."""
    screening = _screening_or_404(request, pk)
    form = DeterminationForm(request.POST, can_override=screening.result == Result.NOT_A_CANDIDATE)
    if form.is_valid():
        try:
            determination = services.screening_determine(
                screening=screening, signed_by=request.user, **form.determination_kwargs()
            )
        except ValidationError as error:
            if not hasattr(error, "error_dict"):
                # Signed by someone else meanwhile, or a newer screening: the form is moot.
                messages.error(request, " ".join(error.messages))
                return redirect("treatments:screening_detail", pk=screening.pk)
            for field, field_errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, field_errors)
        else:
            messages.success(request, _signed_message(screening, determination))
            return redirect("treatments:screening_detail", pk=screening.pk)
    return _render_screening(request, screening, determination_form=form, status=400)


# --- The rule list ---------------------------------------------------------------------------


@role_required(CLINICIAN, CLINIC_ADMIN)
@require_GET
def screening_rules(request):
    """The rules as the code holds them, grouped by the result they lead to, quoting the
    clinic's thresholds (settings) that the screening applies."""
    figures = limits.screening_limits()
    leads_to = {
        Severity.ABSOLUTE: Result.NOT_A_CANDIDATE,
        Severity.RELATIVE: Result.NEEDS_REVIEW,
        Severity.MISSING: Result.NEEDS_REVIEW,
    }
    groups = []
    for result in (Result.NOT_A_CANDIDATE, Result.NEEDS_REVIEW):
        groups.append(
            {
                "result": result.value,
                "label": RESULT_LABELS[result],
                "style": RESULT_STYLES[result],
                "rules": [
                    {
                        "id": rule.id,
                        "description": rule.describe(figures),
                        "severity": SEVERITY_LABELS[rule.severity],
                    }
                    for rule in rules.RULES
                    if leads_to[rule.severity] == result
                ],
            }
        )
    ages = rules.PREGNANCY_TEST_AGES
    thresholds = [
        ("Minimum age", f"{figures.min_age} (younger: not a candidate)"),
        (
            "Blood pressure needing review",
            f"above {figures.bp_review} mmHg (the same figures hold a dose at a session until "
            "a clinician decides)",
        ),
        ("Uncontrolled blood pressure", f"at or above {figures.bp_severe} mmHg"),
        (
            "Pulse needing review",
            f"below {figures.pulse_low} or above {figures.pulse_high} per minute",
        ),
        ("BMI needing review", f"{figures.bmi_review:g} or more"),
        (
            "Pregnancy test expected",
            f"patients assigned female at birth aged {ages.start} to {ages.stop - 1}",
        ),
    ]
    return render(
        request,
        "treatments/rules.html",
        {
            "groups": groups,
            "thresholds": thresholds,
            "ruleset_version": rules.RULESET_VERSION,
            "eligible_label": RESULT_LABELS[Result.ELIGIBLE],
            "eligible_style": RESULT_STYLES[Result.ELIGIBLE],
        },
    )


# --- Staff tasks -----------------------------------------------------------------------------

TASK_ROLES = {FRONT_DESK: StaffTask.Role.FRONT_DESK, CLINICIAN: StaffTask.Role.CLINICIAN}


def task_roles_of(user) -> list[str]:
    """The task lists a member of staff works from: their own roles' lists."""
    return [task_role for role, task_role in TASK_ROLES.items() if has_role(user, [role])]


TASK_SECTIONS = ("open",)


def _task_list_url(sizes: dict[str, int]) -> str:
    return reverse("treatments:task_list") + shown_query(sizes)


def _render_tasks(request, *, bound: tuple[int, TaskCompleteForm] | None = None, status=200):
    """The open tasks, soonest due first, 20 at a time (``?open=40`` shows 40), and the latest
    done; ``bound`` is a Mark-done form that failed, shown with its errors in its task's row."""
    roles = task_roles_of(request.user)
    location_id = current_location_id(request)  # a chain: the working location's patients'
    sizes = shown_sizes(request.GET, TASK_SECTIONS)
    open_tasks = ShownRows.asked("open", ("open task", "open tasks"), sizes)
    open_tasks.fill(
        selectors.tasks_open(roles=roles, limit=open_tasks.size + 1, location_id=location_id),
        selectors.task_open_count(roles=roles, location_id=location_id),
    )
    open_tasks.link(reverse("treatments:task_list"), sizes)
    # The query string brings an error or the list after a task is done back to the same rows.
    query = shown_query(sizes)
    bound_shown = False
    for task in open_tasks.rows:
        task.done_url = reverse("treatments:task_done", args=[task.pk]) + query
        task.patient_url = reverse("intake:patient_detail", args=[task.patient_id])
        # Formatted once: a phone number's truth test formats it too.
        task.patient_mobile = str(task.patient.mobile)
        # A booking task leads straight to the plan's booking page.
        task.book_url = (
            reverse("treatments:plan_book", args=[task.source_id])
            if task.source_kind == PLAN_BOOKING_TASK
            else None
        )
        if bound and bound[0] == task.pk:
            task.form, bound_shown = bound[1], True
        else:
            task.form = TaskCompleteForm(prefix=f"task-{task.pk}")
    if bound and not bound_shown:
        # Its row is no longer among those shown (the list moved on): say why nothing changed.
        errors = [error for errors in bound[1].errors.values() for error in errors]
        messages.error(request, f"The task was not marked done: {' '.join(errors)}")
    done = selectors.tasks_recently_done(roles=roles, location_id=location_id)
    for task in done:
        task.patient_url = reverse("intake:patient_detail", args=[task.patient_id])
    return render(
        request,
        "treatments/tasks.html",
        {
            "open_tasks": open_tasks,
            "done": done,
            "done_shown": selectors.TASKS_DONE_SHOWN,
            "several_roles": len(roles) > 1,
        },
        status=status,
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_GET
def task_list(request):
    return _render_tasks(request)


@role_required(FRONT_DESK, CLINICIAN)
@require_POST
def task_done(request, pk: int):
    task = get_object_or_404(
        scope_rows(request, StaffTask.objects.select_related("patient")),
        pk=pk,
        role__in=task_roles_of(request.user),
    )
    form = TaskCompleteForm(request.POST, prefix=f"task-{task.pk}")
    if not form.is_valid():
        return _render_tasks(request, bound=(task.pk, form), status=400)
    try:
        services.task_complete(task=task, user=request.user, outcome=form.cleaned_data["outcome"])
    except ValidationError:
        messages.info(request, "Someone else closed that task already.")
    else:
        messages.success(request, f"Task for {task.patient.full_name} marked done.")
    return redirect(_task_list_url(shown_sizes(request.GET, TASK_SECTIONS)))
