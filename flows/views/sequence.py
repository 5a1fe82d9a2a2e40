"""A website's sequence (deliveries.sequence, drawn by deliveries.chart), with each flow's last 7
days from the trends history: one read of every flow (the shared cache's), no other call."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

from deliveries.chart import draw, lane_name
from deliveries.sequence import lanes, warnings
from flows_app.access import flows_api
from flows_app.text import word_list
from trends.series import recent


@login_required
@require_GET
def website_sequence(request, connection_id, website_id):
    connection, api = flows_api(request, connection_id)
    directory = api.directory()
    website = next((site for site in directory.websites if site.id == website_id), None)
    if website is None or not request.access.sees(website_id):
        raise Http404("No such website.")
    flows = [flow for flow in api.every_flow() if flow.website_id == website_id]
    segments = [segment for segment in directory.segments if segment.website_id == website_id]
    found = lanes(flows, segments)
    weeks = recent(connection, [flow.id for flow in flows])
    rows = [(lane_name(lane), flow, weeks.get(flow.id)) for lane in found for flow in lane.flows]
    context = {
        "connection": connection,
        "website": website,
        "chart": mark_safe(draw(found, weeks)),  # noqa: S308 -- every text in it is escaped
        "warnings": [_told(warning) for warning in warnings(found)],
        "rows": rows,
    }
    return render(request, "flows/sequence.html", context)


def _told(warning):
    """What the page says of a warning: its kind, audience, flows (names), first and last waits."""
    first, last = warning.flows[0], warning.flows[-1]
    names = word_list(f"“{flow.name}”" for flow in warning.flows)
    return {
        "kind": warning.kind,
        "audience": lane_name(warning.lane),
        "count": len(warning.flows),
        "names": names,
        "start": first.wait_label,
        "end": last.wait_label,
    }
