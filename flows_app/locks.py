"""One editor at a time per flow, across every process sharing the cache.

An edit checks that the flow is still the version the form was loaded from, then writes. Two
saves running those steps side by side would both pass the check, and the later write would
silently undo the earlier one. Holding this lock over check and write makes the second save
check after the first one wrote, so that it meets the conflict screen instead.
"""

import secrets
import time
from contextlib import contextmanager

from django.core.cache import caches

POLL_SECONDS = 0.05


class Busy(Exception):
    """Another save of the same flow did not finish in time."""


@contextmanager
def flow_lock(api, flow_id):
    """Held while this view checks and writes one flow of one connection (key and server).

    The lock outlives the holder's whole deadline only by a margin, so that a process that died
    holding it frees it soon; a waiter gives up after the same time.
    """
    hold = api.client.deadline + 5
    key = f"pushdeck:flow-lock:{api.client.fingerprint}:{int(flow_id)}"
    token = secrets.token_urlsafe(8)
    gives_up_at = time.monotonic() + hold
    # The shared cache's add is atomic across processes (Redis, or a row's primary key): one
    # caller adds, the others wait.
    cache = caches["shared"]
    while not cache.add(key, token, hold):
        if time.monotonic() > gives_up_at:
            raise Busy
        time.sleep(POLL_SECONDS)
    try:
        yield
    finally:
        if cache.get(key) == token:
            cache.delete(key)
