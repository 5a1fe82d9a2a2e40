"""The stub_client of the subscribers, their logs and personal notifications (issue 25): what crosses the
wire and the answers the sandbox never gives, on a stub server; then every call against the
sandbox over real HTTP. The secrets and IPs of these answers are searched for in tests/test_secrets.py."""

import datetime as dt
import time

import pytest
from django.core.management import call_command
from django.utils import translation

from flows_app.api import (
    ApiError,
    FlowsClient,
    FlowsService,
    NotFound,
    RateLimited,
    Rejected,
    TimedOut,
    Unauthorized,
    Unavailable,
    Unexpected,
    WrongSubscriber,
    connect,
)
from flows_app.api.budget import KeptForWrites, person
from sandbox.models import ApiAccount, Fault, SubscriberLog
from sandbox.models import PersonalNotification as SandboxPersonal
from tests.faults import hang_seconds, inject
from tests.stub_server import Answer

# Every request is counted in the key's budget, which is kept in the database.
pytestmark = pytest.mark.django_db

SUBSCRIBER = {
    "id": 31,
    "user_id": 1,
    "website_id": 2,
    "unique_endpoint_id": "ue-5f1c",
    "endpoint": {
        "endpoint": "https://fcm.googleapis.com/fcm/send/planted-token",
        "keys": {"p256dh": "planted-p256dh", "auth": "planted-auth"},
    },
    "ip": "203.0.113.77",
    "custom_parameters": {"plan": "pro"},
    "city_name": "Lyon",
    "country_code": "FR",
    "continent_code": "EU",
    "os_name": "Android",
    "browser_name": "Chrome",
    "browser_language": "fr",
    "device_type": "mobile",
    "subscribed_on_url": "https://shop.example/welcome",
    "total_sent_push_notifications": 4,
    "total_displayed_push_notifications": 3,
    "total_clicked_push_notifications": "1",
    "total_closed_push_notifications": 0,
    "last_sent_datetime": "2026-12-01 10:00:00",
    "last_datetime": None,
    "datetime": "2026-11-20 08:30:00",
}
LOG = {
    "id": 900,
    "subscriber_id": 0,
    "campaign_id": 0,
    "flow_id": 0,
    "personal_notification_id": 0,
    "rss_automation_id": 0,
    "website_id": 2,
    "user_id": 1,
    "ip": "**.***.*.**",
    "type": "expired_deleted",
    "datetime": "2026-12-02 11:00:00",
}
PERSONAL = {
    "id": 12,
    "website_id": 2,
    "subscriber_id": 31,
    "name": "Test send",
    "title": "Hello",
    "description": "Just for you",
    "url": "https://shop.example/?utm_source=test",
    "image_url": None,
    "settings": {"is_scheduled": 0, "ttl": 2419200, "urgency": "normal", "is_silent": 0, "is_auto_hide": 1},
    "is_sent": 1,
    "is_displayed": 0,
    "is_clicked": 0,
    "is_closed": 0,
    "status": "sent",
    "scheduled_datetime": None,
    "sent_datetime": "2026-12-02 11:00:00",
    "last_datetime": None,
    "datetime": "2026-12-02 11:00:00",
}
REQUIRED = {"website_id": 2, "subscriber_id": 31, "name": "Test send", "title": "Hello", "description": "Hi"}
LIMITED = {"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "0"}


def listed(*rows, **meta):
    return {"data": list(rows), "meta": {"page": 1, "results_per_page": 25, "total_pages": 1, **meta}}


def refusal(status, title):
    return {"errors": [{"title": title, "status": status}]}


def fields_sent(request):
    """The multipart form's field names and values, as the server reads them."""
    body = request.body.decode()
    return dict(
        (part.split('name="')[1].split('"')[0], part.split("\r\n\r\n", 1)[1].rsplit("\r\n", 1)[0])
        for part in body.split("--")
        if 'name="' in part
    )


# Subscribers


def test_the_subscribers_list_asks_for_its_page_and_reads_records_without_endpoint_or_full_ip(
    stub, stub_client
):
    stub.answer(Answer(body=listed(SUBSCRIBER, total_results=26, results_per_page=25, total_pages=2)))
    page = stub_client.list_subscribers(2, 25)
    assert stub.requests[0].path == "/api/subscribers/?page=2&results_per_page=25"
    assert (page.total, page.total_pages, page.results_per_page) == (26, 2, 25)
    [subscriber] = page.items
    assert (subscriber.id, subscriber.website_id, subscriber.device_type) == (31, 2, "mobile")
    assert (subscriber.total_sent, subscriber.total_clicked, subscriber.custom_parameters) == (
        4,
        1,
        (("plan", "pro"),),
    )
    assert subscriber.datetime == dt.datetime(2026, 11, 20, 8, 30)
    assert subscriber.ip == "203.0.*.*"
    kept = repr(subscriber)
    assert "planted" not in kept and "113.77" not in kept and "ue-5f1c" not in kept


def test_one_subscriber_is_read_by_id_and_an_unknown_one_is_not_found(stub, stub_client):
    stub.answer(Answer(body={"data": SUBSCRIBER}), Answer(status=404, body=refusal(404, "Not found")))
    assert stub_client.get_subscriber(31).city_name == "Lyon"
    assert stub.requests[0].path == "/api/subscribers/31"
    with pytest.raises(NotFound):
        stub_client.get_subscriber(32)


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("2001:db8:85a3::8a2e:370:7334", "2001:db8:*"),
        ("***.**.***.*", "***.**.***.*"),
        ("not an address 42", "*** ** ******* **"),
        (None, ""),
    ],
)
def test_an_ip_is_kept_masked_whatever_form_it_comes_in(stub, stub_client, sent, kept):
    stub.answer(Answer(body={"data": {**SUBSCRIBER, "ip": sent, "custom_parameters": []}}))
    subscriber = stub_client.get_subscriber(31)
    assert subscriber.ip == kept
    assert subscriber.custom_parameters == (), "the server's language writes an empty object as []"


