"""Taking snapshots and keeping their history small: plain callables the worker runs on a schedule,
and `manage.py snapshot_stats` runs on demand."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Sum
from django.db.models.functions import TruncDay
from django.utils import timezone

from flows_app.api import ApiError, connect
from flows_app.api.budget import MustWait
from flows_app.crypto import DecryptionError
from flows_app.models import Connection
from jobs.periodic import every_connection
from trends.models import COUNTERS, Delta, FlowRecord, Snapshot

BATCH = 1000
# The worker never waits longer than this for the key's budget: a snapshot put off to the next
# period loses nothing (it counts every change since the last one), and the worker's loop goes on.
WORKER_MAX_WAIT = 5


def period_of(moment):
    """The start of the STATS_SNAPSHOT_MINUTES period that holds this moment."""
    seconds = settings.STATS_SNAPSHOT_MINUTES * 60
    return dt.datetime.fromtimestamp(int(moment.timestamp()) // seconds * seconds, tz=dt.UTC)


def hour_of(moment):
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def difference(before, after):
    """Each counter's growth. A total that went down (a counter reset upstream) adds nothing: its
    lower value is the next snapshot's starting point, so no day ever shows a negative figure."""
    return tuple(max(0, new - old) for old, new in zip(before, after, strict=True))


def take_snapshot(connection, now=None, max_wait=None, on_demand=False):
    """One snapshot of the connection's flows for the current period; None when another run has
    already claimed that period. ``on_demand`` (`manage.py snapshot_stats`): one now, whatever the
    schedule; its row stands for its own moment, so it neither skips a period already taken nor
    claims the one the worker's schedule takes next (that stays one per period).

    Paced as all background work is (flows_app.api.budget): it spends only what people leave of
    the key's minute, waiting for that at most ``max_wait`` seconds (None: as long as
    it takes) before it gives up with MustWait. Raises ApiError (or DecryptionError) when the
    API cannot be read. Either way the period is released, for the next run to take.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            snapshot = Snapshot.objects.create(
                connection=connection, period=now if on_demand else period_of(now)
            )
    except IntegrityError:
        return None
    try:
        flows, calls = _read_every_flow(connection, max_wait)
    except (ApiError, DecryptionError, MustWait):
        snapshot.delete()
        raise
    with transaction.atomic():
        snapshot.changed = record(connection, flows, now)
        snapshot.flows, snapshot.calls, snapshot.taken_at = len(flows), calls, timezone.now()
        snapshot.save(update_fields=["changed", "flows", "calls", "taken_at"])
    return snapshot


def _read_every_flow(connection, max_wait):
    """Every flow of the connection, all pages at 1000 a page fetched together once the key's
    budget allows them all; (flows, upstream calls)."""
    api = connect(connection, background=True)
    # The flows this history knows, or more when a page of the dashboard read more since.
    known = max(FlowRecord.objects.filter(connection=connection, deleted_at=None).count(), api.last_count())
    flows = api.pacer.whole_read(lambda: api.all_flows(at_least=known), known, max_wait=max_wait)
    return flows, api.client.calls


def record(connection, flows, now):
    """Store what changed since the connection's last snapshot; how many flows changed.

    A flow first seen after the connection's first snapshot is new since then (created or
    duplicated), so all its totals count as this hour's; on the very first snapshot totals are
    only the starting point. A flow's name is kept too (renames included), so that a flow the
    API no longer lists, marked deleted, is still named in its history until STATS_RETENTION_DAYS.
    """
    # Serialises snapshots of one connection (PostgreSQL): differences start from committed totals.
    list(Connection.objects.select_for_update().filter(pk=connection.pk).values_list("pk"))
    known = {
        row[0]: row[1:]
        for row in FlowRecord.objects.filter(connection=connection).values_list(
            "flow_id", "deleted_at", "name", "website_id", *COUNTERS
        )
    }
    first = not Snapshot.objects.filter(connection=connection, taken_at__isnull=False).exists()
    records, changes = [], {}
    for flow in flows:
        totals = (flow.total_sent, flow.total_displayed, flow.total_clicked, flow.total_closed)
        previous = known.get(flow.id)
        if previous is None:
            growth = (0, 0, 0, 0) if first else totals
        elif previous == (None, flow.name, flow.website_id, *totals):
            continue
        else:
            growth = difference(previous[3:], totals)
        records.append(
            FlowRecord.of(
                totals,
                connection=connection,
                flow_id=flow.id,
                website_id=flow.website_id,
                name=flow.name,
                first_seen=now,
                deleted_at=None,
            )
        )
        if any(growth):
            changes[flow.id] = (flow.website_id, growth)
    FlowRecord.objects.bulk_create(
        records,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["connection", "flow_id"],
        update_fields=["website_id", "name", "deleted_at", *COUNTERS],
    )
    listed = {flow.id for flow in flows}
    gone = [flow_id for flow_id, previous in known.items() if flow_id not in listed and previous[0] is None]
    for start in range(0, len(gone), BATCH):
        FlowRecord.objects.filter(connection=connection, flow_id__in=gone[start : start + BATCH]).update(
            deleted_at=now
        )
    # Counted in the hour the snapshot saw it: at most one interval after it happened.
    _add_to_hour(connection, hour_of(now), changes)
    return len(records)


def _add_to_hour(connection, bucket, changes):
    """Add each flow's growth to its row of this hour (earlier snapshots of the hour made some)."""
    existing = {
        row[0]: row[1:]
        for row in Delta.objects.filter(connection=connection, bucket=bucket).values_list(
            "flow_id", *COUNTERS
        )
    }
    rows = []
    for flow_id, (website_id, growth) in changes.items():
        so_far = existing.get(flow_id, (0, 0, 0, 0))
        summed = (a + b for a, b in zip(so_far, growth, strict=True))
        rows.append(
            Delta.of(summed, connection=connection, flow_id=flow_id, website_id=website_id, bucket=bucket)
        )
    Delta.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["connection", "flow_id", "bucket"],
        update_fields=["website_id", *COUNTERS],
    )


