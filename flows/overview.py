"""What the overviews show: each website of a connection beside its flows' totals, and a card per
connection (for someone with several) with its websites' rows or why they cannot be read."""

from typing import NamedTuple

from flows_app.access import connection_api
from flows_app.api import ApiError
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
