"""The sandbox's engine and the endpoints of subscribers, their logs and personal notifications
(issue 25): faithful to API_CONTRACT.md's "What the server does with a flow" and "Subscribers, their
logs and personal notifications", tested at the HTTP boundary with plain requests and, for the
engine, with a fake clock (`now` passed in; nothing sleeps)."""

import datetime as dt
import random
import re
from io import StringIO

import pytest
from django.core.management import call_command

from sandbox import engine
from sandbox.models import (
    ApiAccount,
    Fault,
    PersonalNotification,
    QueuedPush,
    Segment,
    Subscriber,
    SubscriberLog,
)

KEY = "sandbox-engine-key-aaaaaaaaaaaaaaa"
OTHER_KEY = "sandbox-engine-key-bbbbbbbbbbbbbbb"
T0 = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
PERSONAL = {"name": "Test send", "title": "Hello", "description": "Just for you"}


# Personal notifications may carry images: stored under the test's own media folder.
pytestmark = pytest.mark.usefixtures("sandbox_media")


@pytest.fixture
def account(db):
    """A key's account with the three demo websites and their segments, but nobody subscribed yet."""
    call_command("sandbox_create_key", "--key", KEY, verbosity=0)
    account = ApiAccount.objects.with_key(KEY).get()
    account.subscribers.all().delete()
    account.subscriber_logs.all().delete()
    account.websites.update(total_subscribers=0)
    Segment.objects.filter(website__account=account).update(total_subscribers=0)
    return account


@pytest.fixture
def rng():
    return random.Random(25)


def call(client, method, path, key=KEY, **kwargs):
    """One request to the sandbox's API, as any client sends it."""
    return getattr(client, method)(f"/sandbox/api/{path}", HTTP_AUTHORIZATION=f"Bearer {key}", **kwargs)


def data(client, path, **params):
    response = call(client, "get", path, data=params)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def count_logs(client, **filters):
    """A count of one kind of log entry costs one call: meta's total (API_CONTRACT.md)."""
    response = call(client, "get", "subscribers-logs/", data={**filters, "results_per_page": 10})
    return response.json()["meta"]["total_results"]


def flow_of(client, website, **fields):
    """A flow created over the API, answered by its id."""
    form = {"website_id": website.id, "name": "Welcome", "title": "Hi", "description": "Thanks", **fields}
    response = call(client, "post", "flows", data=form)
    assert response.status_code == 200, response.content
    return response.json()["data"]["id"]


def send(client, **fields):
    return call(client, "post", "personal-notifications", data={**PERSONAL, **fields})


# The engine: queue, sender, counters (fake clock)


def test_a_subscriber_is_queued_at_subscribe_time_for_the_enabled_flows_of_their_audience_only(
    client, account, website, rng
):
    other_website = account.websites.order_by("id").last()
    segment = website.segments.order_by("id").first()
    reached = flow_of(client, website, wait_time="2", wait_time_type="hours")
    flow_of(client, website, is_enabled="0")
    flow_of(client, other_website)
    flow_of(client, website, segment=str(segment.id))
    subscriber = engine.subscribe(website, T0, rng)
    assert [(push.flow_id, push.due) for push in QueuedPush.objects.filter(subscriber=subscriber)] == [
        (reached, T0 + dt.timedelta(hours=2))
    ]
    member = engine.subscribe(website, T0, rng, segments=[segment])
    assert QueuedPush.objects.filter(subscriber=member).count() == 2, "a custom segment's member is reached"
    assert data(client, f"websites/{website.id}")["total_subscribers"] == 2
    assert data(client, f"segments/{segment.id}")["total_subscribers"] == 1


def test_a_filter_segment_reaches_the_subscribers_its_rule_takes_in(client, account, website, rng):
    segment = website.segments.create(
        name="Germany on phones", type="filter", rule={"country_code": ["DE"], "device_type": ["mobile"]}
    )
    flow_of(client, website, segment=str(segment.id))
    assert QueuedPush.objects.filter(
        subscriber=engine.subscribe(website, T0, rng, country_code="DE", device_type="mobile")
    ).exists()
    assert not QueuedPush.objects.filter(
        subscriber=engine.subscribe(website, T0, rng, country_code="DE", device_type="desktop")
    ).exists()
    assert data(client, f"segments/{segment.id}")["total_subscribers"] == 1


