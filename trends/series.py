"""What the charts, tables and CSV files show: a flow's, a website's or a connection's figures per
day (or per hour for the last 48 h) over a chosen window, read from the stored differences."""

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.db.models import Min, Sum
from django.db.models.functions import TruncDay, TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from trends.models import COUNTERS, Delta, FlowRecord, Snapshot

# The choices of the range switch: name, label, hours or days.
RANGES = {
    "48h": (gettext_lazy("48 hours"), dt.timedelta(hours=48)),
    "7d": (gettext_lazy("7 days"), dt.timedelta(days=7)),
    "30d": (gettext_lazy("30 days"), dt.timedelta(days=30)),
    "90d": (gettext_lazy("90 days"), dt.timedelta(days=90)),
}
DEFAULT_RANGE = "30d"
DAY = dt.timedelta(days=1)
HOUR = dt.timedelta(hours=1)


class Point(NamedTuple):
    """One day's (or hour's) figures; None before recording began, so it is not drawn as zero."""

    start: dt.datetime
    sent: int | None
    displayed: int | None
    clicked: int | None
    closed: int | None
    ongoing: bool = False

    @property
    def recorded(self):
        return self.sent is not None

    @property
    def click_rate(self):
        """Clicked ÷ displayed, as everywhere in the product; None when nothing was displayed."""
        return self.clicked / self.displayed if self.displayed else None


class Window(NamedTuple):
    key: str
    start: dt.datetime
    end: dt.datetime
    hourly: bool

    @property
    def step(self):
        return HOUR if self.hourly else DAY

    @property
    def first_day(self):
        return self.start.date()

    @property
    def last_day(self):
        """The day of its last day or hour: 48 hours run to the hour now, not to a midnight."""
        return (self.end - self.step).date()


def _midnight(moment):
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def window_for(query, now=None):
    """The window a page's query asks for (``range=48h|7d|30d|90d``, or ``from`` and ``to`` dates),
    and a message when the query could not be used (the default window is shown instead)."""
    now = now or timezone.now()
    tomorrow = _midnight(now) + DAY
    if query.get("from") or query.get("to"):
        try:
            first = dt.date.fromisoformat(query.get("from", ""))
            last = dt.date.fromisoformat(query.get("to", ""))
        except ValueError:
            return window_for({}, now)[0], _("Dates must be given as YYYY-MM-DD, for example 2026-11-01.")
        if first > last:
            return window_for({}, now)[0], _("The first day must not be after the last day.")
        start = dt.datetime.combine(first, dt.time(), dt.UTC)
        end = min(dt.datetime.combine(last, dt.time(), dt.UTC) + DAY, tomorrow)
        if (end - start).days > settings.STATS_RETENTION_DAYS:
            return window_for({}, now)[0], _("History is kept for %(days)s days: choose a shorter range.") % {
                "days": settings.STATS_RETENTION_DAYS
            }
        return Window("custom", start, max(end, start + DAY), hourly=False), None
    key = query.get("range", DEFAULT_RANGE)
    if key not in RANGES:
        return window_for({}, now)[0], _("Choose 48 hours, 7, 30 or 90 days.")
    if key == "48h":
        end = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0) + HOUR
        return Window(key, end - RANGES[key][1], end, hourly=True), None
    return Window(key, tomorrow - RANGES[key][1], tomorrow, hourly=False), None


def recording_since(connection, flow_id=None):
    """When the history of a flow (or of the whole connection) begins; None before the first snapshot."""
    if flow_id is not None:
        return (
            FlowRecord.objects.filter(connection=connection, flow_id=flow_id)
            .values_list("first_seen", flat=True)
            .first()
        )
    taken = Snapshot.objects.filter(connection=connection, taken_at__isnull=False)
    return taken.aggregate(since=Min("period"))["since"]


def deltas(connection, flow_id=None, websites=None):
    """A connection's deltas, of one flow or of some websites (None: of every website)."""
    rows = Delta.objects.filter(connection=connection)
    if flow_id is not None:
        rows = rows.filter(flow_id=flow_id)
    if websites is not None:
        rows = rows.filter(website_id__in=websites)
    return rows


def series(rows, window, since, now=None):
    """One Point per day or hour of the window; buckets that ended before ``since`` are unrecorded,
    and the one still running is marked ongoing (its figures are so far)."""
    now = now or timezone.now()
    trunc = TruncHour if window.hourly else TruncDay
    sums = {
        row.pop("at"): row
        for row in rows.filter(bucket__gte=window.start, bucket__lt=window.end)
        .annotate(at=trunc("bucket", tzinfo=dt.UTC))
        .values("at")
        .annotate(**{name: Sum(name) for name in COUNTERS})
    }
    points = []
    moment = window.start
    while moment < window.end:
        if since is None or moment + window.step <= since:
            points.append(Point(moment, None, None, None, None))
        else:
            row = sums.get(moment, {})
            figures = (row.get(name) or 0 for name in COUNTERS)
            points.append(Point(moment, *figures, ongoing=moment + window.step > now))
        moment += window.step
    return points


