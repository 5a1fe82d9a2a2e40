"""A flow's own page and its deletion."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from activity.history import record
from activity.models import Kind
from flows.views.deliveries import estimate_context
from flows_app.access import EDITOR, flows_api
from flows_app.fields import flow_values
from flows_app.toasts import add_toast
from trends.trend import flow_trend


@login_required
@require_GET
def flow_detail(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id)
    # The chart, from the database, is drawn while the flow's call waits for the server; it is
    # shown only once the call has answered (a flow another member may not see raises there).
    flow, trend = api.read_while(
        lambda: api.get_flow(flow_id), lambda: flow_trend(request, connection, flow_id)
    )
    context = {"connection": connection, "flow": flow, "directory": api.names(), "trend": trend}
    return render(request, "flows/detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def flow_delete(request, connection_id, flow_id):
    connection, api = flows_api(request, connection_id, EDITOR)
    # The flow's last state: checked against the member's websites, and kept in the history so
    # that it can be created again.
    flow = api.get_flow(flow_id)
    if request.method == "GET":
        context = {"connection": connection, "flow": flow, "directory": api.names()}
        return render(
            request, "flows/delete.html", context | estimate_context(connection, api, flow, "delete")
        )
    api.delete_flow(flow_id)
    record(request.user, connection, Kind.FLOW_DELETE, flow_id=flow.id, before=flow_values(flow))
    if request.htmx:
        # An empty answer swaps the row away; the toast says what happened, and the list reads
        # itself again for its counts and totals (templates/flows/list.html).
        response = trigger_client_event(HttpResponse(), "flows-changed")
        return add_toast(response, "success", _("Flow deleted."))
    messages.success(request, _("Flow deleted."))
    return redirect("flows:list", connection.pk)
