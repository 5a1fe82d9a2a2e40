"""Trend pages, fragments and CSV files. They read Pushdeck's own history: no upstream call, but
for a member limited to some websites the website a flow is on now, which the shared cache
usually holds (the flow's page or the list read it)."""

import csv

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from flows_app.access import connection_api, flows_api, get_connection
from flows_app.api.records import Directory
from flows_app.partials import template_for
from flows_app.untranslated import untranslated
from trends.models import COUNTERS, FlowRecord
from trends.series import (
    WEEK_SORTS,
    deltas,
    recording_since,
    series,
    weeks,
    window_for,
)
from trends.trend import flow_trend, trend_for, websites_of

# The Trends page's table of flows shows this many (of every flow with history), in its order.
FLOWS_SHOWN = 100
WEEK_COLUMNS = (
    ("sent", gettext_lazy("Sent, 7 days")),
    ("clicked", gettext_lazy("Clicked, 7 days")),
    ("click_rate", gettext_lazy("Click rate, 7 days")),
    ("change", gettext_lazy("Sent vs. 7 days before")),
)


def _recorded(request, connection, flow_id):
    """A flow the connection has history of, on a website the member sees now; any other id
    answers 404, like a flow that does not exist (the detail page of a flow without history offers
    neither range switch nor CSV). Its website is the server's word (as the flow's page reads it,
    through the shared cache), not the last snapshot's: a move made since is not in the history yet."""
    if not FlowRecord.objects.filter(connection=connection, flow_id=flow_id).exists():
        raise Http404("No history of this flow.")
    if request.access.limited:
        api = connection_api(connection)
        # A read the list or the flow's page made lately costs no call; a flow of another website
        # is not among those a limited member's API gives, and reading it raises NotFound (a 404).
        if api.cached_flow(flow_id) is None:
            api.get_flow(flow_id)


@login_required
@require_GET
def flow_fragment(request, connection_id, flow_id):
    """The range switch of a flow's detail page: the chart section alone, from history only."""
    connection = get_connection(request, connection_id)
    _recorded(request, connection, flow_id)
    detail = reverse("flows:detail", args=[connection.pk, flow_id])
    query = f"?{request.GET.urlencode()}" if request.GET else ""
    if not request.htmx:
        return redirect(detail + query)
    response = render(request, "trends/chart.html#trend", {"trend": flow_trend(request, connection, flow_id)})
    return push_url(response, detail + query)


@login_required
@require_GET
def overview(request, connection_id, website_id=None):
    """Every flow of the connection (or of one website) summed, with links to each website's."""
    connection, api = flows_api(request, connection_id)
    args = [connection.pk] if website_id is None else [connection.pk, website_id]
    page = reverse("trends:connection" if website_id is None else "trends:website", args=args)
    csv_url = reverse("trends:connection_csv" if website_id is None else "trends:website_csv", args=args)
    # Websites by name when a page of the flows read them lately; else by number, since this page
    # spends no call.
    directory = api.cached_directory() or Directory()
    if website_id is None:
        title = _("All flows")
    elif directory.website(website_id):
        title = untranslated(directory.website_label(website_id))
    else:
        title = directory.website_label(website_id)
    shown = websites_of(request, website_id)
    trend = trend_for(request, connection, title, (page, page, csv_url), websites=shown)
    websites = FlowRecord.objects.filter(connection=connection)
    if request.access.limited:
        websites = websites.filter(website_id__in=request.access.websites)
    sort = request.GET.get("sort", "-sent")
    if sort.removeprefix("-") not in WEEK_SORTS:
        sort = "-sent"
    flows = weeks(connection, shown, sort)
    context = {
        "connection": connection,
        "trend": trend,
        "websites": websites.values_list("website_id", flat=True).distinct().order_by("website_id"),
        "website_id": website_id,
        "flows": flows[:FLOWS_SHOWN],
        "flows_count": len(flows),
        "directory": directory,
        "columns": [_column(request, column, label, sort) for column, label in WEEK_COLUMNS],
    }
    response = render(request, template_for(request, "trends/overview.html", "trend"), context)
    return push_url(response, request.get_full_path()) if request.htmx else response


def _column(request, column, label, sort):
    """A sortable header: (label, the URL sorting by it, the direction it is sorted in or None).
    A first click shows the largest first, the next one the other way round."""
    query = request.GET.copy()
    query["sort"] = column if sort == f"-{column}" else f"-{column}"
    direction = {f"-{column}": "descending", column: "ascending"}.get(sort)
    return label, f"?{query.urlencode()}#flows-week", direction


def _csv(request, connection, filename, flow_id=None, websites=None):
    """One row per day (per hour for 48 h) of the window asked for, or of all history when none
    is: dates and numbers only, so no cell can be read as a spreadsheet formula."""
    since = recording_since(connection, flow_id)
    window, _error = window_for(request.GET)
    if not request.GET and since is not None:
        window = window_for({"from": since.date().isoformat(), "to": window.last_day.isoformat()})[0]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    # The columns keep the API's names in every language: a file is read by spreadsheets and
    # scripts, which should not break when its downloader's language changes.
    writer.writerow(["date", *COUNTERS, "click_rate"])
    for point in series(deltas(connection, flow_id, websites), window, since):
        if not point.recorded:
            continue
        rate = "" if point.click_rate is None else f"{point.click_rate:.4f}"
        moment = point.start.strftime("%Y-%m-%d %H:00" if window.hourly else "%Y-%m-%d")
        writer.writerow([moment, *(getattr(point, name) for name in COUNTERS), rate])
    return response


@login_required
@require_GET
def flow_csv(request, connection_id, flow_id):
    connection = get_connection(request, connection_id)
    _recorded(request, connection, flow_id)
    name = f"flow-{int(flow_id)}-stats.csv"
    return _csv(request, connection, name, flow_id=flow_id, websites=websites_of(request, None))


@login_required
@require_GET
def connection_csv(request, connection_id, website_id=None):
    connection = get_connection(request, connection_id)
    name = f"connection-{connection.pk}" if website_id is None else f"website-{int(website_id)}"
    return _csv(request, connection, f"{name}-stats.csv", websites=websites_of(request, website_id))
