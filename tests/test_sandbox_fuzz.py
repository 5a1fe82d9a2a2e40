"""Property-based tests of the sandbox's request parsing: whatever a client sends, the sandbox
answers with one of the shapes of API_CONTRACT.md, and never with a 500.

Any text (any unicode, any length), any field name, any file under any file name, multipart or
urlencoded, for create, update, list and the Authorization header.
"""

import json
import os
import re
from urllib.parse import urlencode

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from sandbox.models import TTL_CHOICES, URGENCIES, WAIT_TIME_MAX, ApiAccount, Flow
from sandbox.writes import TEXT_LIMITS

KEY = "sandbox-fuzz-key-aaaaaaaaaaaaaaaa"
BASE = "/sandbox/api/flows"
AUTH = {"HTTP_AUTHORIZATION": f"Bearer {KEY}"}
WRITE_FIELDS = (
    "website_id",
    "name",
    "title",
    "description",
    "url",
    "image_remove",
    "wait_time",
    "wait_time_type",
    "button_title_1",
    "button_url_1",
    "button_title_2",
    "button_url_2",
    "is_silent",
    "is_auto_hide",
    "ttl",
    "urgency",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "segment",
    "is_enabled",
)
READ_KEYS = {
    "id",
    "user_id",
    "website_id",
    "name",
    "title",
    "description",
    "url",
    "image_url",
    "segment",
    "settings",
    "wait_time",
    "wait_time_type",
    "is_enabled",
    "total_sent_push_notifications",
    "total_displayed_push_notifications",
    "total_clicked_push_notifications",
    "total_closed_push_notifications",
    "last_sent_datetime",
    "last_datetime",
    "datetime",
}
FUZZ = settings(
    max_examples=60,
    deadline=None,
    # The database fixture is shared by the examples on purpose: flows pile up, as on a server.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Values chosen to hit the parsers' edges, mixed with any text at all.
EDGE_VALUES = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "all",
    "true",
    "false",
    "off",
    "days",
    "hours",
    "minutes",
    "weeks",
    "900",
    "2419200",
    "1e9",
    "0x10",
    " 7 ",
    "1_000",
    "٣",  # an Arabic-Indic digit: Python's int() accepts it, a regex of [0-9] does not
    "9" * 30,
    "9" * 5000,
    str(2**63),
    "-" + "9" * 30,
    "a\x00b",
    "\u202eevil",
    "😀" * 300,
    "x" * 3000,
    "https://example.com/" + "p" * 600,
    "javascript:alert(1)",
]
values = st.one_of(
    st.sampled_from(EDGE_VALUES),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(max_size=600),
)
field_names = st.one_of(st.sampled_from(WRITE_FIELDS), st.text(min_size=1, max_size=30))
forms = st.dictionaries(field_names, values, max_size=12)
file_names = st.one_of(
    st.sampled_from(["a.png", "A.JPG", "x.jpeg.exe", "no-extension", ".png", "ü😀.webp", "../../etc/p.gif"]),
    # The test client sends the base name; one with nothing left is not a file part at all.
    st.text(min_size=1, max_size=80).filter(lambda name: os.path.basename(name) not in ("", ".", "..")),
)
uploads = st.builds(
    lambda name, content: SimpleUploadedFile(name, content),
    file_names,
    st.binary(max_size=4096),
)