def test_a_queued_push_goes_out_at_its_wait_and_not_before(client, website, rng):
    flow_id = flow_of(client, website, wait_time="30", wait_time_type="minutes")
    subscriber = engine.subscribe(website, T0, rng)
    assert engine.send_due(T0 + 29 * MINUTE, rng) == []
    [delivery] = engine.send_due(T0 + 30 * MINUTE, rng)
    assert (delivery.flow_id, delivery.subscriber_id) == (flow_id, subscriber.id)
    assert data(client, f"flows/{flow_id}")["total_sent_push_notifications"] == 1
    assert data(client, f"flows/{flow_id}")["last_sent_datetime"] == "2026-12-01 09:30:00"
    assert count_logs(client, flow_id=flow_id, subscriber_id=subscriber.id, type=delivery.logs[0]) == 1
    assert engine.send_due(T0 + 60 * MINUTE, rng) == [], "sent once"


def test_pausing_a_flow_stops_new_entries_but_its_queue_still_goes_out(client, website, rng):
    flow_id = flow_of(client, website, wait_time="1", wait_time_type="hours")
    queued = engine.subscribe(website, T0, rng)
    assert call(client, "post", f"flows/{flow_id}", data={"is_enabled": "0"}).status_code == 200
    later = engine.subscribe(website, T0 + MINUTE, rng)
    deliveries = engine.send_due(T0 + dt.timedelta(hours=2), rng)
    assert [delivery.subscriber_id for delivery in deliveries] == [queued.id]
    assert not QueuedPush.objects.filter(subscriber=later).exists()


def test_deleting_a_flow_deletes_its_queue_so_nothing_more_is_sent(client, website, rng):
    flow_id = flow_of(client, website, wait_time="1", wait_time_type="hours")
    engine.subscribe(website, T0, rng)
    assert call(client, "delete", f"flows/{flow_id}").status_code == 200
    assert not QueuedPush.objects.exists()
    assert engine.send_due(T0 + dt.timedelta(days=1), rng) == []


def test_a_changed_wait_applies_to_new_subscribers_only(client, website, rng):
    flow_id = flow_of(client, website, wait_time="2", wait_time_type="hours")
    first = engine.subscribe(website, T0, rng)
    call(client, "post", f"flows/{flow_id}", data={"wait_time": "5", "wait_time_type": "days"})
    second = engine.subscribe(website, T0 + MINUTE, rng)
    assert QueuedPush.objects.get(subscriber=first).due == T0 + dt.timedelta(hours=2)
    assert QueuedPush.objects.get(subscriber=second).due == T0 + MINUTE + dt.timedelta(days=5)


def test_the_message_is_read_at_send_time_with_the_utm_fields_appended(client, website, rng):
    flow_id = flow_of(client, website, wait_time="1", wait_time_type="days", url="https://shop.example/sale")
    engine.subscribe(website, T0, rng)
    edit = {"title": "Edited after queueing", "utm_source": "push", "utm_campaign": "spring"}
    edit |= {"button_title_1": "Shop", "button_url_1": "https://shop.example/b?x=1"}
    call(client, "post", f"flows/{flow_id}", data=edit)
    [delivery] = engine.send_due(T0 + dt.timedelta(days=1), rng)
    assert delivery.payload["title"] == "Edited after queueing"
    assert delivery.payload["url"] == "https://shop.example/sale?utm_source=push&utm_campaign=spring"
    assert delivery.payload["buttons"][0] == (
        "Shop",
        "https://shop.example/b?x=1&utm_source=push&utm_campaign=spring",
    )


