"""What reaches people (issue 27): a flow's deliveries counted from the subscribers' logs, and the
pushes still queued that pausing leaves, a new wait keeps and deleting drops, estimated before the
action. End to end against the sandbox's engine on a fake clock (``now`` passed in, nothing
sleeps): the counts are checked against the engine's own log entries, the estimates against its
own queue (sandbox.models.QueuedPush)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from activity.models import Activity, Kind
from deliveries import sequence
from deliveries.queue import SEGMENT, SHORT_RECORD, estimate
from flows_app.api import Flow, connect
from flows_app.api.records import Segment
from sandbox import engine
from sandbox.models import Flow as SandboxFlow
from sandbox.models import QueuedPush, SubscriberLog
from tests.helpers import HTMX, fault, url
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
LOG_CALLS = "/api/subscribers-logs/"


def new_flow(account, website, created, **fields):
    """A flow of the sandbox, created at ``created`` (the engine's clock)."""
    values = {
        "name": "Welcome",
        "title": "Hi",
        "description": "Thanks",
        "wait_time": 3,
        "wait_time_type": "days",
    }
    return SandboxFlow.objects.create(account=account, website=website, datetime=created, **values | fields)


def remember(connection, user, kind, flow, at, before, after):
    """Pushdeck's record of a write made through it at ``at``."""
    entry = Activity.objects.create(
        connection=connection,
        connection_label=connection.label,
        user=user,
        username=user.get_username(),
        kind=kind,
        flow_id=flow.id,
        flow_name=flow.name,
        website_id=flow.website_id,
        before=before,
        after=after,
    )
    Activity.objects.filter(pk=entry.pk).update(created=at)


def change(flow, **fields):
    SandboxFlow.objects.filter(pk=flow.pk).update(**fields)
    flow.refresh_from_db()


def log_calls(upstream):
    return [request.params.get("type") for request in upstream if request.url.endswith(LOG_CALLS)]


# Deliveries


def test_the_flow_page_loads_deliveries_as_the_logs_hold_them_one_call_per_kind_then_none(
    logged_in, connection, account, quiet_website, rng, upstream, pushes_fail_some
):
    start = timezone.now() - 2 * DAY
    flow = new_flow(account, quiet_website, start - HOUR, wait_time=1, wait_time_type="hours")
    for minute in range(60):
        engine.subscribe(quiet_website, start + dt.timedelta(minutes=minute), rng)
    engine.send_due(start + 2 * HOUR, rng)
    flow.refresh_from_db()
    logged = SubscriberLog.objects.filter(flow_id=flow.id)
    sent, failed = (
        logged.filter(type=kind).count() for kind in ("push_notification_sent", "push_notification_failed")
    )
    expired = SubscriberLog.objects.filter(type="expired_deleted").count()
    assert sent and failed, "the seeded engine both delivers and fails some"
    assert flow.total_sent_push_notifications == sent + failed + expired

    page = logged_in.get(url("detail", connection, flow.id)).content.decode()
    assert f'hx-get="{url("deliveries", connection, flow.id)}" hx-trigger="load"' in page
    upstream.clear()
    html = logged_in.get(url("deliveries", connection, flow.id), **HTMX).content.decode()
    assert html.startswith('\n<section id="deliveries"'), "the card alone, in place of the page's"
    assert f"data-delivered>{sent}<" in html
    assert f"data-failed>{failed}<" in html
    assert f"data-expired>{expired}<" in html
    assert f"data-failure-rate>{failed / (sent + failed) * 100:.1f}%<" in html
    assert sorted(log_calls(upstream)) == sorted(
        [
            "push_notification_sent",
            "push_notification_failed",
            "displayed_notification",
            "clicked_notification",
            "closed_notification",
        ]
    )

    upstream.clear()
    assert logged_in.get(url("deliveries", connection, flow.id), **HTMX).status_code == 200
    assert upstream == [], "a second look within the cache's life costs no call"


def test_the_deliveries_page_says_which_window_it_counts_and_explains_the_failure_rate(
    logged_in, connection, account, quiet_website
):
    flow = new_flow(account, quiet_website, timezone.now() - 200 * DAY)
    text = visible_text(logged_in.get(url("deliveries", connection, flow.id)).content)
    assert "which the server keeps 90 days" in text
    assert "push services refused, of those they answered" in text
    # Created before the window and no snapshot reaching back: its attempts there are not known.
    assert "Attempts Not known yet" in text


def test_a_server_refusing_the_logs_leaves_the_page_up_with_a_message_in_the_card(
    logged_in, connection, account, quiet_website, settings
):
    settings.SANDBOX_FAULTS_ENABLED = True
    flow = new_flow(account, quiet_website, timezone.now())
    # The flow read (and cached) first: only the counts meet the refusal.
    connect(connection).get_flow(flow.id)
    fault(connection.api_key, kind="status", status=401)
    page = logged_in.get(url("deliveries", connection, flow.id))
    assert page.status_code == 200
    card = visible_text(page.content).split("What reached people")[1]
    assert card.startswith(" The server refused this connection's API key.")


# What an action does to the queue


@pytest.fixture
def lived_flow(connection, user, account, quiet_website, rng):
    """A flow sent to all subscribers, created through Pushdeck 3 days and 2 hours ago with a wait
    of 3 days, paused for 5 hours after 2 days, then enabled again with a wait of 1 day; people
    subscribing all along. The engine did everything due by now. (flow, now)"""
    now = timezone.now()
    start = now - 3 * DAY - 2 * HOUR
    flow = new_flow(account, quiet_website, start)
    remember(
        connection,
        user,
        Kind.FLOW_CREATE,
        flow,
        start,
        None,
        {"is_enabled": True, "wait_time": 3, "wait_time_type": "days"},
    )
    for moment in (start + HOUR, start + HOUR, start + DAY, start + DAY, start + DAY):
        engine.subscribe(quiet_website, moment, rng)
    paused = start + 2 * DAY
    change(flow, is_enabled=False)
    remember(connection, user, Kind.FLOW_TOGGLE, flow, paused, {"is_enabled": True}, {"is_enabled": False})
    engine.subscribe(quiet_website, paused + HOUR, rng)
    engine.subscribe(quiet_website, paused + 2 * HOUR, rng)
    enabled = paused + 5 * HOUR
    change(flow, is_enabled=True, wait_time=1)
    remember(connection, user, Kind.FLOW_TOGGLE, flow, enabled, {"is_enabled": False}, {"is_enabled": True})
    remember(
        connection,
        user,
        Kind.FLOW_EDIT,
        flow,
        enabled + dt.timedelta(minutes=1),
        {"wait_time": 3, "wait_time_type": "days"},
        {"wait_time": 1, "wait_time_type": "days"},
    )
    engine.subscribe(quiet_website, enabled + HOUR, rng)
    engine.send_due(now, rng)
    return flow, now


def test_the_estimate_of_what_is_queued_is_the_engines_own_queue(connection, lived_flow):
    flow, now = lived_flow
    queued = QueuedPush.objects.filter(flow=flow)
    assert queued.count() == 4, "three who subscribed on day 1 (3 days' wait) and one since (1 day's)"
    found = estimate(connect(connection), connection, connect(connection).get_flow(flow.id), now=now)
    assert (found.queued, found.reason) == (queued.count(), "")
    last_due = max(queued.values_list("due", flat=True))
    assert found.last_due == last_due.replace(tzinfo=None, microsecond=0), "the server's clock (UTC here)"
    assert found.days == 1


def test_pausing_says_how_many_pushes_still_go_out_and_that_deleting_stops_them(
    logged_in, connection, lived_flow
):
    flow, _now = lived_flow
    html = logged_in.get(url("pause", connection, flow.id)).content.decode()
    assert 'data-queued="4"' in html
    text = visible_text(html)
    assert "About 4 pushes already queued will still go out over the next day" in text
    assert "To stop them all, delete the flow" in text


def test_deleting_and_changing_the_wait_say_what_happens_to_the_queue(logged_in, connection, lived_flow):
    flow, _now = lived_flow
    assert "About 4 pushes already queued are dropped." in visible_text(
        logged_in.get(url("delete", connection, flow.id)).content
    )
    assert "applies to new subscribers only: about 4 pushes already queued keep their time" in visible_text(
        logged_in.get(url("edit", connection, flow.id)).content
    )


def test_a_flow_sent_to_a_segment_is_not_estimated_and_the_page_says_why(
    logged_in, connection, account, quiet_website
):
    segment = quiet_website.segments.order_by("id").first()
    flow = new_flow(account, quiet_website, timezone.now(), segment=str(segment.id))
    found = estimate(connect(connection), connection, connect(connection).get_flow(flow.id))
    assert (found.queued, found.reason) == (None, SEGMENT)
    assert "members are not in the API" in visible_text(
        logged_in.get(url("pause", connection, flow.id)).content
    )


def test_a_record_shorter_than_the_wait_gives_a_floor_and_says_so(
    logged_in, connection, account, quiet_website, rng
):
    # Created long ago and changed a day ago on the server, not through Pushdeck: its state is
    # known only since, less than the flow's 3 days ago.
    flow = new_flow(account, quiet_website, timezone.now() - 30 * DAY, last_datetime=timezone.now() - DAY)
    engine.subscribe(quiet_website, timezone.now() - 2 * DAY, rng)
    engine.subscribe(quiet_website, timezone.now() - dt.timedelta(minutes=1), rng)
    found = estimate(connect(connection), connection, connect(connection).get_flow(flow.id))
    assert (found.queued, found.reason) == (1, SHORT_RECORD), "only the subscriber since the change"
    assert QueuedPush.objects.filter(flow=flow).count() == 2
    text = visible_text(logged_in.get(url("pause", connection, flow.id)).content)
    assert "At least 1 pushes already queued" in text
    assert "does not reach back as far as the wait" in text


def test_a_flow_never_changed_since_its_creation_is_estimated_over_its_whole_wait(
    connection, account, quiet_website, rng
):
    # Created long before Pushdeck had the connection, and the server says it never changed since.
    flow = new_flow(account, quiet_website, timezone.now() - 30 * DAY)
    for days in (4, 2, 1):
        engine.subscribe(quiet_website, timezone.now() - days * DAY, rng)
    engine.send_due(timezone.now(), rng)
    found = estimate(connect(connection), connection, connect(connection).get_flow(flow.id))
    assert (found.queued, found.reason) == (QueuedPush.objects.filter(flow=flow).count(), "") == (2, "")


def test_a_record_too_short_to_count_anyone_says_it_cannot_tell(
    logged_in, connection, account, quiet_website
):
    flow = new_flow(account, quiet_website, timezone.now() - 30 * DAY, last_datetime=timezone.now() - HOUR)
    html = logged_in.get(url("delete", connection, flow.id)).content.decode()
    assert 'data-queued="unknown"' in html
    assert "cannot estimate the pushes already queued for this flow yet" in visible_text(html)


# A website's sequence


def test_the_sequence_draws_each_audience_and_warns_of_crowds_and_holes(
    logged_in, connection, account, quiet_website, upstream
):
    segment = quiet_website.segments.order_by("id").first()
    made = timezone.now()
    for name, wait, unit in (("Welcome", 5, "minutes"), ("Tips", 20, "minutes"), ("Offer", 2, "days")):
        new_flow(account, quiet_website, made, name=name, wait_time=wait, wait_time_type=unit)
    new_flow(
        account,
        quiet_website,
        made,
        name="Old offer",
        wait_time=30,
        wait_time_type="minutes",
        is_enabled=False,
    )
    new_flow(
        account,
        quiet_website,
        made,
        name="VIP day 30",
        wait_time=30,
        wait_time_type="days",
        segment=str(segment.id),
    )
    connect(connection).every_flow()
    upstream.clear()
    response = logged_in.get(reverse("sequence", args=[connection.pk, quiet_website.id]))
    assert upstream == [], "from the flows the list read, and Pushdeck's own history"
    html = response.content.decode()
    assert html.count('class="sequence-mark sequence-on"') == 4
    assert html.count('class="sequence-mark sequence-off"') == 1, "the paused flow drawn as paused"
    text = visible_text(html)
    assert "All subscribers: 2 enabled flows between 5 minutes and 20 minutes after subscribing" in text
    assert f"{segment.name}: nothing between 2 days and 30 days after subscribing" in text
    assert "Old offer" not in text.split("Worth a look")[1].split("The same as a table")[0]


def test_a_member_limited_to_other_websites_does_not_see_a_websites_sequence(connection, limited):
    client, websites, _mine, _theirs = limited
    assert client.get(reverse("sequence", args=[connection.pk, websites[1]])).status_code == 404
    assert client.get(reverse("sequence", args=[connection.pk, websites[0]])).status_code == 200


def test_three_flows_within_a_day_crowd_an_audience_and_a_segment_is_told_only_of_its_own():
    def flow(flow_id, wait, unit, segment="all", on=True):
        return Flow(
            id=flow_id, website_id=1, name=f"F{flow_id}", title="", description="",
            wait_time=wait, wait_time_type=unit, segment=segment, is_enabled=on,
        )  # fmt: skip

    flows = [
        flow(1, 1, "hours"),
        flow(2, 10, "hours"),
        flow(3, 20, "hours"),
        flow(4, 2, "days", on=False),
        flow(5, 3, "days", segment="12"),
    ]
    found = sequence.warnings(sequence.lanes(flows, [Segment(12, 1, "VIP")]))
    assert [(w.kind, w.lane.audience, [f.id for f in w.flows]) for w in found] == [
        ("crowd", "all", [1, 2, 3]),
    ], "the paused flow crowds no one; the VIP lane's flow, two days after the last, crowds nobody"
    flows.append(flow(6, 21, "hours", segment="12"))
    found = sequence.warnings(sequence.lanes(flows, [Segment(12, 1, "VIP")]))
    assert [(w.lane.audience, [f.id for f in w.flows]) for w in found] == [
        ("all", [1, 2, 3]),
        ("12", [1, 2, 3, 6]),
    ], "a segment's members get the all-subscribers flows too"
