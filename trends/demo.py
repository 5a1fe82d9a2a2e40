"""Made-up history for `make run`'s demo, so its charts are not empty on the first visit.

It is drawn at the pace of the demo's ticker (`sandbox_tick --loop 30`: every enabled flow sends
about 20 notifications every 30 seconds), so the history meets the live figures without a jump,
and the flows' running totals grow by what it adds, as if the ticker had run all along. Marked as
demo data (a Snapshot with ``demo=True``, which the charts mention); real snapshots take over from
the flows' totals, so nothing is counted twice.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from trends.models import Delta, FlowRecord, Snapshot
from trends.snapshots import hour_of, period_of

TICKER_SENT_PER_HOUR = 120 * 20
WEEKDAY_FACTOR = (1.1, 1.15, 1.1, 1.05, 0.95, 0.75, 0.7)
HOUR = dt.timedelta(hours=1)


def _buckets(now, days):
    """One bucket a day, then one an hour from the start of the day 48 hours ago: (start, hours)."""
    start = hour_of(now).replace(hour=0) - dt.timedelta(days=days)
    hourly_from = hour_of(now - 48 * HOUR).replace(hour=0)
    daily = [(start + dt.timedelta(days=d), 24) for d in range((hourly_from - start).days)]
    hourly = [(hourly_from + h * HOUR, 1) for h in range(int((now - hourly_from) / HOUR) + 1)]
    return start, daily + hourly


def backfill(connection, flows, days=28, now=None, seed=7):
    """Write ``days`` of history for ``flows`` ((id, website id, name, enabled, the four totals)
    tuples) unless the connection already has a snapshot; {flow id: the four figures added}."""
    if Snapshot.objects.filter(connection=connection).exists():
        return {}
    now = now or timezone.now()
    rng = random.Random(seed)
    start, buckets = _buckets(now, days)
    rows, added = [], {}
    for flow_id, website_id, _name, enabled, _totals in flows:
        if not enabled:
            continue
        # Each flow keeps its own shares; some were fading towards today's pace, some growing.
        shown, clicks, closes = rng.uniform(0.7, 0.95), rng.uniform(0.02, 0.15), rng.uniform(0.1, 0.5)
        drift = rng.uniform(-0.6, 0.6)
        sums = [0, 0, 0, 0]
        for bucket, hours in buckets:
            pace = 1 + drift * (now - bucket) / (now - start)
            weekday = WEEKDAY_FACTOR[bucket.weekday()] if hours == 24 else 1
            sent = round(TICKER_SENT_PER_HOUR * hours * pace * weekday * rng.uniform(0.85, 1.15))
            displayed = round(sent * shown)
            clicked = min(displayed, round(displayed * clicks * rng.uniform(0.8, 1.2)))
            figures = (sent, displayed, clicked, round((displayed - clicked) * closes))
            sums = [a + b for a, b in zip(sums, figures, strict=True)]
            rows.append(
                Delta.of(
                    figures, connection=connection, flow_id=flow_id, website_id=website_id, bucket=bucket
                )
            )
        added[flow_id] = tuple(sums)
    records = [
        FlowRecord.of(
            map(sum, zip(totals, added.get(flow_id, (0, 0, 0, 0)), strict=True)),
            connection=connection,
            flow_id=flow_id,
            website_id=website_id,
            name=name,
            first_seen=start,
        )
        for flow_id, website_id, name, _enabled, totals in flows
    ]
    with transaction.atomic():
        Snapshot.objects.create(
            connection=connection, period=period_of(start), taken_at=now, flows=len(records), demo=True
        )
        FlowRecord.objects.bulk_create(records, batch_size=1000)
        Delta.objects.bulk_create(rows, batch_size=1000)
    return added