def test_an_expired_subscription_deletes_the_subscriber_and_logs_expired_deleted_without_ids(
    client, website, rng
):
    flow_id = flow_of(client, website, wait_time="1", wait_time_type="hours")
    subscriber = engine.subscribe(website, T0, rng)
    Subscriber.objects.filter(pk=subscriber.pk).update(is_expired=True)
    [delivery] = engine.send_due(T0 + dt.timedelta(hours=1), rng)
    assert delivery.outcome == "expired"
    assert call(client, "get", f"subscribers/{subscriber.id}").status_code == 404
    [entry] = data(client, "subscribers-logs/", type="expired_deleted")
    assert (entry["subscriber_id"], entry["flow_id"]) == (0, 0)
    assert re.fullmatch(r"[*.]+", entry["ip"])
    # The attempt counts in the flow's total though no entry of the flow says so.
    assert data(client, f"flows/{flow_id}")["total_sent_push_notifications"] == 1
    assert count_logs(client, flow_id=flow_id) == 0
    assert data(client, f"websites/{website.id}")["total_subscribers"] == 0


def test_after_days_of_ticks_every_counter_is_the_count_of_its_logs(client, account, website, rng, settings):
    settings.SANDBOX_RATE_LIMIT = 0
    for wait, unit in (("30", "minutes"), ("2", "hours"), ("1", "days")):
        flow_of(client, website, wait_time=wait, wait_time_type=unit)
    now = T0
    for _ in range(3 * 24 * 6):
        engine.tick(now, rng, ApiAccount.objects.filter(pk=account.pk))
        now += 10 * MINUTE
    flows = data(client, "flows/", results_per_page=100)
    attempts = sum(flow["total_sent_push_notifications"] for flow in flows)
    sent, failed = (
        count_logs(client, type="push_notification_sent"),
        count_logs(client, type="push_notification_failed"),
    )
    assert attempts > 200
    # Attempts - sent - failed = the subscriptions found expired (API_CONTRACT.md).
    assert attempts - sent - failed == count_logs(client, type="expired_deleted")
    assert 0.02 * attempts <= failed <= 0.08 * attempts
    for flow in flows:
        for counter, kind in (("displayed", "displayed"), ("clicked", "clicked"), ("closed", "closed")):
            assert flow[f"total_{counter}_push_notifications"] == count_logs(
                client, flow_id=flow["id"], type=f"{kind}_notification"
            )
        assert (
            flow["total_clicked_push_notifications"] + flow["total_closed_push_notifications"]
            <= flow["total_displayed_push_notifications"]
        )
    site = data(client, f"websites/{website.id}")
    assert site["total_sent_push_notifications"] == attempts
    assert site["total_displayed_push_notifications"] == count_logs(
        client, website_id=website.id, type="displayed_notification"
    )
    subscribers = data(client, "subscribers/", results_per_page=1000)
    by_site = [row for row in subscribers if row["website_id"] == website.id]
    assert site["total_subscribers"] == len(by_site)
    for row in by_site[:20]:
        assert row["total_displayed_push_notifications"] == count_logs(
            client, subscriber_id=row["id"], type="displayed_notification"
        )


def test_without_the_plans_analytics_no_display_is_logged_and_those_counters_stay_0(client, account, website):
    account.analytics_is_enabled = False
    account.save()
    flow_id = flow_of(client, website, wait_time="30", wait_time_type="minutes")
    rng = random.Random(3)
    for number in range(30):
        engine.subscribe(website, T0 + number * MINUTE, rng)
    engine.send_due(T0 + dt.timedelta(hours=2), rng)
    flow = data(client, f"flows/{flow_id}")
    assert flow["total_sent_push_notifications"] >= 25
    assert (flow["total_displayed_push_notifications"], flow["total_clicked_push_notifications"]) == (0, 0)
    assert count_logs(client, type="displayed_notification") == 0
    assert data(client, "user")["plan_settings"]["analytics_is_enabled"] is False


def test_the_tick_purges_the_logs_older_than_the_retention(client, account, website, rng):
    subscriber = engine.subscribe(website, T0 - dt.timedelta(days=91), rng)
    SubscriberLog.objects.create(
        account=account,
        website=website,
        subscriber_id=subscriber.id,
        type="push_notification_sent",
        datetime=T0 - dt.timedelta(days=89),
    )
    engine.tick(T0, random.Random(1), ApiAccount.objects.filter(pk=account.pk))
    logs = data(client, "subscribers-logs/", subscriber_id=subscriber.id)
    assert [entry["type"] for entry in logs] == ["push_notification_sent"], (
        "the 91-day-old subscribed entry went"
    )


