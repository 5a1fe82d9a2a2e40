"""The one pacing of a key's rate budget for background work (bulk jobs, trend snapshots).

Everyone using a key shares its 60 requests a minute (API_CONTRACT.md, "Rate limit"), so
background work spends only what the window has left above a reserve kept for people
(JOBS_RESERVE_PER_MINUTE), and waits for the window's reset rather than collecting 429s. The
budget it reads is ``RateBudgetStore``: the X-RateLimit-* headers of the last answer anyone
got with that key, in any process. Views are never held back; they may use the reserve and
whatever the jobs have not used yet.

    pacer = Pacer(client)                      # a FlowsClient
    flows = pacer.call(client.list_flows, 1, 1000)

``call`` sleeps as long as the budget needs; with ``max_wait`` it raises ``MustWait`` instead
of sleeping longer than that, so a task can end and queue its continuation for later.
"""

import math
import time

from django.conf import settings

from flows_app.api import client as api_client
from flows_app.api.errors import RateLimited

# The contract's limit, until an answer has said what this key's is.
CONTRACT_LIMIT = 60


class MustWait(Exception):
    """The budget allows the next request only in ``seconds``."""

    def __init__(self, seconds):
        super().__init__(f"The rate budget allows the next request in {seconds:.1f} s.")
        self.seconds = seconds


class Pacer:
    def __init__(self, client, reserve=None):
        self.client = client
        self.store = client.budget_store
        self.reserve = settings.JOBS_RESERVE_PER_MINUTE if reserve is None else reserve
        # 429s met despite the pacing (another client of the key spent the rest): waited out.
        self.rate_limited = 0

    def _state(self):
        state = self.store.peek()
        limit = state.get("limit") or CONTRACT_LIMIT
        # A reserve as large as the limit would stop background work for good.
        return state, limit, min(self.reserve, limit - 1)

    def _window_left(self, state, now):
        if not state.get("window_start"):
            return 0
        return max(0.0, state["window_start"] + api_client.RATE_WINDOW - now)

    def wait_time(self):
        """Seconds before background work may spend one more request of this key (0: now)."""
        state, _, reserve = self._state()
        now = time.time()
        blocked_until = state.get("blocked_until")
        if blocked_until and blocked_until > now:
            return blocked_until - now
        remaining = state.get("remaining")
        if remaining is None or remaining > reserve:
            return 0.0
        return self._window_left(state, now)

    def seconds_for(self, requests):
        """About how long background work needs to spend ``requests`` more requests."""
        state, limit, reserve = self._state()
        now = time.time()
        window_left = self._window_left(state, now)
        remaining = state.get("remaining")
        if remaining is None or not window_left:
            remaining = limit
        beyond_this_window = requests - max(0, remaining - reserve)
        if beyond_this_window <= 0:
            return 0.0
        windows = math.ceil(beyond_this_window / (limit - reserve))
        return window_left + (windows - 1) * api_client.RATE_WINDOW

    def call(self, function, *args, max_wait=None, **kwargs):
        """``function(*args, **kwargs)``, one request of the client, sent when the budget allows."""
        while True:
            self._pause(self.wait_time(), max_wait)
            try:
                return function(*args, **kwargs)
            except RateLimited as error:
                # Not a failure: the window reopens, and the budget store now knows when.
                self.rate_limited += 1
                self._pause(max(self.wait_time(), min(error.retry_after, api_client.RATE_WINDOW)), max_wait)

    def whole_read(self, read, flows, max_wait=None):
        """``read()``, a read of every flow (about ``flows`` of them, a page of 1000 a call, the
        pages sent at once), once the budget allows all its calls: counted one by one, they would
        overrun the window into the reserve kept for people."""
        self._pause(self.seconds_for(max(1, math.ceil(flows / api_client.LARGEST_PAGE))), max_wait)
        return self.call(read, max_wait=max_wait)

    @staticmethod
    def _pause(seconds, max_wait):
        if max_wait is not None and seconds > max_wait:
            raise MustWait(seconds)
        if seconds > 0:
            time.sleep(seconds)
