"""This app's panels on the staff home page (registered in ``TreatmentsConfig.ready``).

The front desk's: today's arrivals, open tasks and today's sessions chair by chair (a compact
chair board). The clinicians': session alerts (blood-pressure decisions waiting, adverse events),
sessions to sign and screenings to review. Each costs one or two queries.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Window
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from clinic.home import register_panel
from clinic.locations import current_location, current_location_id
from clinic.roles import CLINICIAN, FRONT_DESK, has_role

from . import ledger_rules, limits
from .models import SessionEvent, StaffTask, TreatmentSession, VitalsReading
from .screening_rules import RESULT_LABELS, Result
from .selectors import booking as booking_selectors
from .selectors import counts as count_selectors
from .selectors import rems as rems_selectors
from .selectors import screening as selectors
from .selectors import sessions as session_selectors
from .selectors.booking import day_bounds
from .selectors.ledger import daily_count_due
from .selectors.sessions import at_chairs_of
from .services import sessions as session_services
from .views.booking import CHAIR_LOCATION_KEY, STATUS_STYLES

ADVERSE_EVENT_DAYS = 7
ADVERSE_EVENTS_SHOWN = 5
BOARD_PANEL = "treatments-sessions-today"
FREE_CHAIRS_LISTED = 8
BP_GROUP_ID = "bp-decisions"
FASTING_GROUP_ID = "fasting-decisions"
ADVERSE_GROUP_ID = "adverse-events"


def _session_url(session_id: int, anchor: str = "") -> str:
    url = reverse("treatments:session_detail", args=[session_id])
    return f"{url}#{anchor}" if anchor else url


# --- Reads only the home page makes -------------------------------------------------------------


def sessions_waiting_for_a_decision(
    *, now: datetime, location_id: int | None = None
) -> list[TreatmentSession]:
    """Today's checked-in sessions waiting for a clinician's decision before the dose: a
    baseline blood pressure above the gate (the rule of ``services.bp_gated``, in SQL) or
    fasting shorter than the clinic's hours (``services.fasting_shortfalls``), with no
    decision yet; at one location's chairs, given ``location_id`` ("today" is the day in the
    zone the request shows: the location's, in a chain). Each with ``bp_waiting``,
    ``fasting_waiting`` and ``baseline_systolic``/``baseline_diastolic``; one query."""
    start, end = day_bounds(timezone.localdate(now))
    baseline = VitalsReading.objects.filter(
        session=OuterRef("pk"), kind=VitalsReading.Kind.BASELINE
    ).order_by("taken_at", "id")
    gate = limits.blood_pressure()
    above_gate = baseline.filter(
        Q(systolic__gt=gate.gate_systolic) | Q(diastolic__gt=gate.gate_diastolic)
    )
    fasting = limits.fasting()
    fasting_short = Q(fasting_hours__lt=fasting.food_hours) | Q(
        clear_liquids_hours__lt=fasting.clear_liquid_hours
    )
    checked_in = TreatmentSession.objects.filter(
        (Exists(above_gate) & Q(bp_gate_decision="")) | (fasting_short & Q(fasting_decision="")),
        starts_at__gte=start,
        starts_at__lt=end,
        status=TreatmentSession.Status.CHECKED_IN,
    )
    sessions = list(
        at_chairs_of(checked_in, location_id)
        .select_related("patient", "chair")
        .annotate(
            above_gate=Exists(above_gate),
            baseline_systolic=Subquery(baseline.values("systolic")[:1]),
            baseline_diastolic=Subquery(baseline.values("diastolic")[:1]),
        )
        .order_by("starts_at", "pk")
    )
    for session in sessions:
        session.bp_waiting = session.above_gate and not session.bp_gate_decision
        session.fasting_shortfalls = session_services.fasting_shortfalls(session)
        session.fasting_waiting = bool(session.fasting_shortfalls) and not session.fasting_decision
    return sessions


def recent_adverse_events(
    *, now: datetime, location_id: int | None = None
) -> tuple[int, list[SessionEvent]]:
    """Adverse events of the last ``ADVERSE_EVENT_DAYS`` days (in sessions at one location's
    chairs, given ``location_id``): how many, and the newest few with their session's patient.
    One query (the total is a window over the whole match)."""
    recent = SessionEvent.objects.filter(
        kind=SessionEvent.Kind.ADVERSE_EVENT,
        occurred_at__gte=now - timedelta(days=ADVERSE_EVENT_DAYS),
    )
    events = list(
        at_chairs_of(recent, location_id, prefix="session__")
        .select_related("session__patient")
        .annotate(total=Window(Count("id")))
        .order_by("-occurred_at", "-id")[:ADVERSE_EVENTS_SHOWN]
    )
    return (events[0].total if events else 0), events


# --- The front desk -----------------------------------------------------------------------------


def arrivals_panel(request: HttpRequest) -> dict | None:
    """Front desk: who is still to arrive today (and who is late), and who is checked in."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    # A chain: the arrivals at the location the person works in.
    counts = booking_selectors.arrivals_counts(location=current_location(request))
    board = reverse("treatments:chair_board")
    return {
        "title": "Arrivals",
        "audience": FRONT_DESK,
        "counts": [
            {"label": "Still to arrive today", "count": counts["expected"], "url": board},
            {
                "label": "Not arrived, past their start time",
                "count": counts["late"],
                "url": board,
                "urgent": True,
            },
            {"label": "Checked in", "count": counts["checked_in"], "url": board},
        ],
        "link": {"label": "Check patients in", "url": f"#panel-{BOARD_PANEL}"},
        "urgent": bool(counts["late"]),
    }


