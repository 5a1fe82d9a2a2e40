"""Typed records of the flows API. ``from_api`` accepts both server generations' shapes."""

import datetime as dt
import math
from collections.abc import Sequence
from typing import NamedTuple

import orjson
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from flows_app.api.errors import Malformed

TTL_CHOICES = (0, 900, 1800, 3600, 10800, 21600, 43200, 86400, 259200, 432000, 604800, 1209600, 2419200)
RESULTS_PER_PAGE = (10, 25, 50, 100, 250, 500, 1000)
# The API's largest page (API_CONTRACT.md): a whole read asks for pages of this many flows.
LARGEST_PAGE = RESULTS_PER_PAGE[-1]
WAIT_TIME_TYPES = ("minutes", "hours", "days")
URGENCIES = ("low", "normal", "high")
IMAGE_EXTENSIONS = ("jpg", "jpeg", "png", "gif", "webp")
# "3 days": a wait (and any duration) in its unit, in the reader's language and plural form.
WAIT_LABELS = {
    "minutes": ngettext_lazy("%(count)s minute", "%(count)s minutes", "count"),
    "hours": ngettext_lazy("%(count)s hour", "%(count)s hours", "count"),
    "days": ngettext_lazy("%(count)s day", "%(count)s days", "count"),
}


def as_bool(value):
    """The server sends booleans as true/false, 1/0 or "1"/"0" depending on field and version."""
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false")
    return bool(value)


def as_int(value, default=0):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def as_datetime(value):
    """Server-local ``YYYY-MM-DD HH:MM:SS`` (no zone), or None."""
    if not value:
        return None
    try:
        # fromisoformat reads "YYYY-MM-DD HH:MM:SS" forty times faster than strptime.
        return dt.datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _totals(data):
    """The running totals a flow and a website both carry, under the records' shorter names."""
    return {
        f"total_{stat}": as_int(data.get(f"total_{stat}_push_notifications"))
        for stat in ("sent", "displayed", "clicked", "closed")
    }


def _text(value):
    return "" if value is None else str(value)


def mapping(value, what, optional=False):
    """``value`` if it is a JSON object; an absent optional one reads as empty."""
    if optional and value is None:
        return {}
    if not isinstance(value, dict):
        raise Malformed(f"{what} is not an object.")
    return value


def sequence(value, what):
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Malformed(f"{what} is not a list.")
    return value