def test_sandbox_tick_runs_the_engine_for_the_keys_account_only(client, account, website, rng):
    call_command("sandbox_create_key", "--key", OTHER_KEY, verbosity=0)
    theirs = Subscriber.objects.exclude(account=account).count()
    subscriber = engine.subscribe(website, T0, rng)
    form = {"website_id": website.id, "subscriber_id": subscriber.id, "is_scheduled": "1"}
    scheduled = send(client, **form, scheduled_datetime="2026-12-01 09:30:00").json()["data"]
    out = StringIO()
    for seed in range(5):
        call_command("sandbox_tick", "--key", KEY, "--seed", str(seed), stdout=out)
    assert "Subscribed" in out.getvalue()
    assert Subscriber.objects.filter(account=account).exists()
    assert Subscriber.objects.exclude(account=account).count() == theirs
    assert data(client, f"personal-notifications/{scheduled['id']}")["status"] == "sent", "the cron ran too"


# Subscribers


def test_subscribers_answer_every_field_the_server_sends_endpoint_and_keys_included(client, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    [row] = data(client, "subscribers/")
    assert row == data(client, f"subscribers/{subscriber.id}")
    assert set(row) >= {
        "id",
        "user_id",
        "website_id",
        "unique_endpoint_id",
        "endpoint",
        "ip",
        "custom_parameters",
        "city_name",
        "country_code",
        "continent_code",
        "os_name",
        "browser_name",
        "browser_language",
        "device_type",
        "subscribed_on_url",
        "total_sent_push_notifications",
        "total_displayed_push_notifications",
        "total_clicked_push_notifications",
        "total_closed_push_notifications",
        "last_sent_datetime",
        "last_datetime",
        "datetime",
    }
    assert row["endpoint"]["endpoint"].startswith("https://") and set(row["endpoint"]["keys"]) == {
        "p256dh",
        "auth",
    }
    assert row["ip"] == subscriber.ip and row["datetime"] == "2026-12-01 09:00:00"
    assert row["device_type"] in ("desktop", "mobile", "tablet")


def test_ips_are_answered_masked_when_the_accounts_ip_storage_is_off(client, account, website, rng):
    engine.subscribe(website, T0, rng)
    account.ip_storage_is_enabled = False
    account.save()
    [row] = data(client, "subscribers/")
    [entry] = data(client, "subscribers-logs/")
    assert re.fullmatch(r"[*.]+", row["ip"]) and entry["ip"] == row["ip"]
    assert data(client, f"websites/{website.id}")["settings"]["ip_storage_is_enabled"] == 0


def test_the_subscribers_list_is_bounded_like_the_flows_and_ignores_filters(client, account, website, rng):
    other = account.websites.order_by("id").last()
    for number in range(12):
        engine.subscribe(website if number % 2 else other, T0, rng)
    body = call(
        client,
        "get",
        "subscribers/",
        data={"results_per_page": "10", "website_id": website.id, "search": "x"},
    ).json()
    assert (
        len(body["data"]) == 10 and body["meta"]["total_results"] == 12 and body["meta"]["total_pages"] == 2
    )
    assert body["links"]["next"].endswith("/sandbox/api/subscribers?page=2&results_per_page=10")
    assert len(data(client, "subscribers/", results_per_page="7")) == 12, "an invalid size falls back to 25"
    assert len(data(client, "subscribers/", results_per_page="1000")) == 12


def test_posting_a_subscriber_replaces_its_custom_parameters_only(client, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    form = {
        "custom_parameter_key[]": ["plan", "lang"],
        "custom_parameter_value[]": ["pro", "de"],
        "city_name": "Nowhere",
    }
    assert call(client, "post", f"subscribers/{subscriber.id}", data=form).json() == {
        "data": {"id": subscriber.id}
    }
    call(
        client,
        "post",
        f"subscribers/{subscriber.id}",
        data={"custom_parameter_key[]": ["plan"], "custom_parameter_value[]": ["team"]},
    )
    row = data(client, f"subscribers/{subscriber.id}")
    assert row["custom_parameters"] == {"plan": "team"}
    assert row["city_name"] == subscriber.city_name


def test_deleting_a_subscriber_logs_manually_deleted_and_another_keys_is_unknown(
    client, account, website, rng
):
    subscriber = engine.subscribe(website, T0, rng)
    call_command("sandbox_create_key", "--key", OTHER_KEY, verbosity=0)
    assert call(client, "delete", f"subscribers/{subscriber.id}", key=OTHER_KEY).status_code == 404
    response = call(client, "delete", f"subscribers/{subscriber.id}")
    assert response.status_code == 200 and response.content == b""
    assert call(client, "get", f"subscribers/{subscriber.id}").status_code == 404
    assert count_logs(client, subscriber_id=subscriber.id, type="manually_deleted") == 1
    assert data(client, f"websites/{website.id}")["total_subscribers"] == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("put", "subscribers/"),
        ("post", "subscribers/"),
        ("post", "subscribers-logs/"),
        ("put", "personal-notifications/"),
    ],
)
def test_unrouted_methods_of_the_new_endpoints_are_404(client, account, method, path):
    assert call(client, method, path).status_code == 404


