"""What the overviews show: each website of a connection beside its flows' totals, and a card per
connection (for someone with several) with its websites' rows or why they cannot be read."""

from typing import NamedTuple

from flows.rows import list_figures
from flows_app.access import connection_api
from flows_app.api import ApiError
from flows_app.crypto import DecryptionError
from flows_app.failures import describe
from flows_app.find import Totals
from trends.series import clicks_by_week

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


# Sends stopped: an enabled flow that sent nothing over this many whole days, having sent before
# them within the history's 14.
STOPPED_DAYS = 3
# A click rate fell: by at least this share of the week before's, each week with enough displays
# to say so.
RATE_FALL = 0.3
RATE_MIN_DISPLAYED = 50


class Attention(NamedTuple):
    """A flow needing attention, and why (templates/flows/needs_attention.html says it in words)."""

    flow: object
    # The days it sent nothing while enabled (STOPPED_DAYS), 0 when it did not stop.
    stopped: int
    failures_rose: bool
    clicks_fell: bool


def _rate_fell(weeks):
    (displayed_before, clicked_before), (displayed, clicked) = weeks
    if min(displayed_before, displayed) < RATE_MIN_DISPLAYED or not clicked_before:
        return False
    return clicked / displayed <= clicked_before / displayed_before * (1 - RATE_FALL)


def needs_attention(connection, flows, now=None):
    """The flows (those the member may see, ``flows``) whose sends stopped while enabled, whose
    failures rose (the worker's gathering) or whose click rate fell against their previous 7 days
    (the trends history): two queries of Pushdeck's own records, no upstream call."""
    ids = [flow.id for flow in flows]
    figures = list_figures(connection, ids, now=now)
    clicks = clicks_by_week(connection, ids, now)
    found = []
    for flow in flows:
        figure = figures.get(flow.id)
        days = figure.recent.days if figure is not None and figure.recent is not None else ()
        went_quiet = bool(days) and not any(days[-STOPPED_DAYS:]) and any(days[:-STOPPED_DAYS])
        stopped = STOPPED_DAYS if flow.is_enabled and went_quiet else 0
        rose = figure is not None and figure.failures_rose
        fell = flow.id in clicks and _rate_fell(clicks[flow.id])
        if stopped or rose or fell:
            found.append(Attention(flow, stopped, rose, fell))
    return found


class ConnectionCard(NamedTuple):
    connection: object
    rows: list = ()
    totals: Totals | None = None
    failure: object = None
    attention: list = ()


def connection_card(connection):
    """One connection's card; its failure stays in its card, the others still show."""
    try:
        api = connection_api(connection)
        flows = api.every_flow()
        return ConnectionCard(
            connection,
            website_rows(api.directory(), flows),
            Totals.of(flows),
            attention=needs_attention(connection, flows),
        )
    except (ApiError, DecryptionError) as error:
        return ConnectionCard(connection, failure=describe(error, connection))
