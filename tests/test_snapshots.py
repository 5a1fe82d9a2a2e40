"""Snapshots read every flow through the real client from the sandbox (in-process, tests/inprocess.py),
and store only what changed: differences per hour, never negative, thinned to days, kept for the
retention."""

import datetime as dt
import importlib
import threading

import pytest
from django.core.management import call_command
from django.db import connection as db_connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

import trends.tasks
from flows_app.api import Unavailable
from flows_app.models import SANDBOX, Connection
from jobs import periodic
from sandbox.models import ApiAccount, SubscriberLog
from sandbox.models import Flow as SandboxFlow
from tests.faults import inject
from tests.helpers import load_settings
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from trends.models import Delta, FlowRecord, Snapshot
from trends.snapshots import snapshot_all, take_snapshot, thin

T0 = dt.datetime(2026, 11, 20, 9, 5, tzinfo=dt.UTC)


def later(minutes):
    return T0 + dt.timedelta(minutes=minutes)


def grow(flow, sent=0, displayed=0, clicked=0, closed=0):
    flow.total_sent_push_notifications += sent
    flow.total_displayed_push_notifications += displayed
    flow.total_clicked_push_notifications += clicked
    flow.total_closed_push_notifications += closed
    flow.save()


def day_totals(connection, flow_id):
    return Delta.objects.filter(connection=connection, flow_id=flow_id).aggregate(
        sent=Sum("sent"), displayed=Sum("displayed"), clicked=Sum("clicked"), closed=Sum("closed")
    )


def test_first_snapshot_is_the_starting_point_and_reads_all_pages_at_1000(connection, demo_flows, upstream):
    snapshot = take_snapshot(connection, T0)
    assert snapshot.flows == 40 and snapshot.calls == 1
    assert [call.params["results_per_page"] for call in upstream] == [1000]
    assert FlowRecord.objects.filter(connection=connection).count() == 40
    # Totals from before recording began belong to no day.
    assert not Delta.objects.exists()


def test_unchanged_flows_write_nothing_and_changes_are_differences(connection, demo_flows):
    take_snapshot(connection, T0)
    assert take_snapshot(connection, later(15)).changed == 0
    assert not Delta.objects.exists()
    moved = demo_flows[0]
    grow(moved, sent=30, displayed=25, clicked=4, closed=3)
    snapshot = take_snapshot(connection, later(30))
    assert snapshot.changed == 1
    delta = Delta.objects.get()
    assert (delta.flow_id, delta.sent, delta.displayed, delta.clicked, delta.closed) == (
        moved.id,
        30,
        25,
        4,
        3,
    )
    assert delta.bucket == dt.datetime(2026, 11, 20, 9, tzinfo=dt.UTC)
    # A second change in the same hour adds to that hour's row.
    grow(moved, sent=10, displayed=5)
    take_snapshot(connection, later(45))
    assert Delta.objects.count() == 1
    assert day_totals(connection, moved.id) == {"sent": 40, "displayed": 30, "clicked": 4, "closed": 3}


def test_a_rename_is_kept_without_counting_anything(connection, demo_flows):
    flow = demo_flows[4]
    take_snapshot(connection, T0)
    SandboxFlow.objects.filter(pk=flow.pk).update(name="Spring welcome")
    assert take_snapshot(connection, later(15)).changed == 1
    assert FlowRecord.objects.get(connection=connection, flow_id=flow.id).name == "Spring welcome"
    assert not Delta.objects.exists()


def test_a_counter_that_goes_down_gives_no_negative_figure(connection, demo_flows):
    flow = demo_flows[1]
    grow(flow, sent=500, displayed=400)
    take_snapshot(connection, T0)
    SandboxFlow.objects.filter(pk=flow.pk).update(
        total_sent_push_notifications=20, total_displayed_push_notifications=10
    )
    take_snapshot(connection, later(15))
    assert not Delta.objects.filter(sent__lt=0).exists()
    assert day_totals(connection, flow.id)["sent"] is None
    # Growth counts again from the lower total.
    flow.refresh_from_db()
    grow(flow, sent=7, displayed=5)
    take_snapshot(connection, later(30))
    assert day_totals(connection, flow.id)["sent"] == 7
    assert day_totals(connection, flow.id)["displayed"] == 5


