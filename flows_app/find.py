"""Search, filters and sort over every flow of a connection: the one place that decides which
flows match a query and in what order (the list, its export and bulk jobs' "every match" use it).

The API takes no search, filter or order parameters (API_CONTRACT.md), so a query works on the
connection's whole set of flows, read through the shared cache (``FlowsService.every_flow``).
"""

import math
from typing import NamedTuple
from urllib.parse import urlencode

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from flows_app.api.records import Page, click_rate

STATUSES = ("enabled", "paused")
WAIT_MINUTES = {"minutes": 1, "hours": 60, "days": 1440}
# Each key reads a flow, the connection's names (``directory``) and its flows' last 7 days
# (``weeks``: {flow id: figures}, trends.series.recent), None where a flow has no such value.
SORT_KEYS = {
    "name": lambda flow, directory, weeks: flow.name.casefold(),
    "website": lambda flow, directory, weeks: directory.website_label(flow.website_id).casefold(),
    "wait": lambda flow, directory, weeks: flow.wait_time * WAIT_MINUTES.get(flow.wait_time_type, 1440),
    "sent": lambda flow, directory, weeks: flow.total_sent,
    "displayed": lambda flow, directory, weeks: flow.total_displayed,
    "clicked": lambda flow, directory, weeks: flow.total_clicked,
    "closed": lambda flow, directory, weeks: flow.total_closed,
    "click_rate": lambda flow, directory, weeks: flow.click_rate,
    "last_sent": lambda flow, directory, weeks: flow.last_sent_datetime,
    "created": lambda flow, directory, weeks: flow.datetime,
    "sent_7d": lambda flow, directory, weeks: _week(weeks, flow, "sent"),
    "clicked_7d": lambda flow, directory, weeks: _week(weeks, flow, "clicked"),
    "click_rate_7d": lambda flow, directory, weeks: _week(weeks, flow, "click_rate"),
}
# The sorts by Pushdeck's own history rather than by the API's totals.
WEEK_SORTS = ("sent_7d", "clicked_7d", "click_rate_7d")
SORT_LABELS = {
    "name": gettext_lazy("name"),
    "website": gettext_lazy("website"),
    "wait": gettext_lazy("wait"),
    "sent": gettext_lazy("sent"),
    "displayed": gettext_lazy("displayed"),
    "clicked": gettext_lazy("clicked"),
    "closed": gettext_lazy("closed"),
    "click_rate": gettext_lazy("click rate"),
    "last_sent": gettext_lazy("last sent"),
    "created": gettext_lazy("creation date"),
    "sent_7d": gettext_lazy("sent in the last 7 days"),
    "clicked_7d": gettext_lazy("clicked in the last 7 days"),
    "click_rate_7d": gettext_lazy("click rate of the last 7 days"),
}


def _week(weeks, flow, figure):
    # A flow without history (made since the last snapshot) has no last 7 days.
    figures = weeks.get(flow.id)
    return None if figures is None else getattr(figures, figure)


# The parameters a query is made of, in the order its URLs spell them.
PARAMETERS = ("q", "website", "segment", "status", "sort")


class Query(NamedTuple):
    q: str = ""
    website: int | None = None
    segment: str = ""
    status: str = ""
    sort: str = ""
    # What was asked for but could not be used, said back to the user.
    notes: tuple = ()

    @property
    def words(self):
        return self.q.casefold().split()

    @property
    def filtered(self):
        return bool(self.q.strip() or self.website is not None or self.segment or self.status)

    @property
    def active(self):
        """True when the flows must be read in full: the API can neither filter nor order them."""
        return self.filtered or bool(self.sort)

    def params(self, **changes):
        """The query as URL parameters (only those set), with ``changes`` applied."""
        values = {name: getattr(self, name) for name in PARAMETERS} | changes
        return {name: value for name, value in values.items() if value not in ("", None)}

    def encoded(self, **changes):
        """``&``-prefixed, to follow the paging parameters in a URL ("" when nothing is set)."""
        params = self.params(**changes)
        return f"&{urlencode(params)}" if params else ""

    @property
    def by_week(self):
        """True when the order needs every flow's last 7 days (``weeks`` of find_flows)."""
        return self.sort.removeprefix("-") in WEEK_SORTS

    @property
    def sort_label(self):
        return SORT_LABELS.get(self.sort.removeprefix("-"), "")

    def sorted_by(self, column):
        """The sort a click on ``column``'s header asks for: its natural direction first, then
        the other one (numbers and dates start with the largest, names with A)."""
        if self.sort == column:
            return f"-{column}"
        if self.sort == f"-{column}":
            return column
        return column if column in ("name", "website") else f"-{column}"