def front_desk_tasks_panel(request: HttpRequest) -> dict | None:
    if not has_role(request.user, [FRONT_DESK]):
        return None
    tasks = reverse("treatments:task_list")
    count = selectors.task_open_count(
        roles=[StaffTask.Role.FRONT_DESK], location_id=current_location_id(request)
    )
    return {
        "title": "Tasks",
        "audience": FRONT_DESK,
        "counts": [{"label": "Open tasks", "count": count, "url": tasks}],
        "link": {"label": "Open the task list", "url": tasks},
    }


def sessions_today_panel(request: HttpRequest) -> dict | None:
    """Front desk: today's sessions chair by chair, each with its time, patient and status, a
    booked one with its check-in; the full chair board behind it."""
    if not has_role(request.user, [FRONT_DESK]):
        return None
    board = reverse("treatments:chair_board")
    # A chain: the location the person works in; one clinic with many chairs over several
    # locations: the one the person last chose on the board.
    scope = booking_selectors.chair_scope(
        workplace=current_location(request), preferred=request.session.get(CHAIR_LOCATION_KEY)
    )
    chairs = booking_selectors.chairs_day(day=timezone.localdate(), scope=scope)
    free = [chair_day for chair_day in chairs if not chair_day.sessions]
    # A clinic's few chairs are each shown, free ones too; a chain's hundreds are not.
    listed = chairs if len(free) <= FREE_CHAIRS_LISTED else [c for c in chairs if c.sessions]
    holding = 0
    groups = []
    for chair_day in listed:
        items = []
        for session in chair_day.sessions:
            holding += session.status in booking_selectors.HOLDING_STATUSES
            starts = f"{timezone.localtime(session.starts_at):%H:%M}"
            name = session.patient.full_name
            url = reverse("treatments:session_detail", args=[session.pk])
            item = {
                "lead": starts,
                "text": name,
                "url": url,
                "badge": session.get_status_display(),
                "badge_style": STATUS_STYLES.get(session.status, "text-bg-secondary"),
            }
            if session.status == TreatmentSession.Status.BOOKED:
                item["action"] = {
                    "label": "Check in",
                    "url": f"{url}#check-in",
                    "context": f"{name} at {starts}",
                }
            items.append(item)
        groups.append({"title": chair_day.name, "items": items, "empty": "No sessions."})
    if len(listed) < len(chairs):
        groups.append(
            {
                "title": "Other chairs",
                "items": [],  # named, or the template would find dict.items
                "empty": f"{len(free)} chairs have no sessions today.",
            }
        )
    return {
        "title": "Today's sessions"
        + ("" if scope.location is None else f" at {scope.location.name}"),
        "audience": FRONT_DESK,
        "counts": [{"label": "Booked today", "count": holding, "url": board}],
        "groups": groups,
        "link": {"label": "Open the chair board", "url": board},
        "wide": True,
    }


# --- Clinicians ---------------------------------------------------------------------------------


