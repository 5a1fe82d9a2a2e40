"""Made-up history for `make run`'s demo, so its charts are not empty on the first visit.

Marked as demo data (a Snapshot with ``demo=True``, which the charts mention): real snapshots
take over from the flows' current totals, so nothing is counted twice.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from trends.models import Delta, FlowRecord, Snapshot
from trends.snapshots import COUNTERS, hour_of, period_of

WEEKDAY_FACTOR = (1.1, 1.15, 1.1, 1.05, 0.95, 0.7, 0.6)
# Subscribers come in (and flows send) mostly in the day; these average about 1 over 24 hours.
DIURNAL = (
    0.3,
    0.25,
    0.2,
    0.2,
    0.25,
    0.4,
    0.7,
    1.0,
    1.3,
    1.5,
    1.55,
    1.5,
    1.45,
    1.4,
    1.4,
    1.35,
    1.3,
    1.3,
    1.35,
    1.4,
    1.3,
    1.0,
    0.7,
    0.45,
)
HOUR = dt.timedelta(hours=1)


def _split(total, weights):
    """total shared out in proportion to weights, in whole numbers that add up to it (rounding
    the running sum, so that small totals spread over many hours do not all round to zero)."""
    whole = sum(weights) or 1
    shares, running, given = [], 0.0, 0
    for weight in weights:
        running += total * weight / whole
        shares.append(round(running) - given)
        given += shares[-1]
    return shares


def backfill(connection, flows, days=28, now=None, seed=7):
    """Write ``days`` of plausible history for ``flows`` ((flow id, website id, name, the four
    totals) tuples): one row per day, one per hour since the day 48 h ago began. Does nothing when the
    connection already has a snapshot; returns the number of rows written."""
    if Snapshot.objects.filter(connection=connection).exists():
        return 0
    now = now or timezone.now()
    rng = random.Random(seed)
    start = hour_of(now).replace(hour=0) - dt.timedelta(days=days)
    hourly_from = hour_of(now - dt.timedelta(hours=48)).replace(hour=0)
    buckets = [start + dt.timedelta(days=d) for d in range((hourly_from - start).days)]
    buckets += [hourly_from + dt.timedelta(hours=h) for h in range(int((now - hourly_from) / HOUR) + 1)]
    rows = []
    for flow_id, website_id, _name, totals in flows:
        if not totals[0]:
            continue
        # Up to half of what the flow ever did happened in these weeks; some flows fade, some grow.
        share, drift = rng.uniform(0.2, 0.5), rng.uniform(-0.5, 0.4)
        weights = [
            (DIURNAL[bucket.hour] / 24 if bucket >= hourly_from else 1)
            * WEEKDAY_FACTOR[bucket.weekday()]
            * (1 + drift * (bucket - start) / (now - start))
            * rng.uniform(0.7, 1.3)
            for bucket in buckets
        ]
        # Each hour's displays follow its sends, and its clicks and closes its displays.
        sent = _split(int(totals[0] * share), weights)
        displayed = _split(int(totals[1] * share), sent)
        columns = [sent, displayed, *(_split(int(value * share), displayed) for value in totals[2:])]
        rows += [
            Delta(
                connection=connection,
                flow_id=flow_id,
                website_id=website_id,
                bucket=bucket,
                **dict(zip(COUNTERS, figures, strict=True)),
            )
            for bucket, figures in zip(buckets, zip(*columns, strict=True), strict=True)
            if figures[0]
        ]
    records = [
        FlowRecord(
            connection=connection,
            flow_id=flow_id,
            website_id=website_id,
            name=name,
            first_seen=start,
            **dict(zip(COUNTERS, totals, strict=True)),
        )
        for flow_id, website_id, name, totals in flows
    ]
    with transaction.atomic():
        Snapshot.objects.create(
            connection=connection, period=period_of(start), taken_at=now, flows=len(records), demo=True
        )
        FlowRecord.objects.bulk_create(records, batch_size=1000)
        Delta.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