# Logs


def test_logs_filter_by_exact_match_and_order_as_asked(client, account, website, rng):
    flow_id = flow_of(client, website, wait_time="30", wait_time_type="minutes")
    first = engine.subscribe(website, T0, rng)
    second = engine.subscribe(website, T0 + MINUTE, rng)
    engine.send_due(T0 + dt.timedelta(hours=1), rng)
    rows = data(client, "subscribers-logs/", subscriber_id=first.id, order_by="datetime", order_type="ASC")
    assert rows[0]["type"] == "subscribed" and {row["subscriber_id"] for row in rows} == {first.id}
    assert set(rows[0]) == {
        "id",
        "subscriber_id",
        "campaign_id",
        "flow_id",
        "personal_notification_id",
        "rss_automation_id",
        "website_id",
        "user_id",
        "ip",
        "type",
        "datetime",
    }
    assert (rows[0]["campaign_id"], rows[0]["rss_automation_id"], rows[0]["flow_id"]) == (0, 0, 0)
    newest = data(client, "subscribers-logs/")
    assert [row["id"] for row in newest] == sorted((row["id"] for row in newest), reverse=True), (
        "subscriber_log_id DESC by default"
    )
    assert count_logs(client, flow_id=flow_id) >= 2
    assert count_logs(client, type="subscribed") == 2
    assert count_logs(client, flow_id="not a number") == count_logs(client, flow_id=0), "compared as numbers"
    assert {
        row["subscriber_id"] for row in data(client, "subscribers-logs/", search=second.ip, search_by="ip")
    } == {second.id}
    assert len(data(client, "subscribers-logs/", search=second.ip)) > 1, (
        "a search without search_by=ip is ignored"
    )


@pytest.mark.parametrize(
    "query",
    [
        {"page": "-3", "results_per_page": "abc"},
        {"order_by": "datetime; DROP TABLE x", "order_type": "sideways"},
        {"flow_id": "9" * 5000, "subscriber_id": "-1", "website_id": "1e9"},
        {"search": "%_\\'", "search_by": "ip"},
        {"type": "x" * 10000, "personal_notification_id": str(2**70)},
    ],
)
def test_odd_log_queries_answer_a_list_never_a_server_error(client, account, website, rng, query):
    engine.subscribe(website, T0, rng)
    response = call(client, "get", "subscribers-logs/", data=query)
    assert response.status_code == 200 and "data" in response.json()


# Personal notifications


