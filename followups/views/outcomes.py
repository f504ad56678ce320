"""The clinic's outcomes for a period, by route: response and remission at 24 hours, 7 and 14
days after the first session and after the end of the induction series, time to response, how
long it lasted, and side effects; as a page and as a CSV of aggregate figures (no names or
MRNs).

In a chain of clinics the page counts the patients of one location (the working one unless
another is chosen) or of the whole chain, among the locations whose patients the member of
staff may see (every location for chain-wide staff), each period on that location's clock.
"""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.text import slugify
from django.views.decorators.http import require_GET

from clinic.roles import CLINIC_ADMIN, CLINICIAN, role_required
from intake.access import LocationIds, patient_scope

from .. import outcomes as rules
from .. import reports, timing_settings
from ..forms_outcomes import OutcomesPeriodForm
from ..reports import EFFECT_CODES
from ..survey_questions import SIDE_EFFECTS


def _period_form(request) -> OutcomesPeriodForm:
    workplace = getattr(request, "workplace", None)
    if workplace is None:  # one clinic
        form = OutcomesPeriodForm(request.GET, today=reports.clinic_today())
    else:
        form = OutcomesPeriodForm(
            request.GET, locations=workplace.choices, default_location=workplace.location
        )
    form.is_valid()
    return form


def _report_zone(form: OutcomesPeriodForm):
    return form.zone() if "location" in form.fields else timing_settings.clinic_zone()


def _location_ids(request, form: OutcomesPeriodForm) -> LocationIds:
    """The patients counted: the chosen location's; for the whole chain those the member of
    staff may see (None: every patient, as with one clinic)."""
    location = form.chosen_location
    if location is not None:
        return [location.pk]
    return patient_scope(request)


def _report(request, form: OutcomesPeriodForm) -> reports.OutcomeReport:
    start, end = form.bounds(_report_zone(form))
    return reports.outcome_report(
        start=start,
        end=end,
        route=form.cleaned_data.get("route") or None,
        location_ids=_location_ids(request, form),
    )


def _query(form: OutcomesPeriodForm) -> str:
    """The page's choices as a query string (the CSV of exactly this page, whatever default
    filled the period or the location)."""
    choices = {
        "start": form.cleaned_data["start"].isoformat(),
        "end": form.cleaned_data["end"].isoformat(),
        "route": form.cleaned_data.get("route") or "",
    }
    if "location" in form.fields:
        choices = {"location": form.cleaned_data["location"]} | choices
    return urlencode(choices)


def _score_tables(rows: list[rules.RouteOutcomes]) -> list[dict]:
    tables = []
    for instrument, instrument_label in rules.INSTRUMENTS:
        for kind, title in (
            (rules.RESPONSE, "response (score at least 50% below baseline)"),
            (rules.REMISSION, "remission (score below 5)"),
        ):
            tables.append(
                {
                    "slug": f"{instrument}-{kind}",
                    "title": f"{instrument_label} {title}",
                    "rows": [
                        {
                            "label": row.label,
                            "rates": [
                                row.rate(instrument, kind, rules.point_code(point, anchor))
                                for anchor, _anchor_label in rules.ANCHORS
                                for point in rules.TIME_POINTS
                            ],
                        }
                        for row in rows
                    ],
                }
            )
    return tables


@require_GET
@role_required(CLINICIAN, CLINIC_ADMIN)
def outcomes(request):
    form = _period_form(request)
    context = {"form": form, "time_points": rules.TIME_POINTS, "anchors": rules.ANCHORS}
    if "location" in form.fields:
        context |= {
            "chain": True,
            "location_value": form.cleaned_data.get("location") or form["location"].value(),
        }
    if form.is_valid():
        report = _report(request, form)
        rows = report.rows
        effect_labels = dict(SIDE_EFFECTS)
        scope = rows[0]
        context |= {
            "period_start": form.cleaned_data["start"],
            "period_end": form.cleaned_data["end"],
            "route": form.cleaned_data.get("route") or "",
            "rows": rows,
            "computed_at": report.computed_at,
            "report_minutes": reports.REPORT_SECONDS // 60,
            "score_tables": _score_tables(rows),
            "scope": scope,
            "side_effect_rows": [
                {
                    "label": effect_labels[code],
                    "any": scope.side_effects.any_severity[code],
                    "severe": scope.side_effects.severe[code],
                }
                for code in EFFECT_CODES
            ],
            "logged_rows": [
                {"label": label, "rate": scope.side_effects.logged[kind]}
                for kind, label in rules.SIDE_EFFECT_EVENT_KINDS
            ],
            "rise_points": settings.CLINIC_MAINTENANCE_RISE_POINTS,
            "baseline_min": settings.CLINIC_OUTCOME_BASELINE_MIN,
            "response_search_days": rules.RESPONSE_SEARCH.days,
            "windows": [
                (point, _hours_or_days(point.opens), _hours_or_days(point.closes))
                for point in rules.TIME_POINTS
            ],
            "csv_query": _query(form),
        }
        if "location" in form.fields:
            context |= {
                "report_location": form.chosen_location,
                "report_zone": _report_zone(form),
                "chain_wide": patient_scope(request) is None,
            }
    return render(request, "followups/outcomes/outcomes.html", context)


def _hours_or_days(delta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return f"{hours} hours" if hours < 120 and hours % 24 else f"{hours // 24} days"


@require_GET
@role_required(CLINICIAN, CLINIC_ADMIN)
def outcomes_csv(request):
    form = _period_form(request)
    if not form.is_valid():
        errors = "; ".join(" ".join(messages) for messages in form.errors.values())
        return HttpResponseBadRequest(errors, content_type="text/plain; charset=utf-8")
    rows = _report(request, form).rows
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    route = form.cleaned_data.get("route")
    filename = f"outcomes_{start:%Y-%m-%d}_to_{end:%Y-%m-%d}{f'_{route}' if route else ''}.csv"
    if "location" in form.fields:
        location = form.chosen_location
        where = slugify(location.name) if location is not None else "whole-chain"
        filename = filename.replace("outcomes_", f"outcomes_{where}_", 1)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(rules.CSV_HEADER)
    writer.writerows(rules.csv_rows(rows, effects=EFFECT_CODES))
    return response