# Logs


def test_the_logs_send_their_filters_and_order_and_read_entries_of_no_subscriber(stub, stub_client):
    stub.answer(Answer(body=listed(LOG, total=1)))
    page = stub_client.list_logs(
        3, 50, order_by="datetime", order_type="ASC", flow_id=0, website_id=2, type="expired_deleted"
    )
    assert stub.requests[0].path == (
        "/api/subscribers-logs/?flow_id=0&website_id=2&type=expired_deleted"
        "&order_by=datetime&order_type=ASC&page=3&results_per_page=50"
    )
    [entry] = page.items
    assert (entry.type, entry.subscriber_id, entry.flow_id, entry.website_id) == ("expired_deleted", 0, 0, 2)
    assert entry.ip == "**.***.*.**" and entry.datetime == dt.datetime(2026, 12, 2, 11)


@pytest.mark.parametrize(
    "query",
    [
        {"search": "203.0"},
        {"type": "push_notification_opened"},
        {"flow_id": "7"},
        {"flow_id": -1},
        {"subscriber_id": True},
        {"order_by": "id"},
        {"order_type": "desc"},
        {"results_per_page": 30},
        {"page": 0},
    ],
)
def test_a_log_query_the_server_would_misread_is_refused_before_anything_is_sent(stub, stub_client, query):
    with pytest.raises((TypeError, ValueError)):
        stub_client.list_logs(**query)
    assert stub.requests == []


@pytest.mark.parametrize("name", ["total_results", "total"])
def test_a_count_of_logs_is_one_call_of_the_smallest_page_read_from_either_meta_name(stub, stub_client, name):
    stub.answer(Answer(body=listed(LOG, **{name: 1234})))
    assert stub_client.count_logs(flow_id=7, type="push_notification_failed") == 1234
    assert [request.path for request in stub.requests] == [
        "/api/subscribers-logs/?flow_id=7&type=push_notification_failed&results_per_page=10"
    ]


@pytest.mark.parametrize("meta", [{}, {"total_pages": 3}, {"total_results": None}, {"total": "many"}])
def test_a_count_whose_meta_gives_none_is_unexpected_not_a_count_of_the_rows(stub, stub_client, meta):
    stub.answer(Answer(body={"data": [LOG] * 10, **({"meta": meta} if meta else {})}))
    with pytest.raises(Unexpected):
        stub_client.count_logs(type="push_notification_sent")


