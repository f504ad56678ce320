"""Booking pages for the front desk and clinicians: book a plan's series on the chairs, move or
cancel a session, mark a no-show, and the chair board of a day."""

from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from clinic.date_bounds import clinic_dates
from clinic.locations import current_location
from clinic.roles import CLINICIAN, FRONT_DESK, role_required
from intake.access import scope_rows

from ..forms_booking import CancelForm, SlotForm
from ..models import TreatmentPlan, TreatmentSession
from ..selectors import booking as selectors
from ..services import booking as services
from . import post_or_back

STATUS_STYLES = {
    TreatmentSession.Status.BOOKED: "text-bg-primary",
    TreatmentSession.Status.CHECKED_IN: "text-bg-info",
    TreatmentSession.Status.IN_PROGRESS: "text-bg-warning",
    TreatmentSession.Status.COMPLETED: "text-bg-success",
    TreatmentSession.Status.CANCELLED: "text-bg-secondary",
    TreatmentSession.Status.NO_SHOW: "text-bg-danger",
}


# The location (its id) a person last chose for the board and the chair pickers of one clinic
# with many chairs (not health data); a chain shows the location the person works in.
CHAIR_LOCATION_KEY = "treatments_chair_location"


def _session_url(session: TreatmentSession) -> str:
    return reverse("treatments:session_detail", args=[session.pk])


def _when(session: TreatmentSession) -> str:
    starts, ends = timezone.localtime(session.starts_at), timezone.localtime(session.ends_at)
    return f"{starts:%m/%d/%Y} {starts:%H:%M}\N{EN DASH}{ends:%H:%M}"


def chair_scope_for(request, *, preferred: int | None = None) -> selectors.ChairScope:
    """The chairs the page shows. In a chain: the location the person works in. Otherwise the
    location asked for in the query string (then kept in the session as the person's choice),
    else ``preferred``, else the last one chosen (chair_scope decides whether to choose)."""
    workplace = current_location(request)
    if workplace is not None:
        return selectors.chair_scope(workplace=workplace)
    requested = request.GET.get("location")
    remembered = request.session.get(CHAIR_LOCATION_KEY)
    scope = selectors.chair_scope(
        requested=requested, preferred=remembered if preferred is None else preferred
    )
    if scope.locations and str(scope.location.pk) == requested and scope.location.pk != remembered:
        request.session[CHAIR_LOCATION_KEY] = scope.location.pk
    return scope


def _location_query(scope: selectors.ChairScope) -> str:
    """The location chosen in the page's select as a query string ("" without a select)."""
    return urlencode({"location": scope.location.pk}) if scope.locations else ""


# --- Booking a plan's series -----------------------------------------------------------------


def _slot_forms(proposal, chairs, data=None) -> list[SlotForm]:
    forms = []
    for index, proposed in enumerate(proposal.proposed):
        initial = {
            "starts_on": proposed.starts_on,
            "starts_at_time": proposed.starts_at_time,
            "chair": proposed.chair_id,
        }
        forms.append(SlotForm(data, prefix=f"row-{index}", initial=initial, chairs=chairs))
    return forms


