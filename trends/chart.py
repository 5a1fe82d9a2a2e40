"""Charts drawn on the server as SVG: no script, no CDN, colours from the stylesheet's variables
(so dark mode follows), and every day or hour a focusable mark whose values show on hover or focus."""

import datetime as dt
import math
from html import escape
from typing import NamedTuple

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy

from flows_app.formatting import num, percent
from flows_app.text import word_list

WIDTH, HEIGHT = 760, 300
# Room for the axes' titles beside tick labels of up to 9 characters (4,000,000 and 100.0%). The
# count axis (LEFT wide) is drawn apart from the rest, so that on a phone it stays in view while the
# days scroll beneath it: app.css gives each its share of the width (.chart-axis, .chart).
LEFT, RIGHT, TOP, BOTTOM = 100, 68, 14, 40
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
TIP_W, TIP_LINE = 176, 17
X_LABELS = 6
# Date formats in the syntax of Django's `date` filter, chosen per language by its translators
# (12月3日 for Dec 3); the names of months and weekdays come from Django's own catalogs.
DAY = pgettext_lazy("date format: a day on a chart's axis (Django's date syntax)", "M j")
FULL_DAY = pgettext_lazy("date format: a day in full (Django's date syntax)", "D, M j, Y")
SERIES = (
    ("sent", gettext_lazy("Sent")),
    ("displayed", gettext_lazy("Displayed")),
    ("clicked", gettext_lazy("Clicked")),
)


class Line(NamedTuple):
    name: str
    label: str
    points: str
    # The last stretch, to the day or hour still running: drawn dashed, as it is not over yet.
    ongoing: str = ""


class Tick(NamedTuple):
    at: float
    label: str


class Mark(NamedTuple):
    x: float
    width: float
    center: float
    dots: tuple
    tip_x: float
    lines: tuple
    label: str


class Edit(NamedTuple):
    """A change made through Pushdeck, at its moment: a marker on the time axis."""

    at: object
    label: str


class EditMark(NamedTuple):
    x: float
    label: str
    # A small triangle standing on the time axis.
    flag: str


class Chart(NamedTuple):
    lines: tuple
    rate: str
    y_ticks: tuple
    rate_ticks: tuple
    x_ticks: tuple
    marks: tuple
    tip_height: int
    edits: tuple = ()
    tip_width: int = TIP_W
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = WIDTH - RIGHT
    top: int = TOP
    bottom: int = HEIGHT - BOTTOM
    plot_height: int = PLOT_H
    center: int = LEFT + PLOT_W // 2
    middle: int = TOP + PLOT_H // 2
    # The two drawings' parts of the whole: the count axis, and the plot with the rest of the axes.
    axis_view: str = f"0 0 {LEFT} {HEIGHT}"
    plot_view: str = f"{LEFT} 0 {WIDTH - LEFT} {HEIGHT}"


def nice_step(value, smallest):
    """The smallest of 1, 2 or 5 times a power of ten that is at least value (and smallest)."""
    value = max(value, smallest)
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= value * (1 - 1e-9))


def when(point, hourly, long=False):
    """A point's day (or hour) on the axis, or in full for its tooltip and the table."""
    if hourly:
        if long:
            hours = f"{point.start:%H}:00\N{EN DASH}{(point.start.hour + 1) % 24:02}:00"
            return _("%(day)s, %(hours)s") % {"day": date_format(point.start, DAY), "hours": hours}
        return date_format(point.start, DAY) if point.start.hour == 0 else f"{point.start:%H}:00"
    return date_format(point.start, FULL_DAY if long else DAY)


def describe(point, hourly):
    """The lines of a point's tooltip (and, joined, its accessible name)."""
    head = when(point, hourly, long=True)
    if not point.recorded:
        return (head, _("Not recorded yet"))
    return (
        _("%(when)s (so far)") % {"when": head} if point.ongoing else head,
        *(
            _("%(name)s: %(count)s") % {"name": label, "count": num(getattr(point, name))}
            for name, label in SERIES
        ),
        _("Click rate: %(rate)s") % {"rate": percent(point.click_rate)},
    )


