"""Typed records of the flows API. ``from_api`` accepts both server generations' shapes."""

import datetime as dt
import ipaddress
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
    # The website's public key for its subscribe script (the sandbox's "this browser" page uses it).
    pixel_key: str = ""

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
            pixel_key=_text(data.get("pixel_key")),
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
        return cls(flows, *_paging(body, len(flows), page, results_per_page))

    @property
    def has_previous(self):
        return self.page > 1

    @property
    def has_next(self):
        return self.page < self.total_pages


def _meta_total(meta):
    # The vendor's page calls the count "total", the server's code "total_results".
    return meta.get("total", meta.get("total_results"))


def _paging(body, count, page, results_per_page):
    """A list answer's page, page size, count and number of pages, from its meta where it has them
    (``count``: the items this page holds)."""
    meta = mapping(body.get("meta"), "The list's meta", optional=True)
    total = as_int(_meta_total(meta), count)
    per_page = as_int(meta.get("results_per_page"), results_per_page) or results_per_page
    return (
        as_int(meta.get("page"), page),
        per_page,
        total,
        as_int(meta.get("total_pages"), math.ceil(total / per_page)),
    )


class ImageUpload(NamedTuple):
    """An image to send as the multipart ``image`` part, named and typed as what it really is."""

    filename: str
    content: bytes
    content_type: str


# Subscribers, their logs and personal notifications (API_CONTRACT.md, "Subscribers, their logs and
# personal notifications"). Built, like the websites, from the fields named here only: a
# subscriber's ``endpoint`` (the browser's push subscription and its keys: with the website's VAPID
# key anyone can push to that browser) and ``unique_endpoint_id`` (derived from the endpoint) are
# never kept; an IP is kept masked (``masked_ip``), never as the server sent it.

LOG_TYPES = (
    "subscribed",
    "unsubscribed",
    "permission_denied",
    "push_notification_sent",
    "push_notification_failed",
    "displayed_notification",
    "clicked_notification",
    "closed_notification",
    "expired_deleted",
    "manually_deleted",
)
# What a list of logs may be ordered by, as the server names it.
LOG_ORDERS = ("subscriber_log_id", "datetime")
ORDER_TYPES = ("ASC", "DESC")


def masked_ip(value):
    """An IP as Pushdeck keeps it: the first two parts of the address (``203.0.*.*``,
    ``2001:db8:*``), a network's size at most; anything else (an IP the server already masked with
    ``*``, no address at all) has every letter and digit starred, as the server masks it."""
    text = _text(value).strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return "".join("*" if char.isalnum() else char for char in text)
    if address.version == 4:
        return ".".join(str(address).split(".")[:2]) + ".*.*"
    return ":".join(format(int(group, 16), "x") for group in address.exploded.split(":")[:2]) + ":*"


# The ids a log entry names, and the exact-match filters of the logs (0: of no such source).
LOG_FILTERS = (
    "website_id",
    "subscriber_id",
    "flow_id",
    "campaign_id",
    "personal_notification_id",
    "rss_automation_id",
)


def _datetimes(data, *names):
    return {name: as_datetime(data.get(name)) for name in names}


class Subscriber(NamedTuple):
    id: int
    website_id: int
    ip: str = ""
    # The server's object as (name, value) pairs: immutable, like the record.
    custom_parameters: tuple = ()
    city_name: str = ""
    country_code: str = ""
    continent_code: str = ""
    os_name: str = ""
    browser_name: str = ""
    browser_language: str = ""
    device_type: str = "desktop"
    subscribed_on_url: str = ""
    total_sent: int = 0
    total_displayed: int = 0
    total_clicked: int = 0
    total_closed: int = 0
    last_sent_datetime: dt.datetime | None = None
    last_datetime: dt.datetime | None = None
    datetime: dt.datetime | None = None

    @classmethod
    def from_api(cls, data):
        data = mapping(data, "A subscriber")
        parameters = data.get("custom_parameters")
        return cls(
            id=identifier(data.get("id"), "A subscriber"),
            website_id=as_int(data.get("website_id")),
            ip=masked_ip(data.get("ip")),
            # The server's language writes an empty object as [].
            custom_parameters=tuple(
                (str(name), _text(value))
                for name, value in (parameters.items() if isinstance(parameters, dict) else ())
            ),
            **{
                name: _text(data.get(name))
                for name in (
                    "city_name",
                    "country_code",
                    "continent_code",
                    "os_name",
                    "browser_name",
                    "browser_language",
                    "subscribed_on_url",
                )
            },
            device_type=_text(data.get("device_type")) or "desktop",
            **_totals(data),
            **_datetimes(data, "last_sent_datetime", "last_datetime", "datetime"),
        )


