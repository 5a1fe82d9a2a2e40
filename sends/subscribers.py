"""A website's subscribers as the test pages show them: the API's list has no filter, search or
order (API_CONTRACT.md), so Pushdeck reads it and picks, searches and orders itself."""

import datetime as dt
import zoneinfo

from flows_app.api.records import LARGEST_PAGE

# Pages of the largest size read at most, each a call of the key's budget: 2,000 subscribers of
# the account, in the list's own order (newest first on the sandbox; the API takes no order).
PAGES = 2
READ_AT_MOST = PAGES * LARGEST_PAGE
RECENT = dt.timedelta(minutes=15)
SEARCHED = ("city_name", "country_code", "browser_name", "os_name", "device_type", "subscribed_on_url")


def of_website(api, website_id, pages=PAGES):
    """The subscribers of ``website_id`` among the first ``pages`` pages, newest first; and whether
    the account has more than those pages held."""
    found, more = [], False
    for page in range(1, pages + 1):
        listing = api.list_subscribers(page, LARGEST_PAGE)
        found += [item for item in listing.items if item.website_id == int(website_id)]
        more = page < listing.total_pages
        if not more:
            break
    found.sort(key=lambda item: (item.datetime or dt.datetime.min, item.id), reverse=True)
    return found, more


def server_now(directory):
    """Now, as the server writes its times: without a zone, in the account's (API_CONTRACT.md)."""
    try:
        zone = zoneinfo.ZoneInfo(directory.timezone or "UTC")
    except (ValueError, zoneinfo.ZoneInfoNotFoundError):
        zone = dt.UTC
    return dt.datetime.now(zone).replace(tzinfo=None)


def matching(subscribers, query="", recent_since=None):
    """Those whose city, country, browser, system, device or page hold ``query`` (any case), and
    who subscribed since ``recent_since`` when given."""
    words = query.casefold().split()
    return [
        item
        for item in subscribers
        if all(any(word in str(getattr(item, name)).casefold() for name in SEARCHED) for word in words)
        and (recent_since is None or (item.datetime is not None and item.datetime >= recent_since))
    ]
