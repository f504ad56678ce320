"""The patient chart, in one place: GAD-7 and PHQ-9 over time and a timeline of everything that
happened to the patient, for clinicians.

- ``scores``: reads of the scores, their courses with baseline, response and remission
  (``followups.outcomes.score_outcome``), and the latest of each scale;
- ``timeline``: reads of the timeline, one query per source, merged newest first and put
  into words;
- ``page``: both read together for the chart page, and each course drawn;
- ``svg``: the score charts drawn as inline SVG from plain data (no Django);
- ``panel``: the "Scores over time" card on the patient page.

The page's view is ``followups.views.chart``, its template tags ``followups.templatetags.chart``
and its template ``templates/followups/chart/patient_chart.html``.
"""