def total(points):
    """The window's figures summed (Point-shaped, start = the first point's)."""
    recorded = [point for point in points if point.recorded]
    if not recorded:
        return None
    return Point(recorded[0].start, *(sum(getattr(p, name) for p in recorded) for name in COUNTERS))


class Recent(NamedTuple):
    """A flow's sends per day over the 14 days before today (oldest first), and its figures over the
    last 7 of them."""

    days: tuple
    sent: int
    displayed: int
    clicked: int

    @property
    def click_rate(self):
        return self.clicked / self.displayed if self.displayed else None


def recent(connection, flow_ids=None, websites=None, now=None):
    """Recent figures of each flow with history ({flow id: Recent}), of these flows or of some
    websites': sparklines, and "last 7 days" figures. Whole days only (the 14 before today), so
    that a day still running never looks like a fall."""
    today = _midnight(now or timezone.now())
    start = today - 14 * DAY
    records = FlowRecord.objects.filter(connection=connection)
    rows = deltas(connection, websites=websites).filter(bucket__gte=start, bucket__lt=today)
    if websites is not None:
        records = records.filter(website_id__in=websites)
    if flow_ids is not None:
        records, rows = records.filter(flow_id__in=flow_ids), rows.filter(flow_id__in=flow_ids)
    by_flow = {flow_id: {} for flow_id in records.values_list("flow_id", flat=True)}
    for row in (
        rows.annotate(day=TruncDay("bucket", tzinfo=dt.UTC))
        .values("flow_id", "day")
        .annotate(sent=Sum("sent"), displayed=Sum("displayed"), clicked=Sum("clicked"))
    ):
        by_flow.setdefault(row["flow_id"], {})[row["day"]] = row
    result = {}
    for flow_id, days in by_flow.items():
        figures = [days.get(start + number * DAY, {}) for number in range(14)]
        week = figures[7:]
        result[flow_id] = Recent(
            tuple(day.get("sent", 0) for day in figures),
            *(sum(day.get(name, 0) for day in week) for name in ("sent", "displayed", "clicked")),
        )
    return result


class FlowWeek(NamedTuple):
    """One row of the Trends page's table: a flow's last 7 days beside the 7 before."""

    flow_id: int
    name: str
    website_id: int
    deleted: bool
    recent: Recent

    @property
    def change(self):
        """The change in sends from the 7 days before; None when those had none."""
        before = sum(self.recent.days[:7])
        return (self.recent.sent - before) / before if before else None


WEEK_SORTS = {
    "sent": lambda row: row.recent.sent,
    "clicked": lambda row: row.recent.clicked,
    "click_rate": lambda row: row.recent.click_rate,
    "change": lambda row: row.change,
}


def weeks(connection, websites=None, sort="-sent"):
    """Every flow with history (deleted ones included) of some websites (None: of all) and its last
    two weeks, in ``sort``'s order (a key of WEEK_SORTS, ``-`` first for the largest first); flows
    without a value go last."""
    records = FlowRecord.objects.filter(connection=connection)
    if websites is not None:
        records = records.filter(website_id__in=websites)
    figures = recent(connection, websites=websites)
    rows = [
        FlowWeek(flow_id, name, website, deleted_at is not None, figures[flow_id])
        for flow_id, name, website, deleted_at in records.values_list(
            "flow_id", "name", "website_id", "deleted_at"
        )
    ]
    key = WEEK_SORTS[sort.removeprefix("-")]
    valued = sorted((row for row in rows if key(row) is not None), key=key, reverse=sort.startswith("-"))
    return valued + [row for row in rows if key(row) is None]


def sent_since(connection, flow_id, start):
    """A flow's sends (attempts, API_CONTRACT.md "Stats") counted by the snapshots from ``start``
    on; None when the history cannot say: it began after ``start``, and the flow was already there
    (a flow first seen after the first snapshot had all its totals counted when it appeared)."""
    began = recording_since(connection)
    if began is None:
        return None
    first_seen = recording_since(connection, flow_id)
    if began > start and (first_seen is None or first_seen <= began):
        return None
    summed = deltas(connection, flow_id).filter(bucket__gte=start).aggregate(sent=Sum("sent"))["sent"]
    return summed or 0


def clicks_by_week(connection, flow_ids, now=None):
    """{flow id: (displayed, clicked) of the 7 whole days before the last 7, then of the last 7}
    of these flows: one query, the same days as ``recent``'s."""
    today = _midnight(now or timezone.now())
    rows = deltas(connection).filter(
        flow_id__in=list(flow_ids), bucket__gte=today - 14 * DAY, bucket__lt=today
    )
    week = today - 7 * DAY
    figures = {}
    for row in rows.values("flow_id", "bucket", "displayed", "clicked"):
        weeks = figures.setdefault(row["flow_id"], [[0, 0], [0, 0]])
        totals = weeks[row["bucket"] >= week]
        totals[0] += row["displayed"]
        totals[1] += row["clicked"]
    return {flow_id: (tuple(before), tuple(last)) for flow_id, (before, last) in figures.items()}