def draw(points, hourly, edits=()):
    """The chart of ``points``, with a marker on the time axis at each of ``edits`` (Edit) that
    falls within them."""
    step = PLOT_W / max(1, len(points))
    centers = [LEFT + step * (index + 0.5) for index in range(len(points))]
    recorded = [(x, point) for x, point in zip(centers, points, strict=True) if point.recorded]
    top = 4 * nice_step(max((p.sent for _, p in recorded), default=0) / 4, 1)
    rates = [p.click_rate for _, p in recorded if p.click_rate is not None]
    rate_top = 4 * nice_step(max(rates, default=0) / 4, 0.0025)

    def y(value, scale):
        return round(TOP + PLOT_H * (1 - value / scale), 1)

    settled = recorded[:-1] if recorded and recorded[-1][1].ongoing else recorded

    def polyline(name, stretch):
        return " ".join(f"{x:.1f},{y(getattr(p, name), top)}" for x, p in stretch)

    lines = tuple(
        Line(
            name, label, polyline(name, settled), polyline(name, recorded[-2:]) if settled != recorded else ""
        )
        for name, label in SERIES
    )
    rate = " ".join(f"{x:.1f},{y(p.click_rate, rate_top)}" for x, p in recorded if p.click_rate is not None)
    every = math.ceil(len(points) / X_LABELS)
    marks = []
    for index, (x, point) in enumerate(zip(centers, points, strict=True)):
        text = describe(point, hourly)
        dots = tuple((name, y(getattr(point, name), top)) for name, _ in SERIES) if point.recorded else ()
        tip_x = x + 10 if x < WIDTH / 2 else x - 10 - TIP_W
        marks.append(
            Mark(
                round(LEFT + step * index, 1),
                round(step, 1),
                round(x, 1),
                dots,
                round(tip_x, 1),
                text,
                word_list(text),
            )
        )
    return Chart(
        lines=lines,
        rate=rate,
        y_ticks=tuple(Tick(y(top * i / 4, top), num(round(top * i / 4))) for i in range(5)),
        rate_ticks=tuple(Tick(y(rate_top * i / 4, rate_top), percent(rate_top * i / 4)) for i in range(5)),
        x_ticks=tuple(
            Tick(round(centers[index], 1), when(points[index], hourly))
            for index in range(0, len(points), every)
        ),
        marks=tuple(marks),
        tip_height=12 + TIP_LINE * 5,
        edits=_edit_marks(points, hourly, edits),
    )


def _edit_marks(points, hourly, edits):
    if not points:
        return ()
    start = points[0].start
    span = dt.timedelta(hours=1 if hourly else 24) * len(points)
    bottom = HEIGHT - BOTTOM
    marks = []
    for edit in edits:
        if start <= edit.at < start + span:
            x = round(LEFT + PLOT_W * ((edit.at - start) / span), 1)
            flag = f"{x - 6:.1f},{bottom + 1} {x + 6:.1f},{bottom + 1} {x:.1f},{bottom - 10}"
            marks.append(EditMark(x, edit.label, flag))
    return tuple(marks)


def sparkline(values):
    """Sends per day as a tiny SVG for tables of flows (built as a string: it is drawn per row);
    its accessible name holds the figures."""
    width, height = 64, 22
    top = max(values, default=0) or 1
    step = width / max(1, len(values) - 1)
    points = " ".join(
        f"{i * step:.1f},{height - 2 - (height - 4) * value / top:.1f}" for i, value in enumerate(values)
    )
    label = escape(
        ngettext(
            "Sent per day over the last %(count)s day: %(days)s",
            "Sent per day over the last %(count)s days: %(days)s",
            len(values),
        )
        % {"count": len(values), "days": word_list(num(value) for value in values)}
    )
    return (
        f'<svg class="sparkline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{label}"><title>{label}</title><polyline points="{points}"></polyline></svg>'
    )
