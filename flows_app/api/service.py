"""Flows of one connection, read through a short shared cache that every write invalidates.

Everyone using a connection shares its key's 60 requests a minute, so a page viewed again
within FLOWS_CACHE_SECONDS costs nothing upstream. Writes made through the dashboard bump the
connection's generation, which retires every cached page of it at once.
"""

import contextvars
import threading
import time
import uuid
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.db import close_old_connections
from django.utils.functional import SimpleLazyObject

from flows_app.after_response import after_response
from flows_app.api import budget
from flows_app.api.client import FlowsClient
from flows_app.api.errors import ApiError, NotFound, TimedOut, no_answer_within
from flows_app.api.records import Directory, FlowSet
from flows_app.logging import serving_user_id

# Websites, segments and the key's owner change rarely: naming things costs a call every ten
# minutes, or when the list's Refresh asks, or when a write's answer shows the names are stale.
DIRECTORY_SECONDS = 600
# Reading them takes three calls: the websites, the segments and the key's owner.
NAMES_CALLS = 3
# How long a page outlives its FLOWS_CACHE_SECONDS in the cache, to be shown while the key's budget
# is spent (at most a rate window, plus the longest wait a 429 may announce).
STALE_SECONDS = 120
# The shared cache's name of a connection's whole set (as FlowSet.pack writes it), new with that
# shape: an instance of an older release, still running during a deploy, finds none to misread.
WHOLE_SET = "flow-set"
# The last count of a connection's flows seen, kept this long whatever is written meanwhile: a
# whole read asks for every page at once with it (a count gone stale costs at most one call more).
COUNT_SECONDS = 86400
# A background call ends by its own deadline; a wait for it gives it this much more before
# giving up on it, so that no page ever waits on a thread without limit.
WAIT_GRACE = 1.0

# More than gunicorn's threads per process (16 by default), so that a page view never waits for
# a free thread here; each view runs at most one call at a time on them.
_background = ThreadPoolExecutor(max_workers=32, thread_name_prefix="flows-api")


def _in_background(call, *args, **kwargs):
    """``call`` on a thread of the pool, in the caller's context (what it leaves for after the
    response joins the caller's); its Future."""
    return _background.submit(contextvars.copy_context().run, _as_a_request, call, *args, **kwargs)


def _as_a_request(call, *args, **kwargs):
    # A pool thread serves no request, so Django never checks its database connection (the key's
    # budget is counted there): a database restarted meanwhile would fail its next call. Checked
    # here as at a request's start.
    close_old_connections()
    return call(*args, **kwargs)


class _Kept(NamedTuple):
    flows: FlowSet
    # The key (with its generation) and the stamp under which the shared cache holds the set.
    key: str
    stamp: float
    # False while the shared copy of a set read here is still being written (after the response).
    shared: bool


class _SetMemo:
    """The whole set of flows of the connections this process used last, decoded (FlowSet), so
    that a search or sort changed within the cache's life decodes nothing: one set of 10,000 flows
    takes about 100 ms to decode from the shared cache.

    The shared cache stays the truth. Beside each whole set it keeps a stamp (when the set was
    read), and an entry here serves only while the stamp it was found under is still there: a
    whole read on any instance writes a new stamp, and a write on any instance moves the
    connection to a new generation, where there is no stamp yet.
    """

    def __init__(self, size):
        self.size = size
        self.entries = OrderedDict()
        self.lock = threading.Lock()

    def get(self, fingerprint, key, stamp):
        with self.lock:
            kept = self.entries.get(fingerprint)
        if kept is None or kept.key != key:
            return None
        if stamp == kept.stamp:
            return kept.flows
        # Read here, its shared copy not written yet: the newest, unless another instance has
        # shared a newer one meanwhile.
        if not kept.shared and (stamp is None or stamp < kept.stamp):
            return kept.flows
        return None

    def clear(self):
        with self.lock:
            self.entries.clear()

    def keep(self, fingerprint, kept, life):
        now = time.time()
        with self.lock:
            self.entries[fingerprint] = kept
            self.entries.move_to_end(fingerprint)
            # Past its life a set is served only while the key's budget is spent: not from here.
            for old in [name for name, other in self.entries.items() if other.flows.read_at < now - life]:
                del self.entries[old]
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def shared(self, fingerprint, flows):
        with self.lock:
            kept = self.entries.get(fingerprint)
            if kept is not None and kept.flows is flows:
                self.entries[fingerprint] = kept._replace(shared=True)


