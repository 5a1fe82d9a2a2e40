"""The flows server's clock: its datetimes carry no zone (API_CONTRACT.md), they are in the key
owner's zone that /api/user names (the directory's ``timezone``). Deliveries compare them with
Pushdeck's own records (aware, UTC), so both are brought to the server's wall clock."""

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def server_zone(directory):
    """The zone the server writes its datetimes in; UTC when it does not say or names none we know."""
    try:
        return ZoneInfo(directory.timezone) if directory.timezone else dt.UTC
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def on_server_clock(moment, zone):
    """An aware moment as the server writes it: its wall clock, without a zone."""
    return moment.astimezone(zone).replace(tzinfo=None)


def from_server_clock(moment, zone):
    """A datetime the server sent (its wall clock), as an aware moment."""
    return moment.replace(tzinfo=zone)
