"""The clinic's outcomes for a period, by route: response and remission at 24 hours, 7 and 14
days after the first session and after the end of the induction series, time to response, how
long it lasted, and side effects; as a page and as a CSV of aggregate figures (no names or
MRNs).
"""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.roles import CLINIC_ADMIN, CLINICIAN, role_required

from .. import outcomes as rules
from .. import reports, timing_settings
from ..forms_outcomes import OutcomesPeriodForm
from ..reports import EFFECT_CODES
from ..survey_questions import SIDE_EFFECTS


def _period_form(request) -> OutcomesPeriodForm:
    form = OutcomesPeriodForm(request.GET, today=reports.clinic_today())
    form.is_valid()
    return form


def _report(form: OutcomesPeriodForm) -> reports.OutcomeReport:
    start, end = form.bounds(timing_settings.clinic_zone())
    return reports.outcome_report(
        start=start, end=end, route=form.cleaned_data.get("route") or None
    )


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
    if form.is_valid():
        report = _report(form)
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
            # The CSV of exactly this page, whatever default filled the period.
            "csv_query": urlencode(
                {
                    "start": form.cleaned_data["start"].isoformat(),
                    "end": form.cleaned_data["end"].isoformat(),
                    "route": form.cleaned_data.get("route") or "",
                }
            ),
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
    rows = _report(form).rows
    start, end = form.cleaned_data["start"], form.cleaned_data["end"]
    route = form.cleaned_data.get("route")
    filename = f"outcomes_{start:%Y-%m-%d}_to_{end:%Y-%m-%d}{f'_{route}' if route else ''}.csv"
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(rules.CSV_HEADER)
    writer.writerows(rules.csv_rows(rows, effects=EFFECT_CODES))
    return response
