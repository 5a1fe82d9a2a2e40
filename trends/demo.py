"""History for `make run`'s demo, so its charts are not empty on the first visit.

It is read from the demo server's own past (the sandbox's logs, counted per flow and hour by the
caller), so the charts, the flows' totals and the logs tell one story. Marked as demo data (a
Snapshot with ``demo=True``, which the charts mention); real snapshots take over from the flows'
totals, so nothing is counted twice.
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from trends.models import Delta, FlowRecord, Snapshot
from trends.snapshots import hour_of, period_of

HOUR = dt.timedelta(hours=1)


def _buckets(now, days):
    """One bucket a day, then one an hour from the start of the day 48 hours ago: (start, hours)."""
    start = hour_of(now).replace(hour=0) - dt.timedelta(days=days)
    hourly_from = hour_of(now - 48 * HOUR).replace(hour=0)
    daily = [(start + dt.timedelta(days=d), 24) for d in range((hourly_from - start).days)]
    hourly = [(hourly_from + h * HOUR, 1) for h in range(int((now - hourly_from) / HOUR) + 1)]
    return start, daily + hourly


def backfill(connection, flows, hourly, days=28, now=None):
    """Write ``days`` of history for ``flows`` ((id, website id, name, the four totals) tuples)
    from ``hourly`` ({(flow id, the hour's start): the four figures}) unless the connection already
    has a snapshot; how many flows have any history."""
    if Snapshot.objects.filter(connection=connection).exists():
        return 0
    now = now or timezone.now()
    start, buckets = _buckets(now, days)
    rows, shown = [], set()
    for flow_id, website_id, _name, _totals in flows:
        for bucket, hours in buckets:
            figures = [0, 0, 0, 0]
            for hour in range(hours):
                found = hourly.get((flow_id, bucket + hour * HOUR), (0, 0, 0, 0))
                figures = [a + b for a, b in zip(figures, found, strict=True)]
            if any(figures):
                shown.add(flow_id)
                rows.append(
                    Delta.of(
                        figures, connection=connection, flow_id=flow_id, website_id=website_id, bucket=bucket
                    )
                )
    records = [
        FlowRecord.of(
            totals, connection=connection, flow_id=flow_id, website_id=website_id, name=name, first_seen=start
        )
        for flow_id, website_id, name, totals in flows
    ]
    with transaction.atomic():
        Snapshot.objects.create(
            connection=connection, period=period_of(start), taken_at=now, flows=len(records), demo=True
        )
        FlowRecord.objects.bulk_create(records, batch_size=1000)
        Delta.objects.bulk_create(rows, batch_size=1000)
    return len(shown)
