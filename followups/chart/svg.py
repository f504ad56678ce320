"""Score charts as inline SVG, built on the server from plain data.

No JavaScript and no stylesheet: the Content-Security-Policy forbids inline ``style``
attributes, so every colour and line is an SVG presentation attribute (``fill``, ``stroke``...).
Every piece of text is escaped here: the caller may mark the result safe.

The drawing is a fixed ``viewBox`` scaled to the width of its container (``width="100%"``), so
one drawing serves a phone and a desktop; the sizes below are in viewBox units, chosen so the
labels stay legible at 375 px wide.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape  # what django.utils.html.escape calls, without its lazy-string wrapper
from typing import NamedTuple

WIDTH = 360
HEIGHT = 236
LEFT = 26  # room for the score ticks
RIGHT = 8
TOP = 8
BOTTOM = 40  # room for the date ticks and the legend
FONT_SIZE = 12
DATE_TICKS = 4

TEXT = "#212529"
MUTED_TEXT = "#495057"
SESSION_STROKE = "#6c757d"
BASELINE_STROKE = "#343a40"
REMISSION_FILL = "#146c43"
BAND_FILLS = {
    "Minimal": "#e3f2e6",
    "Mild": "#fdf5d8",
    "Moderate": "#fde5cc",
    "Moderately severe": "#fbd5c5",
    "Severe": "#f5c6cb",
}
OTHER_BAND_FILL = "#eceff1"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

RESPONSE = "response"
REMISSION = "remission"


@dataclass(frozen=True)
class Band:
    """A severity band: totals from ``lowest`` to ``highest`` inclusive."""

    lowest: int
    highest: int
    label: str


class Point(NamedTuple):
    """One score: ``at`` in the zone the dates should be read in; ``note`` is its tooltip.
    (A named tuple: a chart makes one per score, and it is the cheapest value to make.)"""

    at: datetime
    total: int
    note: str = ""
    marker: str = ""  # "", RESPONSE or REMISSION


def bands_from(table: Sequence[tuple[int, str]], maximum: int) -> tuple[Band, ...]:
    """``((0, "Minimal"), (5, "Mild"), ...)`` (lowest total, label) -> bands up to ``maximum``."""
    ordered = sorted(table)
    return tuple(
        Band(lowest, (ordered[i + 1][0] - 1) if i + 1 < len(ordered) else maximum, label)
        for i, (lowest, label) in enumerate(ordered)
    )


def date_label(moment: datetime) -> str:
    """ "Mar 4": short enough for four ticks on a phone."""
    return f"{MONTHS[moment.month - 1]} {moment.day}"


@dataclass(frozen=True)
class _Frame:
    """Maps a time and a total to viewBox coordinates."""

    start: datetime
    end: datetime
    maximum: int

    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    bottom = TOP + plot_height

    def __post_init__(self):
        # Worked out once: a chart places a hundred points and lines.
        object.__setattr__(
            self, "_x_per_second", self.plot_width / (self.end - self.start).total_seconds()
        )

    def x(self, moment: datetime) -> float:
        return LEFT + (moment - self.start).total_seconds() * self._x_per_second

    def y(self, total: float) -> float:
        return TOP + (1 - total / self.maximum) * self.plot_height


def _frame(moments: Sequence[datetime], maximum: int) -> _Frame:
    start, end = min(moments), max(moments)
    span = max(end - start, timedelta(days=1))
    # Room either side so the first and last points are off the edges; more on the right,
    # where the band names are written, so the latest score does not hide its band's name.
    return _Frame(start=start - span * 0.06, end=end + span * 0.3, maximum=maximum)


def _n(value: float) -> str:
    """A coordinate, rounded: short output, and stable for tests ("12.5", "12", "-0")."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _text(x: float, y: float, content: str, **attributes: str) -> str:
    attrs = "".join(
        f' {name.replace("_", "-")}="{escape(value)}"' for name, value in attributes.items()
    )
    return f'<text x="{_n(x)}" y="{_n(y)}"{attrs}>{escape(content)}</text>'