# About 17 MB a set of 10,000 flows, with what its queries keep (search texts, orders): a few
# connections' worth, each dropped once past its life.
_sets = _SetMemo(size=8)


def _directory_key(base_url, budget_key):
    # In the shared cache, as the generations: a write that finds the names stale forgets them
    # for every process, and the processes read them with one set of calls, not one each.
    # Under the key's hash stored beside the sealed key (Connection.budget_key), not the key: the
    # pages that name websites from the cache (the history, a job's page polled every 2 s) need
    # not open the key, and still can when it can no longer be decrypted.
    return f"flows-api:directory:{base_url.rstrip('/')}:{budget_key}"


def cached_directory(connection):
    """The connection's websites and segments when a page read them lately, else None: costs no
    call and opens no key."""
    return caches["shared"].get(_directory_key(connection.base_url, connection.budget_key))


class Later(NamedTuple):
    """A call started by ``FlowsService.later``."""

    api: object
    future: object

    def then(self, draw):
        """``draw(the call's answer)``, computed when first used: a template reaching it waits for
        the answer there (an ApiError then reaches ApiErrorMiddleware as if the view had raised it)."""
        return SimpleLazyObject(lambda: draw(self.api.result(self.future)))


class FlowsService:
    def __init__(self, client, ttl, pacer=None):
        self.client = client
        self.ttl = ttl
        # Background work's calls go through it (connect(background=True)), paced by the budget.
        self.pacer = pacer
        self.fetched_at = None
        self._generation_key = f"flows-api:generation:{client.fingerprint}"
        self._directory_key = _directory_key(client.base_url, client.key_budget.key)
        self._count_key = f"flows-api:count:{client.fingerprint}"

    def in_background(self, call, *args, **kwargs):
        """``call(*args, **kwargs)`` run on another thread; its Future, once the call's request is
        on its way (or the call is over: a cache hit, a refusal).

        An API call spends most of its time waiting for the server, so a view that starts it first
        can render the rest of its page meanwhile instead of adding that time to the call's. The
        wait for the request to leave matters: the view's own rendering would otherwise hold the
        interpreter lock, and the request would only go out once the page was drawn.
        """
        sending = self.client.sending
        sending.clear()
        # In the view's context: what the call leaves for after the response joins the view's.
        future = _in_background(call, *args, **kwargs)
        future.add_done_callback(lambda _: sending.set())
        sending.wait(self.client.time_left() + WAIT_GRACE)
        return future

    def result(self, future):
        """What a call started by ``in_background`` returned, waiting no longer than the view's deadline."""
        try:
            return future.result(timeout=self.client.time_left() + WAIT_GRACE)
        except FutureTimeout:
            raise TimedOut(no_answer_within(f"{self.client.deadline:g}")) from None

    def read_while(self, read, work):
        """(``read()``, ``work()``): ``read``, a call of this API, on its way while ``work`` (the
        page's own reading of the database) runs here. The flow's page draws its chart so while
        its flow is read: 96 -> 83 ms a page against an API 30 ms away (medians of 60, gunicorn on
        both sides). ``read``'s answer, or its error, comes once ``work`` is done."""
        future = self.in_background(read)
        done = work()
        return self.result(future), done

    def later(self, call, *args):
        """``call(*args)`` on its way now, to be drawn once a page's template reaches it
        (``Later.then``): the page's head, menus and heading are drawn meanwhile."""
        return Later(self, self.in_background(call, *args))

    @property
    def calls(self):
        return self.client.calls

    @property
    def budget(self):
        return self.client.budget

    def budget_left(self):
        """What this page's spender may still send this minute, and when it refills (budget.Left)."""
        return self.client.key_budget.left(self.client.spender)

    def _key(self, *parts, generation_key=None):
        generation = caches["shared"].get_or_set(
            generation_key or self._generation_key, _new_generation, None
        )
        return ":".join(["flows-api", self.client.fingerprint, str(generation), *map(str, parts)])

    def _read(self, key, fetch, fresh, refresh=False):
        """What ``fetch`` reads, from the cache unless ``fresh``; with ``refresh`` (a Refresh of
        the list) a fresh read is served from the cache until budget.refresh_needed."""
        if self.ttl and (not fresh or refresh):
            hit = cache.get(key)
            if fresh and hit is not None and budget.refresh_needed(hit[0]):
                hit = None
            # Past its life, a page is still shown while the key's budget is spent: a call would
            # be refused anyway, and an older page beats an error page (it says how old it is).
            if hit is not None and (time.time() - hit[0] < self.ttl or self.client.key_budget.blocked_for()):
                self.fetched_at, value = hit
                return value
        value = fetch()
        self.fetched_at = time.time()
        if self.ttl:
            # Storing a 100-row page takes most of a millisecond: not while the user waits.
            after_response(cache.set, key, (self.fetched_at, value), self.ttl + STALE_SECONDS)
        return value

    def _written(self, flow):
        _next_generation(self._generation_key)
        if flow is not None and self.ttl:
            # The page a write redirects to is served from what the write answered.
            cache.set(self._key("flow", flow.id), (time.time(), flow), self.ttl + STALE_SECONDS)

    def list_flows(self, page=1, results_per_page=25, fresh=False):
        def fetch():
            result = self.client.list_flows(page, results_per_page)
            after_response(cache.set, self._count_key, result.total, COUNT_SECONDS)
            return result

        return self._read(self._key("page", page, results_per_page), fetch, fresh, refresh=True)

    def get_flow(self, flow_id, fresh=False):
        return self._read(self._key("flow", int(flow_id)), lambda: self.client.get_flow(flow_id), fresh)

    def directory(self, fresh=False):
        """The connection's websites, segments and owner, from the cache when it has them."""
        if not fresh and (hit := caches["shared"].get(self._directory_key)) is not None:
            return hit
        # Three independent calls, so at once: the user waits for the slowest only. Their budget
        # is taken first, so that they never overrun what the key's minute has left.
        with self.client.prepaid(NAMES_CALLS):
            websites = _in_background(self.client.list_websites)
            user = _in_background(self._optional, self.client.get_user)
            segments = self._optional(self.client.list_segments) or ()
            directory = Directory(websites.result(), segments, user.result())
        caches["shared"].set(self._directory_key, directory, DIRECTORY_SECONDS)
        return directory

    @staticmethod
    def _optional(call):
        """What an endpoint older servers of the family may lack (/api/user, /api/segments)
        answers, or None: datetimes are then in an unnamed zone, flows go to all subscribers."""
        try:
            return call()
        except NotFound:
            return None

    def names(self, fresh=False):
        """The directory, or an empty one when it cannot be read now: a page then shows ids
        rather than fail (the form, which must know the websites, uses ``directory``)."""
        try:
            return self.directory(fresh)
        except ApiError:
            return Directory()

    def cached_directory(self):
        """The directory when the cache holds it, else None: costs no call, for pages that make none."""
        return caches["shared"].get(self._directory_key)

    def forget_directory(self):
        caches["shared"].delete(self._directory_key)

    def cached_every_flow(self):
        """Every flow when the cache holds them (within their life), else None: costs no call."""
        flows = self._kept_set(self._key(WHOLE_SET)) if self.ttl else None
        return flows if flows is not None and time.time() - flows.read_at < self.ttl else None

    def cached_flow(self, flow_id):
        """The flow as a page read it lately (its own or the whole list, within the cache's life),
        else None: costs no call. What a record of a write that did not answer with the flow needs."""
        if not self.ttl:
            return None
        hit = cache.get(self._key("flow", int(flow_id)))
        if hit is not None and time.time() - hit[0] < self.ttl:
            return hit[1]
        every = self.cached_every_flow()
        return next((flow for flow in every if flow.id == int(flow_id)), None) if every else None

    def every_flow(self, fresh=False):
        """Every flow of the connection (a FlowSet), cached and shared like the pages of the list;
        within the cache's life, the views of a process share one decoded set (_SetMemo). Even
        ``fresh`` (the list's Refresh), a set read moments ago is served (budget.refresh_needed)."""
        key = self._key(WHOLE_SET)
        if fresh and self.ttl:
            # The stamp says when the shared set was read, without decoding it.
            stamp = cache.get(f"{key}:stamp")
            fresh = stamp is None or budget.refresh_needed(stamp)
        if self.ttl and not fresh:
            flows = self._kept_set(key)
            # Past its life, as a page (see _read): kept while the key's budget is spent.
            if flows is not None and (
                time.time() - flows.read_at < self.ttl or self.client.key_budget.blocked_for()
            ):
                self.fetched_at = flows.read_at
                return flows
        flows = FlowSet(self.all_flows(), time.time())
        self.fetched_at = flows.read_at
        if self.ttl:
            _sets.keep(self.client.fingerprint, _Kept(flows, key, flows.read_at, shared=False), self._life)
            after_response(self._share, key, flows)
        return flows

    @property
    def _life(self):
        return self.ttl + STALE_SECONDS

    def _kept_set(self, key):
        """The whole set the shared cache holds under ``key``: this process's decoded copy while
        the cache's stamp still names it, else decoded from the cache (None when it holds none)."""
        stamp = cache.get(f"{key}:stamp")
        flows = _sets.get(self.client.fingerprint, key, stamp)
        if flows is None and stamp is not None and (hit := cache.get(key)) is not None:
            # Possibly newer than the stamp (written meanwhile): kept under the stamp it was found
            # under, so that the next stamp decodes it again rather than trust it.
            flows = FlowSet.unpack(hit[1], read_at=hit[0])
            _sets.keep(self.client.fingerprint, _Kept(flows, key, stamp, shared=True), self._life)
        return flows

    def _share(self, key, flows):
        try:
            cache.set(key, (flows.read_at, flows.pack()), self._life)
            # The stamp last: an instance that finds it finds the set it names (or a newer one).
            cache.set(f"{key}:stamp", flows.read_at, self._life)
            cache.set(self._count_key, len(flows), COUNT_SECONDS)
        finally:
            _sets.shared(self.client.fingerprint, flows)

    def all_flows(self, at_least=0):
        # The last count seen lets every page be asked for in one wave.
        return self.client.all_flows(expected_total=max(self.last_count(), at_least) or None)

    def last_count(self):
        """How many flows the connection had when last read whole by any process (0: unknown)."""
        return cache.get(self._count_key) or 0

    def create_flow(self, fields, image=None):
        """Returns ``(id, Flow)``: the flow as the server keeps it, to check against what was sent
        (None only when a server that answers with the id alone could not be read back)."""
        flow_id, flow = self.client.create_flow(fields, image)
        flow = flow or self._read_back(flow_id)
        self._written(flow)
        return flow_id, flow

    def update_flow(self, flow_id, changes, image=None, remove_image=False, read_back=True):
        """Like ``create_flow``; ``read_back=False`` when nothing sent can be substituted (a toggle)."""
        flow_id, flow = self.client.update_flow(flow_id, changes, image, remove_image)
        if read_back:
            flow = flow or self._read_back(flow_id)
        self._written(flow)
        return flow_id, flow

    def _read_back(self, flow_id):
        """What a write kept, from servers that answer a write with the id only. The write is done
        whatever happens here: a failed read is no failed write."""
        try:
            return self.client.get_flow(flow_id)
        except ApiError:
            return None

    def delete_flow(self, flow_id):
        self.client.delete_flow(flow_id)
        self._written(None)

    def fetch_image(self, url, max_bytes):
        return self.client.fetch_image(url, max_bytes)

    # Subscribers, their logs and personal notifications, read through the same short cache as the
    # flows: its life is all Pushdeck keeps of them (docs/SECURITY.md, "Subscribers' data"). Under a
    # generation of their own, which a personal notification sent or deleted moves on: it changes
    # the subscriber's totals, the logs and the list of them, never a flow.

    @property
    def _people_generation_key(self):
        return f"flows-api:people-generation:{self.client.fingerprint}"

    def _people_key(self, *parts):
        return self._key("people", *parts, generation_key=self._people_generation_key)

    def list_subscribers(self, page=1, results_per_page=25, fresh=False):
        return self._read(
            self._people_key("subscribers", page, results_per_page),
            lambda: self.client.list_subscribers(page, results_per_page),
            fresh,
        )

    def get_subscriber(self, subscriber_id, fresh=False):
        return self._read(
            self._people_key("subscriber", int(subscriber_id)),
            lambda: self.client.get_subscriber(subscriber_id),
            fresh,
        )

    def list_logs(
        self,
        page=1,
        results_per_page=25,
        order_by="subscriber_log_id",
        order_type="DESC",
        fresh=False,
        **filters,
    ):
        return self._read(
            self._people_key("logs", page, results_per_page, order_by, order_type, *_named(filters)),
            lambda: self.client.list_logs(page, results_per_page, order_by, order_type, **filters),
            fresh,
        )

    def count_logs(self, fresh=False, **filters):
        return self._read(
            self._people_key("count", *_named(filters)),
            lambda: self.client.count_logs(**filters),
            fresh,
        )

    def log_counts(self, types, fresh=False, **filters):
        """``{type: count}`` of the entries of each of ``types`` that match ``filters`` (e.g. a
        flow's sent and failed pushes): a call each, sent at once and counted in the key's budget
        together first, so that a nearly spent minute refuses them all rather than answer half
        (those the cache answers are given back)."""
        with self.client.prepaid(len(types)):
            counts = {kind: _in_background(self.count_logs, fresh, type=kind, **filters) for kind in types}
            return {kind: count.result() for kind, count in counts.items()}

    def send_personal_notification(self, fields, image=None, scheduled_at=None):
        """One push to one subscriber (FlowsClient.send_personal_notification), a scheduled time
        written in the key owner's zone, as the directory names it."""
        zone = self.directory().timezone if scheduled_at is not None else ""
        try:
            return self.client.send_personal_notification(fields, image, scheduled_at, zone)
        finally:
            # Even unanswered, it may have been sent.
            _next_generation(self._people_generation_key)

    def list_personal_notifications(self, page=1, results_per_page=25, fresh=False):
        return self._read(
            self._people_key("personal", page, results_per_page),
            lambda: self.client.list_personal_notifications(page, results_per_page),
            fresh,
        )

    def get_personal_notification(self, notification_id, fresh=False):
        return self._read(
            self._people_key("personal-one", int(notification_id)),
            lambda: self.client.get_personal_notification(notification_id),
            fresh,
        )

    def delete_personal_notification(self, notification_id):
        try:
            self.client.delete_personal_notification(notification_id)
        finally:
            _next_generation(self._people_generation_key)


