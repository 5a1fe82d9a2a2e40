"""The sandbox answers like the flows API of API_CONTRACT.md, quirks included."""

import json
import re
import time
from datetime import UTC, datetime
from io import StringIO

import pytest
import requests
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from sandbox import ratelimit
from sandbox.models import ApiAccount, Fault, Flow, Segment

KEY = "sandbox-unit-key-aaaaaaaaaaaaaaaa"
OTHER_KEY = "sandbox-unit-key-bbbbbbbbbbbbbbbb"
BASE = "/sandbox/api/flows"
REQUIRED = {"website_id": "1", "name": "Example name", "title": "Example title", "description": "Example"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def account(db):
    call_command("sandbox_create_key", "--key", KEY, verbosity=0)
    return ApiAccount.objects.with_key(KEY).get()


@pytest.fixture
def other_account(db):
    call_command("sandbox_create_key", "--key", OTHER_KEY, verbosity=0)
    return ApiAccount.objects.with_key(OTHER_KEY).get()


def api(client, method, path="", key=KEY, **kwargs):
    return getattr(client, method)(f"{BASE}{path}", HTTP_AUTHORIZATION=f"Bearer {key}", **kwargs)


def create(client, key=KEY, **fields):
    """POST a create with the required fields (website_id defaults to the account's first)."""
    account = ApiAccount.objects.with_key(key).get()
    data = {**REQUIRED, "website_id": str(account.websites.order_by("id").first().id), **fields}
    response = api(client, "post", key=key, data=data)
    assert response.status_code == 200, response.content
    return Flow.objects.get(pk=response.json()["data"]["id"])


def read(client, flow_id, key=KEY):
    response = api(client, "get", f"/{flow_id}", key=key)
    assert response.status_code == 200
    return response.json()["data"]


def make_flows(account, count, **fields):
    website = account.websites.order_by("id").first()
    return Flow.objects.bulk_create(
        Flow(account=account, website=website, name=f"Flow {n:03}", title="t", description="d", **fields)
        for n in range(count)
    )


def error_of(response):
    assert response["Content-Type"] == "application/json"
    [error] = response.json()["errors"]
    return error["status"], error["title"]


# Authentication and isolation


def test_missing_bearer_is_401_with_the_status_as_a_string(client, account):
    response = client.get(f"{BASE}/")
    assert response.status_code == 401
    assert error_of(response)[0] == "401"


def test_unknown_key_is_401_no_access(client, account):
    response = api(client, "get", "/", key="not-a-key")
    assert response.status_code == 401
    assert error_of(response) == (401, "You do not have access to the API.")


def test_disabled_key_is_401_no_access(client, account):
    account.api_enabled = False
    account.save()
    response = api(client, "get", "/")
    assert error_of(response) == (401, "You do not have access to the API.")


def test_another_keys_flow_is_404_for_every_method(client, account, other_account):
    [theirs] = make_flows(other_account, 1)
    for method in ("get", "post", "delete"):
        response = api(client, method, f"/{theirs.id}")
        assert response.status_code == 404
        assert error_of(response)[0] == 404
    assert Flow.objects.filter(pk=theirs.id).exists()
    assert api(client, "get", "/").json()["data"] == []


# The list


def test_list_defaults_to_25_per_page_with_meta_and_absolute_links(client, account, settings):
    settings.SANDBOX_TOTAL_FIELD = "total_results"
    make_flows(account, 30)
    body = api(client, "get", "/").json()
    assert len(body["data"]) == 25
    assert body["meta"] == {"page": 1, "results_per_page": 25, "total_results": 30, "total_pages": 2}
    assert body["links"] == {
        "first": "http://testserver/sandbox/api/flows?page=1",
        "last": "http://testserver/sandbox/api/flows?page=2",
        "next": "http://testserver/sandbox/api/flows?page=2",
        "prev": None,
        "self": "http://testserver/sandbox/api/flows?page=1",
    }


def test_list_names_the_count_total_when_configured(client, account, settings):
    settings.SANDBOX_TOTAL_FIELD = "total"
    make_flows(account, 3)
    meta = api(client, "get", "").json()["meta"]
    assert meta["total"] == 3
    assert "total_results" not in meta


def test_list_second_page_keeps_a_non_default_page_size_in_links(client, account):
    make_flows(account, 25)
    body = api(client, "get", "/", data={"page": 2, "results_per_page": 10}).json()
    assert len(body["data"]) == 10
    assert body["meta"]["total_pages"] == 3
    assert body["links"]["prev"] == "http://testserver/sandbox/api/flows?page=1&results_per_page=10"
    assert body["links"]["next"] == "http://testserver/sandbox/api/flows?page=3&results_per_page=10"


@pytest.mark.parametrize("value", ["7", "abc", "2000", ""])
def test_invalid_results_per_page_falls_back_to_25(client, account, value):
    make_flows(account, 30)
    body = api(client, "get", "/", data={"results_per_page": value}).json()
    assert body["meta"]["results_per_page"] == 25
    assert len(body["data"]) == 25


def test_page_beyond_the_last_is_empty(client, account):
    make_flows(account, 3)
    body = api(client, "get", "/", data={"page": 5}).json()
    assert body["data"] == []
    assert body["links"]["next"] is None


def test_empty_list_has_no_last_page(client, account):
    body = api(client, "get", "/").json()
    assert body["meta"]["total_pages"] == 0
    assert body["links"]["last"] is None


def test_list_follows_the_account_order_and_ignores_order_params(client, account):
    make_flows(account, 3)
    by_id = [flow["id"] for flow in api(client, "get", "/", data={"order_by": "name"}).json()["data"]]
    assert by_id == sorted(by_id, reverse=True)
    account.order_by = "name"
    account.save()
    Flow.objects.filter(pk=by_id[0]).update(name="AAA first")
    names = [flow["name"] for flow in api(client, "get", "/").json()["data"]]
    assert names == ["AAA first", "Flow 000", "Flow 001"]


# The read shape


def test_read_shape_matches_the_contract(client, account, website, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    flow = create(client, name="Example", title="Sample message", url="https://example.com", wait_time="3")
    Flow.objects.filter(pk=flow.pk).update(datetime=datetime(2025, 12, 21, 4, 15, 30, tzinfo=UTC))
    assert read(client, flow.id) == {
        "id": flow.id,
        "user_id": account.id,
        "website_id": website.id,
        "name": "Example",
        "title": "Sample message",
        "description": "Example",
        "url": "https://example.com",
        "image_url": None,
        "segment": "all",
        "settings": {
            "ttl": 2419200,
            "urgency": "normal",
            "is_silent": 0,
            "is_auto_hide": 0,
            "button_title_1": "",
            "button_url_1": "",
            "button_title_2": "",
            "button_url_2": "",
            "utm": {"source": "", "medium": "", "campaign": ""},
        },
        "wait_time": 3,
        "wait_time_type": "days",
        "is_enabled": True,
        "total_sent_push_notifications": 0,
        "total_displayed_push_notifications": 0,
        "total_clicked_push_notifications": 0,
        "total_closed_push_notifications": 0,
        "last_sent_datetime": None,
        "last_datetime": None,
        "datetime": "2025-12-21 12:15:30",
    }


def test_read_works_with_and_without_trailing_slash(client, account):
    flow = create(client)
    assert api(client, "get", f"/{flow.id}/").json()["data"]["id"] == flow.id
    assert api(client, "get", f"/{flow.id}").json()["data"]["id"] == flow.id


# Create


@pytest.mark.parametrize("field", ["website_id", "name", "title", "description"])
def test_create_without_a_required_field_is_401_naming_it(client, account, field):
    data = {**REQUIRED, field: "  "}
    response = api(client, "post", data=data)
    assert error_of(response) == (401, f"The {field} field is required.")
    assert not Flow.objects.exists()


def test_create_answers_200_with_the_id_by_default(client, account):
    response = api(client, "post", data=REQUIRED)
    assert response.status_code == 200
    assert response.json() == {"data": {"id": Flow.objects.get().id}}


def test_create_answers_201_with_the_flow_when_configured(client, account, settings):
    settings.SANDBOX_CREATE_ANSWER = "flow"
    response = api(client, "post", "/", data={**REQUIRED, "name": "Whole"})
    assert response.status_code == 201
    assert response.json()["data"]["name"] == "Whole"
    assert response.json()["data"]["settings"]["ttl"] == 2419200


def test_create_accepts_urlencoded_forms(client, account, website):
    body = f"website_id={website.id}&name=Urlencoded&title=T&description=D"
    response = api(client, "post", data=body, content_type="application/x-www-form-urlencoded")
    assert Flow.objects.get(pk=response.json()["data"]["id"]).name == "Urlencoded"


def test_create_trap_switches_silent_and_auto_hide_on_when_present(client, account):
    flow = create(client, is_silent="0", is_auto_hide="")
    assert read(client, flow.id)["settings"]["is_silent"] == 1
    assert read(client, flow.id)["settings"]["is_auto_hide"] == 1
    assert read(client, create(client).id)["settings"]["is_silent"] == 0


@pytest.mark.parametrize(("sent", "enabled"), [("false", True), ("off", True), ("0", False), ("", False)])
def test_is_enabled_is_cast_like_php(client, account, sent, enabled):
    assert read(client, create(client, is_enabled=sent).id)["is_enabled"] is enabled


def test_create_enables_by_default(client, account):
    assert read(client, create(client).id)["is_enabled"] is True


def test_create_cuts_texts_silently(client, account):
    flow = read(
        client,
        create(
            client,
            name="n" * 300,
            title="t" * 70,
            description="d" * 130,
            url="u" * 600,
            button_title_1="b" * 20,
            button_url_1="x" * 600,
            button_title_2="c" * 20,
            button_url_2="y" * 600,
            utm_source="s" * 200,
            utm_medium="m" * 200,
            utm_campaign="p" * 200,
        ).id,
    )
    assert len(flow["name"]) == 256
    assert len(flow["title"]) == 64
    assert len(flow["description"]) == 128
    assert len(flow["url"]) == 512
    settings = flow["settings"]
    assert (len(settings["button_title_1"]), len(settings["button_title_2"])) == (16, 16)
    assert (len(settings["button_url_1"]), len(settings["button_url_2"])) == (512, 512)
    assert [len(value) for value in settings["utm"].values()] == [128, 128, 128]


@pytest.mark.parametrize(
    ("sent", "expected"),
    [
        ({}, (1, "days")),
        ({"wait_time": "500"}, (90, "days")),
        ({"wait_time": "0", "wait_time_type": "hours"}, (1, "hours")),
        ({"wait_time": "9999", "wait_time_type": "hours"}, (2160, "hours")),
        ({"wait_time": "999999", "wait_time_type": "minutes"}, (129600, "minutes")),
        ({"wait_time": "5", "wait_time_type": "weeks"}, (5, "days")),
        ({"wait_time": "soon"}, (1, "days")),
    ],
)
def test_create_clamps_wait_time(client, account, sent, expected):
    flow = read(client, create(client, **sent).id)
    assert (flow["wait_time"], flow["wait_time_type"]) == expected


@pytest.mark.parametrize(("sent", "ttl"), [("900", 900), ("0", 0), ("901", 2419200), ("week", 2419200)])
def test_create_substitutes_invalid_ttl(client, account, sent, ttl):
    assert read(client, create(client, ttl=sent).id)["settings"]["ttl"] == ttl


@pytest.mark.parametrize(("sent", "urgency"), [("high", "high"), ("low", "low"), ("urgent", "normal")])
def test_create_substitutes_invalid_urgency(client, account, sent, urgency):
    assert read(client, create(client, urgency=sent).id)["settings"]["urgency"] == urgency


def test_create_with_an_unknown_website_uses_the_first(client, account, other_account, website):
    theirs = other_account.websites.first()
    assert read(client, create(client, website_id="999999").id)["website_id"] == website.id
    assert read(client, create(client, website_id=str(theirs.id)).id)["website_id"] == website.id


def test_create_keeps_only_segments_of_the_same_website(client, account, website):
    own = website.segments.first()
    elsewhere = Segment.objects.exclude(website=website).first()
    assert read(client, create(client, segment=str(own.id)).id)["segment"] == str(own.id)
    assert read(client, create(client, segment=str(elsewhere.id)).id)["segment"] == "all"
    assert read(client, create(client, segment="vip").id)["segment"] == "all"
    assert read(client, create(client, segment="all").id)["segment"] == "all"


def test_create_beyond_the_plan_limit_is_401(client, account):
    account.flows_limit = 2
    account.save()
    make_flows(account, 2)
    response = api(client, "post", data=REQUIRED)
    assert error_of(response) == (401, "The plan's flow limit was reached.")
    assert account.flows.count() == 2


# Images


def image(name="picture.png", size=64):
    # The server checks the name's extension only, so the content need not be an image.
    return SimpleUploadedFile(name, b"x" * size, content_type="application/octet-stream")


def test_create_with_an_image_serves_it_at_an_absolute_url(client, account):
    data = read(client, create(client, image=image("Photo.PNG")).id)
    assert re.fullmatch(r"http://testserver/sandbox/uploads/[0-9a-f]{32}\.png", data["image_url"])
    served = client.get(data["image_url"].removeprefix("http://testserver"))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == b"x" * 64


def test_image_with_a_bad_extension_is_a_200_error_and_creates_nothing(client, account):
    response = api(client, "post", data={**REQUIRED, "image": image("notes.txt")})
    assert response.status_code == 200
    assert response.json() == {"message": ["Invalid file type."], "status": "error", "details": []}
    assert not Flow.objects.exists()


def test_image_over_the_size_limit_is_a_200_error(client, account, settings):
    settings.SANDBOX_IMAGE_MAX_MB = 1
    response = api(client, "post", data={**REQUIRED, "image": image(size=1024 * 1024 + 1)})
    assert response.status_code == 200
    assert response.json()["status"] == "error"
    assert "1 MB" in response.json()["message"][0]
    assert not Flow.objects.exists()


def test_update_replaces_then_removes_the_image(client, account, settings):
    flow = create(client, image=image("a.gif"))
    first = settings.MEDIA_ROOT / "sandbox" / flow.image
    api(client, "post", f"/{flow.id}", data={"image": image("b.webp")})
    flow.refresh_from_db()
    assert flow.image.endswith(".webp")
    assert not first.exists()
    api(client, "post", f"/{flow.id}", data={"image_remove": ""})
    assert read(client, flow.id)["image_url"] is None
    assert list((settings.MEDIA_ROOT / "sandbox").iterdir()) == []


def test_unknown_upload_is_404(client, db):
    assert client.get("/sandbox/uploads/" + "0" * 32 + ".png").status_code == 404
    assert client.get("/sandbox/uploads/..%2Fsecret.png").status_code == 404


# Update and delete


def test_update_changes_only_the_fields_sent(client, account):
    flow = create(client, name="Before", url="https://a.example", ttl="900", is_silent="1")
    response = api(client, "post", f"/{flow.id}", data={"title": "After"})
    assert response.json() == {"data": {"id": flow.id}}
    data = read(client, flow.id)
    assert (data["name"], data["title"], data["url"]) == ("Before", "After", "https://a.example")
    assert (data["settings"]["ttl"], data["settings"]["is_silent"]) == (900, 1)
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", data["last_datetime"])


def test_update_casts_booleans_instead_of_the_create_trap(client, account):
    flow = create(client, is_silent="1", is_auto_hide="1")
    api(client, "post", f"/{flow.id}/", data={"is_silent": "0", "is_auto_hide": "", "is_enabled": "0"})
    data = read(client, flow.id)
    assert (data["settings"]["is_silent"], data["settings"]["is_auto_hide"]) == (0, 0)
    assert data["is_enabled"] is False
    api(client, "post", f"/{flow.id}", data={"is_enabled": "false"})
    assert read(client, flow.id)["is_enabled"] is True


def test_update_applies_the_same_clamps(client, account):
    flow = create(client, wait_time="100", wait_time_type="hours")
    api(client, "post", f"/{flow.id}", data={"title": "t" * 99, "ttl": "5", "wait_time_type": "days"})
    data = read(client, flow.id)
    assert (len(data["title"]), data["settings"]["ttl"], data["wait_time"]) == (64, 2419200, 90)


def test_update_answers_the_whole_flow_when_configured(client, account, settings):
    settings.SANDBOX_UPDATE_ANSWER = "flow"
    flow = create(client)
    response = api(client, "post", f"/{flow.id}", data={"name": "Renamed"})
    assert response.status_code == 200
    assert response.json()["data"]["name"] == "Renamed"


def test_update_of_an_unknown_flow_is_404(client, account):
    assert api(client, "post", "/424242", data={"name": "x"}).status_code == 404


def test_delete_answers_200_with_an_empty_body(client, account):
    flow = create(client, image=image())
    response = api(client, "delete", f"/{flow.id}")
    assert (response.status_code, response.content) == (200, b"")
    assert not Flow.objects.exists()
    assert api(client, "get", f"/{flow.id}").status_code == 404


@pytest.mark.parametrize(("method", "path"), [("put", "/1"), ("patch", "/1"), ("delete", ""), ("put", "/")])
def test_unrouted_method_is_404_with_the_error_body(client, account, method, path):
    make_flows(account, 1)
    response = api(client, method, path)
    assert response.status_code == 404
    assert error_of(response)[0] == 404


# Rate limit


def test_every_answer_after_auth_carries_the_rate_limit_headers(client, account, settings):
    settings.SANDBOX_RATE_LIMIT = 60
    first = api(client, "get", "/")
    second = api(client, "get", "/999")
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("60", "59")
    assert (second.status_code, second["X-RateLimit-Remaining"]) == (404, "58")
    assert "X-RateLimit-Reset" not in second


def test_over_the_limit_is_429_with_reset_per_key(client, account, other_account, settings, monkeypatch):
    settings.SANDBOX_RATE_LIMIT = 2
    monkeypatch.setattr(ratelimit, "time", lambda: 1_699_999_995.2)  # 45 s before the window ends
    assert [api(client, "get", "/").status_code for _ in range(2)] == [200, 200]
    response = api(client, "get", "/")
    assert error_of(response) == (429, "You reached the limit of requests in one minute, please wait.")
    assert (response["X-RateLimit-Remaining"], response["X-RateLimit-Reset"]) == ("0", "45")
    assert api(client, "get", "/", key=OTHER_KEY).status_code == 200
    monkeypatch.setattr(ratelimit, "time", lambda: 1_700_000_040.0)  # the next window
    assert api(client, "get", "/").status_code == 200


def test_rate_limit_zero_is_unlimited(client, account, settings):
    settings.SANDBOX_RATE_LIMIT = 0
    response = api(client, "get", "/")
    assert response.status_code == 200
    assert "X-RateLimit-Limit" not in response


# Faults and latency


def add_fault(account, kind, **fields):
    return Fault.objects.create(account=account, kind=kind, **fields)


def test_status_fault_answers_the_error_body(client, account):
    add_fault(account, "status", status=503)
    response = api(client, "get", "/")
    assert error_of(response) == (503, "Service Unavailable")


def test_status_fault_429_adds_reset(client, account):
    add_fault(account, "status", status=429)
    response = api(client, "get", "/")
    assert response.status_code == 429
    assert 1 <= int(response["X-RateLimit-Reset"]) <= 60


def test_fault_applies_to_its_methods_for_its_remaining_uses(client, account):
    fault = add_fault(account, "status", status=500, methods="post, delete", remaining=2)
    assert api(client, "get", "/").status_code == 200
    assert [api(client, "post", data=REQUIRED).status_code for _ in range(3)] == [500, 500, 200]
    fault.refresh_from_db()
    assert fault.remaining == 0


def test_faults_do_nothing_when_disabled(client, account, settings):
    settings.SANDBOX_FAULTS_ENABLED = False
    add_fault(account, "status", status=500)
    assert api(client, "get", "/").status_code == 200


def test_faults_affect_only_their_account(client, account, other_account):
    add_fault(other_account, "status", status=500)
    assert api(client, "get", "/").status_code == 200


def test_badjson_fault_is_a_200_that_is_not_json(client, account):
    add_fault(account, "badjson")
    response = api(client, "get", "/")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_image_error_fault_is_the_200_image_error_shape(client, account):
    add_fault(account, "image_error", methods="POST")
    response = api(client, "post", data=REQUIRED)
    assert response.status_code == 200
    assert response.json() == {"message": ["Invalid file type."], "status": "error", "details": []}
    assert not Flow.objects.exists()


def test_hang_fault_waits_then_answers_normally(client, account):
    add_fault(account, "hang", seconds=0.3, remaining=1)
    started = time.monotonic()
    assert api(client, "get", "/").status_code == 200
    assert time.monotonic() - started >= 0.3


def test_latency_setting_delays_every_call(client, account, settings):
    settings.SANDBOX_LATENCY_MS = 200
    started = time.monotonic()
    assert api(client, "get", "/", key="wrong").status_code == 401
    assert time.monotonic() - started >= 0.2


# Over real HTTP


def test_live_list_and_create(live_server, account):
    headers = {"Authorization": f"Bearer {KEY}"}
    created = requests.post(
        f"{live_server.url}{BASE}",
        headers=headers,
        data={**REQUIRED, "website_id": str(account.websites.first().id)},
        files={"image": ("p.jpg", b"jpeg-ish")},
        timeout=5,
    )
    assert created.status_code == 200
    listed = requests.get(f"{live_server.url}{BASE}/", headers=headers, timeout=5).json()
    assert listed["links"]["self"] == f"{live_server.url}/sandbox/api/flows?page=1"
    image_url = listed["data"][0]["image_url"]
    assert requests.get(image_url, timeout=5).content == b"jpeg-ish"


def test_live_drop_fault_is_a_connection_error(live_server, account):
    add_fault(account, "drop", remaining=1)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {KEY}"
        with pytest.raises(requests.ConnectionError):
            session.get(f"{live_server.url}{BASE}/", timeout=5)
        assert session.get(f"{live_server.url}{BASE}/", timeout=5).status_code == 200


def test_live_hang_fault_times_the_client_out(live_server, account):
    add_fault(account, "hang", seconds=0.8, remaining=1)
    headers = {"Authorization": f"Bearer {KEY}"}
    with pytest.raises(requests.Timeout):
        requests.get(f"{live_server.url}{BASE}/", headers=headers, timeout=0.3)
    assert requests.get(f"{live_server.url}{BASE}/", headers=headers, timeout=5).status_code == 200
    time.sleep(0.8)  # let the hung request finish before the database is flushed


# Management commands


def test_create_key_prints_a_random_key_with_three_websites(db):
    out = StringIO()
    call_command("sandbox_create_key", stdout=out)
    account = ApiAccount.objects.with_key(out.getvalue().strip()).get()
    assert account.websites.count() == 3
    assert Segment.objects.filter(website__account=account).count() == 6


def test_create_key_is_idempotent_with_key(db):
    for _ in range(2):
        call_command("sandbox_create_key", "--key", KEY, verbosity=0)
    account = ApiAccount.objects.with_key(KEY).get()
    assert account.websites.count() == 3


def test_demo_creates_realistic_flows_and_is_idempotent(account):
    call_command("sandbox_demo", "--key", KEY, "--flows", "40", stdout=StringIO())
    call_command("sandbox_demo", "--key", KEY, "--flows", "40", stdout=StringIO())
    flows = list(account.flows.all())
    assert len(flows) == 40
    assert {flow.website_id for flow in flows} == set(account.websites.values_list("id", flat=True))
    assert any(not flow.is_enabled for flow in flows)
    assert any(flow.button_title_1 for flow in flows)
    assert any(flow.utm_campaign for flow in flows)
    for flow in flows:
        assert flow.total_displayed_push_notifications <= flow.total_sent_push_notifications
        clicked, closed = flow.total_clicked_push_notifications, flow.total_closed_push_notifications
        assert clicked + closed <= flow.total_displayed_push_notifications
        if flow.total_displayed_push_notifications >= 1000:
            assert 0.015 <= clicked / flow.total_displayed_push_notifications <= 0.15
    call_command("sandbox_demo", "--key", KEY, "--flows", "5", "--reset", stdout=StringIO())
    assert account.flows.count() == 5


def test_demo_flows_read_back_through_the_api(client, account):
    call_command("sandbox_demo", "--key", KEY, "--flows", "12", stdout=StringIO())
    body = api(client, "get", "/").json()
    assert len(body["data"]) == 12
    assert body["data"][0]["name"]


def test_demo_bulk_creates_thousands_of_flows(account, django_assert_max_num_queries):
    # A fixed number of bulk writes whatever the count: the flows, and their history's rows.
    with django_assert_max_num_queries(30):
        call_command("sandbox_demo", "--key", KEY, "--flows", "3000", stdout=StringIO())
    assert account.flows.count() == 3000


def test_demo_needs_a_known_key(db):
    with pytest.raises(CommandError):
        call_command("sandbox_demo", "--key", "nobody", stdout=StringIO())


def test_tick_loop_repeats_until_interrupted(account, monkeypatch):
    make_flows(account, 3)
    naps = []

    def nap(seconds):
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr("sandbox.management.commands.sandbox_tick.time.sleep", nap)
    out = StringIO()
    call_command("sandbox_tick", "--loop", "5", stdout=out)
    assert naps == [5.0, 5.0]
    assert out.getvalue().count("Subscribed") == 2
    assert out.getvalue().endswith("Stopped.\n")


def test_the_sandbox_keeps_a_hash_of_each_key_never_the_key(client, django_user_model, sandbox_key):
    """Issue 10, item 12: the keys were stored in plain text and shown in the sandbox's admin."""
    from django.db import connection as database

    with database.cursor() as cursor:
        cursor.execute("SELECT * FROM sandbox_apiaccount")
        stored = repr(cursor.fetchall())
    assert sandbox_key not in stored
    admin = django_user_model.objects.create_superuser("root", password="correct horse battery")
    client.force_login(admin)
    account = ApiAccount.objects.with_key(sandbox_key).get()
    for page in (
        reverse("admin:sandbox_apiaccount_changelist"),
        reverse("admin:sandbox_apiaccount_change", args=[account.pk]),
    ):
        html = client.get(page).content.decode()
        assert sandbox_key not in html
    assert sandbox_key[-4:] in client.get(reverse("admin:sandbox_apiaccount_changelist")).content.decode()