def _bands(frame: _Frame, bands: Sequence[Band]) -> list[str]:
    parts = []
    for band in bands:
        # A band covers its totals from lowest - 0.5 to highest + 0.5, clipped to the axis.
        top = frame.y(min(band.highest + 0.5, frame.maximum))
        bottom = frame.y(max(band.lowest - 0.5, 0))
        fill = BAND_FILLS.get(band.label, OTHER_BAND_FILL)
        parts.append(
            f'<rect class="chart-band" x="{LEFT}" y="{_n(top)}" width="{_n(frame.plot_width)}" '
            f'height="{_n(bottom - top)}" fill="{fill}"/>'
        )
        if bottom - top >= FONT_SIZE - 1:
            parts.append(
                _text(
                    WIDTH - RIGHT - 3,
                    top + FONT_SIZE - 1,
                    band.label,
                    fill=MUTED_TEXT,
                    text_anchor="end",
                    font_size=str(FONT_SIZE - 1),
                    # A halo in the band's colour keeps the name legible where a line crosses.
                    stroke=fill,
                    stroke_width="3",
                    paint_order="stroke",
                )
            )
    return parts


def _score_axis(frame: _Frame, bands: Sequence[Band]) -> list[str]:
    ticks = sorted({0, frame.maximum, *(band.lowest for band in bands)})
    parts = [
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{_n(frame.bottom)}" stroke="{TEXT}" '
        'stroke-width="1"/>'
    ]
    for tick in ticks:
        parts.append(_text(LEFT - 4, frame.y(tick) + 4, str(tick), fill=TEXT, text_anchor="end"))
    return parts


def _date_axis(frame: _Frame) -> list[str]:
    parts = [
        f'<line x1="{LEFT}" y1="{_n(frame.bottom)}" x2="{WIDTH - RIGHT}" '
        f'y2="{_n(frame.bottom)}" stroke="{TEXT}" stroke-width="1"/>'
    ]
    step = (frame.end - frame.start) / DATE_TICKS
    seen = set()
    for index in range(DATE_TICKS + 1):
        if index in (0, DATE_TICKS):
            continue  # the padded ends: their dates would sit on the plot's edges
        moment = frame.start + step * index
        label = date_label(moment)
        if label in seen:
            continue
        seen.add(label)
        x = frame.x(moment)
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(frame.bottom)}" x2="{_n(x)}" '
            f'y2="{_n(frame.bottom + 4)}" stroke="{TEXT}" stroke-width="1"/>'
        )
        parts.append(_text(x, frame.bottom + 15, label, fill=TEXT, text_anchor="middle"))
    return parts


def _sessions(frame: _Frame, sessions: Sequence[datetime]) -> list[str]:
    bottom = _n(frame.bottom)
    return [
        f'<line class="chart-session" x1="{x}" y1="{TOP}" x2="{x}" y2="{bottom}" '
        f'stroke="{SESSION_STROKE}" stroke-width="1" stroke-dasharray="3 3"/>'
        for x in map(_n, map(frame.x, sessions))
    ]


def _baseline(frame: _Frame, baseline: int) -> list[str]:
    y = frame.y(baseline)
    return [
        f'<line class="chart-baseline" x1="{LEFT}" y1="{_n(y)}" x2="{WIDTH - RIGHT}" '
        f'y2="{_n(y)}" stroke="{BASELINE_STROKE}" stroke-width="1" stroke-dasharray="6 3"/>',
        _text(
            LEFT + 3,
            y - 3,
            f"Baseline {baseline}",
            fill=TEXT,
            font_size=str(FONT_SIZE - 1),
            stroke="#ffffff",
            stroke_width="3",
            paint_order="stroke",
        ),
    ]