def test_counts_of_several_kinds_are_a_call_each_refused_together_when_the_minute_lacks_room(
    stub, stub_client, clock
):
    # One window throughout (``clock``): a minute turning mid-test would bring the room back.
    stub.answer(
        Answer(
            body=listed(total_results=5), headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "59"}
        )
    )
    service = FlowsService(stub_client, ttl=15)
    kinds = ("push_notification_sent", "push_notification_failed", "clicked_notification")
    assert service.log_counts(kinds, flow_id=7) == dict.fromkeys(kinds, 5)
    assert len(stub.requests) == 3
    assert service.log_counts(kinds, flow_id=7) == dict.fromkeys(kinds, 5), "read again from the cache"
    assert len(stub.requests) == 3
    stub_client.key_budget.record(60, 2)
    with pytest.raises(RateLimited):
        service.log_counts(kinds, flow_id=8)
    assert len(stub.requests) == 3, "none sent rather than two of three"


@pytest.mark.parametrize("size", [10, 1000])
def test_the_lists_ask_for_the_servers_smallest_and_largest_pages(stub, stub_client, size):
    stub.answer(Answer(body=listed()))
    stub_client.list_subscribers(1, size)
    stub_client.list_personal_notifications(1, size)
    assert [request.path.split("?")[1] for request in stub.requests] == [
        f"page=1&results_per_page={size}"
    ] * 2


@pytest.mark.parametrize("size", [5, 30, 2000, "25"])
def test_a_page_size_the_server_would_replace_with_25_is_refused_unsent(stub, stub_client, size):
    for read in (
        stub_client.list_subscribers,
        stub_client.list_logs,
        stub_client.list_personal_notifications,
    ):
        with pytest.raises(ValueError):
            read(1, size)
    assert stub.requests == []


# Personal notifications


def test_a_personal_notification_sends_its_switches_only_when_on_and_reads_the_record(stub, stub_client):
    stub.answer(Answer(status=201, body={"data": PERSONAL}))
    sent = stub_client.send_personal_notification(
        {**REQUIRED, "is_silent": False, "is_auto_hide": True, "ttl": 3600}
    )
    form = fields_sent(stub.requests[0])
    assert stub.requests[0].method == "POST" and stub.requests[0].path == "/api/personal-notifications"
    assert stub.requests[0].headers["Content-Type"].startswith("multipart/form-data")
    assert "is_silent" not in form and "is_scheduled" not in form
    assert form["is_auto_hide"] == "1" and form["subscriber_id"] == "31" and form["ttl"] == "3600"
    assert (sent.id, sent.status, sent.is_sent, sent.is_scheduled) == (12, "sent", True, False)
    assert (sent.settings.is_auto_hide, sent.settings.is_silent) == (True, False)


def test_a_scheduled_personal_notification_is_written_in_the_key_owners_zone(stub, stub_client):
    stub.answer(Answer(status=201, body={"data": {**PERSONAL, "status": "scheduled"}}))
    at = dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC)
    stub_client.send_personal_notification(REQUIRED, scheduled_at=at, zone="Asia/Shanghai")
    form = fields_sent(stub.requests[0])
    assert (form["is_scheduled"], form["scheduled_datetime"]) == ("1", "2026-12-24 16:00:00")


@pytest.mark.parametrize("zone", ["", "Nowhere/City"])
def test_a_scheduled_time_in_a_zone_pushdeck_cannot_name_is_refused_unsent(stub, stub_client, zone):
    at = dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC)
    with pytest.raises(Rejected, match="time zone") as refused:
        stub_client.send_personal_notification(REQUIRED, scheduled_at=at, zone=zone)
    assert refused.value.write and stub.requests == []
    with pytest.raises(ValueError):
        stub_client.send_personal_notification(REQUIRED, scheduled_at=at.replace(tzinfo=None), zone="UTC")
    with pytest.raises(ValueError):
        stub_client.send_personal_notification({**REQUIRED, "is_scheduled": 0})
    assert stub.requests == []


def test_the_401_of_a_personal_notification_is_the_servers_message_not_a_bad_key(stub, stub_client):
    stub.answer(
        Answer(status=401, body=refusal(401, "You must fill all the required fields.")),
        Answer(status=401, body=refusal(401, "You do not have access to the API.")),
    )
    with pytest.raises(Rejected, match="You must fill all the required fields.") as refused:
        stub_client.send_personal_notification(REQUIRED)
    assert not isinstance(refused.value, Unauthorized) and refused.value.write
    with pytest.raises(Unauthorized):
        stub_client.send_personal_notification(REQUIRED)


