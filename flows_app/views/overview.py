"""Overviews: a connection's websites, and every connection of a user at a glance."""

from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_htmx.http import push_url

from flows_app.access import connection_api, flows_api
from flows_app.api import ApiError
from flows_app.crypto import DecryptionError
from flows_app.failures import describe
from flows_app.find import Totals
from flows_app.views.partials import template_for
from trends.views import trend_for

NO_FLOWS = Totals(0, 0, 0, 0, 0, 0)


class WebsiteRow(NamedTuple):
    website: object
    label: str
    totals: Totals


def website_rows(directory, flows):
    """Each website of the connection beside the totals of its flows."""
    totals = Totals.by_website(flows)
    return [
        WebsiteRow(site, directory.website_label(site.id), totals.get(site.id, NO_FLOWS))
        for site in directory.websites
    ]


def websites_trend(request, connection):
    """The chart of every website's flows summed, from Pushdeck's history (no upstream call)."""
    page = reverse("websites", args=[connection.pk])
    csv_url = reverse("trends:connection_csv", args=[connection.pk])
    return trend_for(request, connection, _("All websites over time"), (page, page, csv_url))


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
    context |= {"rows": website_rows(api.directory(), flows), "totals": Totals.of(flows)}
    return render(request, template, context)


class ConnectionCard(NamedTuple):
    connection: object
    rows: list = ()
    totals: Totals | None = None
    failure: object = None


def connection_card(connection):
    """One connection's card; its failure stays in its card, the others still show."""
    try:
        api = connection_api(connection)
        flows = api.every_flow()
        return ConnectionCard(connection, website_rows(api.directory(), flows), Totals.of(flows))
    except (ApiError, DecryptionError) as error:
        return ConnectionCard(connection, failure=describe(error, connection))


def overview(request, connections):
    cards = [connection_card(connection) for connection in connections]
    return render(request, "connections/overview.html", {"cards": cards})
