"""Overviews: every connection of a user at a glance (the home page), and a connection's websites."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from flows.overview import connection_card, needs_attention, website_rows
from flows_app.access import flows_api
from flows_app.find import Totals
from flows_app.models import Connection
from flows_app.partials import template_for
from trends.trend import websites_trend


@login_required
@require_GET
def home(request):
    """Several connections: all of them at a glance. One: its flows."""
    connections = list(Connection.objects.for_user(request.user))
    if len(connections) > 1:
        cards = [connection_card(connection) for connection in connections]
        return render(request, "connections/overview.html", {"cards": cards})
    if not connections:
        return redirect("connections")
    return redirect("flows:list", connections[0].pk)


@login_required
@require_GET
def websites(request, connection_id):
    connection, api = flows_api(request, connection_id)
    # History is kept per connection, not cut to a member's websites: a limited member gets no sum.
    trend = None if request.access.limited else websites_trend(request, connection)
    context = {"connection": connection, "trend": trend}
    template = template_for(request, "flows/websites.html", "trend")
    if template != "flows/websites.html":
        # The chart's range switch: its section alone, and the range in the address.
        return push_url(render(request, template, context), request.get_full_path())
    flows = api.every_flow()
    context |= {
        "rows": website_rows(api.directory(), flows),
        "totals": Totals.of(flows),
        "attention": needs_attention(connection, flows),
    }
    return render(request, template, context)
