"""What many test modules use and none owns: request headers, images, the flow form, the sandbox's
side of a test. Fixtures live in conftest.py; test modules import from here, never from each other."""

import base64
import hashlib
import hmac
import io
import os
import random
import re
import struct
import subprocess
import sys
import time
from pathlib import Path

from django.urls import reverse
from PIL import Image

from flows_app.api.records import Directory, Segment, Website
from flows_app.models import SANDBOX, Connection
from sandbox.demo import create_flows
from sandbox.models import ApiAccount, Fault, hash_key
from sandbox.models import Website as SandboxWebsite

ROOT = Path(__file__).resolve().parent.parent

SANDBOX_KEY = "sandbox-test-key-0001-abcdefghijklmnop"
OTHER_SANDBOX_KEY = "sandbox-test-key-0002-qrstuvwxyzabcdef"
# What a flow form offers when tested without a server: website 1 with segment 12.
FORM_DIRECTORY = Directory(websites=(Website(1, "Shop", "shop.example"),), segments=(Segment(12, 1, "VIP"),))

# An htmx request as Django's test client takes it (a META key)...
HTMX = {"HTTP_HX_REQUEST": "true"}
# ...and as a browser sends it (a header: requests, or the test client's `headers=`).
HTMX_HEADER = {"HX-Request": "true"}


def png(width=8, height=8, kind="PNG", color=(79, 70, 229)):
    """A small, valid picture of one colour (any format Pillow writes: kind="TIFF", "GIF"...)."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, kind)
    return buffer.getvalue()


def truncated_png():
    return png(64, 64)[:-40]


def bomb_png():
    # A tiny file that claims a huge picture: the pixel limit refuses it before decoding.
    return png(5000, 5000)


def url(name, connection, *args):
    """A flows page of ``connection``: ``url("edit", connection, flow_id)``."""
    return reverse(f"flows:{name}", args=[connection.pk, *args])


def first_website(api_key=SANDBOX_KEY):
    return SandboxWebsite.objects.filter(account__key_hash=hash_key(api_key)).order_by("id").first()


def valid_form(**changes):
    """The new-flow form filled in as a user would, on the sandbox's first website; a change of
    None leaves that field out."""
    data = {
        "website_id": str(first_website().id),
        "name": "Welcome",
        "title": "Hello there",
        "description": "Thanks for subscribing.",
        "url": "https://shop.example/welcome",
        "segment": "all",
        "is_enabled": "on",
        "wait_time": "2",
        "wait_time_type": "hours",
        "ttl": "86400",
        "urgency": "high",
        "button_title_1": "Shop now",
        "button_url_1": "https://shop.example/new",
        "button_title_2": "",
        "button_url_2": "",
        "utm_source": "push",
        "utm_medium": "flow",
        "utm_campaign": "welcome",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def form_token(client, connection):
    """The token of a new-flow form, as the page hands it out (a create without one is refused)."""
    html = client.get(url("new", connection)).content.decode()
    return re.search(r'name="form_token" value="([^"]+)"', html).group(1)


def editable(flows):
    # Some demo flows have a "Not now" button without a link, which the form asks to complete.
    return flows.filter(button_title_2="").first()


def edit_form(client, connection, flow_id):
    """The edit form's values as the page fills them in (what a user who changes nothing posts)."""
    form = client.get(url("edit", connection, flow_id)).context["form"]
    return {name: value for name, value in ((f.name, f.value()) for f in form) if value not in (None, False)}


def fault(sandbox_key, **kwargs):
    """A fault the sandbox plays on the account of ``sandbox_key`` (sandbox.models.Fault's fields)."""
    return Fault.objects.create(account=ApiAccount.objects.with_key(sandbox_key).get(), **kwargs)


def flow_calls(upstream):
    """The requests of ``upstream`` (the fixture) that read or wrote flows, not the directory."""
    return [call for call in upstream if "/api/flows" in call.url]


def shown_ids(response):
    """The ids of the flows a list page shows, in its order."""
    return [int(found) for found in re.findall(r'<tr id="flow-(\d+)"', response.content.decode())]


def make_flows(api_key, count, seed=0):
    """The sandbox account of ``api_key`` given demo flows up to ``count`` in all, drawn from
    ``seed`` (the same flows on every run: a test can count on what seed 0 holds); every flow of
    the account, oldest first."""
    account = ApiAccount.objects.with_key(api_key).get()
    missing = count - account.flows.count()
    if missing > 0:
        create_flows(account, missing, rng=random.Random(seed))
    return list(account.flows.order_by("id"))


def wait_for(condition, worker, seconds):
    """Until ``condition()`` holds, while the ``worker`` process (worker_process's) runs."""
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        if condition():
            return
        assert worker.poll() is None, "the worker stopped"
        time.sleep(0.1)
    raise AssertionError("timed out")


def make_connection(owner, key, label="Other", default=False):
    connection = Connection(owner=owner, label=label, server=SANDBOX, is_default=default)
    connection.set_api_key(key)
    connection.save()
    return connection


# Settings and the image, read as the process that runs them reads them

# The least environment production settings load with.
GOOD_SETTINGS = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 50,
    "API_KEY_ENCRYPTION_KEYS": "y" * 40,
    "DJANGO_SETTINGS_MODULE": "dashboard.settings",
}


def load_settings(**env):
    """Import dashboard.settings in a fresh interpreter with exactly this environment."""
    clean = {
        key: value
        for key, value in os.environ.items()
        if key not in GOOD_SETTINGS and not key.startswith(("SANDBOX", "HTTPS", "FLOWS"))
    }
    clean.update(GOOD_SETTINGS)
    clean.update(env)
    code = "from django.conf import settings as s; print(s.DEBUG, s.SECURE_SSL_REDIRECT if hasattr(s, 'SECURE_SSL_REDIRECT') else False, s.FLOWS_API_SERVERS, s.FLOWS_API_TIMEOUT)"
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


DOCKERFILE = ROOT / "Dockerfile"


def dockerfile_instructions():
    """The Dockerfile's (INSTRUCTION, argument) pairs, continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, argument = line.partition(" ")
            pairs.append((name.upper(), argument.strip()))
    return pairs


def totp(secret, at=None, period=30):
    """The six-digit code an authenticator app shows for a base32 secret (RFC 6238), computed here
    rather than by the library under test."""
    counter = int((time.time() if at is None else at) // period)
    digest = hmac.new(base64.b32decode(secret), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def is_logged_in(client):
    """Whether the test client's session is signed in: a page that needs it answers."""
    return client.get("/connections/").status_code == 200


# Mail to a loopback port nothing listens on: a mail that cannot be sent.
UNSENDABLE_MAIL = {
    "default": {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
    }
}