def _named(filters):
    """A query's filters as parts of a cache key, in one order whatever order they came in."""
    return [f"{name}={value}" for name, value in sorted(filters.items())]


def _new_generation():
    # A name never used before, not a count: a count that the cache drops (the local memory cache
    # culls a third of its entries when full) would start again at 1, and serve the pages still
    # cached under that number as if no write had happened since.
    return uuid.uuid4().hex


def _next_generation(key):
    """Moves a generation on: every cached entry named under the one before is retired at once."""
    caches["shared"].set(key, _new_generation(), None)


def connect(connection, background=False):
    """The flows API of one of the user's connections, for one page view: all its calls together
    take at most one timeout-plus-retries budget (2 x FLOWS_API_TIMEOUT) from now. In the
    background (the worker) each call has that budget on its own, and goes through ``pacer``,
    which sends it when the key's budget leaves background work room for it."""
    client = FlowsClient(
        connection.base_url,
        connection.api_key,
        timeout=settings.FLOWS_API_TIMEOUT,
        view_started=None if background else time.monotonic(),
        # A page's calls are its viewer's share of the key's budget.
        spender=budget.BACKGROUND if background else budget.person(serving_user_id()),
    )
    return FlowsService(client, settings.FLOWS_CACHE_SECONDS, budget.Pacer(client) if background else None)
