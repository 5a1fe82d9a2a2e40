"""The worker's gathering of every flow's deliveries, for the flows list and the connection's home.

Counting each flow's delivered and failed entries at one call per kind would cost 2,000 calls for
1,000 flows: over an hour of background work's part of the budget (docs/BUDGET.md). Instead, each
gathering

1. reads every flow (one call per 1,000 flows, the pages sent together);
2. pages each website's ``push_notification_failed`` entries newest first, 1,000 a call: failures
   are few (a push service refusing a push), so a website needs one call, or a few;
3. counts ``push_notification_sent`` (one call) only for the flows whose running total moved since
   their last count: a flow that sent nothing new has delivered nothing new.

So for 1,000 flows of which 50 sent since the last gathering, with under 1,000 failures a website:
1 + (the websites, a call each) + 50 calls. The first gathering counts every flow that ever sent
(about 1,000 calls): it goes on over the next periods, paced as all background work is, the flows
counted so far kept and the rest counted first next time (``Gathering.pending``).
"""

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from deliveries.models import FlowDeliveries, Gathering
from deliveries.zone import on_server_clock, server_zone
from flows_app.api import connect
from flows_app.api.budget import MustWait
from flows_app.api.records import LARGEST_PAGE
from jobs.periodic import every_connection

DAY = dt.timedelta(days=1)
FAILED = "push_notification_failed"
DELIVERED = "push_notification_sent"
# As for snapshots: work put off to the next period loses nothing, and the worker's loop goes on.
WORKER_MAX_WAIT = 5
# "Clearly above": at least this many attempts in each week, and a share at least half as high
# again and two points higher than the week before (a handful of failures is no rise).
RISE_MIN_ATTEMPTS = 20
RISE_FACTOR = 1.5
RISE_POINTS = 0.02


def midnight(moment):
    return moment.astimezone(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _failures(api, website_ids, zone, today, max_wait):
    """{flow id: [in the window, in the last 7 whole days, in the 7 before]} of these websites."""
    week, before = on_server_clock(today - 7 * DAY, zone), on_server_clock(today - 14 * DAY, zone)
    end = on_server_clock(today, zone)
    counts = {}
    for website_id in sorted(website_ids):
        page = 1
        while True:
            listing = api.pacer.call(
                api.client.list_logs,
                page,
                LARGEST_PAGE,
                order_by="datetime",
                order_type="DESC",
                website_id=website_id,
                type=FAILED,
                max_wait=max_wait,
            )
            for entry in listing.items:
                figures = counts.setdefault(entry.flow_id, [0, 0, 0])
                figures[0] += 1
                if entry.datetime is not None and entry.datetime < end:
                    figures[1] += entry.datetime >= week
                    figures[2] += before <= entry.datetime < week
            if page >= listing.total_pages or not listing.items:
                break
            page += 1
    return counts


def _not_known(flow_id, start):
    return None


def gather(connection, attempts_since=_not_known, now=None, max_wait=WORKER_MAX_WAIT):
    """Gather the connection's deliveries; its Gathering. ``attempts_since(flow id, moment)``: a
    flow's attempts counted by Pushdeck from that aware moment on, None where it cannot say (the
    trends app's snapshots, given by the caller: this app does not read them).

    Raises MustWait when the budget does not allow the flows and failures to be read within
    ``max_wait``; ApiError or DecryptionError when the API cannot be read. Deliveries counted
    before the budget ran out are kept either way."""
    now = now or timezone.now()
    api = connect(connection, background=True)
    known = max(FlowDeliveries.objects.filter(connection=connection).count(), api.last_count())
    flows = api.pacer.whole_read(lambda: api.all_flows(at_least=known), known, max_wait=max_wait)
    zone = server_zone(api.pacer.call(api.names, max_wait=max_wait))
    today = midnight(now)
    failures = _failures(api, {flow.website_id for flow in flows}, zone, today, max_wait)
    window_start = now - dt.timedelta(days=settings.FLOWS_LOG_RETENTION_DAYS)
    window_start_server = on_server_clock(window_start, zone)
    rows = {row.flow_id: row for row in FlowDeliveries.objects.filter(connection=connection)}
    moved = [flow for flow in flows if _moved(rows.get(flow.id), flow)]
    counted, pending = {}, 0
    for position, flow in enumerate(moved):
        if flow.total_sent == 0:
            counted[flow.id] = 0
            continue
        try:
            counted[flow.id] = api.pacer.call(
                api.client.count_logs, flow_id=flow.id, type=DELIVERED, max_wait=max_wait
            )
        except MustWait:
            pending = sum(1 for later in moved[position:] if later.total_sent)
            break
    with transaction.atomic():
        _store(
            connection,
            flows,
            rows,
            failures,
            counted,
            now,
            today,
            window_start,
            window_start_server,
            attempts_since,
        )
        gathering, _created = Gathering.objects.update_or_create(
            connection=connection,
            defaults={"gathered_at": now, "calls": api.client.calls, "pending": pending},
        )
    return gathering


def _moved(row, flow):
    return row is None or row.delivered is None or row.counted_at_total != flow.total_sent


def _store(
    connection, flows, rows, failures, counted, now, today, window_start, window_start_server, attempts_since
):
    fresh = []
    for flow in flows:
        row = rows.get(flow.id) or FlowDeliveries(connection=connection, flow_id=flow.id)
        in_window, week, before = failures.get(flow.id, (0, 0, 0))
        if flow.id in counted:
            row.delivered, row.counted_at_total = counted[flow.id], flow.total_sent
        created_within = flow.datetime is not None and flow.datetime >= window_start_server
        # A flow created within the window: its running total is the window's attempts.
        row.attempts = flow.total_sent if created_within else attempts_since(flow.id, window_start)
        row.website_id, row.failed, row.failed_7d, row.failed_prev_7d = (
            flow.website_id,
            in_window,
            week,
            before,
        )
        row.days_to, row.gathered_at = today, now
        fresh.append(row)
    FlowDeliveries.objects.bulk_create(
        fresh,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["connection", "flow_id"],
        update_fields=[
            "website_id",
            "counted_at_total",
            "delivered",
            "failed",
            "attempts",
            "failed_7d",
            "failed_prev_7d",
            "days_to",
            "gathered_at",
        ],
    )
    listed = {flow.id for flow in flows}
    FlowDeliveries.objects.filter(connection=connection).exclude(flow_id__in=listed).delete()


def gather_all(attempts_since_of=None, now=None, max_wait=WORKER_MAX_WAIT):
    """Gather every connection's deliveries; (gathered, put off, failed) counts, as
    jobs.periodic.every_connection gives them. ``attempts_since_of(connection)``: the
    ``attempts_since`` of gather for that connection (None: attempts known only for flows
    created within the logs' window)."""

    def work(connection):
        attempts = attempts_since_of(connection) if attempts_since_of else _not_known
        return gather(connection, attempts, now, max_wait)

    return every_connection(work, "gathering of deliveries")


def failures_rose(row, attempts_before, attempts_now, today):
    """Whether a flow's failure share of the last 7 whole days is clearly above the 7 before's,
    the attempts of each week being Pushdeck's own (the trends history). False when the gathered
    weeks are not those (gathered another day) or too few attempts say nothing."""
    if row is None or row.days_to != today or min(attempts_before, attempts_now) < RISE_MIN_ATTEMPTS:
        return False
    now_share = row.failed_7d / attempts_now
    before_share = row.failed_prev_7d / attempts_before
    return now_share >= before_share + RISE_POINTS and now_share >= before_share * RISE_FACTOR