def test_flows_appearing_count_from_zero_and_deleted_ones_keep_their_history(connection, demo_flows):
    doomed = demo_flows[2]
    doomed_id = doomed.id
    take_snapshot(connection, T0)
    grow(doomed, sent=12, displayed=9, clicked=2)
    take_snapshot(connection, later(15))
    copy = SandboxFlow.objects.get(pk=demo_flows[3].pk)
    copy.pk = None
    copy.name = "Copy of it"
    copy.total_sent_push_notifications, copy.total_displayed_push_notifications = 70, 60
    copy.save()
    doomed.delete()
    take_snapshot(connection, later(30))
    # The duplicate starts its own history: all it has sent since it was made.
    assert day_totals(connection, copy.id)["sent"] == 70
    gone = FlowRecord.objects.get(connection=connection, flow_id=doomed_id)
    assert gone.deleted_at == later(30)
    assert gone.name == doomed.name
    assert day_totals(connection, doomed_id)["sent"] == 12


def test_the_same_period_is_never_taken_twice(connection, demo_flows, upstream):
    assert take_snapshot(connection, T0) is not None
    assert take_snapshot(connection, later(9)) is None
    assert len(upstream) == 1
    assert take_snapshot(connection, later(10)) is not None


@pytest.mark.live
def test_two_concurrent_runs_take_one_snapshot(connection, demo_flows, upstream):
    take_snapshot(connection, T0)
    grow(demo_flows[0], sent=50, displayed=40, clicked=5)
    start = threading.Barrier(2)
    results = []

    def run():
        try:
            start.wait()
            results.append(take_snapshot(connection, later(20)))
        finally:
            db_connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(result is None for result in results) == [False, True]
    assert Snapshot.objects.filter(connection=connection).count() == 2
    # One fetch for the first snapshot, one for the run that won the period.
    assert len(upstream) == 2
    assert day_totals(connection, demo_flows[0].id)["sent"] == 50


def test_a_failed_read_releases_the_period(connection, demo_flows, sandbox_key):
    inject(sandbox_key, "503", remaining=3)
    with pytest.raises(Unavailable):
        take_snapshot(connection, T0)
    assert not Snapshot.objects.exists()
    assert take_snapshot(connection, later(1)) is not None


def _hourly(connection, day, hours, sent):
    Delta.objects.bulk_create(
        Delta(
            connection=connection,
            flow_id=7,
            website_id=1,
            bucket=day + dt.timedelta(hours=hour),
            sent=sent,
            displayed=sent,
            clicked=1,
            closed=0,
        )
        for hour in hours
    )


def test_thinning_sums_old_hours_into_days_and_retention_drops_the_oldest(connection, settings):
    settings.STATS_HOURLY_DAYS, settings.STATS_RETENTION_DAYS = 14, 60
    now = dt.datetime(2026, 12, 3, 10, tzinfo=dt.UTC)
    old = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    recent = dt.datetime(2026, 11, 25, tzinfo=dt.UTC)
    ancient = dt.datetime(2026, 9, 1, tzinfo=dt.UTC)
    _hourly(connection, old, range(24), 10)
    _hourly(connection, recent, range(24), 10)
    _hourly(connection, ancient, [0], 10)
    FlowRecord.objects.create(
        connection=connection, flow_id=8, website_id=1, first_seen=ancient, deleted_at=ancient
    )
    thin(now)
    days = Delta.objects.filter(bucket__lt=recent)
    assert [(row.bucket, row.sent, row.clicked) for row in days] == [(old, 240, 24)]
    # Within STATS_HOURLY_DAYS the hours stay.
    assert Delta.objects.filter(bucket__gte=recent).count() == 24
    assert not FlowRecord.objects.filter(flow_id=8).exists()
    thin(now)
    assert Delta.objects.filter(bucket__lt=recent).count() == 1


def test_snapshot_stats_command_takes_one_for_every_connection(connection, demo_flows, capsys):
    call_command("snapshot_stats")
    assert "Snapshots taken: 1" in capsys.readouterr().out
    assert Snapshot.objects.filter(connection=connection, taken_at__isnull=False).count() == 1


def test_snapshot_stats_takes_one_now_though_the_worker_took_this_periods_and_the_worker_does_not_double(
    connection, demo_flows, capsys
):
    now = timezone.now()
    assert snapshot_all(now) == (1, 0, 0)  # the worker's, for this period
    grow(demo_flows[0], sent=5)
    call_command("snapshot_stats")
    assert capsys.readouterr().out.strip() == "Snapshots taken: 1; failed: 0."
    assert Snapshot.objects.filter(connection=connection, taken_at__isnull=False).count() == 2
    assert day_totals(connection, demo_flows[0].id)["sent"] == 5
    # The worker's schedule still takes each period once.
    assert snapshot_all(now) == (0, 1, 0)
    assert Snapshot.objects.count() == 2


