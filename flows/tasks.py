"""The worker's gathering of deliveries (found by jobs' autodiscovery of tasks.py): here, where
both the deliveries app and the trends history it takes its attempts from may be imported."""

from django.conf import settings

from deliveries.gathering import gather_all
from jobs.periodic import every
from trends.series import sent_since


def _attempts_since_of(connection):
    return lambda flow_id, start: sent_since(connection, flow_id, start)


@every(minutes=settings.STATS_SNAPSHOT_MINUTES)
def gather_deliveries():
    """Every connection's deliveries, once per snapshot period."""
    return gather_all(_attempts_since_of)