def thin(now=None):
    """Sum hourly rows older than STATS_HOURLY_DAYS into one row per flow and day, and drop
    everything older than STATS_RETENTION_DAYS (deleted flows' records included)."""
    now = now or timezone.now()
    midnight = now.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cutoff = midnight - dt.timedelta(days=settings.STATS_HOURLY_DAYS)
    # A day still holding a row after midnight has not been summed yet.
    days = (
        Delta.objects.filter(bucket__lt=cutoff, bucket__hour__gt=0)
        .annotate(day=TruncDay("bucket", tzinfo=dt.UTC))
        .values_list("day", flat=True)
        .distinct()
    )
    for day in list(days):
        with transaction.atomic():
            of_day = Delta.objects.filter(bucket__gte=day, bucket__lt=day + dt.timedelta(days=1))
            sums = [
                Delta(bucket=day, **row)
                for row in of_day.values("connection_id", "flow_id").annotate(
                    website_id=Max("website_id"), **{name: Sum(name) for name in COUNTERS}
                )
            ]
            of_day.delete()
            Delta.objects.bulk_create(sums, batch_size=BATCH)
    expired = now - dt.timedelta(days=settings.STATS_RETENTION_DAYS)
    Delta.objects.filter(bucket__lt=expired).delete()
    FlowRecord.objects.filter(deleted_at__lt=expired).delete()
    Snapshot.objects.filter(period__lt=expired).delete()


def snapshot_all(now=None, max_wait=WORKER_MAX_WAIT, on_demand=False):
    """A snapshot of every connection, then thinning; (taken, skipped, failed) counts, where
    skipped counts periods already taken and snapshots put off for the key's budget (``on_demand``:
    see take_snapshot).
    (jobs.periodic.every_connection).
    """
    counts = every_connection(
        lambda connection: take_snapshot(connection, now, max_wait, on_demand), "snapshot"
    )
    thin(now)
    return counts
