"""Property-based tests of the flow form: any text, any length, any unicode, any file, and never a
500. A form that validates only holds values the server takes as they are (API_CONTRACT.md:
the server clamps and substitutes silently, so the form must leave it nothing to change)."""

import contextlib
import io
import os
import random
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from PIL import Image

from flows_app.api.records import TTL_CHOICES, URGENCIES, WAIT_TIME_TYPES
from flows_app.forms import WAIT_LIMITS, FlowForm
from flows_app.images import read_image
from tests.helpers import FORM_DIRECTORY
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier

USER = SimpleNamespace(pk=31337)
# Pillow warns about the broken TIFF and EXIF data the mutations make; refusing them is the point.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning:PIL")
TEXT_LIMITS = {
    "name": 256,
    "title": 64,
    "description": 128,
    "url": 512,
    "button_title_1": 16,
    "button_url_1": 512,
    "button_title_2": 16,
    "button_url_2": 512,
    "utm_source": 128,
    "utm_medium": 128,
    "utm_campaign": 128,
}
URLS = ["", "https://shop.example/a?b=1", "http://b.example", "shop.example/x", "ftp://x.example/f"]
URLS += [
    "javascript:alert(1)",
    "https://例え.テスト/パス",
    "https://" + "a" * 600 + ".example",
    "//x.example",
]
any_text = st.text(max_size=700)
# Digits Python's isdigit() accepts but int() refuses, and other number look-alikes.
NUMBERISH = ["²", "٣", "١٢", "⑦", "1_000", " 7 ", "+3", "-0", "0x1f", "1e3", "9" * 5000, "", "∞"]
numbers = st.one_of(st.integers(-(10**6), 10**13).map(str), st.sampled_from(NUMBERISH), any_text)
FIELDS = {
    "website_id": st.one_of(st.just("1"), numbers),
    "name": any_text,
    "title": st.one_of(st.text(max_size=80), any_text),
    "description": st.one_of(st.text(max_size=140), any_text),
    "url": st.one_of(st.sampled_from(URLS), any_text),
    "segment": st.one_of(st.sampled_from(["all", "12", "ALL", " 12 ", "0", "-3", "vip"]), numbers),
    "wait_time": numbers,
    "wait_time_type": st.one_of(st.sampled_from([*WAIT_TIME_TYPES, "weeks", "DAYS"]), any_text),
    "ttl": st.one_of(st.sampled_from([str(ttl) for ttl in TTL_CHOICES] + ["1", "-1"]), numbers),
    "urgency": st.one_of(st.sampled_from([*URGENCIES, "urgent"]), any_text),
    "button_title_1": st.text(max_size=20),
    "button_url_1": st.one_of(st.sampled_from(URLS), any_text),
    "button_title_2": st.text(max_size=20),
    "button_url_2": st.one_of(st.sampled_from(URLS), any_text),
    "utm_source": st.text(max_size=140),
    "utm_medium": st.text(max_size=140),
    "utm_campaign": st.text(max_size=140),
    "is_enabled": st.sampled_from(["on", "", "false", "0"]),
    "is_silent": st.sampled_from(["on", "", "false"]),
    "is_auto_hide": st.sampled_from(["on", ""]),
    "form_token": any_text,
    "image_token": any_text,
}
forms = st.fixed_dictionaries({}, optional=FIELDS)
FUZZ = settings(max_examples=300, deadline=None)


def image_bytes(kind):
    buffer = io.BytesIO()
    Image.new("RGB", (24, 24), (10, 200, 30)).save(buffer, kind)
    return buffer.getvalue()


SEEDS = [image_bytes(kind) for kind in ("PNG", "JPEG", "GIF", "WEBP", "BMP", "TIFF")]


@st.composite
def mutated_images(draw):
    """A real image of some format with bytes flipped, cut or inserted: what reaches the decoders."""
    data = bytearray(draw(st.sampled_from(SEEDS)))
    rng = random.Random(draw(st.integers(0, 2**32)))
    for _ in range(draw(st.integers(1, 8))):
        action = rng.choice(("flip", "cut", "insert"))
        where = rng.randrange(len(data)) if data else 0
        if action == "flip" and data:
            data[where] = rng.randrange(256)
        elif action == "cut":
            del data[where : where + rng.randrange(1, 64)]
        else:
            data[where:where] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    return bytes(data)