def test_a_subscriber_of_another_website_is_a_clear_rejection_quoting_the_server(stub, stub_client):
    stub.answer(Answer(status=401, body=refusal(401, "The subscriber ID entered is incorrect.")))
    with pytest.raises(WrongSubscriber, match="not one of the website's subscribers") as refused:
        stub_client.send_personal_notification(REQUIRED)
    assert refused.value.server_said == "The subscriber ID entered is incorrect." and refused.value.write
    with translation.override("zh-hans"):
        assert str(refused.value.message).startswith("此订阅者不属于该网站")


@pytest.mark.parametrize(
    "answer",
    [
        Answer(status=503, body="busy"),
        Answer(status=429, headers={**LIMITED, "X-RateLimit-Reset": "1"}, body=refusal(429, "Slow down")),
        Answer(status=200, body={"data": PERSONAL}, drip=0.2),
    ],
)
def test_a_personal_notification_is_never_sent_twice(stub, answer):
    stub_client = FlowsClient(stub.url, "key-abcdef-123456", timeout=0.5)
    stub.answer(answer, Answer(status=201, body={"data": PERSONAL}))
    with pytest.raises((Unavailable, RateLimited)):
        stub_client.send_personal_notification(REQUIRED)
    assert len(stub.requests) == 1


def test_a_timed_out_personal_notification_says_it_may_have_been_sent(stub):
    stub_client = FlowsClient(stub.url, "key-abcdef-123456", timeout=0.5)
    stub.answer(Answer(status=201, body={"data": PERSONAL}, drip=0.2))
    with pytest.raises(TimedOut) as caught:
        stub_client.send_personal_notification(REQUIRED)
    assert caught.value.write


def test_personal_notifications_are_listed_read_and_deleted_by_id(stub, stub_client):
    stub.answer(Answer(body=listed(PERSONAL, total=1)), Answer(body={"data": PERSONAL}), Answer(body=""))
    assert [item.id for item in stub_client.list_personal_notifications(1, 25).items] == [12]
    assert stub_client.get_personal_notification(12).subscriber_id == 31
    stub_client.delete_personal_notification(12)
    assert [(request.method, request.path) for request in stub.requests] == [
        ("GET", "/api/personal-notifications/?page=1&results_per_page=25"),
        ("GET", "/api/personal-notifications/12"),
        ("DELETE", "/api/personal-notifications/12"),
    ]


def test_a_delete_whose_answer_was_lost_is_retried_and_a_record_already_gone_is_deleted(stub, stub_client):
    stub.answer(Answer(status=503, body="busy"), Answer(status=404, body=refusal(404, "Not found")))
    stub_client.delete_personal_notification(12)
    assert [request.method for request in stub.requests] == ["DELETE", "DELETE"]


# Retries, the rate limit and the key's budget


@pytest.mark.parametrize("status", [502, 503, 504])
def test_reads_of_subscribers_logs_and_notifications_are_retried_on_a_passing_5xx(stub, stub_client, status):
    reads = [
        (lambda: stub_client.get_subscriber(31), {"data": SUBSCRIBER}),
        (lambda: stub_client.count_logs(type="subscribed"), listed(total_results=3)),
        (lambda: stub_client.get_personal_notification(12), {"data": PERSONAL}),
    ]
    for read, body in reads:
        stub.answer(Answer(status=status, body="busy"), Answer(body=body))
        read()
    assert len(stub.requests) == 6


def test_a_5xx_that_lasts_is_unavailable_after_bounded_attempts(stub, stub_client):
    stub.answer(Answer(status=502, body="bad gateway"))
    with pytest.raises(Unavailable, match="HTTP 502"):
        stub_client.list_logs()
    assert len(stub.requests) == 3


def test_a_read_that_times_out_is_timed_out_within_its_deadline(stub):
    stub_client = FlowsClient(stub.url, "key-abcdef-123456", timeout=0.5)
    stub.answer(Answer(body=listed(SUBSCRIBER), drip=0.2))
    with pytest.raises(TimedOut):
        stub_client.list_subscribers()


