"""A website's sequence drawn on the server as SVG, like the trends charts: no script, colours
from the stylesheet's variables (dark mode follows), every flow a focusable mark naming itself.

Waits run from a minute to 90 days: on a straight scale the first day would be a sliver, so the
axis is logarithmic (minutes + 1), with ticks at the waits people choose (an hour, a day, a week...)."""

import datetime as dt
import math
from html import escape

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from deliveries.queue import wait_of
from flows_app.formatting import num

WIDTH = 760
LEFT, RIGHT, TOP = 150, 24, 30
LANE_H = 64
PLOT_W = WIDTH - LEFT - RIGHT
MAX_MINUTES = 90 * 24 * 60
LABEL_CHARS = 18
# A lane's name fits the LEFT margin at the lane names' larger type; the table beside names it whole.
LANE_CHARS = 18
# About how wide a character of a mark's label is (11 px), and the room kept between two labels.
CHAR_W = 6.2
LABEL_GAP = 6


def x_of(wait):
    minutes = max(wait.total_seconds() / 60, 0)
    return LEFT + PLOT_W * math.log1p(minutes) / math.log1p(MAX_MINUTES)


def _ticks():
    hour, day = 60, 24 * 60
    return [
        (hour, ngettext("%(count)s hour", "%(count)s hours", 1) % {"count": 1}),
        (day, ngettext("%(count)s day", "%(count)s days", 1) % {"count": 1}),
        (3 * day, ngettext("%(count)s day", "%(count)s days", 3) % {"count": 3}),
        (7 * day, ngettext("%(count)s day", "%(count)s days", 7) % {"count": 7}),
        (30 * day, ngettext("%(count)s day", "%(count)s days", 30) % {"count": 30}),
        (90 * day, ngettext("%(count)s day", "%(count)s days", 90) % {"count": 90}),
    ]


def lane_name(lane):
    return lane.name or _("All subscribers")


def describe(flow, week):
    """A mark's words: the flow, its wait, its state and its last 7 days."""
    state = _("enabled") if flow.is_enabled else _("paused")
    sent = (
        _("no history yet")
        if week is None
        else _("%(sent)s sent in the last 7 days") % {"sent": num(week.sent)}
    )
    return f"{flow.name} · {flow.wait_label} · {state} · {sent}"


def draw(lanes, weeks):
    """The SVG of ``lanes`` (deliveries.sequence.lanes); ``weeks``: {flow id: Recent} from the
    trends history (a flow without is drawn as such)."""
    height = TOP + LANE_H * len(lanes) + 8
    parts = [
        f'<svg class="chart sequence-chart" viewBox="0 0 {WIDTH} {height}" role="group" '
        f'aria-label="{escape(_("Flows by wait after subscribing, one lane per audience"))}">'
    ]
    parts.append('<g class="grid">')
    for minutes, label in _ticks():
        x = x_of(dt.timedelta(minutes=minutes))
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{TOP - 6}" y2="{height - 8}"></line>')
        parts.append(
            f'<text class="axis-label" x="{x:.1f}" y="{TOP - 12}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</g>")
    for row, lane in enumerate(lanes):
        middle = TOP + LANE_H * row + LANE_H / 2
        parts.append(
            # A segment's name is the user's, no text to translate.
            f'<text class="lane-name" x="8" y="{middle + 4:.1f}" text-anchor="start"'
            f"{' translate="no"' if lane.name else ''}>{escape(_short(lane_name(lane), LANE_CHARS))}</text>"
        )
        parts.append(
            f'<line class="baseline" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{middle:.1f}" y2="{middle:.1f}"></line>'
        )
        # Each label above its mark, else below, else none where both would cover another's
        # (the table, and the mark's own words on focus, still name it).
        ends = {"above": -math.inf, "below": -math.inf}
        for flow in lane.flows:
            x = x_of(wait_of(flow.wait_time, flow.wait_time_type))
            label = _short(flow.name)
            half = len(label) * CHAR_W / 2
            side = next((side for side in ends if x - half > ends[side] + LABEL_GAP), None)
            if side is not None:
                ends[side] = x + half
            parts.append(_mark(flow, weeks.get(flow.id), x, middle, label, side))
    parts.append("</svg>")
    return "".join(parts)


def _short(name, chars=LABEL_CHARS):
    return name if len(name) <= chars else name[: chars - 1] + "…"


def _mark(flow, week, x, middle, label, side):
    state = "on" if flow.is_enabled else "off"
    words = escape(describe(flow, week))
    text = ""
    if side is not None:
        label_y = middle - 14 if side == "above" else middle + 24
        text = f'<text x="{x:.1f}" y="{label_y:.1f}" text-anchor="middle">{escape(label)}</text>'
    return (
        # Its words are mostly the flow's name, which is no text to translate.
        f'<g class="sequence-mark sequence-{state}" tabindex="0" role="img" aria-label="{words}" translate="no">'
        f"<title>{words}</title>"
        f'<circle cx="{x:.1f}" cy="{middle:.1f}" r="7"></circle>{text}</g>'
    )