files = st.one_of(st.binary(max_size=3000), mutated_images(), st.sampled_from(SEEDS))
file_names = st.one_of(
    st.sampled_from(["a.png", "x.php", "noext", "ü😀.webp"]),
    # A browser sends a base name; one with nothing left is no file part at all.
    st.text(min_size=1, max_size=60).filter(lambda name: os.path.basename(name) not in ("", ".", "..")),
)


def assert_within_the_contract(form):
    values = form.values()
    for field, limit in TEXT_LIMITS.items():
        assert len(values[field]) <= limit, field
        assert "\x00" not in values[field]
    for field in ("name", "title", "description"):
        assert values[field].strip(), f"{field} is required and the server trims it"
    for field in ("url", "button_url_1", "button_url_2"):
        assert values[field] == "" or values[field].startswith(("https://", "http://")), field
    assert values["wait_time_type"] in WAIT_TIME_TYPES
    assert 1 <= values["wait_time"] <= WAIT_LIMITS[values["wait_time_type"]]
    assert values["ttl"] in TTL_CHOICES
    assert values["urgency"] in URGENCIES
    # Only what the connection has: the server would substitute anything else.
    assert values["segment"] in ("all", "12")
    assert values["website_id"] == 1
    for n in (1, 2):
        # A button needs both its text and its link, or neither.
        assert bool(values[f"button_title_{n}"]) == bool(values[f"button_url_{n}"])


@FUZZ
@given(data=forms)
@example(data={"segment": "²"})
@example(data={"website_id": "²", "wait_time": "9" * 5000, "segment": "9" * 5000})
def test_any_form_data_validates_or_says_why_and_a_valid_form_fits_the_contract(data):
    form = FlowForm(data, user=USER, directory=FORM_DIRECTORY)
    if form.is_valid():
        assert_within_the_contract(form)
    else:
        assert all(isinstance(message, str) for errors in form.errors.values() for message in errors)


@FUZZ
@given(content=files, name=file_names)
def test_any_file_is_an_image_upload_or_a_clear_refusal(content, name):
    form = FlowForm({}, {"image": SimpleUploadedFile(name, content)}, user=USER, directory=FORM_DIRECTORY)
    form.is_valid()
    errors = form.errors.get("image", [])
    if errors:
        assert form.upload is None
        assert all(message.endswith(".") for message in errors)
    elif content:
        assert form.upload.content_type in ("image/jpeg", "image/png", "image/gif", "image/webp")
        assert form.upload.filename.rsplit(".", 1)[1] in ("jpg", "png", "gif", "webp")


@settings(max_examples=500, deadline=None)
@given(content=mutated_images())
def test_the_image_reader_raises_nothing_but_a_validation_error(content):
    with contextlib.suppress(ValidationError):
        read_image(SimpleUploadedFile("x.png", content))


@pytest.fixture
def flow_id(flow):
    return flow.id


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=forms, upload=st.none() | files, edit=st.booleans())
def test_any_submit_of_the_flow_form_is_never_a_500(
    logged_in, connection, flow_id, clock, data, upload, edit
):
    """Through the whole stack: the dashboard's view, the client and the sandbox (in-process)."""
    # A page that keeps what was typed shows it again: a "Traceback" typed is not the server's.
    assume(not any("Traceback" in str(value) for value in data.values()))
    # Each submit in a minute of its own: 40 in one would spend the person's share of the key
    # (docs/BUDGET.md), and the rest would stop at the budget's 429 before the client is reached.
    clock[0] += 61
    url = reverse("flows:edit" if edit else "flows:new", args=[connection.pk, flow_id][: 2 if edit else 1])
    body = dict(data)
    if upload is not None:
        body["image"] = SimpleUploadedFile("upload.png", upload)
    response = logged_in.post(url, body)
    assert response.status_code in (200, 302, 400, 409, 422, 502), response.status_code
    assert b"Traceback" not in response.content
