"""The clinic's outcomes report for a period, worked out in the background and kept a while.

At 100,000 patients six months of outcomes read 16,000 patients' 600,000 scores and 200,000
sessions: 3.5 s of work, the same figures for every clinician and admin who asks, and figures
over months that a few minutes do not change. So a period's report is kept in the shared cache
(Redis in production) for ``REPORT_SECONDS``, and beat works out the page's default period
(the last six months, every route) every ``REFRESH_SECONDS`` (``refresh_outcomes``), before the
kept one runs out: the page opens at once, saying when its figures were worked out. Another
period or a single route is worked out on the first request and kept the same way.

In a chain of clinics a report is also of a location's patients, or of the patients a member of
staff may see across the chain (``location_ids``): each such cut is kept under its own key, its
period read on the location's clock. Beat works out the default period of the whole chain (what
chain-wide staff and one clinic see); a location's is worked out on its first request.

The report holds aggregate figures only (rates, medians, counts by route), no patient's record.
When the cache cannot be reached, the report is worked out for the request.
"""

import logging
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from intake.access import LocationIds
from treatments.dosing import ROUTE_LABELS

from . import outcomes as rules
from . import timing_settings
from .forms_outcomes import OutcomesPeriodForm
from .selectors import outcomes as selectors
from .survey_questions import SIDE_EFFECTS

logger = logging.getLogger(__name__)

REPORT_SECONDS = 15 * 60
REFRESH_SECONDS = 10 * 60  # beat's period for the default report: inside REPORT_SECONDS
ROUTES = [(route.value, label) for route, label in ROUTE_LABELS.items()]
EFFECT_CODES = [code for code, _label in SIDE_EFFECTS]
# v2: the report's figures changed shape (end-of-induction time points, symptomatic baselines):
# a report kept by the previous version is not read back.
_KEY = "clinic:outcomes:v2:{start}:{end}:{route}"
# A report of some locations' patients (a chain) adds them to the key: ":at:3,7".
_LOCATIONS_KEY = ":at:{ids}"


@dataclass(frozen=True)
class OutcomeReport:
    rows: list[rules.RouteOutcomes]  # "All routes" first, unless one route was chosen
    computed_at: datetime


def report_key(
    *, start: datetime, end: datetime, route: str | None, location_ids: LocationIds = None
) -> str:
    key = _KEY.format(start=start.isoformat(), end=end.isoformat(), route=route or "all")
    if location_ids is not None:
        key += _LOCATIONS_KEY.format(ids=",".join(str(pk) for pk in sorted(set(location_ids))))
    return key


def outcome_report(
    *,
    start: datetime,
    end: datetime,
    route: str | None,
    location_ids: LocationIds = None,
    fresh: bool = False,
) -> OutcomeReport:
    """The report of [start, end) for ``route`` (None: every route) over the patients seen at
    ``location_ids`` (None: every patient): the kept one unless ``fresh``, else worked out now
    and kept."""
    key = report_key(start=start, end=end, route=route, location_ids=location_ids)
    if not fresh:
        try:
            kept = cache.get(key)
        except Exception:
            logger.warning("shared cache unreachable: outcomes worked out for this request")
            kept = None
        if kept is not None:
            return kept
    report = OutcomeReport(
        rows=_rows(start=start, end=end, route=route, location_ids=location_ids),
        computed_at=timezone.now(),
    )
    try:
        cache.set(key, report, REPORT_SECONDS)
    except Exception:
        logger.warning("shared cache unreachable: outcomes report not kept")
    return report


def _rows(
    *, start: datetime, end: datetime, route: str | None, location_ids: LocationIds
) -> list[rules.RouteOutcomes]:
    data = selectors.outcome_data(
        start=start, end=end, effects=EFFECT_CODES, route=route, location_ids=location_ids
    )
    rows = rules.clinic_outcomes(
        courses=data.courses,
        session_tallies=data.session_tallies,
        routes=[(code, label) for code, label in ROUTES if route in (None, code)],
        rise_points=settings.CLINIC_MAINTENANCE_RISE_POINTS,
        baseline_min=settings.CLINIC_OUTCOME_BASELINE_MIN,
        effects=EFFECT_CODES,
    )
    # One route chosen: its row is the whole cohort, "All routes" would repeat it.
    return rows[1:] if route else rows


def clinic_today() -> date:
    return today_in(timing_settings.clinic_zone())


def today_in(zone: tzinfo) -> date:
    """Today on a location's clock (the clinic's, with one clinic)."""
    return timezone.now().astimezone(zone).date()


def default_report_refresh() -> OutcomeReport:
    """Work out the page's default period (every route) again and keep it."""
    form = OutcomesPeriodForm({}, today=clinic_today())
    if not form.is_valid():  # pragma: no cover - the defaults are always a valid period
        raise ValueError(form.errors)
    start, end = form.bounds(timing_settings.clinic_zone())
    return outcome_report(start=start, end=end, route=None, fresh=True)
