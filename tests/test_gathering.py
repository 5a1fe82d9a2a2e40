"""The worker's gathering of deliveries (issue 27): every flow's failures from each website's
failed entries paged newest first, its deliveries counted only when its total moved, checked
against the sandbox engine's own log entries on a fake clock, with the calls it spends counted;
then the flows list's Failed share and "failures rose" filter and the connection's Needs
attention, read from what was gathered without a call of their own."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from deliveries.gathering import FAILED, gather, gather_all, midnight
from deliveries.models import FlowDeliveries, Gathering
from flows.tasks import gather_deliveries
from flows_app.api.budget import MustWait
from jobs.models import BulkJob
from jobs.periodic import registry
from sandbox import engine
from sandbox.models import Flow as SandboxFlow
from sandbox.models import SubscriberLog
from tests.helpers import fault, make_connection, shown_ids
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text
from trends.models import Delta, FlowRecord, Snapshot

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
LOGS = "/api/subscribers-logs/"


def new_flow(account, website, created, **fields):
    values = {"name": "Welcome", "title": "Hi", "description": "Thanks", "wait_time": 1}
    return SandboxFlow.objects.create(
        account=account, website=website, datetime=created, wait_time_type="hours", **values | fields
    )


def sends(account, website, start, rng, people=40):
    """``people`` subscribe from ``start`` on, and the engine sends what is due an hour later."""
    for minute in range(people):
        engine.subscribe(website, start + dt.timedelta(minutes=minute), rng)
    engine.send_due(start + 2 * HOUR, rng)


def logged(flow, kind):
    return SubscriberLog.objects.filter(flow_id=flow.id, type=kind).count()


def log_calls(upstream):
    return [request.params for request in upstream if request.url.endswith(LOGS)]


def test_the_gathering_counts_each_flows_failures_and_deliveries_as_the_engine_logged_them(
    connection, account, quiet_website, rng, upstream, pushes_fail_some
):
    now = timezone.now()
    start = now - 3 * DAY
    first = new_flow(account, quiet_website, start - HOUR)
    second = new_flow(account, quiet_website, start - HOUR, name="Second")
    silent = new_flow(account, quiet_website, start - HOUR, name="Never sent", is_enabled=False)
    sends(account, quiet_website, start, rng)
    assert logged(first, FAILED) and logged(second, FAILED), "the seeded engine fails some"

    upstream.clear()
    gathering = gather(connection, now=now)
    rows = {row.flow_id: row for row in FlowDeliveries.objects.filter(connection=connection)}
    for flow in (first, second):
        flow.refresh_from_db()
        assert rows[flow.id].failed == logged(flow, FAILED)
        assert rows[flow.id].delivered == logged(flow, "push_notification_sent")
        # Created within the logs' window: its running total is the window's attempts.
        assert rows[flow.id].attempts == flow.total_sent_push_notifications
        assert rows[flow.id].failed_share == pytest.approx(
            logged(flow, FAILED) / flow.total_sent_push_notifications
        )
    assert (rows[silent.id].delivered, rows[silent.id].failed, rows[silent.id].failed_share) == (0, 0, None)
    # Sent within the last 7 whole days only.
    assert rows[first.id].failed_7d == logged(first, FAILED) and rows[first.id].failed_prev_7d == 0

    calls = log_calls(upstream)
    failed_pages = [params for params in calls if params.get("type") == FAILED]
    assert len(failed_pages) == 1, "one website's few failures: one page, newest first"
    assert (failed_pages[0]["order_by"], failed_pages[0]["order_type"]) == ("datetime", "DESC")
    counted = sorted(params["flow_id"] for params in calls if params.get("type") == "push_notification_sent")
    assert counted == sorted([first.id, second.id]), "a flow that never sent costs no call"
    assert gathering.calls == len(upstream) and gathering.pending == 0


def test_a_second_gathering_counts_deliveries_only_of_the_flows_whose_totals_moved(
    connection, account, quiet_website, rng, upstream
):
    now = timezone.now()
    start = now - 3 * DAY
    moving = new_flow(account, quiet_website, start - HOUR)
    still = new_flow(account, quiet_website, start - HOUR, name="Still")
    sends(account, quiet_website, start, rng)
    gather(connection, now=now)
    SandboxFlow.objects.filter(pk=still.pk).update(is_enabled=False)
    sends(account, quiet_website, start + DAY, rng, people=10)

    upstream.clear()
    gather(connection, now=now + HOUR)
    counted = [
        params["flow_id"] for params in log_calls(upstream) if params.get("type") == "push_notification_sent"
    ]
    assert counted == [moving.id]
    row = FlowDeliveries.objects.get(connection=connection, flow_id=moving.id)
    assert row.delivered == logged(moving, "push_notification_sent")
    assert row.failed == logged(moving, FAILED)


def test_a_gathering_short_of_budget_keeps_what_it_counted_and_counts_the_rest_next_time(
    connection, account, quiet_website, rng, monkeypatch
):
    now = timezone.now()
    start = now - 3 * DAY
    flows = [new_flow(account, quiet_website, start - HOUR, name=f"Flow {n}") for n in range(3)]
    sends(account, quiet_website, start, rng)
    from flows_app.api.client import FlowsClient

    real = FlowsClient.count_logs
    allowed = [1]

    def count_logs(self, **filters):
        # The budget allows one count, then background work must wait past the worker's patience.
        if not allowed[0]:
            raise MustWait(30)
        allowed[0] -= 1
        return real(self, **filters)

    monkeypatch.setattr(FlowsClient, "count_logs", count_logs)
    gathering = gather(connection, now=now)
    assert gathering.pending == 2
    counted = FlowDeliveries.objects.filter(connection=connection, delivered__isnull=False)
    assert counted.count() == 1
    assert FlowDeliveries.objects.filter(connection=connection).count() == 3, "every flow's failures"

    allowed[0] = 5
    assert gather(connection, now=now + HOUR).pending == 0
    for flow in flows:
        row = FlowDeliveries.objects.get(connection=connection, flow_id=flow.id)
        assert row.delivered == logged(flow, "push_notification_sent")


def test_counting_gives_way_to_a_running_bulk_job_and_to_other_background_work(
    connection, account, quiet_website, rng, upstream, clock, people_spend, user
):
    now = timezone.now()
    start = now - 3 * DAY
    for n in range(6):
        new_flow(account, quiet_website, start - HOUR, name=f"Flow {n}")
    sends(account, quiet_website, start, rng)

    def counts():
        return [params for params in log_calls(upstream) if params.get("type") == "push_notification_sent"]

    job = BulkJob.objects.create(connection=connection, created_by=user, action="pause")
    assert gather(connection, now=now).pending == 6
    assert counts() == []

    job.state = BulkJob.State.FINISHED
    job.save()
    clock[0] += 61
    # People left background work 8 of this minute (half the limit, less their 22); the reads
    # before counting (every flow, the failures) take some, and counting takes half of the rest.
    people_spend(connection, 22)
    upstream.clear()
    gathering = gather(connection, now=now + HOUR)
    reads = len(upstream) - len(counts())
    assert 0 < len(counts()) == (8 - reads) // 2
    assert gathering.pending == 6 - len(counts())


def test_the_worker_gathers_every_connection_each_snapshot_period(
    connection, account, quiet_website, rng, settings
):
    flow = new_flow(account, quiet_website, timezone.now() - 2 * DAY)
    sends(account, quiet_website, timezone.now() - DAY, rng)
    assert registry["flows.tasks.gather_deliveries"].seconds == settings.STATS_SNAPSHOT_MINUTES * 60
    assert gather_deliveries() == (1, 0, 0)
    assert FlowDeliveries.objects.get(flow_id=flow.id).failed == logged(flow, FAILED)
    assert Gathering.objects.get(connection=connection).gathered_at <= timezone.now()


def test_failures_of_the_last_7_whole_days_are_told_from_those_of_the_7_before(
    connection, account, quiet_website, rng
):
    now = timezone.now()
    today = midnight(now)
    flow = new_flow(account, quiet_website, today - 20 * DAY)
    sends(account, quiet_website, today - 10 * DAY, rng)
    before = logged(flow, FAILED)
    sends(account, quiet_website, today - 3 * DAY, rng)
    gather(connection, now=now)
    row = FlowDeliveries.objects.get(flow_id=flow.id)
    assert (row.failed_prev_7d, row.failed_7d) == (before, logged(flow, FAILED) - before)
    assert row.days_to == today


# The flows list: the Failed share column, its sort and the "failures rose" filter


def record_days(connection, flow, sent, now, displayed=None, clicked=None):
    """Pushdeck's history of ``flow`` over the 14 whole days before today (oldest first: its
    sends, displays and clicks each day); a snapshot taken yesterday."""
    today = midnight(now)
    FlowRecord.objects.get_or_create(
        connection=connection,
        flow_id=flow.id,
        defaults={"website_id": flow.website_id, "name": flow.name, "first_seen": today - 30 * DAY},
    )
    for day in range(14):
        Delta.objects.create(
            connection=connection,
            flow_id=flow.id,
            website_id=flow.website_id,
            bucket=today - (14 - day) * DAY,
            sent=sent[day],
            displayed=displayed[day] if displayed else 0,
            clicked=clicked[day] if clicked else 0,
        )
    Snapshot.objects.get_or_create(
        connection=connection, period=today - DAY, defaults={"taken_at": today - DAY}
    )


def record_weeks(connection, flow, before, last, now):
    """``before`` sends a day over the 7 whole days before the last 7, and ``last`` a day over those."""
    record_days(connection, flow, [before] * 7 + [last] * 7, now)


def gathered(connection, flow, failed_before, failed_last, now, attempts=1000, failed=None):
    return FlowDeliveries.objects.create(
        connection=connection,
        flow_id=flow.id,
        website_id=flow.website_id,
        counted_at_total=0,
        delivered=attempts - failed_before - failed_last,
        failed=failed if failed is not None else failed_before + failed_last,
        attempts=attempts,
        failed_7d=failed_last,
        failed_prev_7d=failed_before,
        days_to=midnight(now),
        gathered_at=now,
    )


@pytest.fixture
def listed(connection, account, quiet_website):
    """Four flows with 70 attempts in each of the last two weeks: one whose failures rose from 2
    to 14, one steady at 3, one rising from too few attempts to tell, and one never gathered."""
    now = timezone.now()
    rising, steady, few, unknown = (
        new_flow(account, quiet_website, now - 30 * DAY, name=name)
        for name in ("Rising", "Steady", "Few", "Unknown")
    )
    for flow in (rising, steady, unknown):
        record_weeks(connection, flow, 10, 10, now)
    record_weeks(connection, few, 1, 1, now)
    gathered(connection, rising, 2, 14, now, attempts=400)
    gathered(connection, steady, 3, 3, now, attempts=1000)
    gathered(connection, few, 0, 2, now, attempts=100)
    Gathering.objects.create(connection=connection, gathered_at=now - 12 * dt.timedelta(minutes=1), calls=3)
    return rising, steady, few, unknown


def flows_list(client, connection, headers=None, **params):
    return client.get(f"/connections/{connection.pk}/flows/", params, headers=headers)


def test_the_failures_rose_filter_keeps_the_flows_whose_share_rose_clearly_without_a_call(
    logged_in, connection, listed, upstream
):
    rising, _steady, _few, _unknown = listed
    flows_list(logged_in, connection)  # the flows read and cached
    upstream.clear()
    response = flows_list(logged_in, connection, failures="rose")
    assert shown_ids(response) == [rising.id]
    assert log_calls(upstream) == [], "the filter reads what the worker gathered, not the logs"
    text = visible_text(response.content)
    assert "Failures rose (this 7 days against the 7 before)" in text
    assert "Failures gathered 12 minutes ago" in text


def test_the_failed_column_shows_each_flows_share_and_sorts_by_it_unknown_last(
    logged_in, connection, listed, every_column, upstream
):
    rising, steady, few, unknown = listed
    flows_list(logged_in, connection)
    upstream.clear()
    response = flows_list(logged_in, connection, sort="-failed_share")
    assert log_calls(upstream) == []
    assert shown_ids(response) == [rising.id, few.id, steady.id, unknown.id]
    html = response.content.decode()
    assert re.search(rf'<tr id="flow-{rising.id}">.*?data-failed-share>4\.0%<', html, re.S), "16 of 400"
    assert "Failures gathered 12 minutes ago" in visible_text(response.content)


def test_by_default_the_failed_column_is_hidden_and_no_freshness_is_shown(logged_in, connection, listed):
    text = visible_text(flows_list(logged_in, connection).content)
    assert "Failures gathered" not in text


def test_a_filter_of_failures_the_list_does_not_know_is_said_and_left_out(logged_in, connection, listed):
    response = flows_list(logged_in, connection, failures="fell")
    assert len(shown_ids(response)) == 4
    assert "“fell” is not a filter of failures; it was left out." in visible_text(response.content)


# Needs attention, on the connection's home


def test_needs_attention_names_stopped_failing_and_less_clicked_flows_as_links_without_a_call(
    logged_in, connection, demo_flows, upstream
):
    now = timezone.now()
    stopped, failing, dull, fine, paused = demo_flows[:5]
    SandboxFlow.objects.filter(pk__in=[flow.pk for flow in demo_flows[:4]]).update(is_enabled=True)
    SandboxFlow.objects.filter(pk=paused.pk).update(is_enabled=False)
    # Sending until 3 days ago, then nothing; the paused one did the same, as it should.
    for flow in (stopped, paused):
        record_days(connection, flow, [10] * 11 + [0] * 3, now)
    record_weeks(connection, failing, 10, 10, now)
    gathered(connection, failing, 1, 12, now)
    # Clicked 10 of 100 displayed a day, then 4 of 100: a fall of 60 %.
    record_days(connection, dull, [100] * 14, now, displayed=[100] * 14, clicked=[10] * 7 + [4] * 7)
    record_days(connection, fine, [100] * 14, now, displayed=[100] * 14, clicked=[10] * 14)
    upstream.clear()
    response = logged_in.get(f"/connections/{connection.pk}/websites/")
    assert log_calls(upstream) == [], "Pushdeck's own records only"
    section = response.content.decode().split("data-needs-attention")[1].split("</section>")[0]
    named = re.findall(r'href="/connections/\d+/flows/(\d+)/"', section)
    assert sorted(map(int, named)) == sorted([stopped.id, failing.id, dull.id])
    text = visible_text(section)
    assert "Enabled, but sent nothing in the last 3 days" in text
    assert "Failures rose against the 7 days before" in text
    assert "Click rate fell against the 7 days before" in text


def test_a_limited_member_sees_only_their_websites_flows_needing_attention(connection, limited):
    client, _websites, mine, theirs = limited
    now = timezone.now()
    SandboxFlow.objects.filter(pk__in=[mine[0].pk, theirs[0].pk]).update(is_enabled=True)
    for flow in (mine[0], theirs[0]):
        record_days(connection, flow, [10] * 11 + [0] * 3, now)
    html = client.get(f"/connections/{connection.pk}/websites/").content.decode()
    section = html.split("data-needs-attention")[1].split("</section>")[0]
    assert f"/flows/{mine[0].id}/" in section
    assert f"/flows/{theirs[0].id}/" not in section


def test_needs_attention_in_chinese(logged_in, connection, demo_flows):
    now = timezone.now()
    flow = demo_flows[0]
    SandboxFlow.objects.filter(pk=flow.pk).update(is_enabled=True)
    record_days(connection, flow, [10] * 11 + [0] * 3, now)
    html = logged_in.get(f"/connections/{connection.pk}/websites/", headers={"Accept-Language": "zh-hans"})
    text = visible_text(html.content)
    assert "需要关注" in text
    assert "最近 3 天未发送任何推送" in text


def test_the_multi_connection_home_shows_each_cards_flows_needing_attention(
    logged_in, connection, demo_flows, user, other_sandbox_key
):
    make_connection(user, other_sandbox_key)
    flow = demo_flows[0]
    SandboxFlow.objects.filter(pk=flow.pk).update(is_enabled=True)
    record_days(connection, flow, [10] * 11 + [0] * 3, timezone.now())
    html = logged_in.get("/").content.decode()
    assert html.count("data-needs-attention") == 2
    assert f'href="/connections/{connection.pk}/flows/{flow.id}/"' in html


def test_a_refused_key_is_logged_and_leaves_the_last_figures_and_the_other_connections(
    connection, account, quiet_website, rng, settings
):
    flow = new_flow(account, quiet_website, timezone.now() - 2 * DAY)
    sends(account, quiet_website, timezone.now() - DAY, rng)
    gather(connection)
    before = FlowDeliveries.objects.get(flow_id=flow.id)
    settings.SANDBOX_FAULTS_ENABLED = True
    fault(connection.api_key, kind="status", status=401)
    assert gather_all() == (0, 0, 1)
    after = FlowDeliveries.objects.get(flow_id=flow.id)
    assert (after.failed, after.delivered, after.gathered_at) == (
        before.failed,
        before.delivered,
        before.gathered_at,
    )


def test_the_lists_failure_figures_in_chinese(logged_in, connection, listed, every_column):
    zh = {"Accept-Language": "zh-hans"}
    text = visible_text(flows_list(logged_in, connection, failures="rose", headers=zh).content)
    assert "失败上升（最近 7 天对比之前 7 天）" in text  # noqa: RUF001 -- the Chinese parentheses
    assert "失败情况汇总于" in text
    assert "失败占比" in flows_list(logged_in, connection, headers=zh).content.decode()