def session_alerts_panel(request: HttpRequest) -> dict | None:
    """Clinicians: patients in the chair waiting for a blood-pressure or fasting decision
    (urgent: dosing is blocked), and the last week's adverse events."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    now = timezone.now()
    location_id = current_location_id(request)  # a chain: the sessions at its chairs
    waiting_for_a_decision = sessions_waiting_for_a_decision(now=now, location_id=location_id)
    waiting = [session for session in waiting_for_a_decision if session.bp_waiting]
    fasting_waiting = [session for session in waiting_for_a_decision if session.fasting_waiting]
    adverse_total, adverse = recent_adverse_events(now=now, location_id=location_id)
    bp_items = [
        {
            "lead": f"{timezone.localtime(session.starts_at):%H:%M}",
            "text": session.patient.full_name,
            "url": _session_url(session.pk, "pre-dose"),
            "detail": (
                f"{session.chair.name} · baseline "
                f"{session.baseline_systolic}/{session.baseline_diastolic}"
            ),
            "urgent": True,
        }
        for session in waiting
    ]
    fasting_items = [
        {
            "lead": f"{timezone.localtime(session.starts_at):%H:%M}",
            "text": session.patient.full_name,
            "url": _session_url(session.pk, "pre-dose"),
            "detail": f"{session.chair.name} · {'; '.join(session.fasting_shortfalls)}",
            "urgent": True,
        }
        for session in fasting_waiting
    ]
    adverse_items = [
        {
            "lead": f"{timezone.localtime(event.occurred_at):%m/%d %H:%M}",
            "text": event.session.patient.full_name,
            "url": _session_url(event.session_id, "events"),
            "detail": event.description,
        }
        for event in adverse
    ]
    return {
        "title": "Session alerts",
        "audience": CLINICIAN,
        "counts": [
            {
                "label": "Blood pressure above the gate: decision waiting",
                "count": len(waiting),
                "url": f"#{BP_GROUP_ID}",
                "urgent": True,
            },
            {
                "label": "Fasting shorter than the clinic's hours: decision waiting",
                "count": len(fasting_waiting),
                "url": f"#{FASTING_GROUP_ID}",
                "urgent": True,
            },
            {
                "label": f"Adverse events in the last {ADVERSE_EVENT_DAYS} days",
                "count": adverse_total,
                "url": f"#{ADVERSE_GROUP_ID}",
            },
        ],
        "groups": [
            {
                "id": BP_GROUP_ID,
                "title": "Blood-pressure decisions waiting",
                "items": bp_items,
                "empty": "None today.",
            },
            {
                "id": FASTING_GROUP_ID,
                "title": "Fasting decisions waiting",
                "items": fasting_items,
                "empty": "None today.",
            },
            {
                "id": ADVERSE_GROUP_ID,
                "title": "Adverse events",
                "items": adverse_items,
                "empty": f"None in the last {ADVERSE_EVENT_DAYS} days.",
                "more": max(adverse_total - len(adverse_items), 0),
            },
        ],
        "urgent": bool(waiting_for_a_decision),
    }


def screenings_to_review_panel(request: HttpRequest) -> dict | None:
    """Clinicians: the worklist's size, by result, flagged first."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    counts = selectors.screening_worklist_counts(location_id=current_location_id(request))
    worklist = reverse("treatments:screening_worklist")
    return {
        "title": "Screenings to review",
        "audience": CLINICIAN,
        "counts": [
            {"label": RESULT_LABELS[result], "count": counts[result.value], "url": worklist}
            for result in (Result.NOT_A_CANDIDATE, Result.NEEDS_REVIEW, Result.ELIGIBLE)
        ],
        "link": {"label": "Open the screening worklist", "url": worklist},
    }


