"""Flows of one connection, read through a short shared cache that every write invalidates.

Everyone using a connection shares its key's 60 requests a minute, so a page viewed again
within FLOWS_CACHE_SECONDS costs nothing upstream. Writes made through the dashboard bump the
connection's generation, which retires every cached page of it at once.
"""

import contextvars
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.core.cache import cache

from flows_app.after_response import after_response
from flows_app.api.client import FlowsClient
from flows_app.api.errors import ApiError, NotFound, TimedOut, no_answer_within
from flows_app.api.records import Directory

# Websites, segments and the key's owner change rarely: naming things costs a call every ten
# minutes, or when the list's Refresh asks, or when a write's answer shows the names are stale.
DIRECTORY_SECONDS = 600
# How long a page outlives its FLOWS_CACHE_SECONDS in the cache, to be shown while the key's budget
# is spent (at most a rate window, plus the longest wait a 429 may announce).
STALE_SECONDS = 120
# A background call ends by its own deadline; a wait for it gives it this much more before
# giving up on it, so that no page ever waits on a thread without limit.
WAIT_GRACE = 1.0

# More than gunicorn's threads per process (16 by default), so that a page view never waits for
# a free thread here; each view runs at most one call at a time on them.
_background = ThreadPoolExecutor(max_workers=32, thread_name_prefix="flows-api")


class FlowsService:
    def __init__(self, client, ttl):
        self.client = client
        self.ttl = ttl
        self.fetched_at = None
        self._generation_key = f"flows-api:generation:{client.fingerprint}"
        self._directory_key = f"flows-api:directory:{client.fingerprint}"

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
        future = _background.submit(contextvars.copy_context().run, call, *args, **kwargs)
        future.add_done_callback(lambda _: sending.set())
        sending.wait(self.client.time_left() + WAIT_GRACE)
        return future

    def result(self, future):
        """What a call started by ``in_background`` returned, waiting no longer than the view's deadline."""
        try:
            return future.result(timeout=self.client.time_left() + WAIT_GRACE)
        except FutureTimeout:
            raise TimedOut(no_answer_within(f"{self.client.deadline:g}")) from None

    @property
    def calls(self):
        return self.client.calls

    @property
    def budget(self):
        return self.client.budget

    def _key(self, *parts):
        generation = cache.get_or_set(self._generation_key, 1, None)
        return ":".join(["flows-api", self.client.fingerprint, str(generation), *map(str, parts)])

    def _read(self, key, fetch, fresh):
        if self.ttl and not fresh:
            hit = cache.get(key)
            # Past its life, a page is still shown while the key's budget is spent: a call would
            # be refused anyway, and an older page beats an error page (it says how old it is).
            if hit is not None and (
                time.time() - hit[0] < self.ttl or self.client.budget_store.blocked_for()
            ):
                self.fetched_at, value = hit
                return value
        value = fetch()
        self.fetched_at = time.time()
        if self.ttl:
            # Storing a 100-row page takes most of a millisecond: not while the user waits.
            after_response(cache.set, key, (self.fetched_at, value), self.ttl + STALE_SECONDS)
        return value

    def _written(self, flow):
        try:
            cache.incr(self._generation_key)
        except ValueError:
            cache.set(self._generation_key, 2, None)
        if flow is not None and self.ttl:
            # The page a write redirects to is served from what the write answered.
            cache.set(self._key("flow", flow.id), (time.time(), flow), self.ttl + STALE_SECONDS)

    def list_flows(self, page=1, results_per_page=25, fresh=False):
        def fetch():
            result = self.client.list_flows(page, results_per_page)
            # Remembered with the page, for all_flows to ask for every page at once.
            after_response(cache.set, self._key("total"), result.total, self.ttl)
            return result

        return self._read(self._key("page", page, results_per_page), fetch, fresh)

    def get_flow(self, flow_id, fresh=False):
        return self._read(self._key("flow", int(flow_id)), lambda: self.client.get_flow(flow_id), fresh)

    def directory(self, fresh=False):
        """The connection's websites, segments and owner, from the cache when it has them."""
        if not fresh and (hit := cache.get(self._directory_key)) is not None:
            return hit
        # Three independent calls, so at once: the user waits for the slowest only.
        websites = _background.submit(contextvars.copy_context().run, self.client.list_websites)
        user = _background.submit(contextvars.copy_context().run, self._optional, self.client.get_user)
        segments = self._optional(self.client.list_segments) or ()
        directory = Directory(websites.result(), segments, user.result())
        cache.set(self._directory_key, directory, DIRECTORY_SECONDS)
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

    def forget_directory(self):
        cache.delete(self._directory_key)

    def cached_every_flow(self):
        """Every flow when the cache holds them (within their life), else None: costs no call."""
        hit = cache.get(self._key("every")) if self.ttl else None
        return hit[1] if hit is not None and time.time() - hit[0] < self.ttl else None

    def every_flow(self, fresh=False):
        """Every flow of the connection, cached and shared like the pages of the list."""
        return self._read(self._key("every"), self.all_flows, fresh)

    def all_flows(self, pool_size=4):
        # The count of a list page seen moments ago lets every page be fetched in one wave.
        return self.client.all_flows(pool_size=pool_size, expected_total=cache.get(self._key("total")))

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


def connect(connection, background=False):
    """The flows API of one of the user's connections, for one page view: all its calls together
    take at most one timeout-plus-retries budget (2 x FLOWS_API_TIMEOUT) from now. In the
    background (the worker) each call has that budget on its own."""
    client = FlowsClient(
        connection.base_url,
        connection.api_key,
        timeout=settings.FLOWS_API_TIMEOUT,
        view_started=None if background else time.monotonic(),
    )
    return FlowsService(client, settings.FLOWS_CACHE_SECONDS)