def identifier(value, what):
    """A record's id: a positive whole number (a bool or 7.5 is no id)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdecimal():
        raise Malformed(f"{what} has no numeric id.")
    return int(value)


# Records are named tuples: immutable, so the cache can share them, and built and pickled faster
# than frozen dataclasses (a 1000-row page builds 2000 of them; docs/BENCHMARKS.md, round 2).


class FlowSettings(NamedTuple):
    ttl: int = 2419200
    urgency: str = "normal"
    is_silent: bool = False
    is_auto_hide: bool = False
    button_title_1: str = ""
    button_url_1: str = ""
    button_title_2: str = ""
    button_url_2: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""

    @classmethod
    def from_api(cls, data):
        data = mapping(data, "A flow's settings", optional=True)
        utm = mapping(data.get("utm"), "A flow's utm", optional=True)
        return cls(
            ttl=as_int(data.get("ttl"), 2419200),
            urgency=_text(data.get("urgency")) or "normal",
            is_silent=as_bool(data.get("is_silent", 0)),
            is_auto_hide=as_bool(data.get("is_auto_hide", 0)),
            button_title_1=_text(data.get("button_title_1")),
            button_url_1=_text(data.get("button_url_1")),
            button_title_2=_text(data.get("button_title_2")),
            button_url_2=_text(data.get("button_url_2")),
            utm_source=_text(utm.get("source")),
            utm_medium=_text(utm.get("medium")),
            utm_campaign=_text(utm.get("campaign")),
        )

    @property
    def buttons(self):
        pairs = ((self.button_title_1, self.button_url_1), (self.button_title_2, self.button_url_2))
        return [(title, url) for title, url in pairs if title]


class Flow(NamedTuple):
    id: int
    website_id: int
    name: str
    title: str
    description: str
    url: str = ""
    image_url: str = ""
    segment: str = "all"
    settings: FlowSettings = FlowSettings()
    wait_time: int = 1
    wait_time_type: str = "days"
    is_enabled: bool = True
    total_sent: int = 0
    total_displayed: int = 0
    total_clicked: int = 0
    total_closed: int = 0
    last_sent_datetime: dt.datetime | None = None
    last_datetime: dt.datetime | None = None
    datetime: dt.datetime | None = None
    user_id: int | None = None

    @classmethod
    def from_api(cls, data):
        data = mapping(data, "A flow")
        return cls(
            id=identifier(data.get("id"), "A flow"),
            user_id=as_int(data.get("user_id"), None),
            website_id=as_int(data.get("website_id")),
            name=_text(data.get("name")),
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            url=_text(data.get("url")),
            image_url=_text(data.get("image_url")),
            segment=_text(data.get("segment")) or "all",
            settings=FlowSettings.from_api(data.get("settings")),
            wait_time=as_int(data.get("wait_time"), 1),
            wait_time_type=_text(data.get("wait_time_type")) or "days",
            is_enabled=as_bool(data.get("is_enabled", True)),
            **_totals(data),
            last_sent_datetime=as_datetime(data.get("last_sent_datetime")),
            last_datetime=as_datetime(data.get("last_datetime")),
            datetime=as_datetime(data.get("datetime")),
        )

    @property
    def click_rate(self):
        return click_rate(self.total_clicked, self.total_displayed)

    @property
    def wait_label(self):
        words = WAIT_LABELS.get(self.wait_time_type)
        # A unit the server added since is shown as it sends it.
        return words % {"count": self.wait_time} if words else f"{self.wait_time} {self.wait_time_type}"


class FlowSet(Sequence):
    """Every flow of a connection as one read found them, and when (``read_at``, a time.time()).

    Never changed once made, so the views of a process share one (FlowsService.every_flow keeps
    it while the shared cache names it), and what queries derive from it is computed once per set:
    ``derived(key, build)``.
    """

    def __init__(self, flows, read_at):
        self.flows = tuple(flows)
        self.read_at = read_at
        self._derived = {}

    def __len__(self):
        return len(self.flows)

    def __getitem__(self, index):
        return self.flows[index]

    def __iter__(self):
        return iter(self.flows)

    def derived(self, key, build):
        """``build(self)``, computed on the first ask for ``key`` and kept with the set. Two threads
        asking at once may both build it: the same value, one of them kept."""
        try:
            return self._derived[key]
        except KeyError:
            return self._derived.setdefault(key, build(self))

    # The shared cache holds a set as JSON rows rather than pickled records: orjson writes 10,000
    # flows in 10-20 ms where pickle takes 140-210 ms of the process's CPU after every whole read
    # (which the next request on the same connection waits for), and reads them back in 70-130 ms,
    # about what unpickling takes (once per process and set: its views then share the set itself).

    def pack(self):
        # A record is written as the list of its values (``default`` turns each into a tuple).
        return orjson.dumps(self.flows, default=tuple)

    @classmethod
    def unpack(cls, packed, read_at):
        return cls(map(_flow_from_row, orjson.loads(packed)), read_at)


_SETTINGS = Flow._fields.index("settings")
_DATETIMES = tuple(index for index, name in enumerate(Flow._fields) if name.endswith("datetime"))


def _flow_from_row(row):
    """A Flow from its values as FlowSet.pack wrote them."""
    row[_SETTINGS] = FlowSettings._make(row[_SETTINGS])
    for index in _DATETIMES:
        if row[index] is not None:
            row[index] = dt.datetime.fromisoformat(row[index])
    return Flow._make(row)


def click_rate(clicked, displayed):
    """Clicked ÷ displayed, as the vendor's dashboard shows it (the one definition in Pushdeck);
    None when nothing was displayed."""
    return clicked / displayed if displayed else None


# Websites, segments and the user are built from the fields named below only: whatever else an
# answer carries is never kept. That is where the secrets in those answers are dropped (a website's
# VAPID ``keys``, the user's ``api_key``: API_CONTRACT.md, "Secrets in answers").


class Website(NamedTuple):
    id: int
    name: str
    host: str
    scheme: str = "https://"
    path: str = ""
    total_subscribers: int = 0
    total_sent: int = 0
    total_displayed: int = 0
    total_clicked: int = 0
    total_closed: int = 0
    is_enabled: bool = True

    @classmethod
    def from_api(cls, data):
        return cls(
            id=as_int(data.get("id")),
            name=_text(data.get("name")),
            host=_text(data.get("host")),
            scheme=_text(data.get("scheme")) or "https://",
            path=_text(data.get("path")),
            total_subscribers=as_int(data.get("total_subscribers")),
            **_totals(data),
            is_enabled=as_bool(data.get("is_enabled", True)),
        )

    @property
    def address(self):
        return f"{self.host}{self.path}"

    @property
    def click_rate(self):
        return click_rate(self.total_clicked, self.total_displayed)


class Segment(NamedTuple):
    id: int
    website_id: int
    name: str
    type: str = "custom"
    total_subscribers: int = 0

    @classmethod
    def from_api(cls, data):
        return cls(
            id=as_int(data.get("id")),
            website_id=as_int(data.get("website_id")),
            name=_text(data.get("name")),
            type=_text(data.get("type")) or "custom",
            total_subscribers=as_int(data.get("total_subscribers")),
        )


class ApiUser(NamedTuple):
    """The key's owner: whose time zone every datetime of the API is in."""

    name: str = ""
    email: str = ""
    timezone: str = ""
    flows_limit: int = -1

    @classmethod
    def from_api(cls, data):
        plan = data.get("plan_settings")
        return cls(
            name=_text(data.get("name")),
            email=_text(data.get("email")),
            timezone=_text(data.get("timezone")),
            flows_limit=as_int(plan.get("flows_limit"), -1) if isinstance(plan, dict) else -1,
        )


