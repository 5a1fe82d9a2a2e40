"""Time, memory, sockets and shapes stay bounded whatever the flows server does (issue 10, items 1,
2, 4 and 5): a server that drips, answers far too much, or answers in the wrong shape."""

import gzip
import json
import os
import threading
import time
import tracemalloc
import uuid
import zlib

import pytest
import requests
from django.urls import reverse

from flows_app.api import FlowsClient, TimedOut, Unexpected
from flows_app.api.client import SESSION_POOL_SIZE, _sessions
from flows_app.models import Connection
from tests.pages import what_the_user_reads
from tests.stub_server import Answer, StubServer

FLOW = {"id": 7, "website_id": 2, "name": "Welcome", "title": "Hi", "description": "Thanks"}

# Every call counts itself in the key's budget, in the database (flows_app/api/budget.py), and a
# page's calls run on the API's pool threads with connections of their own: a test's transaction
# left open around them would hold SQLite's write lock, so each test commits as a server does.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def stub(settings):
    with StubServer() as server:
        settings.FLOWS_API_SERVERS = [server.url]
        yield server


@pytest.fixture
def stub_connection(stub, user):
    conn = Connection(owner=user, label="Stub", server=stub.url, is_default=True)
    conn.set_api_key("stub-key-0000-abcdefgh")
    conn.save()
    return conn


def dripping(body, every=0.25):
    """An answer whose headers come at once and whose body comes one byte every ``every`` s."""
    return Answer(body=body, drip=every)


# 1. A slow server cannot hold a page


def test_a_dripping_body_ends_at_the_deadline_not_when_the_server_stops(stub):
    # 400 bytes at 4 a second would take 100 s; each byte restarts requests' read timeout.
    stub.answer(dripping({"data": [FLOW] * 5}))
    client = FlowsClient(stub.url, "key", timeout=1)
    started = time.monotonic()
    with pytest.raises(TimedOut, match=r"did not answer within 2 s"):
        client.list_flows()
    assert time.monotonic() - started < 2 * client.timeout + 1


def test_a_page_on_a_dripping_server_answers_within_twice_the_timeout(
    logged_in, stub, stub_connection, settings
):
    settings.FLOWS_API_TIMEOUT = 1
    stub.answer(dripping({"data": [FLOW] * 5}))
    started = time.monotonic()
    response = logged_in.get(reverse("flows:list", args=[stub_connection.pk]))
    assert time.monotonic() - started < 2 * settings.FLOWS_API_TIMEOUT + 1
    assert response.status_code == 502
    text = what_the_user_reads(response)
    assert "The server did not answer within 2 s." in text
    assert "The server said" not in text


def test_other_pages_stay_fast_while_several_pages_wait_on_a_dripping_server(
    live_server, client, user, stub, stub_connection, settings
):
    settings.FLOWS_API_TIMEOUT = 1
    stub.answer(dripping({"data": [FLOW] * 5}))
    client.force_login(user)
    cookies = {"sessionid": client.cookies["sessionid"].value}
    list_url = live_server.url + reverse("flows:list", args=[stub_connection.pk])
    took = []

    def drip_page():
        started = time.monotonic()
        requests.get(list_url, cookies=cookies, timeout=30)
        took.append(time.monotonic() - started)

    waiting = [threading.Thread(target=drip_page) for _ in range(6)]
    for thread in waiting:
        thread.start()
    time.sleep(0.3)
    started = time.monotonic()
    login = requests.get(live_server.url + reverse("login"), timeout=30)
    login_took = time.monotonic() - started
    for thread in waiting:
        thread.join(30)
    assert login.status_code == 200 and login_took < 1
    assert len(took) == 6 and max(took) < 2 * settings.FLOWS_API_TIMEOUT + 1


# 2. Sockets do not leak per checked key


def open_descriptors():
    return len(os.listdir("/proc/self/fd"))


