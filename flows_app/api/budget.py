"""The key's budget: one policy for every request sent with a key, people's and background work's.

Everyone using a key shares its requests of a minute (API_CONTRACT.md, "Rate limit": 60, a fixed
window). So that no one, of any role, can leave the others without, every request is counted
before it is sent, in the database, under the key's budget key (a hash of the key: reading the
budget needs no key), and refused when it would pass its spender's part (docs/BUDGET.md):

- a person spends at most BUDGET_PERSON_SHARE % of the limit in a window;
- reads (anyone's) stop BUDGET_WRITE_SHARE % short of the limit: that part is kept for changes;
- background work (bulk jobs, snapshots, any later gathering or polling) sends only while the
  key's whole count is under BUDGET_BACKGROUND_SHARE % of the limit, so it takes only what
  people leave, and waits for the next window (``Pacer``) rather than collecting refusals;
- a Refresh of the list within BUDGET_REFRESH_SECONDS of the last read is served from it
  (flows_app.api.service).

Shares are of the limit the server announces (X-RateLimit-Limit); before any answer has, and for
a server that announces none, there is no ceiling. Each count is one row per key, spender and
window, raised by a conditional UPDATE (``used = used + n WHERE used + n <= cap``) inside one
transaction: exact across threads and processes, on one machine (SQLite) or several (PostgreSQL).

Beside that count, the server's own word (X-RateLimit-Remaining, X-RateLimit-Reset) is kept in the
``rate-budget`` cache: once it says the key is spent (other clients of the key count too), calls
are refused until its window reopens instead of being sent to fail with a 429.
"""

import math
import time
from typing import NamedTuple

from django.conf import settings
from django.core.cache import caches
from django.db import transaction
from django.db.models import F
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from flows_app.api.errors import RateLimited
from flows_app.api.records import LARGEST_PAGE
from flows_app.models import RateWindow

# The server's window, in seconds (tests and the jobs benchmark shorten it with the sandbox's).
WINDOW = 60
# The contract's limit (API_CONTRACT.md), named to people until the server has announced its own.
CONTRACT_LIMIT = 60
KEY = "key"
BACKGROUND = "background"


def person(user_id):
    """The spender name of a person (None: someone outside any request, a shell or a test)."""
    return f"person:{user_id if user_id is not None else '-'}"