@pytest.mark.parametrize(
    ("env", "complaint"),
    [
        ({"STATS_SNAPSHOT_MINUTES": "0"}, "STATS_SNAPSHOT_MINUTES must be at least 1"),
        ({"STATS_HOURLY_DAYS": "a week"}, "STATS_HOURLY_DAYS must be a number"),
        ({"STATS_RETENTION_DAYS": "7"}, "STATS_RETENTION_DAYS must be at least STATS_HOURLY_DAYS"),
    ],
)
def test_history_settings_that_cannot_work_stop_start_up(env, complaint):
    result = load_settings(**env)
    assert result.returncode != 0
    assert complaint in result.stderr


def test_one_connection_failing_does_not_stop_the_others(connection, demo_flows, sandbox_key, other_user):
    broken = Connection(owner=other_user, label="Revoked", server=SANDBOX)
    broken.set_api_key("a-key-the-sandbox-does-not-know-0001")
    broken.save()
    assert snapshot_all(T0) == (1, 0, 1)
    assert Snapshot.objects.get().connection == connection
    # Run again in the same period: the taken one is skipped, the broken one tried again.
    assert snapshot_all(later(5)) == (0, 1, 1)


@pytest.fixture
def trends_registered():
    """The periodic registry as the worker builds it from every app's tasks.py (registered anew:
    another test may have emptied the registry after trends.tasks was first imported)."""
    before = dict(periodic.registry)
    autodiscover_modules("tasks")
    importlib.reload(trends.tasks)
    periodic._looked_at.clear()
    yield
    periodic.registry.clear()
    periodic.registry.update(before)


@pytest.mark.live
def test_the_worker_takes_the_snapshots_every_period(connection, demo_flows, trends_registered):
    assert "trends.snapshots.snapshot_all" in periodic.registry
    assert periodic.registry["trends.snapshots.snapshot_all"].seconds == 15 * 60
    call_command("worker", "--until-idle", "--interval", "0")
    snapshot = Snapshot.objects.get(connection=connection)
    assert snapshot.flows == 40 and snapshot.taken_at is not None


def test_the_worker_leaves_people_their_part_and_tries_next_period(
    connection, demo_flows, upstream, clock, people_spend
):
    # Background work sends only while the key's count is under half its limit: with people's
    # 30 of 60 spent, a snapshot would eat into what they need.
    people_spend(connection, 30)
    assert snapshot_all(T0) == (0, 1, 0)
    assert upstream == [] and not Snapshot.objects.exists()
    clock[0] += 60
    people_spend(connection, 29)
    assert snapshot_all(later(15)) == (1, 0, 0)


def test_snapshot_stats_waits_for_the_budget_instead(
    connection, demo_flows, monkeypatch, capsys, clock, people_spend
):
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        clock[0] += seconds

    monkeypatch.setattr("flows_app.api.budget.time.sleep", sleep)
    people_spend(connection, 30)
    call_command("snapshot_stats")
    assert "Snapshots taken: 1" in capsys.readouterr().out
    # It waited for the rest of the key's window (up to a minute) before reading.
    assert len(slept) == 1 and 50 < slept[0] <= 60


@pytest.mark.live
def test_demo_history_matches_the_flows_totals_so_real_snapshots_count_nothing_twice(
    sandbox_url, sandbox_media, capsys
):
    call_command("demo")
    assert "Back-filled four weeks" in capsys.readouterr().out
    demo = Connection.objects.get(owner__username="demo")
    snapshot = Snapshot.objects.get(connection=demo)
    assert snapshot.demo
    flows = SandboxFlow.objects.filter(
        account__in=ApiAccount.objects.with_key("demo-sandbox-key-7f3a9c2e5b1d4f60")
    )
    # The four weeks are the sandbox's own logs of each flow since the history starts, and never
    # more than the flow's total: the charts, the logs and the totals tell one story.
    start = Delta.objects.filter(connection=demo).order_by("bucket").first().bucket
    with_history = 0
    for flow in flows:
        history = {name: value or 0 for name, value in day_totals(demo, flow.id).items()}
        logs = SubscriberLog.objects.filter(flow_id=flow.id, datetime__gte=start)
        attempts = logs.filter(type__in=["push_notification_sent", "push_notification_failed"]).count()
        assert history["sent"] == attempts <= flow.total_sent_push_notifications
        assert history["clicked"] == logs.filter(type="clicked_notification").count()
        assert history["clicked"] <= history["displayed"] <= history["sent"]
        with_history += bool(history["sent"])
    assert with_history >= 20
    # The first real snapshot finds the totals the history ends with: nothing moved.
    assert take_snapshot(demo).changed == 0
    call_command("demo")
    assert "Back-filled" not in capsys.readouterr().out
