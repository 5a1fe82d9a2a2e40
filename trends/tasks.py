"""The worker's periodic work of the trends app (found by jobs' autodiscovery of tasks.py)."""

from django.conf import settings

from jobs.periodic import every
from trends.snapshots import snapshot_all

every(minutes=settings.STATS_SNAPSHOT_MINUTES)(snapshot_all)