@pytest.fixture
def account(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.SANDBOX_RATE_LIMIT = 0
    call_command("sandbox_create_key", "--key", KEY, verbosity=0)
    account = ApiAccount.objects.with_key(KEY).get()
    account.flows_limit = -1
    account.save()
    return account


def body_of(response):
    assert response["Content-Type"] == "application/json", response.content[:300]
    return json.loads(response.content)


def assert_contract_answer(response):
    """One of the contract's shapes: data, the error body, or the 200 image error."""
    assert response.status_code != 500
    body = body_of(response)
    if response.status_code in (200, 201):
        if "data" in body:
            return body
        assert body["status"] == "error"
        assert isinstance(body["message"], list) and body["message"]
        assert body["details"] == []
        return body
    assert response.status_code in (401, 404, 429), response.status_code
    [error] = body["errors"]
    assert isinstance(error["title"], str) and error["title"]
    assert error["status"] in (response.status_code, str(response.status_code))
    return body


def assert_flow_within_contract(data):
    """What the server stores stays inside the contract's limits, whatever was sent."""
    assert set(data) == READ_KEYS
    for field, limit in TEXT_LIMITS.items():
        value = data["settings"][field] if field.startswith("button_") else data.get(field)
        if field.startswith("utm_"):
            value = data["settings"]["utm"][field.removeprefix("utm_")]
        assert isinstance(value, str) and len(value) <= limit, field
    assert data["wait_time_type"] in WAIT_TIME_MAX
    assert 1 <= data["wait_time"] <= WAIT_TIME_MAX[data["wait_time_type"]]
    assert data["settings"]["ttl"] in TTL_CHOICES
    assert data["settings"]["urgency"] in URGENCIES
    assert data["settings"]["is_silent"] in (0, 1) and data["settings"]["is_auto_hide"] in (0, 1)
    assert isinstance(data["is_enabled"], bool)
    assert data["segment"] == "all" or re.fullmatch(r"[1-9][0-9]*", data["segment"])
    assert data["image_url"] is None or re.search(r"/sandbox/uploads/[0-9a-f]{32}\.\w+$", data["image_url"])


def read(client, flow_id):
    response = client.get(f"{BASE}/{flow_id}", **AUTH)
    assert response.status_code == 200
    data = body_of(response)["data"]
    assert_flow_within_contract(data)
    return data


@FUZZ
@given(fields=forms, upload=st.none() | uploads)
def test_any_multipart_create_answers_a_contract_shape(client, account, fields, upload):
    data = dict(fields)
    if upload is not None:
        data["image"] = upload
    before = Flow.objects.count()
    body = assert_contract_answer(client.post(BASE, data, **AUTH))
    if "data" in body:
        assert Flow.objects.count() == before + 1
        read(client, body["data"]["id"])
    else:
        assert Flow.objects.count() == before


@FUZZ
@given(fields=forms)
def test_any_create_with_the_required_fields_makes_a_flow_within_the_limits(client, account, fields):
    required = {"website_id": "1", "name": "n", "title": "t", "description": "d"}
    data = {**fields, **{name: fields.get(name, "").strip() or value for name, value in required.items()}}
    body = assert_contract_answer(client.post(BASE, data, **AUTH))
    assert set(body) == {"data"}
    read(client, body["data"]["id"])


@FUZZ
@given(body=st.one_of(st.binary(max_size=2000), forms.map(lambda f: urlencode(f).encode())))
def test_any_urlencoded_body_answers_a_contract_shape(client, account, body):
    content_type = "application/x-www-form-urlencoded"
    response = client.generic("POST", BASE, body, content_type=content_type, **AUTH)
    answer = assert_contract_answer(response)
    if "data" in answer:
        read(client, answer["data"]["id"])


@FUZZ
@given(
    body=st.binary(max_size=2000),
    boundary=st.sampled_from(["BoUnDaRy", "", "x" * 100]),
)
def test_a_broken_multipart_body_is_never_a_500(client, account, body, boundary):
    content_type = f"multipart/form-data; boundary={boundary}"
    payload = b"--BoUnDaRy\r\n" + body if boundary else body
    response = client.generic("POST", BASE, payload, content_type=content_type, **AUTH)
    assert response.status_code != 500
    if response.status_code != 400:
        # Django refuses a multipart body it cannot parse with its own 400; anything else is ours.
        assert_contract_answer(response)


@FUZZ
@given(fields=forms, upload=st.none() | uploads)
def test_any_update_answers_a_contract_shape_and_keeps_the_flow_valid(client, account, fields, upload):
    flow = Flow.objects.create(
        account=account, website=account.websites.first(), name="Keep", title="Title", description="D"
    )
    data = dict(fields)
    if upload is not None:
        data["image"] = upload
    assert_contract_answer(client.post(f"{BASE}/{flow.id}", data, **AUTH))
    after = read(client, flow.id)
    # An update never empties a required field (API_CONTRACT.md: only the fields sent change).
    assert after["name"] and after["title"] and after["description"]


@FUZZ
@given(
    params=st.dictionaries(st.sampled_from(["page", "results_per_page", "order", "q"]), values, max_size=4)
)
# A page far beyond the last one once made the database refuse the offset (a 500).
@example(params={"page": str(2**62)})
@example(params={"page": "9" * 30, "results_per_page": "1000"})
def test_any_list_params_answer_a_page(client, account, params):
    if not account.flows.exists():
        call_command("sandbox_demo", "--key", KEY, "--flows", "30", verbosity=0)
    body = assert_contract_answer(client.get(f"{BASE}/", params, **AUTH))
    meta = body["meta"]
    assert meta["page"] >= 1
    assert meta["results_per_page"] in (10, 25, 50, 100, 250, 500, 1000)
    assert len(body["data"]) <= meta["results_per_page"]
    assert meta["total_results"] == 30
    for flow in body["data"]:
        assert_flow_within_contract(flow)


@FUZZ
@given(flow_id=st.integers(min_value=0, max_value=10**40), method=st.sampled_from(["get", "post", "delete"]))
def test_any_flow_id_answers_a_contract_shape(client, account, flow_id, method):
    assert_contract_answer(getattr(client, method)(f"{BASE}/{flow_id}", **AUTH))


@FUZZ
@given(header=st.text(alphabet=st.characters(max_codepoint=255, exclude_categories=["Cc"]), max_size=200))
def test_any_authorization_header_is_refused_with_the_error_body(client, account, header):
    response = client.get(f"{BASE}/", HTTP_AUTHORIZATION=header)
    if header.partition(" ")[2].strip() == KEY and header.startswith("Bearer "):
        assert response.status_code == 200
        return
    assert response.status_code == 401
    assert_contract_answer(response)
