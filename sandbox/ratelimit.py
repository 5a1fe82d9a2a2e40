"""The per-key rate limit of API_CONTRACT.md ("Rate limit"): a fixed window per clock minute,
counted in Django's cache so that every process serving the sandbox shares one budget.

Tests and the jobs benchmark shorten the window (SANDBOX_RATE_WINDOW) to play a minute's budget
in a few seconds; the dashboard's budget WINDOW (flows_app/api/budget.py) is then shortened with it."""

import hashlib
import math
from dataclasses import dataclass
from time import time

from django.conf import settings
from django.core.cache import cache


@dataclass(frozen=True)
class Budget:
    limit: int
    used: int
    reset: int

    @property
    def exceeded(self):
        return self.used > self.limit


def seconds_to_reset():
    """X-RateLimit-Reset. The contract only says a 429 "adds" it; the sandbox sends the seconds
    until the window ends (a small integer, at least 1), which a client can sleep on as is."""
    window = settings.SANDBOX_RATE_WINDOW
    return max(1, math.ceil(window - time() % window))


def spend(api_key):
    """Count one request against the key's window; None when SANDBOX_RATE_LIMIT is 0 (no limit)."""
    limit = settings.SANDBOX_RATE_LIMIT
    if not limit:
        return None
    digest = hashlib.sha256(api_key.encode()).hexdigest()[:32]
    window = settings.SANDBOX_RATE_WINDOW
    counter = f"sandbox:ratelimit:{digest}:{int(time() // window)}"
    # The counter outlives its minute, so incr never meets an expired key within the window.
    cache.add(counter, 0, timeout=2 * window)
    return Budget(limit=limit, used=cache.incr(counter), reset=seconds_to_reset())


def add_headers(response, budget):
    response["X-RateLimit-Limit"] = budget.limit
    response["X-RateLimit-Remaining"] = max(budget.limit - budget.used, 0)
    if budget.exceeded:
        response["X-RateLimit-Reset"] = budget.reset