class SubscriberLog(NamedTuple):
    """One event of a subscriber's log; an ``expired_deleted`` entry names no subscriber nor flow."""

    id: int
    type: str
    website_id: int = 0
    subscriber_id: int = 0
    flow_id: int = 0
    campaign_id: int = 0
    personal_notification_id: int = 0
    rss_automation_id: int = 0
    ip: str = ""
    datetime: dt.datetime | None = None

    @classmethod
    def from_api(cls, data):
        data = mapping(data, "A log entry")
        return cls(
            id=identifier(data.get("id"), "A log entry"),
            type=_text(data.get("type")),
            **{name: as_int(data.get(name)) for name in LOG_FILTERS},
            ip=masked_ip(data.get("ip")),
            datetime=as_datetime(data.get("datetime")),
        )


class PersonalNotification(NamedTuple):
    """One push to one subscriber. ``is_sent`` says it was tried, not that it arrived: the logs
    with its id say that (API_CONTRACT.md)."""

    id: int
    website_id: int
    subscriber_id: int
    name: str = ""
    title: str = ""
    description: str = ""
    url: str = ""
    image_url: str = ""
    # The same settings as a flow's (buttons, ttl, urgency, switches, utm)...
    settings: FlowSettings = FlowSettings()
    # ... with this one beside them.
    is_scheduled: bool = False
    is_sent: bool = False
    is_displayed: bool = False
    is_clicked: bool = False
    is_closed: bool = False
    status: str = ""
    scheduled_datetime: dt.datetime | None = None
    sent_datetime: dt.datetime | None = None
    last_datetime: dt.datetime | None = None
    datetime: dt.datetime | None = None

    @classmethod
    def from_api(cls, data):
        data = mapping(data, "A personal notification")
        settings = mapping(data.get("settings"), "A personal notification's settings", optional=True)
        return cls(
            id=identifier(data.get("id"), "A personal notification"),
            website_id=as_int(data.get("website_id")),
            subscriber_id=as_int(data.get("subscriber_id")),
            name=_text(data.get("name")),
            title=_text(data.get("title")),
            description=_text(data.get("description")),
            url=_text(data.get("url")),
            image_url=_text(data.get("image_url")),
            settings=FlowSettings.from_api(settings),
            is_scheduled=as_bool(settings.get("is_scheduled", 0)),
            **{
                name: as_bool(data.get(name, 0))
                for name in ("is_sent", "is_displayed", "is_clicked", "is_closed")
            },
            status=_text(data.get("status")),
            **_datetimes(data, "scheduled_datetime", "sent_datetime", "last_datetime", "datetime"),
        )


class Listing(NamedTuple):
    """A page of one of these lists: its records (``items``) and where it is in the whole list."""

    items: tuple
    page: int
    results_per_page: int
    total: int
    total_pages: int

    @classmethod
    def from_api(cls, body, record, page, results_per_page):
        items = tuple(record.from_api(item) for item in sequence(body.get("data"), "The list"))
        return cls(items, *_paging(body, len(items), page, results_per_page))


def counted(body):
    """How many entries a list answer says match its query, from its meta: a count of logs of one
    kind costs one call (API_CONTRACT.md). A meta without it is no answer, not a count of 0."""
    meta = mapping(body.get("meta"), "The list's meta")
    total = _meta_total(meta)
    if isinstance(total, bool) or not isinstance(total, int | str) or not str(total).isdecimal():
        raise Malformed("The list's meta has no count.")
    return int(total)