@pytest.mark.parametrize("field", ["website_id", "subscriber_id", "name", "title", "description"])
def test_a_personal_notification_without_a_required_field_is_401_with_the_servers_message(
    client, website, rng, field
):
    subscriber = engine.subscribe(website, T0, rng)
    form = {**PERSONAL, "website_id": website.id, "subscriber_id": subscriber.id, field: " "}
    response = call(client, "post", "personal-notifications", data=form)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"title": "You must fill all the required fields.", "status": 401}]}


def test_an_immediate_personal_notification_answers_201_with_the_record_ignoring_ttl_and_urgency(
    client, website, rng
):
    flow_id = flow_of(client, website)
    subscriber = engine.subscribe(website, T0, rng)
    response = send(
        client,
        website_id=website.id,
        subscriber_id=subscriber.id,
        ttl="3600",
        urgency="high",
        url="https://a.example/x",
        utm_source="test",
    )
    assert response.status_code == 201
    record = response.json()["data"]
    assert set(record) >= {
        "id",
        "website_id",
        "subscriber_id",
        "name",
        "title",
        "description",
        "url",
        "image_url",
        "settings",
        "is_sent",
        "is_displayed",
        "is_clicked",
        "is_closed",
        "status",
        "scheduled_datetime",
        "sent_datetime",
        "last_datetime",
        "datetime",
    }
    assert (record["status"], record["is_sent"], record["settings"]["is_scheduled"]) == ("sent", 1, 0)
    assert (record["settings"]["ttl"], record["settings"]["urgency"]) == (2419200, "normal")
    assert record["sent_datetime"] is not None
    assert count_logs(client, personal_notification_id=record["id"]) >= 1
    # The flows' counters are untouched; the website's and the subscriber's count the push.
    assert data(client, f"flows/{flow_id}")["total_sent_push_notifications"] == 0
    assert data(client, f"websites/{website.id}")["total_sent_push_notifications"] == 1
    assert data(client, f"subscribers/{subscriber.id}")["total_sent_push_notifications"] == 1
    assert data(client, f"personal-notifications/{record['id']}") == record


