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