def test_500_rejected_key_checks_leave_no_socket_behind(logged_in, stub):
    stub.answer(
        Answer(status=401, body={"errors": [{"title": "You do not have access to the API.", "status": 401}]})
    )
    before = open_descriptors()
    for _ in range(500):
        response = logged_in.post(
            reverse("connection_new"), {"label": "Shop", "server": stub.url, "api_key": uuid.uuid4().hex}
        )
        assert response.status_code == 400
    assert open_descriptors() - before < 10
    assert len(_sessions.sessions) < 10


def test_the_session_pool_keeps_only_the_most_recently_used_connections(stub):
    before = open_descriptors()
    for number in range(SESSION_POOL_SIZE + 100):
        FlowsClient(stub.url, f"key-{number}", timeout=1).list_flows()
    assert len(_sessions.sessions) == SESSION_POOL_SIZE
    # One keep-alive socket per pooled session at most; the evicted ones are closed.
    assert open_descriptors() - before <= SESSION_POOL_SIZE + 5


# 4. Answers of any size


def gzip_bomb(unpacked_mb):
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"0" * (1024 * 1024)
    packed = b"".join(packer.compress(zeros) for _ in range(unpacked_mb))
    return packed + packer.flush()


def test_a_gzip_bomb_is_refused_before_it_is_unpacked(stub):
    bomb = gzip_bomb(500)
    assert len(bomb) < 600 * 1024
    stub.answer(Answer(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"}))
    client = FlowsClient(stub.url, "key", timeout=5)
    tracemalloc.start()
    try:
        with pytest.raises(Unexpected, match="more than 16 MB"):
            client.list_flows()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 48 * 1024 * 1024


def test_an_answer_over_the_cap_says_the_server_sent_too_much(logged_in, stub, stub_connection, settings):
    settings.FLOWS_API_MAX_BYTES = 1024 * 1024
    stub.answer(Answer(body={"data": [FLOW] * 30_000}))
    response = logged_in.get(reverse("flows:list", args=[stub_connection.pk]))
    assert response.status_code == 502
    assert "The server sent something unexpected. It sent more than 1 MB" in what_the_user_reads(response)
    flows_calls = [request for request in stub.requests if request.path.startswith("/api/flows/")]
    assert len(flows_calls) == 1, "too much is not asked for again"


def test_the_default_cap_holds_a_page_of_1000_full_flows_with_room_to_spare(settings):
    full = {
        **FLOW,
        "name": "n" * 256,
        "title": "t" * 64,
        "description": "d" * 128,
        "url": "https://shop.example/" + "u" * 490,
        "image_url": "https://push.example/uploads/" + "i" * 64 + ".png",
        "settings": {f"button_url_{n}": "https://shop.example/" + "b" * 490 for n in (1, 2)},
    }
    page = json.dumps({"data": [full] * 1000, "meta": {"total": 1000}}).encode()
    assert 4 * len(page) < settings.FLOWS_API_MAX_BYTES


def test_a_gzipped_answer_within_the_cap_is_read(stub):
    body = gzip.compress(json.dumps({"data": FLOW}).encode())
    stub.answer(Answer(body=body, headers={"Content-Encoding": "gzip"}))
    assert FlowsClient(stub.url, "key", timeout=1).get_flow(7).name == "Welcome"


# 5. Wrong-shaped JSON


WRONG_READS = {
    "list item a string": ("list", {"data": ["flow"], "meta": {"total": 1}}),
    "meta a list": ("list", {"data": [FLOW], "meta": [1]}),
    "data an object on a list": ("list", {"data": {"id": 1}}),
    "settings a string": ("detail", {"data": {**FLOW, "settings": "ttl=60"}}),
    "utm a list": ("detail", {"data": {**FLOW, "settings": {"utm": ["push"]}}}),
    "data a list on a detail": ("detail", {"data": [FLOW]}),
    "a flow without an id": ("detail", {"data": {"name": "Welcome"}}),
    "a JSON string": ("detail", '"hello"'),
}


@pytest.mark.parametrize("shape", WRONG_READS)
def test_every_wrong_shape_of_a_read_is_unexpected_not_a_crash(stub, shape):
    call, body = WRONG_READS[shape]
    stub.answer(Answer(body=body))
    client = FlowsClient(stub.url, "key", timeout=1)
    with pytest.raises(Unexpected, match="shape|could not be read"):
        client.list_flows() if call == "list" else client.get_flow(7)


@pytest.mark.parametrize("shape", WRONG_READS)
def test_a_wrong_shape_is_a_readable_page(logged_in, stub, stub_connection, shape):
    call, body = WRONG_READS[shape]
    stub.answer(Answer(body=body))
    page = "flows:list" if call == "list" else "flows:detail"
    args = [stub_connection.pk] if call == "list" else [stub_connection.pk, 7]
    response = logged_in.get(reverse(page, args=args))
    assert response.status_code == 502
    assert "The server sent something unexpected." in what_the_user_reads(response)


@pytest.mark.parametrize(
    "answer", [{"data": {"id": "seven"}}, {"data": {"id": None}}, {"data": ["7"]}, {"data": {"id": True}}]
)
def test_a_write_answered_without_a_numeric_id_says_the_change_was_probably_made(
    logged_in, stub, stub_connection, answer
):
    # The form checks the website against the connection's websites (read once, then cached).
    stub.route("/api/websites/", Answer(body={"data": [{"id": 2, "name": "Shop", "host": "shop.example"}]}))
    stub.route("/api/segments/", Answer(body={"data": []}))
    stub.route("/api/user", Answer(body={"data": {"timezone": "UTC"}}))
    stub.answer(Answer(body={"data": FLOW}), Answer(body=answer))
    form = {
        "website_id": "2",
        "name": "Welcome",
        "title": "Hi there",
        "description": "Thanks",
        "segment": "all",
        "wait_time": "1",
        "wait_time_type": "days",
        "ttl": "2419200",
        "urgency": "normal",
        "fingerprint": "",
    }
    from flows_app.api.records import Flow
    from flows_app.fields import fingerprint

    form["fingerprint"] = fingerprint(Flow.from_api(FLOW))
    response = logged_in.post(reverse("flows:edit", args=[stub_connection.pk, 7]), form)
    assert response.status_code == 502
    text = what_the_user_reads(response)
    assert "The server sent something unexpected." in text
    assert "The change was probably made: reload to see it" in text
    assert reverse("flows:detail", args=[stub_connection.pk, 7]) in response.content.decode()
    assert response.context["form"]["title"].value() == "Hi there", "the user's input is kept"


def test_a_dripping_status_line_and_headers_end_at_the_deadline_too(stub):
    stub.answer(Answer(body={"data": FLOW}, headers={"X-Padding": "p" * 200}, drip=0.25, drip_head=True))
    client = FlowsClient(stub.url, "key", timeout=1)
    started = time.monotonic()
    with pytest.raises(TimedOut, match=r"did not answer within 2 s"):
        client.get_flow(7)
    assert time.monotonic() - started < 2 * client.timeout + 1


def test_copying_a_dripping_image_ends_at_the_deadline(stub):
    """A duplicate reads the original's image from the API's server: within the same deadline."""
    stub.answer(Answer(body=b"\x89PNG" + b"\0" * 400, drip=0.25))
    client = FlowsClient(stub.url, "key", timeout=1)
    started = time.monotonic()
    with pytest.raises(TimedOut):
        client.fetch_image(stub.url + "/uploads/a.png", 2 * 1024 * 1024)
    assert time.monotonic() - started < 2 * client.timeout + 1


def test_copying_an_image_over_the_size_allowed_is_refused(stub):
    from flows_app.api import Rejected

    stub.answer(Answer(body=b"\x89PNG" + b"\0" * 300_000))
    with pytest.raises(Rejected, match="larger than the size allowed"):
        FlowsClient(stub.url, "key", timeout=1).fetch_image(stub.url + "/uploads/a.png", 100_000)