def test_a_short_429_is_waited_out_for_a_read_and_a_long_one_says_when(stub, stub_client):
    stub.answer(
        Answer(status=429, headers={**LIMITED, "X-RateLimit-Reset": "1"}, body=refusal(429, "Slow down")),
        Answer(
            body=listed(total_results=8), headers={"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "58"}
        ),
    )
    assert stub_client.count_logs(type="clicked_notification") == 8
    assert stub_client.budget.remaining == 58
    stub.answer(
        Answer(
            status=429,
            headers={**LIMITED, "X-RateLimit-Reset": "42"},
            body=refusal(429, "You reached the limit of requests in one minute, please wait."),
        )
    )
    with pytest.raises(RateLimited) as caught:
        stub_client.list_subscribers()
    assert caught.value.retry_after == 42
    with pytest.raises(RateLimited):
        stub_client.send_personal_notification(REQUIRED)
    assert len(stub.requests) == 3, "the spent key sends nothing more until its window reopens"


def test_reads_spend_the_keys_reading_part_and_a_personal_notification_its_part_kept_for_changes(
    stub, stub_client, clock
):
    # One window throughout (``clock``): a minute turning mid-test would bring the room back.
    stub.answer(Answer(status=201, body={"data": PERSONAL}))
    stub_client.key_budget.record(60, 60)
    # Teammates have read until only the part kept for changes is left.
    stub_client.key_budget.take(person("teammate-1"), 30)
    stub_client.key_budget.take(person("teammate-2"), 18)
    for read in (
        stub_client.list_subscribers,
        stub_client.list_logs,
        stub_client.list_personal_notifications,
    ):
        with pytest.raises(KeptForWrites):
            read()
    with pytest.raises(KeptForWrites):
        stub_client.count_logs(type="subscribed")
    assert stub_client.send_personal_notification(REQUIRED).id == 12
    assert [request.method for request in stub.requests] == ["POST"]


# Against the sandbox over real HTTP


def test_the_sandboxs_subscribers_are_listed_and_read_as_records(api, account):
    first = account.subscribers.order_by("-id").first()
    page = api.list_subscribers(1, 10)
    assert page.total == account.subscribers.count() > 10 and len(page.items) == 10
    assert page.items[0] == api.get_subscriber(first.id)
    assert page.items[0].ip == ".".join(first.ip.split(".")[:2]) + ".*.*"
    assert page.items[0].subscribed_on_url == first.subscribed_on_url
    with pytest.raises(NotFound):
        api.get_subscriber(first.id + 100000)


@pytest.mark.parametrize("total_field", ["total", "total_results"])
def test_counts_and_filtered_ordered_logs_match_the_sandboxs_entries(
    api, sandbox_key, sandbox_media, settings, total_field
):
    settings.SANDBOX_TOTAL_FIELD = total_field
    call_command("sandbox_demo", "--key", sandbox_key, "--flows", "3", verbosity=0)
    entries = SubscriberLog.objects.filter(account__in=ApiAccount.objects.with_key(sandbox_key))
    flow_id = entries.filter(type="push_notification_sent").values_list("flow_id", flat=True).first()
    for kind in ("push_notification_sent", "push_notification_failed", "expired_deleted"):
        assert (
            api.count_logs(flow_id=flow_id, type=kind) == entries.filter(flow_id=flow_id, type=kind).count()
        )
    page = api.list_logs(1, 100, order_by="datetime", order_type="ASC", flow_id=flow_id)
    assert {entry.flow_id for entry in page.items} == {flow_id}
    assert [entry.datetime for entry in page.items] == sorted(entry.datetime for entry in page.items)
    assert page.total == entries.filter(flow_id=flow_id).count()


def test_a_personal_notification_is_sent_read_listed_and_deleted_on_the_sandbox(api, account):
    subscriber = account.subscribers.order_by("id").first()
    form = {**REQUIRED, "website_id": subscriber.website_id, "subscriber_id": subscriber.id}
    sent = api.send_personal_notification({**form, "is_silent": False, "is_auto_hide": True})
    assert (sent.status, sent.is_sent, sent.subscriber_id) == ("sent", True, subscriber.id)
    assert (sent.settings.is_silent, sent.settings.is_auto_hide) == (False, True)
    assert api.get_personal_notification(sent.id) == sent
    assert [item.id for item in api.list_personal_notifications().items] == [sent.id]
    assert api.count_logs(personal_notification_id=sent.id) >= 1
    api.delete_personal_notification(sent.id)
    with pytest.raises(NotFound):
        api.get_personal_notification(sent.id)
    api.delete_personal_notification(sent.id)


def test_the_sandboxs_refusals_of_a_personal_notification_are_typed(api, account):
    mine, theirs = (site.subscribers.first() for site in account.websites.order_by("id")[:2])
    with pytest.raises(WrongSubscriber):
        api.send_personal_notification(
            {**REQUIRED, "website_id": mine.website_id, "subscriber_id": theirs.id}
        )
    with pytest.raises(Rejected, match="You must fill all the required fields."):
        api.send_personal_notification({**REQUIRED, "subscriber_id": mine.id, "title": " "})
    assert not account.personal_notifications.exists()


def test_a_scheduled_send_reaches_the_sandbox_at_the_owners_hour(connection, account):
    account.timezone = "Asia/Shanghai"
    account.save()
    service = connect(connection)
    service.forget_directory()
    subscriber = account.subscribers.order_by("id").first()
    at = dt.datetime(2026, 12, 24, 8, 0, tzinfo=dt.UTC)
    form = {**REQUIRED, "website_id": subscriber.website_id, "subscriber_id": subscriber.id}
    sent = service.send_personal_notification(form, scheduled_at=at)
    assert (sent.status, sent.is_scheduled, sent.is_sent) == ("scheduled", True, False)
    # The sandbox reads the time in the owner's zone, as the server does: 16:00 there is 08:00 UTC.
    assert SandboxPersonal.objects.get(pk=sent.id).scheduled_datetime == at


def test_reads_are_cached_until_a_personal_notification_changes_them(connection, account, upstream):
    service = connect(connection)
    subscriber = account.subscribers.order_by("id").first()
    form = {**REQUIRED, "website_id": subscriber.website_id, "subscriber_id": subscriber.id}
    before = service.get_subscriber(subscriber.id)
    assert connect(connection).get_subscriber(subscriber.id) == before
    assert len(upstream) == 1
    connect(connection).send_personal_notification(form)
    after = connect(connection).get_subscriber(subscriber.id)
    assert after.total_sent == before.total_sent + 1
    assert [call.method for call in upstream] == ["GET", "POST", "GET"]


def test_the_sandboxs_faults_and_rate_limit_reach_the_new_calls_typed(api, account, sandbox_url, settings):
    Fault.objects.create(account=account, kind="status", status=503, remaining=1)
    assert api.list_subscribers().total > 0
    assert api.calls == 2, "the 503 was retried"
    settings.SANDBOX_RATE_LIMIT = 1
    # The window's one request is spent already, or by the first count if a minute began meanwhile.
    with pytest.raises(RateLimited) as caught:
        api.count_logs(type="subscribed")
        api.count_logs(type="subscribed")
    assert 1 <= caught.value.retry_after <= 60 and api.budget.limit == 1
    with pytest.raises(Unauthorized):
        FlowsClient(sandbox_url, "not-a-key", timeout=2).list_logs()


@pytest.mark.parametrize("fault", ["401", "404", "429", "500", "503", "hang", "drop", "not-json"])
def test_every_fault_of_the_sandbox_is_a_typed_error_and_a_personal_notification_goes_once_at_most(
    connection, account, sandbox_key, settings, upstream, fault
):
    subscriber = account.subscribers.order_by("id").first()
    inject(sandbox_key, fault, settings)
    service = connect(connection)
    reads = (
        service.list_subscribers,
        lambda: service.get_subscriber(subscriber.id),
        service.list_logs,
        lambda: service.count_logs(type="subscribed"),
        service.list_personal_notifications,
    )
    for read in reads:
        with pytest.raises(ApiError):
            read()
    form = {**REQUIRED, "website_id": subscriber.website_id, "subscriber_id": subscriber.id}
    with pytest.raises(ApiError):
        service.send_personal_notification(form)
    assert [call.method for call in upstream].count("POST") <= 1
    # Hung answers of the sandbox end before the test's database goes.
    time.sleep(hang_seconds(fault))