def _render_plan_book(request, plan, proposal, forms, scope, *, status=200):
    for session in proposal.booked:
        session.url = _session_url(session)
        session.when = _when(session)
        session.status_style = STATUS_STYLES.get(session.status, "text-bg-secondary")
    return render(
        request,
        "treatments/booking/plan_book.html",
        {
            "plan": plan,
            "patient": plan.patient,
            "version": proposal.version,
            "minutes": services.session_minutes(proposal.version),
            "booked": proposal.booked,
            "rows": list(enumerate(forms, start=1)),
            "scope": scope,
            "location_query": _location_query(scope),
        },
        status=status,
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_http_methods(["GET", "POST"])
def plan_book(request, pk: int):
    """The series the plan proposes, one row per session still to book; book one row or all."""
    plan = get_object_or_404(
        scope_rows(request, TreatmentPlan.objects.select_related("patient")),
        pk=pk,
        status=TreatmentPlan.Status.ACTIVE,
    )
    scope = chair_scope_for(request)
    proposal = selectors.plan_series_proposal(plan=plan, scope=scope)
    chairs = proposal.chairs
    if request.method == "GET":
        return _render_plan_book(request, plan, proposal, _slot_forms(proposal, chairs), scope)

    forms = _slot_forms(proposal, chairs, data=request.POST)
    if "book_all" in request.POST:
        chosen = list(range(len(forms)))
    else:
        try:
            chosen = [int(request.POST.get("book_row", "")) - 1]
        except ValueError:
            chosen = []
        if not chosen or not 0 <= chosen[0] < len(forms):
            messages.error(request, "Choose a session to book.")
            return _back_to_plan_book(plan, scope)

    booked = []
    for index in chosen:
        form = forms[index]
        if not form.is_valid():
            break
        try:
            session = services.session_book(
                plan=plan,
                chair=form.chosen_chair(),
                starts_at=form.starts_at(),
                booked_by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            break
        booked.append(session)

    if booked:
        listed = "; ".join(f"{_when(s)} on {s.chair.name}" for s in booked)
        count = len(booked)
        messages.success(request, f"Booked {count} session{'s' if count > 1 else ''}: {listed}.")
    if len(booked) == len(chosen):
        return _back_to_plan_book(plan, scope)
    failed = chosen[len(booked)]
    if booked:
        day = getattr(forms[failed], "cleaned_data", {}).get("starts_on")
        which = f"the session of {day:%m/%d/%Y}" if day else f"session {failed + 1}"
        messages.error(request, f"Stopped at {which}: it and the ones after it are not booked.")
    # The rows just booked leave the list; the others keep what was typed (renumbered), and
    # the refused one shows why.
    done = set(chosen[: len(booked)])
    rows = []
    for form in (form for index, form in enumerate(forms) if index not in done):
        prefix = f"row-{len(rows)}"
        values = {
            f"{prefix}-{name}": request.POST.get(form.add_prefix(name), "") for name in form.fields
        }
        rebound = SlotForm(values, prefix=prefix, chairs=chairs)
        if form is forms[failed]:
            rebound.is_valid()
            for error in form.non_field_errors():
                rebound.add_error(None, error)
        rows.append(rebound)
    proposal = selectors.plan_series_proposal(plan=plan, scope=scope)
    return _render_plan_book(request, plan, proposal, rows, scope, status=400)


def _back_to_plan_book(plan, scope):
    url = reverse("treatments:plan_book", args=[plan.pk])
    query = _location_query(scope)
    return redirect(f"{url}?{query}" if query else url)


# --- One booked session: move, cancel, no-show ------------------------------------------------


def _booked_session(request, pk: int) -> TreatmentSession:
    sessions = scope_rows(request, TreatmentSession.objects.select_related("patient", "chair"))
    return get_object_or_404(sessions, pk=pk)


def _manage_scope(request, session: TreatmentSession) -> selectors.ChairScope:
    """The chairs to move the session to: its own location's unless another is asked for (a
    chain: the location the person works in)."""
    return chair_scope_for(request, preferred=session.chair.location_id)


def _slot_chairs(session: TreatmentSession, scope: selectors.ChairScope):
    """The scope's chairs in use, with the session's own chair first when it is not one."""
    chairs = selectors.bookable_chairs(scope=scope)
    if session.chair_id not in {chair.pk for chair in chairs}:
        chairs.insert(0, session.chair)
    return chairs


def _render_manage(request, session, scope, *, slot_form=None, cancel_form=None, status=200):
    local = timezone.localtime(session.starts_at)
    if slot_form is None:
        slot_form = SlotForm(
            initial={
                "starts_on": local.date(),
                "starts_at_time": local.time(),
                "chair": session.chair_id,
            },
            chairs=_slot_chairs(session, scope),
        )
    board_query = {"date": f"{local.date():%Y-%m-%d}"}
    if scope.locations and session.chair.location_id is not None:
        board_query["location"] = session.chair.location_id
    return render(
        request,
        "treatments/booking/manage.html",
        {
            "session": session,
            "patient": session.patient,
            "when": _when(session),
            "status_style": STATUS_STYLES.get(session.status, "text-bg-secondary"),
            "session_url": _session_url(session),
            "is_booked": session.status == TreatmentSession.Status.BOOKED,
            "can_cancel": session.status in services.CANCELLABLE,
            "can_mark_no_show": session.status == TreatmentSession.Status.BOOKED
            and timezone.now() >= session.starts_at,
            "slot_form": slot_form,
            "cancel_form": cancel_form or CancelForm(),
            "board_url": f"{reverse('treatments:chair_board')}?{urlencode(board_query)}",
            "scope": scope,
            "location_query": _location_query(scope),
        },
        status=status,
    )


@role_required(FRONT_DESK, CLINICIAN)
@require_GET
def booking_manage(request, pk: int):
    session = _booked_session(request, pk)
    return _render_manage(request, session, _manage_scope(request, session))


@role_required(FRONT_DESK, CLINICIAN)
@post_or_back("treatments:booking_manage")
def booking_reschedule(request, pk: int):
    session = _booked_session(request, pk)
    scope = _manage_scope(request, session)
    form = SlotForm(request.POST, chairs=_slot_chairs(session, scope))
    if form.is_valid():
        try:
            session = services.session_reschedule(
                session=session,
                starts_at=form.starts_at(),
                chair=form.chosen_chair(),
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Moved to {_when(session)} on {session.chair.name}.")
            return redirect("treatments:booking_manage", pk=session.pk)
    return _render_manage(request, session, scope, slot_form=form, status=400)


@role_required(FRONT_DESK, CLINICIAN)
@post_or_back("treatments:booking_manage")
def booking_cancel(request, pk: int):
    session = _booked_session(request, pk)
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            services.session_cancel(
                session=session, reason=form.cleaned_data["reason"], user=request.user
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                form.add_error(None, error.messages)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("treatments:booking_manage", pk=session.pk)
        else:
            messages.success(request, f"Cancelled the session of {_when(session)}.")
            return redirect("treatments:booking_manage", pk=session.pk)
    return _render_manage(
        request, session, _manage_scope(request, session), cancel_form=form, status=400
    )


@role_required(FRONT_DESK, CLINICIAN)
@post_or_back("treatments:booking_manage")
def booking_no_show(request, pk: int):
    session = _booked_session(request, pk)
    try:
        services.session_mark_no_show(session=session, user=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Marked as a no-show: {_when(session)}.")
    return redirect("treatments:booking_manage", pk=session.pk)


# --- The chair board -------------------------------------------------------------------------


@role_required(FRONT_DESK, CLINICIAN)
@require_GET
def chair_board(request):
    """One day's sessions: a column per chair, a row per hour (clinic time)."""
    try:
        day = date.fromisoformat(request.GET.get("date", ""))
        clinic_dates(day)
    except (ValueError, ValidationError):  # not a date, or not one the clinic can mean
        day = timezone.localdate()
    scope = chair_scope_for(request)
    board = selectors.chair_board(day=day, scope=scope)
    for row in board.rows:
        for cell in row.cells:
            for session in (entry.session for entry in cell if not entry.continues):
                session.url = reverse("treatments:session_detail", args=[session.pk])
                session.manage_url = reverse("treatments:booking_manage", args=[session.pk])
                session.status_style = STATUS_STYLES.get(session.status, "text-bg-secondary")
                session.holds_chair = session.status not in (
                    TreatmentSession.Status.CANCELLED,
                    TreatmentSession.Status.NO_SHOW,
                )
    return render(
        request,
        "treatments/booking/board.html",
        {
            "board": board,
            "scope": scope,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "is_today": day == timezone.localdate(),
            "location_query": _location_query(scope),
        },
    )