def test_personal_notification_booleans_are_read_by_presence(client, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    record = send(
        client, website_id=website.id, subscriber_id=subscriber.id, is_silent="0", is_auto_hide="false"
    ).json()["data"]
    assert (record["settings"]["is_silent"], record["settings"]["is_auto_hide"]) == (1, 1)
    plain = send(client, website_id=website.id, subscriber_id=subscriber.id).json()["data"]
    assert (plain["settings"]["is_silent"], plain["settings"]["is_auto_hide"]) == (0, 0)


def test_an_unknown_website_becomes_the_first_and_another_websites_subscriber_is_401(
    client, account, website, rng
):
    first_sites = engine.subscribe(website, T0, rng)
    theirs = engine.subscribe(account.websites.order_by("id").last(), T0, rng)
    assert (
        send(client, website_id="999999", subscriber_id=first_sites.id).json()["data"]["website_id"]
        == website.id
    )
    response = send(client, website_id="999999", subscriber_id=theirs.id)
    assert response.status_code == 401
    assert response.json()["errors"][0]["title"] == "The subscriber ID entered is incorrect."
    assert send(client, website_id=website.id, subscriber_id="0").status_code == 401
    account.websites.all().delete()
    assert send(client, website_id="1", subscriber_id=first_sites.id).status_code == 401, "no website: no 500"


def test_is_sent_is_1_even_when_the_push_service_refused(client, website, rng, monkeypatch):
    subscriber = engine.subscribe(website, T0, rng)
    monkeypatch.setattr(engine, "outcome", lambda subscriber, rng, share: "failed")
    record = send(client, website_id=website.id, subscriber_id=subscriber.id).json()["data"]
    assert (record["is_sent"], record["is_displayed"]) == (1, 0)
    assert [
        row["type"] for row in data(client, "subscribers-logs/", personal_notification_id=record["id"])
    ] == ["push_notification_failed"]


def test_a_personal_notification_to_an_expired_subscription_leaves_no_entry_with_its_id(client, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    Subscriber.objects.filter(pk=subscriber.pk).update(is_expired=True)
    record = send(client, website_id=website.id, subscriber_id=subscriber.id).json()["data"]
    assert record["is_sent"] == 1
    assert count_logs(client, personal_notification_id=record["id"]) == 0
    assert count_logs(client, type="expired_deleted", subscriber_id=0) == 1
    assert call(client, "get", f"subscribers/{subscriber.id}").status_code == 404


@pytest.mark.parametrize(
    "odd",
    [
        {"ttl": "soon", "urgency": "now!"},
        {"is_scheduled": "", "scheduled_datetime": "next tuesday"},
        {"is_scheduled": "1", "scheduled_datetime": "2026-02-30 25:00:00"},
        {"website_id": "abc", "name": "n" * 5000},
        {"subscriber_id": str(2**70)},
    ],
)
def test_odd_personal_notification_forms_get_the_servers_answer_never_a_server_error(
    client, website, rng, odd
):
    subscriber = engine.subscribe(website, T0, rng)
    response = send(client, **{"website_id": website.id, "subscriber_id": subscriber.id, **odd})
    assert response.status_code in (201, 401), response.content
    if response.status_code == 201:
        record = response.json()["data"]
        assert len(record["name"]) <= 256 and record["settings"]["urgency"] in ("low", "normal", "high")


def test_a_saved_personal_notification_is_a_draft_that_sends_nothing(client, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    record = send(client, website_id=website.id, subscriber_id=subscriber.id, save="1").json()["data"]
    assert (record["status"], record["is_sent"]) == ("draft", 0)
    assert count_logs(client, personal_notification_id=record["id"]) == 0
    assert engine.send_scheduled(T0 + dt.timedelta(days=1), rng) == []


def test_scheduled_personal_notifications_go_out_from_the_tick_at_their_time_100_a_minute(
    client, account, website, rng
):
    account.timezone = "Europe/Berlin"
    account.save()
    subscriber = engine.subscribe(website, T0, rng)
    # 10:30 in Berlin is 09:30 UTC.
    form = {
        "website_id": website.id,
        "subscriber_id": subscriber.id,
        "is_scheduled": "0",
        "scheduled_datetime": "2026-12-01 10:30:00",
        "ttl": "3600",
        "urgency": "high",
    }
    record = send(client, **form).json()["data"]
    assert (
        record["status"],
        record["is_sent"],
        record["settings"]["ttl"],
        record["settings"]["urgency"],
    ) == ("scheduled", 0, 3600, "high")
    assert engine.send_scheduled(T0 + 29 * MINUTE, rng) == []
    [delivery] = engine.send_scheduled(T0 + 30 * MINUTE, rng)
    assert (delivery.payload["ttl"], delivery.payload["urgency"]) == (3600, "high"), (
        "a scheduled send honours them"
    )
    assert data(client, f"personal-notifications/{record['id']}")["status"] == "sent"
    PersonalNotification.objects.bulk_create(
        PersonalNotification(
            account=account,
            website=website,
            subscriber_id=subscriber.id,
            name="n",
            title="t",
            description="d",
            is_scheduled=True,
            status="scheduled",
            scheduled_datetime=T0,
        )
        for _ in range(120)
    )
    minute = T0 + dt.timedelta(hours=1)
    assert len(engine.send_scheduled(minute, rng)) == 100
    assert engine.send_scheduled(minute + dt.timedelta(seconds=30), rng) == [], "the minute's 100 are used"
    assert len(engine.send_scheduled(minute + MINUTE, rng)) == 20


def test_updating_a_personal_notification_is_a_server_error_and_deleting_it_works(client, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    record = send(client, website_id=website.id, subscriber_id=subscriber.id).json()["data"]
    assert (
        call(client, "post", f"personal-notifications/{record['id']}", data={"title": "New"}).status_code
        == 500
    )
    response = call(client, "delete", f"personal-notifications/{record['id']}")
    assert response.status_code == 200 and response.content == b""
    assert call(client, "get", f"personal-notifications/{record['id']}").status_code == 404


def test_the_plans_personal_notifications_limit_counts_every_record_kept(client, account, website, rng):
    subscriber = engine.subscribe(website, T0, rng)
    account.personal_notifications_limit = 1
    account.save()
    assert send(client, website_id=website.id, subscriber_id=subscriber.id, save="1").status_code == 201
    response = send(client, website_id=website.id, subscriber_id=subscriber.id)
    assert response.status_code == 401 and "limit" in response.json()["errors"][0]["title"]


# One budget, the same faults


def test_the_new_endpoints_share_the_keys_rate_budget_and_its_faults(client, account, settings):
    settings.SANDBOX_RATE_LIMIT = 3
    remaining = [
        call(client, "get", path)["X-RateLimit-Remaining"]
        for path in ("flows/", "subscribers/", "subscribers-logs/")
    ]
    assert remaining == ["2", "1", "0"]
    assert call(client, "get", "personal-notifications/").status_code == 429
    settings.SANDBOX_RATE_LIMIT = 0
    Fault.objects.create(account=account, kind="status", status=503, remaining=1)
    assert call(client, "get", "subscribers-logs/").status_code == 503
    assert call(client, "get", "subscribers-logs/").status_code == 200


# The demo's story


def test_the_demos_figures_tell_one_story_read_as_a_marketer_would(client, account, settings):
    settings.SANDBOX_RATE_LIMIT = 0
    call_command("sandbox_demo", "--key", KEY, "--flows", "40", verbosity=0)
    now = dt.datetime.now(dt.UTC)
    websites = data(client, "websites/")
    subscribers = data(client, "subscribers/", results_per_page=1000)
    assert 300 <= len(subscribers) < 1000
    for site in websites:
        assert site["total_subscribers"] == sum(row["website_id"] == site["id"] for row in subscribers)
    flows = data(client, "flows/", results_per_page=100)
    for site in websites:
        assert site["total_sent_push_notifications"] == sum(
            flow["total_sent_push_notifications"] for flow in flows if flow["website_id"] == site["id"]
        )
    assert sum(flow["total_sent_push_notifications"] for flow in flows) < 30 * len(subscribers), (
        "pushes in proportion to the people"
    )
    for flow in flows:
        created = dt.datetime.fromisoformat(flow["datetime"]).replace(tzinfo=dt.UTC)
        promised = re.search(r"(\d+) days|day (\d+)", flow["name"])
        if promised:
            assert (flow["wait_time"], flow["wait_time_type"]) == (int(promised[1] or promised[2]), "days"), (
                flow["name"]
            )
        logs = {
            kind: count_logs(client, flow_id=flow["id"], type=kind)
            for kind in (
                "push_notification_sent",
                "push_notification_failed",
                "displayed_notification",
                "clicked_notification",
            )
        }
        attempts = logs["push_notification_sent"] + logs["push_notification_failed"]
        if now - created < dt.timedelta(days=89):
            # All its life in the logs: the totals are its logs' counts (a 410 names no flow).
            assert attempts <= flow["total_sent_push_notifications"] <= attempts * 1.1 + 3, flow["name"]
            assert flow["total_displayed_push_notifications"] == logs["displayed_notification"]
            assert flow["total_clicked_push_notifications"] == logs["clicked_notification"]
        else:
            assert attempts <= flow["total_sent_push_notifications"]
        if now - created > dt.timedelta(days=120) and flow["total_sent_push_notifications"] > 50:
            recent = sum(
                row["type"] in ("push_notification_sent", "push_notification_failed")
                and dt.datetime.fromisoformat(row["datetime"]).replace(tzinfo=dt.UTC)
                > now - dt.timedelta(days=30)
                for row in data(client, "subscribers-logs/", flow_id=flow["id"], results_per_page=1000)
            )
            assert recent < 0.6 * flow["total_sent_push_notifications"], (
                "30 days are a part of an old flow's life"
            )
    all_attempts = count_logs(client, type="push_notification_sent") + count_logs(
        client, type="push_notification_failed"
    )
    assert 0.01 * all_attempts < count_logs(client, type="push_notification_failed") < 0.08 * all_attempts
    assert count_logs(client, type="subscribed") <= len(subscribers) + count_logs(
        client, type="expired_deleted"
    )
