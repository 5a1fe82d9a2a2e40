"""Overviews: a connection's websites, and every connection of a user at a glance."""

from typing import NamedTuple

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from flows_app.access import flows_api
from flows_app.api import ApiError, connect
from flows_app.crypto import DecryptionError
from flows_app.failures import describe
from flows_app.find import Totals

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


@login_required
@require_GET
def websites(request, connection_id):
    connection, api = flows_api(request, connection_id)
    flows = api.every_flow()
    context = {
        "connection": connection,
        "rows": website_rows(api.directory(), flows),
        "totals": Totals.of(flows),
    }
    return render(request, "flows/websites.html", context)


class ConnectionCard(NamedTuple):
    connection: object
    rows: list = ()
    totals: Totals | None = None
    failure: object = None


def connection_card(connection):
    """One connection's card; its failure stays in its card, the others still show."""
    try:
        api = connect(connection)
        flows = api.every_flow()
        return ConnectionCard(connection, website_rows(api.directory(), flows), Totals.of(flows))
    except (ApiError, DecryptionError) as error:
        return ConnectionCard(connection, failure=describe(error, connection))


def overview(request, connections):
    cards = [connection_card(connection) for connection in connections]
    return render(request, "connections/overview.html", {"cards": cards})