def _marker(x: float, y: float, marker: str, colour: str, title: str) -> str:
    tooltip = f"<title>{escape(title)}</title>" if title else ""
    if marker == REMISSION:
        # A diamond, filled: tells itself apart from a response without colour.
        d = f"M{_n(x)} {_n(y - 7)}L{_n(x + 7)} {_n(y)}L{_n(x)} {_n(y + 7)}L{_n(x - 7)} {_n(y)}Z"
        return (
            f'<path class="chart-point chart-remission" d="{d}" fill="{REMISSION_FILL}" '
            f'stroke="#ffffff" stroke-width="1.5">{tooltip}</path>'
        )
    if marker == RESPONSE:
        # A ring around the point.
        return (
            f'<circle class="chart-point chart-response" cx="{_n(x)}" cy="{_n(y)}" r="6" '
            f'fill="#ffffff" stroke="{colour}" stroke-width="2.5">{tooltip}</circle>'
        )
    return (
        f'<circle class="chart-point" cx="{_n(x)}" cy="{_n(y)}" r="3.5" fill="{colour}">'
        f"{tooltip}</circle>"
    )


def _legend(colour: str, *, has_sessions: bool, markers: set[str]) -> list[str]:
    y = HEIGHT - 7
    x = float(LEFT)
    parts = []

    def item(symbol: str, label: str, width: float) -> None:
        nonlocal x
        parts.append(symbol)
        parts.append(_text(x + 12, y + 4, label, fill=TEXT, font_size=str(FONT_SIZE - 1)))
        x += width

    item(
        f'<line x1="{_n(x)}" y1="{y}" x2="{_n(x + 9)}" y2="{y}" stroke="{colour}" '
        'stroke-width="2.5"/>',
        "Score",
        50,
    )
    if has_sessions:
        item(
            f'<line x1="{_n(x + 4)}" y1="{y - 6}" x2="{_n(x + 4)}" y2="{y + 6}" '
            f'stroke="{SESSION_STROKE}" stroke-width="1" stroke-dasharray="3 3"/>',
            "Session",
            64,
        )
    if RESPONSE in markers:
        item(_marker(x + 4, y, RESPONSE, colour, ""), "Response", 72)
    if REMISSION in markers:
        item(_marker(x + 4, y, REMISSION, colour, ""), "Remission", 72)
    return parts


def score_chart(
    *,
    label: str,
    points: Sequence[Point],
    bands: Sequence[Band],
    maximum: int,
    sessions: Sequence[datetime] = (),
    baseline: int | None = None,
    colour: str = "#0b5394",
) -> str:
    """One instrument's totals over time: the severity bands behind, a dashed line at each
    session and at the baseline, the scores joined in time order, a ring on each response
    and a diamond on each remission. ``label`` is the accessible name (say what it shows)."""
    ordered = sorted(points, key=lambda point: point.at)
    svg_open = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'role="img" aria-label="{escape(label)}" font-size="{FONT_SIZE}" '
        'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" class="score-chart">'
        f"<title>{escape(label)}</title>"
    )
    if not ordered:
        return (
            f"{svg_open}"
            f'<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="{OTHER_BAND_FILL}"/>'
            f"{_text(WIDTH / 2, HEIGHT / 2, 'No scores yet', fill=TEXT, text_anchor='middle')}"
            "</svg>"
        )
    frame = _frame([point.at for point in ordered] + list(sessions), maximum)
    parts = [svg_open, *_bands(frame, bands), *_score_axis(frame, bands), *_date_axis(frame)]
    parts += _sessions(frame, sessions)
    if baseline is not None:
        parts += _baseline(frame, baseline)
    placed = [(frame.x(point.at), frame.y(point.total), point) for point in ordered]
    if len(ordered) > 1:
        coordinates = " ".join(f"{_n(x)},{_n(y)}" for x, y, _ in placed)
        parts.append(
            f'<polyline class="chart-line" points="{coordinates}" fill="none" '
            f'stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>'
        )
    parts += [_marker(x, y, point.marker, colour, point.note) for x, y, point in placed]
    parts += _legend(
        colour, has_sessions=bool(sessions), markers={point.marker for point in ordered}
    )
    parts.append("</svg>")
    return "".join(parts)