class Totals(NamedTuple):
    count: int
    enabled: int
    sent: int
    displayed: int
    clicked: int
    closed: int

    @classmethod
    def of(cls, flows):
        return cls(
            len(flows),
            sum(flow.is_enabled for flow in flows),
            sum(flow.total_sent for flow in flows),
            sum(flow.total_displayed for flow in flows),
            sum(flow.total_clicked for flow in flows),
            sum(flow.total_closed for flow in flows),
        )

    @classmethod
    def by_website(cls, flows):
        """The totals of each website's flows, by website id."""
        groups = {}
        for flow in flows:
            groups.setdefault(flow.website_id, []).append(flow)
        return {website_id: cls.of(group) for website_id, group in groups.items()}

    @property
    def paused(self):
        return self.count - self.enabled

    @property
    def click_rate(self):
        return click_rate(self.clicked, self.displayed)


class Found(NamedTuple):
    """The flows a query matches, in its order, and their totals."""

    query: Query
    flows: list
    totals: Totals

    def page(self, number, per_page):
        """One page of the match, shaped like a page of the API's list."""
        total_pages = math.ceil(len(self.flows) / per_page)
        start = (number - 1) * per_page
        return Page(
            tuple(self.flows[start : start + per_page]), number, per_page, len(self.flows), total_pages
        )


def parse(params):
    """The query in ``params`` (a QueryDict or dict); a value that cannot be used is left out
    and noted, so that the rest of the query still applies."""
    notes = []
    website = params.get("website", "").strip()
    if website and not (website.isdecimal() and int(website) > 0):
        notes.append(_("“%(value)s” is not a website; the website filter was left out.") % {"value": website})
        website = ""
    segment = params.get("segment", "").strip().lower()
    if segment and segment != "all" and not (segment.isdecimal() and int(segment) > 0):
        notes.append(_("“%(value)s” is not a segment; the segment filter was left out.") % {"value": segment})
        segment = ""
    status = params.get("status", "").strip().lower()
    if status and status not in STATUSES:
        notes.append(_("“%(value)s” is not a status; the status filter was left out.") % {"value": status})
        status = ""
    sort = params.get("sort", "").strip()
    if sort and sort.removeprefix("-") not in SORT_KEYS:
        notes.append(_("Flows cannot be sorted by “%(value)s”; they are shown unsorted.") % {"value": sort})
        sort = ""
    return Query(
        q=params.get("q", "").strip()[:200],
        website=int(website) if website else None,
        segment=str(int(segment)) if segment.isdecimal() else segment,
        status=status,
        sort=sort,
        notes=tuple(notes),
    )


def _matches(flow, query, words):
    if query.website is not None and flow.website_id != query.website:
        return False
    if query.segment and flow.segment != query.segment:
        return False
    if query.status and flow.is_enabled != (query.status == "enabled"):
        return False
    if words:
        text = f"{flow.name}\n{flow.title}\n{flow.description}\n{flow.url}".casefold()
        return all(word in text for word in words)
    return True


def _ordered(flows, sort, directory, weeks):
    if not sort:
        return flows
    descending = sort.startswith("-")
    key = SORT_KEYS[sort.removeprefix("-")]
    values = {flow.id: key(flow, directory, weeks) for flow in flows}
    known = [flow for flow in flows if values[flow.id] is not None]
    # Flows without a value (never displayed, never sent, no history) come last in either direction.
    unknown = [flow for flow in flows if values[flow.id] is None]
    # Python's sort is stable: equal values keep the API's order.
    return sorted(known, key=lambda flow: values[flow.id], reverse=descending) + unknown


def select(flows, query, directory, weeks=None):
    """The flows that match ``query``, in its order (``weeks`` as in find_flows)."""
    words = query.words
    matched = [flow for flow in flows if _matches(flow, query, words)]
    return _ordered(matched, query.sort, directory, weeks or {})


def find_flows(api, params, fresh=False, weeks=None):
    """Every flow of the connection behind ``api`` that the query in ``params`` (the list's URL
    parameters: q, website, segment, status, sort) matches, in its order, with totals.

    ``weeks`` is each flow's last 7 days ({flow id: figures}, trends.series.recent), which the
    caller reads only when the query sorts by them (``Query.by_week``): they are Pushdeck's own
    history, not the API's. Reads the whole set through the shared cache: one wave of calls for
    the first query, none for the next ones within FLOWS_CACHE_SECONDS or until a write through
    the dashboard.
    """
    query = parse(params)
    flows = select(api.every_flow(fresh=fresh), query, api.names(), weeks)
    return Found(query, flows, Totals.of(flows))
