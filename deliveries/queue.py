"""What is still queued for a flow, estimated before an action changes it.

The queue is not in the API, but the server's rule is known (API_CONTRACT.md, "What the server
does with a flow"): whoever subscribes to the website while the flow is enabled is queued then,
to be sent the flow's wait later (the wait of that moment); the sender sends what was queued
whatever the flow's state since; deleting the flow drops its queue. So the pushes still queued
now are those of the website's ``subscribed`` entries made while the flow was enabled whose wait
has not run out yet. When the flow was enabled, and its wait, come from Pushdeck's own record of
the writes made through it (the activity history), read back from the flow as it is now.

Said plainly where this cannot work: a flow sent to a segment (its members are not in the API),
and a record that does not reach back as far as the wait (the estimate is then a floor).
"""

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from activity.models import Activity, Kind
from deliveries.zone import from_server_clock, on_server_clock, server_zone

# The subscribed entries are read newest first, a page of 1000 a call, this many calls at most:
# beyond them (a website gaining more than 5000 subscribers within a flow's wait) the count is a floor.
PAGE = 1000
MAX_PAGES = 5
# Writes whose entries say what the flow's state and wait were before and after.
CHANGES = (Kind.FLOW_CREATE, Kind.FLOW_DUPLICATE, Kind.FLOW_EDIT, Kind.FLOW_TOGGLE)
WAIT_TYPES = ("minutes", "hours", "days")
# The server's clock and ours may differ a little: its last change no later than this after
# Pushdeck's last recorded write is that write.
CLOCK_SLACK = dt.timedelta(minutes=1)

# Why there is no estimate, or why it is a floor.
SEGMENT = "segment"
SHORT_RECORD = "short_record"
MANY = "many"


def wait_of(wait_time, wait_time_type):
    # API_CONTRACT.md: the server takes an unknown unit as days.
    unit = wait_time_type if wait_time_type in WAIT_TYPES else "days"
    return dt.timedelta(**{unit: int(wait_time or 0)})


@dataclass(frozen=True)
class Stretch:
    """A time (aware) over which the flow was enabled or not, with one wait."""

    start: dt.datetime
    end: dt.datetime
    enabled: bool
    wait: dt.timedelta


@dataclass(frozen=True)
class Estimate:
    """About how many pushes are queued for the flow, and until when they go out (the server's
    wall clock); ``queued`` None when it cannot be told (``reason``), and with ``reason`` set
    beside a count, the count is a floor."""

    queued: int | None
    reason: str = ""
    last_due: dt.datetime | None = None
    # Where Pushdeck's record of the flow begins, on the server's clock.
    record_since: dt.datetime | None = None
    now: dt.datetime | None = None

    @property
    def days(self):
        """Over how many days (rounded up) the queued pushes still go out."""
        if not self.queued or self.last_due is None:
            return 0
        return max(1, -(-(self.last_due - self.now) // dt.timedelta(days=1)))

    @property
    def at_least(self):
        return self.queued is not None and bool(self.reason)

    @property
    def untold(self):
        """A floor of nothing says nothing: the page says it cannot tell instead."""
        return self.at_least and not self.queued


def stretches(connection, flow, zone, now):
    """The flow's states, oldest first, from where Pushdeck's record begins until ``now``, and
    whether that beginning is the flow's creation (so that nothing was queued before it).
    ``zone``: the server's, that of the flow's datetimes.

    Read backwards from the flow as the API gives it now: each recorded write's "before" is the
    state of the time before it. A write made elsewhere (the vendor's dashboard) is not recorded,
    but the server's ``last_datetime`` (its last change) tells when there was one: the flow's
    state is then known only since."""
    state = {
        "is_enabled": flow.is_enabled,
        "wait_time": flow.wait_time,
        "wait_time_type": flow.wait_time_type,
    }
    born = from_server_clock(flow.datetime, zone) if flow.datetime else None
    changed = from_server_clock(flow.last_datetime, zone) if flow.last_datetime else None
    entries = list(
        Activity.objects.filter(connection=connection, flow_id=flow.id, kind__in=CHANGES).order_by(
            "-created", "-id"
        )
    )
    if not entries or (changed and changed > entries[0].created + CLOCK_SLACK):
        if changed is None and born is not None:
            return [_stretch(born, now, state)], True
        since = changed or connection.created
        return [_stretch(since, now, state)], False
    found, end = [], now
    for entry in entries:
        found.append(_stretch(entry.created, end, state))
        end = entry.created
        if entry.before is None:
            return list(reversed(found)), True
        state |= {name: entry.before[name] for name in state if name in entry.before}
    # Before its first recorded write, the flow was as that write found it since Pushdeck has had
    # the connection (or since the flow's creation, when that is later).
    start = max(connection.created, born) if born else connection.created
    if start < end:
        found.append(_stretch(start, end, state))
    return list(reversed(found)), born is not None and born >= connection.created


def _stretch(start, end, state):
    return Stretch(
        start, end, bool(state["is_enabled"]), wait_of(state["wait_time"], state["wait_time_type"])
    )


def estimate(api, connection, flow, now=None):
    """The Estimate for ``flow``, from the website's subscribed entries (a call per 1000 of them
    within the wait; cached as the API layer caches reads). Raises ApiError when they cannot be read."""
    now = now or timezone.now()
    zone = server_zone(api.names())
    clock = on_server_clock(now, zone)
    if flow.segment != "all":
        return Estimate(None, SEGMENT, now=clock)
    found, from_creation = stretches(connection, flow, zone, now)
    if not found:
        return Estimate(0, now=clock, record_since=clock)
    first = found[0]
    short = not from_creation and first.enabled and first.start > now - first.wait
    # Only subscriptions whose wait has not run out yet can still be queued.
    reaching = [s for s in found if s.enabled and s.end > now - s.wait]
    if not reaching:
        return Estimate(
            0, SHORT_RECORD if short else "", now=clock, record_since=on_server_clock(first.start, zone)
        )
    oldest = on_server_clock(min(max(s.start, now - s.wait) for s in reaching), zone)
    subscribed, complete = _subscribed_since(api, flow.website_id, oldest)
    queued, last_due = 0, None
    for moment in subscribed:
        for s in reaching:
            start, end = on_server_clock(s.start, zone), on_server_clock(s.end, zone)
            if start <= moment < end and moment + s.wait > clock:
                queued += 1
                last_due = max(last_due or moment + s.wait, moment + s.wait)
    reason = SHORT_RECORD if short else ("" if complete else MANY)
    return Estimate(queued, reason, last_due, on_server_clock(first.start, zone), clock)


def _subscribed_since(api, website_id, oldest):
    """The server-clock moments of the website's subscriptions from ``oldest`` on, newest first,
    and whether all of them were read (MAX_PAGES)."""
    moments = []
    for page in range(1, MAX_PAGES + 1):
        listing = api.list_logs(
            page=page,
            results_per_page=PAGE,
            order_by="datetime",
            order_type="DESC",
            website_id=website_id,
            type="subscribed",
        )
        for entry in listing.items:
            if entry.datetime is None:
                continue
            if entry.datetime < oldest:
                return moments, True
            moments.append(entry.datetime)
        if page >= (listing.total_pages or 0):
            return moments, True
    return moments, False