class Directory(NamedTuple):
    """A connection's websites, segments and owner: what turns ids into names on every page."""

    websites: tuple = ()
    segments: tuple = ()
    user: ApiUser | None = None

    def website(self, website_id):
        return next((site for site in self.websites if site.id == website_id), None)

    def segments_of(self, website_id):
        return tuple(segment for segment in self.segments if segment.website_id == website_id)

    def segment(self, website_id, segment):
        """The website's segment named by a flow's ``segment`` ("all" or an id), or None."""
        return next((item for item in self.segments_of(website_id) if str(item.id) == segment), None)

    def website_label(self, website_id):
        """The website's name, with its host where two websites share that name."""
        site = self.website(website_id)
        if site is None:
            return _("Website #%(id)s") % {"id": website_id}
        if sum(other.name == site.name for other in self.websites) > 1 or not site.name:
            return f"{site.name} ({site.address})" if site.name else site.address
        return site.name

    def website_name(self, website_id):
        """The website's label where these names hold it, else its bare number ("#3"): for pages
        that spend no call to learn it."""
        return self.website_label(website_id) if self.website(website_id) else f"#{website_id}"

    def segment_label(self, website_id, segment):
        if segment == "all":
            return _("All subscribers")
        found = self.segment(website_id, segment)
        return found.name if found else _("Segment #%(id)s") % {"id": segment}

    @property
    def timezone(self):
        return self.user.timezone if self.user and self.user.timezone else ""

    def names_all(self, flows):
        """True when every website and segment these flows are for is known here."""
        websites = {site.id for site in self.websites}
        segments = {(segment.website_id, str(segment.id)) for segment in self.segments}
        return all(
            flow.website_id in websites
            and (flow.segment == "all" or (flow.website_id, flow.segment) in segments)
            for flow in flows
        )


class RateBudget(NamedTuple):
    """What the last answer's X-RateLimit-* headers said about the key's shared budget."""

    limit: int | None = None
    remaining: int | None = None


class Page(NamedTuple):
    flows: tuple
    page: int
    results_per_page: int
    total: int
    total_pages: int

    @classmethod
    def from_api(cls, body, page, results_per_page):
        flows = tuple(Flow.from_api(item) for item in sequence(body.get("data"), "The list of flows"))
        meta = mapping(body.get("meta"), "The list's meta", optional=True)
        # The vendor's page calls the count "total", the server's code "total_results".
        total = as_int(meta.get("total", meta.get("total_results")), len(flows))
        per_page = as_int(meta.get("results_per_page"), results_per_page) or results_per_page
        return cls(
            flows=flows,
            page=as_int(meta.get("page"), page),
            results_per_page=per_page,
            total=total,
            total_pages=as_int(meta.get("total_pages"), math.ceil(total / per_page)),
        )

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.total_pages


class ImageUpload(NamedTuple):
    """An image to send as the multipart ``image`` part, named and typed as what it really is."""

    filename: str
    content: bytes
    content_type: str
