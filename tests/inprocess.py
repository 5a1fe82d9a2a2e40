"""The fast tier: the dashboard reaches the sandbox in the test's own thread, not over loopback.

A test module whose tests prove nothing more over real HTTP takes these two fixtures in place of
conftest's (``from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401``):
its tests then run on the ``db`` fixture (one transaction, rolled back) instead of a file database
flushed after every test, with no live_server. A test of such a module that needs real HTTP (a
worker, threads of its own, what urllib3 logs) is marked ``@pytest.mark.live``. The dashboard's client is unchanged down to its
``requests`` session, on which a transport is mounted that hands each request to the sandbox's
view and the answer back as urllib3 would read it off a socket.

What only real HTTP shows stays on the live tier (conftest's fixtures): the client's HTTP boundary
(test_api_client, test_bounded), concurrent requests (test_double_writes), hung answers and their
deadlines, worker processes and the browser.
"""

import contextvars
import http.client
import io
import time
from concurrent.futures import Future
from urllib.parse import urlsplit

import pytest
import requests
import urllib3
from django.test import RequestFactory
from django.urls import resolve

from flows_app.api import client, service

# A host Django's test settings allow (ALLOWED_HOSTS), which nothing listens on: a request that
# missed the transport fails instead of reaching some server.
URL = "http://testserver/sandbox"
# http.client refuses a head of more lines than this (the sandbox's "drop" fault relies on it).
MAX_HEADERS = 100


# What reaches the sandbox from another thread or process (live_server's, a worker's) needs it on
# HTTP, and a database they can read.
OVER_HTTP = {"live_server", "worker_process"}


def over_http(item):
    """True for a test that reaches the sandbox over real HTTP (marked ``live``, or by its fixtures)."""
    return item.get_closest_marker("live") is not None or bool(OVER_HTTP & set(item.fixturenames))


class SandboxTransport(requests.adapters.BaseAdapter):
    """Requests to the sandbox, answered by its views in this thread."""

    def send(self, request, stream=False, timeout=None, **kwargs):
        parts = urlsplit(request.url)
        path = parts.path.removeprefix("/sandbox")
        match = resolve(path, urlconf="sandbox.urls")
        body = request.body or b""
        django_request = RequestFactory().generic(
            request.method,
            request.path_url,
            body.encode() if isinstance(body, str) else body,
            content_type=request.headers.get("Content-Type", ""),
            headers={name: value for name, value in request.headers.items() if name != "Content-Type"},
        )
        django_request.resolver_match = match
        started = time.monotonic()
        answer = match.func(django_request, *match.args, **match.kwargs)
        read_timeout = timeout[1] if isinstance(timeout, tuple) else timeout
        if read_timeout is not None and time.monotonic() - started > read_timeout:
            # Over a socket the client would have stopped waiting (a hang fault, SANDBOX_LATENCY_MS).
            raise requests.ReadTimeout(f"no answer within {read_timeout} s", request=request)
        if len(answer.items()) > MAX_HEADERS:
            raise requests.ConnectionError(
                ("Connection aborted.", http.client.HTTPException("got more than 100 headers")),
                request=request,
            )
        content = b"".join(answer.streaming_content) if answer.streaming else answer.content
        raw = urllib3.HTTPResponse(
            body=io.BytesIO(content),
            headers=dict(answer.items()),
            status=answer.status_code,
            reason=answer.reason_phrase,
            preload_content=False,
            decode_content=False,
        )
        return requests.adapters.HTTPAdapter().build_response(request, raw)

    def close(self):
        pass


def _session():
    session = requests.Session()
    session.mount(URL.removesuffix("/sandbox") + "/", SandboxTransport())
    return session


def _at_once(call, *args, **kwargs):
    # What FlowsService.in_background starts on a pool thread, run here: the sandbox's queries must
    # use the test's one connection, inside its transaction. Its context is a copy, as on the pool.
    future = Future()
    try:
        future.set_result(contextvars.copy_context().run(call, *args, **kwargs))
    except Exception as error:
        future.set_exception(error)
    return future


class _InOrder:
    """ThreadPoolExecutor's ``map`` as FlowsClient.all_flows uses it, one page after another."""

    def __init__(self, max_workers=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    @staticmethod
    def map(call, items):
        return [call(item) for item in items]


@pytest.fixture(name="sandbox_db")
def inprocess_db(db):
    """The sandbox's rows in the test's transaction, rolled back after it."""


@pytest.fixture(name="sandbox_url")
def inprocess_sandbox_url(request, settings, monkeypatch):
    """The sandbox API as the dashboard reaches it, answered in this thread; over real HTTP for a
    test marked ``live`` (conftest gives it a transactional database too), beside a live_server
    (the browser's tests: the dashboard is served over HTTP, and so is its sandbox) and for a
    worker process."""
    if over_http(request.node):
        live_server = request.getfixturevalue("live_server")
        settings.SANDBOX_URL = f"{live_server.url}/sandbox"
        return settings.SANDBOX_URL
    client.close_sessions()
    monkeypatch.setattr(client, "_deadline_session", _session)
    monkeypatch.setattr(client, "_public", _session())
    monkeypatch.setattr(client, "ThreadPoolExecutor", _InOrder)
    monkeypatch.setattr(service, "_in_background", _at_once)
    settings.SANDBOX_URL = URL
    return URL
