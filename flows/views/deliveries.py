"""A flow's deliveries and what pausing, a new wait or a delete does to its queue: the deliveries
app's figures (deliveries/), drawn on the flows pages with the attempts the trends app counted."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from deliveries.counts import of_flow, window_days
from deliveries.queue import estimate
from flows_app.access import EDITOR, flows_api
from flows_app.api import ApiError
from flows_app.failures import describe
from flows_app.partials import template_for
from trends.series import sent_since


def deliveries_context(connection, api, flow):
    """The card's context (templates/deliveries/page.html#card): the counts, or why they are missing;
    a page shows the rest of itself either way."""
    try:
        found = of_flow(api, flow, lambda start: sent_since(connection, flow.id, start))
    except ApiError as error:
        return {"deliveries_failure": describe(error, connection), "window_days": window_days()}
    return {"deliveries": found, "window_days": window_days()}


def estimate_context(connection, api, flow, action):
    """templates/deliveries/estimate.html's context for ``action`` ("pause", "delete", "wait")."""
    try:
        return {"estimate": estimate(api, connection, flow), "action": action}
    except ApiError as error:
        return {"estimate_failure": describe(error, connection), "action": action}


@login_required
@require_GET
def flow_deliveries(request, connection_id, flow_id):
    """The page, and the card the flow's page loads once it is shown (its counts' five calls are
    not added to the time the flow's own page takes; the flow comes from the cache it just filled)."""
    connection, api = flows_api(request, connection_id)
    flow = api.get_flow(flow_id)
    context = {"connection": connection, "flow": flow, "directory": api.names()}
    template = template_for(request, "deliveries/page.html", "card")
    return render(request, template, context | deliveries_context(connection, api, flow))


@login_required
@require_GET
def flow_pause(request, connection_id, flow_id):
    """Before pausing: what stays queued. The form posts to the switch (flows:toggle)."""
    connection, api = flows_api(request, connection_id, EDITOR)
    flow = api.get_flow(flow_id)
    context = {"connection": connection, "flow": flow, "directory": api.names()}
    return render(request, "flows/pause.html", context | estimate_context(connection, api, flow, "pause"))