def window_now(now=None):
    """The current window's number and the seconds left of it."""
    now = time.time() if now is None else now
    return int(now // WINDOW), max(1, math.ceil(WINDOW - now % WINDOW))


class Policy(NamedTuple):
    """What each spender may take of a window, for a limit the server announced."""

    limit: int

    @property
    def per_person(self):
        return max(1, self.limit * settings.BUDGET_PERSON_SHARE // 100)

    @property
    def kept_for_writes(self):
        return min(self.limit - 1, self.limit * settings.BUDGET_WRITE_SHARE // 100)

    @property
    def for_reads(self):
        return self.limit - self.kept_for_writes

    @property
    def for_background(self):
        return max(1, min(self.for_reads, self.limit * settings.BUDGET_BACKGROUND_SHARE // 100))

    def cap(self, spender, write):
        """How far the key's whole count may go for this spender's request."""
        if spender == BACKGROUND:
            return self.for_background
        return self.limit if write else self.for_reads


class Refused(RateLimited):
    """Refused here, before anything was sent: the budget would not allow it."""


class ShareSpent(Refused):
    """This person has used their share of the key's window; the others still have theirs."""


class KeptForWrites(Refused):
    """The key's window has only its part kept for changes left: a read must wait."""


class Left(NamedTuple):
    """What a spender may still send in this window (None: no ceiling known) and when it refills."""

    requests: int | None
    limit: int | None
    refills_in: int


class KeyBudget:
    """The budget of one key, as every process sees it."""

    def __init__(self, key):
        self.key = key
        self._said = f"flows-api:budget:{key}"

    # The server's word (the cache)

    @property
    def _cache(self):
        # Looked up per use: Django's cache handles belong to the thread that asks for them.
        return caches["rate-budget"]

    def said(self):
        return self._cache.get(self._said) or {}

    def record(self, limit, remaining, reset=None):
        """What an answer's X-RateLimit-* headers said. The window's start is the first answer seen
        in it: never earlier than the server's own, so a wait for it never ends too soon."""
        if remaining is None:
            return
        now = time.time()
        state = self.said()
        if state.get("remaining") is None or remaining >= state["remaining"]:
            state["window_start"] = now
        state.update(remaining=remaining, limit=limit, blocked_until=None, window=window_now(now)[0])
        if reset is not None:
            # The one exact word on the window: it ends in `reset` seconds.
            state["blocked_until"] = now + reset
            state["window_start"] = now + reset - WINDOW
        elif remaining <= 0:
            state["blocked_until"] = state["window_start"] + WINDOW
        # Kept a day: the limit outlives the window, which the times in it say is over.
        self._cache.set(self._said, state, 86400)

    def blocked_for(self):
        """Seconds until the server takes requests again, once it has said the key is spent (0: now)."""
        blocked_until = self.said().get("blocked_until")
        return max(0, math.ceil(blocked_until - time.time())) if blocked_until else 0

    def _server_left(self):
        """What the server's last answer left in its window, while that window lasts (None: unknown).
        Its windows are the clock's minutes, as these are (API_CONTRACT.md: a fixed window)."""
        state = self.said()
        if state.get("blocked_until") and time.time() >= state["blocked_until"]:
            # The window the server said was spent is over (a 429's X-RateLimit-Reset is its end,
            # which need not fall on the clock's minute): its count no longer holds.
            return None
        return state.get("remaining") if state.get("window") == window_now()[0] else None

    def policy(self):
        limit = self.said().get("limit")
        return Policy(limit) if limit else None

    # The count (the database)

    def take(self, spender, count=1, write=False):
        """Counts ``count`` requests about to be sent at once for ``spender``, or raises
        RateLimited (ShareSpent, KeptForWrites) before any is sent, saying when to try again."""
        blocked = self.blocked_for()
        if blocked:
            raise Refused(_("The key's request budget for this minute is spent."), retry_after=blocked)
        window, refills_in = window_now()
        left = self._server_left()
        if left is not None and count > left:
            raise Refused(
                format_lazy(
                    _(
                        "These {count} requests would overrun the key's budget: {left} are left in this minute."
                    ),
                    count=count,
                    left=left,
                ),
                retry_after=refills_in,
            )
        policy = self.policy()
        if (
            policy is not None
            and left is not None
            and policy.limit - left + count > policy.cap(spender, write)
        ):
            # The server has counted more than this count has (other programs using the key, or
            # a request that reached it in its next window): its count holds the parts too.
            raise self._refusal(spender, policy, refills_in, write)
        rows = RateWindow.objects.filter(key=self.key, window=window)
        with transaction.atomic():
            RateWindow.objects.bulk_create(
                [RateWindow(key=self.key, spender=name, window=window) for name in {KEY, spender}],
                ignore_conflicts=True,
            )
            whole = rows.filter(spender=KEY)
            if policy is not None:
                whole = whole.filter(used__lte=policy.cap(spender, write) - count)
            if not whole.update(used=F("used") + count):
                raise self._refusal(spender, policy, refills_in, write)
            if spender != BACKGROUND:
                own = rows.filter(spender=spender)
                if policy is not None:
                    own = own.filter(used__lte=policy.per_person - count)
                if not own.update(used=F("used") + count):
                    raise ShareSpent(
                        format_lazy(
                            _(
                                "Each person may use {share} of the key's {limit} requests a minute, so that nobody is left without."
                            ),
                            share=policy.per_person,
                            limit=policy.limit,
                        ),
                        retry_after=refills_in,
                    )
        self._forget_old(window)

    def give_back(self, spender, count):
        """Requests counted by ``take`` that were not sent after all."""
        window, _refills_in = window_now()
        names = {KEY} if spender == BACKGROUND else {KEY, spender}
        RateWindow.objects.filter(key=self.key, window=window, spender__in=names, used__gte=count).update(
            used=F("used") - count
        )

    @staticmethod
    def _refusal(spender, policy, refills_in, write):
        if spender == BACKGROUND:
            return Refused(_("Background work waits for the people using this key."), retry_after=refills_in)
        if write or not policy.kept_for_writes:
            return Refused(_("The key's request budget for this minute is spent."), retry_after=refills_in)
        return KeptForWrites(
            format_lazy(
                _(
                    "The last {kept} of its {limit} requests a minute are kept for changes, so that switching and saving flows still go through."
                ),
                kept=policy.kept_for_writes,
                limit=policy.limit,
            ),
            retry_after=refills_in,
        )

    def _forget_old(self, window):
        # Once a window (whichever process takes it first), every key's windows before the last
        # go: the job page's estimate reads the current one, a count only ever the current one.
        if self._cache.add(f"flows-api:budget:swept:{window}", True, WINDOW * 2):
            RateWindow.objects.filter(window__lt=window - 1).delete()

    def _used(self, window):
        return dict(RateWindow.objects.filter(key=self.key, window=window).values_list("spender", "used"))

    def left(self, spender, write=False):
        """What ``spender`` may still send in this window: their share, the key's part for them,
        and what the server said it has left, the least of them."""
        window, refills_in = window_now()
        policy = self.policy()
        if policy is None:
            return Left(None, None, refills_in)
        used = self._used(window)
        room = [policy.cap(spender, write) - used.get(KEY, 0)]
        if spender != BACKGROUND:
            room.append(policy.per_person - used.get(spender, 0))
        if (server := self._server_left()) is not None:
            room.append(policy.cap(spender, write) - (policy.limit - server))
        return Left(max(0, min(room)), policy.limit, refills_in)

    def wait_for(self, spender, count=1):
        """Seconds before ``spender`` may send ``count`` requests at once (0: now)."""
        blocked = self.blocked_for()
        if blocked:
            return blocked
        left = self.left(spender)
        return 0 if left.requests is None or left.requests >= count else left.refills_in

    def kept_for_people(self):
        """How many requests of each window background work leaves to people (of the contract's
        limit until the server has announced one)."""
        policy = self.policy() or Policy(CONTRACT_LIMIT)
        return policy.limit - policy.for_background

    def seconds_for(self, requests):
        """About how long background work needs to send ``requests`` more requests."""
        left = self.left(BACKGROUND)
        if left.requests is None:
            return 0
        beyond = requests - left.requests
        if beyond <= 0:
            return 0
        return left.refills_in + (math.ceil(beyond / Policy(left.limit).for_background) - 1) * WINDOW


def refresh_needed(read_at):
    """Whether a Refresh asks the server again for what was read at ``read_at``: not within
    BUDGET_REFRESH_SECONDS of it, which is served as it was read (a click on Refresh every
    second would otherwise spend a request each)."""
    return time.time() - read_at >= settings.BUDGET_REFRESH_SECONDS


class MustWait(Exception):
    """The budget allows background work's next request only in ``seconds``."""

    def __init__(self, seconds):
        super().__init__(f"The rate budget allows the next request in {seconds:.1f} s.")
        self.seconds = seconds


class Pacer:
    """Background work's requests, sent as the budget allows them: it sleeps until it does, or
    with ``max_wait`` raises MustWait rather than sleep longer, so that a task can end and queue
    its continuation for later.

        api = connect(connection, background=True)  # builds the pacer, as api.pacer
        flows = api.pacer.call(api.client.list_flows, 1, 1000)
    """

    def __init__(self, client):
        self.client = client
        # 429s met despite the pacing (another client of the key spent the rest): waited out.
        self.rate_limited = 0

    def call(self, function, *args, max_wait=None, **kwargs):
        """``function(*args, **kwargs)``, one request of the client, sent when the budget allows."""
        while True:
            self._pause(self.client.key_budget.wait_for(self.client.spender), max_wait)
            try:
                return function(*args, **kwargs)
            except RateLimited as error:
                # Not a failure: the window reopens, and the budget now knows when.
                self.rate_limited += not isinstance(error, Refused)
                self._pause(min(error.retry_after, WINDOW), max_wait)

    def whole_read(self, read, flows, max_wait=None):
        """``read()``, a read of every flow (about ``flows`` of them, a page of 1000 a call, the
        pages sent at once), once the budget allows all its calls together."""
        pages = max(1, math.ceil(flows / LARGEST_PAGE))
        self._pause(self.client.key_budget.wait_for(self.client.spender, pages), max_wait)
        return self.call(read, max_wait=max_wait)

    @staticmethod
    def _pause(seconds, max_wait):
        if max_wait is not None and seconds > max_wait:
            raise MustWait(seconds)
        if seconds > 0:
            time.sleep(seconds)
