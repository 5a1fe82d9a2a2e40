"""Work that repeats: any app registers a function with ``@every(minutes=...)`` in its
``tasks.py``, and ``manage.py worker`` runs it once per period.

Periods are counted from the epoch (a 15-minute function runs in the period starting at :00,
:15, :30, :45). The database keeps the last period each function ran in; a worker claims a
period with one conditional UPDATE, so however many workers share the database, each period
runs once. A period missed while no worker ran is not made up: the next one runs.
"""

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from flows_app.api import ApiError
from flows_app.api.budget import MustWait
from flows_app.crypto import DecryptionError
from flows_app.models import Connection
from jobs.models import PeriodicRun

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: int
    function: object

    def current_period(self, now):
        return int(now // self.seconds)


registry: dict[str, Periodic] = {}
# The period each function was last looked at by this process: the database is asked once per period.
_looked_at: dict[str, int] = {}


def every(*, minutes=0, hours=0, seconds=0):
    """Register the decorated function (taking no arguments) to run once per interval."""
    interval = int(timedelta(hours=hours, minutes=minutes, seconds=seconds).total_seconds())
    if interval < 1:
        raise ValueError("every() needs an interval of at least one second.")

    def register(function):
        name = f"{function.__module__}.{function.__qualname__}"
        registry[name] = Periodic(name, interval, function)
        return function

    return register


def claim(periodic, now):
    """True when this caller has the right to run ``periodic``'s current period."""
    period = periodic.current_period(now)
    PeriodicRun.objects.get_or_create(name=periodic.name, defaults={"period": period - 1})
    claimed = PeriodicRun.objects.filter(pk=periodic.name, period__lt=period).update(
        period=period, ran_at=timezone.now()
    )
    return claimed == 1


def run_due():
    """Run every registered function whose current period no worker has claimed yet."""
    now = time.time()
    for periodic in list(registry.values()):
        period = periodic.current_period(now)
        if _looked_at.get(periodic.name) == period:
            continue
        _looked_at[periodic.name] = period
        if not claim(periodic, now):
            continue
        try:
            periodic.function()
        except Exception:
            # One failing function must not stop the worker or the others.
            logger.exception("Periodic %s failed", periodic.name)


def every_connection(work, what):
    """``work(connection)`` for every connection, oldest first; (done, skipped, failed) counts,
    where skipped counts work put off for the key's budget (MustWait) and work that answered
    None (nothing to do). ``what`` names the work in the log.

    One connection's failure (a revoked key, a server down, a key sealed under a secret no longer
    configured) is logged and does not stop the others."""
    done = skipped = failed = 0
    for connection in Connection.objects.order_by("pk"):
        try:
            result = work(connection)
        except MustWait as wait:
            skipped += 1
            logger.info("%s of connection %s put off to the next period: %s", what, connection.pk, wait)
            continue
        except (ApiError, DecryptionError) as error:
            failed += 1
            logger.warning("%s of connection %s failed: %s", what, connection.pk, error)
            continue
        if result is None:
            skipped += 1
        else:
            done += 1
    return done, skipped, failed