def sessions_to_sign_panel(request: HttpRequest) -> dict | None:
    """Clinicians: session notes waiting for a signature (the list they open)."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    count = session_selectors.sessions_to_sign_count(location_id=current_location_id(request))
    worklist = reverse("treatments:sessions_to_sign")
    return {
        "title": "Sessions to sign",
        "audience": CLINICIAN,
        "counts": [{"label": "Waiting for a signature", "count": count, "url": worklist}],
        "link": {"label": "Open the sessions to sign", "url": worklist},
    }


REMS_FORMS_SHOWN = 5


def rems_forms_due_panel(request: HttpRequest) -> dict | None:
    """Clinicians: esketamine monitoring forms still to submit, the first few (those within 2
    days of the 7-day limit urgent), the list behind it. Two queries
    on the forms' index: how many (the index alone) and the first few (the scan stops there)."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    location = current_location(request)  # a chain: the forms of the working location
    total, sessions = rems_selectors.forms_to_submit_first(
        limit=REMS_FORMS_SHOWN, location_id=location.pk if location is not None else None
    )
    today = timezone.localdate()
    items = [
        {
            "lead": f"due {session.due:%m/%d}",
            "text": session.patient.full_name,
            "url": reverse("treatments:session_rems", args=[session.pk]),
            "detail": f"Session of {timezone.localtime(session.administration_started_at):%m/%d}",
            "urgent": ledger_rules.rems_form_urgent(session.due, today),
        }
        for session in sessions
    ]
    forms_due = reverse("treatments:rems_forms_due")
    return {
        "title": "REMS monitoring forms due",
        "audience": CLINICIAN,
        "counts": [{"label": "Forms to submit", "count": total, "url": forms_due}],
        "items": items,
        "items_more": max(total - len(items), 0),
        "link": {"label": "Open the forms due", "url": forms_due},
        "urgent": any(item["urgent"] for item in items),
    }


# --- Clinicians: the controlled-substance counts ------------------------------------------------


def discrepancies_panel(request: HttpRequest) -> dict | None:
    """Clinicians, urgent: every count that did not match the ledger and is not explained yet
    (21 CFR 1301.76: a loss is reported within one business day of discovery). One query."""
    if not has_role(request.user, [CLINICIAN]):
        return None
    total, open_ones = count_selectors.open_discrepancies(location=current_location(request))
    if not total:
        return None
    items = []
    for discrepancy in open_ones:
        product = discrepancy.container.product
        difference = discrepancy.difference
        sign = "+" if difference > 0 else ""
        counted_at = timezone.localtime(discrepancy.count_entry.occurred_at)
        items.append(
            {
                "lead": discrepancy.container.label,
                "text": f"{sign}{count_selectors.quantity_text(difference, product)}",
                "url": reverse("treatments:ledger_discrepancy", args=[discrepancy.pk]),
                "detail": f"Count of {counted_at:%m/%d/%Y %H:%M}",
                "urgent": True,
            }
        )
    return {
        "title": "Controlled-substance discrepancies",
        "audience": CLINICIAN,
        "counts": [
            {
                "label": "Counts that do not match the ledger: to resolve",
                "count": total,
                "url": "#open-discrepancies",
                "urgent": True,
            }
        ],
        "items_title": "Open discrepancies",
        "items_id": "open-discrepancies",
        "items": items,
        "items_more": max(total - len(items), 0),
        "link": {"label": "Open the counts", "url": reverse("treatments:ledger_counts")},
        "urgent": True,
    }


def daily_count_panel(request: HttpRequest) -> dict | None:
    """Clinicians: on a clinic day, with stock on the shelf, the end-of-day count not done yet
    (the setting CLINIC_LEDGER_DAILY_COUNT). One query, none on a closed day: the stock on
    hand's rows of the registration, not every container ever received."""
    if not settings.CLINIC_LEDGER_DAILY_COUNT or not has_role(request.user, [CLINICIAN]):
        return None
    today = timezone.localdate()
    if today.weekday() not in limits.opening_hours():
        return None
    if not daily_count_due(today=today, location=current_location(request)):
        return None
    url = f"{reverse('treatments:ledger_count_new')}?kind=daily"
    return {
        "title": "End-of-day count",
        "audience": CLINICIAN,
        "items": [{"text": "Today's controlled-substance count is not done yet", "url": url}],
        "link": {"label": "Start today's count", "url": url},
    }


def register() -> None:
    # Orders place a panel within its role's part of the page (clinic.home).
    register_panel("treatments-arrivals", arrivals_panel, order=10)
    register_panel("treatments-tasks", front_desk_tasks_panel, order=20)
    register_panel(BOARD_PANEL, sessions_today_panel, order=90)
    register_panel("treatments-session-alerts", session_alerts_panel, order=11)
    register_panel("treatments-sessions-to-sign", sessions_to_sign_panel, order=20)
    register_panel("treatments-screening", screenings_to_review_panel, order=22)
    register_panel("treatments-discrepancies", discrepancies_panel, order=5)
    register_panel("treatments-daily-count", daily_count_panel, order=25)
    register_panel("treatments-rems-forms", rems_forms_due_panel, order=21)
