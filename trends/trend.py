"""A trend as the pages show it (a chart of a flow, a website or a connection over time, with the
edits made meanwhile), drawn from Pushdeck's own history: the Trends pages and the flow's and the
websites' pages all take it from here."""

import datetime as dt
from typing import NamedTuple

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from activity.history import changes, field_label
from activity.models import LEAVES_FLOW_AS_IT_WAS, Activity, Kind
from flows_app.text import word_list
from trends.chart import Edit, draw, when
from trends.models import Snapshot
from trends.series import (
    RANGES,
    Window,
    deltas,
    recording_since,
    series,
    total,
    window_for,
)


class Trend(NamedTuple):
    title: str
    window: Window
    error: str | None
    points: list
    # The table behind the chart: (point, its day or hour, the labels of the edits made in it),
    # newest first.
    rows: list
    total: object
    chart: object
    since: object
    demo: bool
    page_url: str
    fragment_url: str
    csv_url: str
    # The dates typed when they could not be used ({"from": ..., "to": ...}): kept in their fields
    # to be mended, with no preset range marked as the one shown.
    refused_dates: dict | None = None
    ranges: tuple = tuple((key, label) for key, (label, _span) in RANGES.items())

    @property
    def minutes(self):
        return settings.STATS_SNAPSHOT_MINUTES


def trend_for(request, connection, title, urls, flow_id=None, websites=None):
    """Everything the chart section shows for a flow, some websites or the whole connection."""
    window, error = window_for(request.GET)
    since = recording_since(connection, flow_id)
    points = series(deltas(connection, flow_id, websites), window, since)
    edits = [] if flow_id is None else flow_edits(connection, flow_id, window, websites)
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    page_url, fragment_url, csv_url = urls
    return Trend(
        title=title,
        window=window,
        error=error,
        points=points,
        rows=[
            (
                point,
                when(point, window.hourly, long=True),
                [edit.label for edit in edits if point.start <= edit.at < point.start + window.step],
            )
            for point in reversed(points)
        ],
        total=total(points),
        chart=draw(points, window.hourly, edits),
        since=since,
        demo=Snapshot.objects.filter(connection=connection, demo=True).exists(),
        page_url=page_url,
        fragment_url=fragment_url,
        csv_url=csv_url + query,
        refused_dates=(
            {"from": request.GET.get("from", ""), "to": request.GET.get("to", "")}
            if error and ("from" in request.GET or "to" in request.GET)
            else None
        ),
    )


def flow_edits(connection, flow_id, window, websites=None):
    """The changes made to the flow through Pushdeck within the window, oldest first, each named
    by who made it and what it changed (the activity history's entries of the flow): those made
    while it was on one of ``websites`` (None: on any), as each entry records its website then."""
    entries = (
        Activity.objects.filter(
            connection=connection, flow_id=flow_id, created__gte=window.start, created__lt=window.end
        )
        .exclude(kind__in=LEAVES_FLOW_AS_IT_WAS)
        .order_by("created", "id")
    )
    if websites is not None:
        entries = entries.filter(website_id__in=websites)
    return [Edit(entry.created, _edit_label(entry)) for entry in entries]


def _edit_label(entry):
    # The one format of a moment on the flow's page, as its created and last-sent dates.
    moment = date_format(entry.created.astimezone(dt.UTC), "DATETIME_FORMAT")
    if entry.kind == Kind.FLOW_TOGGLE:
        what = _("enabled the flow") if (entry.after or {}).get("is_enabled") else _("paused the flow")
    elif entry.kind == Kind.FLOW_EDIT:
        fields = word_list(field_label(change.field) for change in changes(entry))
        what = _("edited %(fields)s") % {"fields": fields} if fields else _("saved the flow unchanged")
    else:
        what = {
            Kind.FLOW_CREATE: _("created the flow"),
            Kind.FLOW_DUPLICATE: _("created the flow as a copy"),
            Kind.FLOW_COPY: _("created the flow as a copy"),
            Kind.FLOW_DELETE: _("deleted the flow"),
        }.get(entry.kind, entry.get_kind_display())
    return _("%(when)s UTC: %(user)s %(what)s") % {"when": moment, "user": entry.username, "what": what}


def flow_trend(request, connection, flow_id):
    urls = (
        reverse("flows:detail", args=[connection.pk, flow_id]),
        reverse("trends:flow", args=[connection.pk, flow_id]),
        reverse("trends:flow_csv", args=[connection.pk, flow_id]),
    )
    # A member limited to some websites sees only what the flow did, and what was changed, while it
    # was on one of theirs: its history elsewhere is another website's.
    websites = websites_of(request, None)
    return trend_for(request, connection, _("Over time"), urls, flow_id=flow_id, websites=websites)


def websites_of(request, website_id):
    """The websites a page sums: the one asked for (404 if the member may not see it), else every
    website the member sees (None: all of them)."""
    if website_id is not None:
        if not request.access.sees(website_id):
            raise Http404("No such website.")
        return [website_id]
    return sorted(request.access.websites) if request.access.limited else None


def websites_trend(request, connection):
    """The chart of every website's flows summed, for the websites page (no upstream call)."""
    page = reverse("websites", args=[connection.pk])
    csv_url = reverse("trends:connection_csv", args=[connection.pk])
    return trend_for(request, connection, _("All websites over time"), (page, page, csv_url))
