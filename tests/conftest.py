import os
import random
import shutil
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest
from django import db
from django.conf import settings
from django.core.cache import caches
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from playwright.sync_api import expect

from flows_app.api import FlowsClient, connect, service
from flows_app.api.budget import WINDOW, KeyBudget, Policy, person
from flows_app.api.client import close_sessions
from flows_app.models import SANDBOX, Connection, Membership, Role
from sandbox.models import ApiAccount
from tests import inprocess
from tests.helpers import OTHER_SANDBOX_KEY, SANDBOX_KEY, make_flows

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run
# beside one unless told it is safe, which it is here (one thread drives both).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(items):
    for item in items:
        if inprocess.over_http(item):
            # The fast tier's tests that reach the sandbox over real HTTP (tests/inprocess.py):
            # live_server's threads and a worker process read only what is committed.
            item.add_marker(pytest.mark.django_db(transaction=True))
        if item.get_closest_marker("production"):
            # Their pair of instances is the module's (tests/test_production.py): make test's
            # workers (pytest-xdist, --dist loadgroup) give them all to one worker.
            item.add_marker(pytest.mark.xdist_group("production"))


# The sandbox's two test accounts (each with its websites, segments and 520 subscribers) cost a
# quarter of a second to make, which most of the suite's tests need: they are made once, with the
# test database, and again after each test that flushed it. A fast-tier test (rolled back) finds
# them; a transactional one finds the copy made after the last flush.
_db_blocker = None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    global _db_blocker
    _make_sandbox_accounts(django_db_blocker)
    _db_blocker = django_db_blocker
    yield
    _db_blocker = None


def _make_sandbox_accounts(blocker):
    with blocker.unblock():
        for key in (SANDBOX_KEY, OTHER_SANDBOX_KEY):
            call_command("sandbox_create_key", "--key", key, verbosity=0)
        # Left open, the connection would be found by the next test that has no database.
        db.connection.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    result = yield
    # After every finalizer, the transactional database's flush included; not after the last
    # test, whose teardown ends the test database too.
    if nextitem is not None and _db_blocker is not None and _flushes(item):
        _make_sandbox_accounts(_db_blocker)
    return result


def _flushes(item):
    marker = item.get_closest_marker("django_db")
    return bool({"transactional_db", "live_server"} & set(item.fixturenames)) or bool(
        marker and marker.kwargs.get("transaction")
    )


@pytest.fixture(autouse=True)
def _clear_cache():
    for cache in caches.all():
        cache.clear()
    # And the process's decoded sets: one not yet shared when its cache was cleared would serve
    # the next test's connection with the same key (SQLite gives the same ids again).
    service._sets.clear()
    yield
    for cache in caches.all():
        cache.clear()
    service._sets.clear()
    # Idle keep-alive connections to a live_server that is going away would leave its request
    # threads blocked until the interpreter exits (and complains about them).
    close_sessions()


@pytest.fixture(autouse=True)
def _default_language_after():
    """A page asked for in Chinese leaves Chinese active in the test's thread (LocaleMiddleware
    activates a request's language and nothing undoes it), which code called outside a request
    in a later test would then speak: each test ends back on the default language."""
    yield
    translation.deactivate()


@pytest.fixture(scope="session")
def services():
    """A throwaway PostgreSQL server and Redis for the production-shape tests (tests/services.py)."""
    from tests.services import MISSING, available, postgres_and_redis

    if not available():
        pytest.fail(MISSING)
    with postgres_and_redis() as servers:
        yield servers


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Playwright cannot download its own browser here: drive Debian's Chromium.
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


@pytest.fixture
def sandbox_url(live_server, settings):
    """The sandbox API served over real HTTP by live_server, as the dashboard reaches it."""
    settings.SANDBOX_URL = f"{live_server.url}/sandbox"
    return settings.SANDBOX_URL


@pytest.fixture
def sandbox_db(transactional_db):
    """The database the sandbox's rows live in: committed, for live_server's threads to read, and
    flushed after each test (tests/inprocess.py's fast tier rolls back instead)."""


@pytest.fixture
def sandbox_key(sandbox_db):
    call_command("sandbox_create_key", "--key", SANDBOX_KEY, verbosity=0)
    return SANDBOX_KEY


@pytest.fixture
def other_sandbox_key(sandbox_db):
    call_command("sandbox_create_key", "--key", OTHER_SANDBOX_KEY, verbosity=0)
    return OTHER_SANDBOX_KEY


@pytest.fixture
def user(django_user_model):
    return django_user_model.objects.create_user("marketer", password="correct horse battery")


@pytest.fixture
def other_user(django_user_model):
    return django_user_model.objects.create_user("intruder", password="correct horse battery")


@pytest.fixture
def connection(user, sandbox_url, sandbox_key):
    conn = Connection(owner=user, label="Sandbox", server=SANDBOX, is_default=True)
    conn.set_api_key(sandbox_key)
    conn.save()
    # The connection's websites and segments are read once per ten minutes: known here, as after
    # a first visit, so that tests counting calls count the flows' own.
    connect(conn).directory()
    return conn


@pytest.fixture
def staff_client(user):
    """`user`, the connection's creator, a site admin too (they get the People page), signed in."""
    user.is_staff = True
    user.save()
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def every_column(user):
    """The user shows every column of the flows list (its Columns menu all ticked)."""
    from flows_app.models import Preferences

    Preferences.objects.update_or_create(user=user, defaults={"hidden_columns": ""})


@pytest.fixture
def upstream(monkeypatch):
    """Every request the dashboard sends to a flows API, as (method, path, query, form field names)."""
    from flows_app.api.client import FlowsClient

    sent = []
    real_send = FlowsClient._send

    def recording_send(self, method, url, params, files, ends_at):
        # A text part is (None, value); the image part is (filename, content, content type).
        fields = {name: part[1] if part[0] is None else part for name, part in files or ()}
        sent.append(SimpleNamespace(method=method, url=url, params=params or {}, fields=fields))
        return real_send(self, method, url, params, files, ends_at)

    monkeypatch.setattr(FlowsClient, "_send", recording_send)
    return sent


@pytest.fixture
def answers(monkeypatch):
    """Every answer of the sandbox's flows endpoints: (method, flow id, status, X-RateLimit-Remaining)."""
    seen = []
    import sandbox.views

    real_serve = sandbox.views._serve

    def recording(request, route):
        response = real_serve(request, route)
        if not request.resolver_match.url_name.startswith("flow"):
            return response  # websites, segments, the key's user
        flow_id = request.resolver_match.kwargs.get("flow_id")
        remaining = response.get("X-RateLimit-Remaining")
        seen.append(
            (request.method, flow_id, response.status_code, None if remaining is None else int(remaining))
        )
        return response

    monkeypatch.setattr(sandbox.views, "_serve", recording)
    return seen


@pytest.fixture
def delivered(monkeypatch):
    """The sandbox's push services take every push (a 410 for an expired subscriber only) and its
    browsers show each one: a test of what follows a push knows its outcome, which the engine
    otherwise draws (a few pushes in a hundred fail or find the subscription expired)."""
    from sandbox import engine

    monkeypatch.setattr(
        engine, "outcome", lambda subscriber, *args, **kwargs: "expired" if subscriber.is_expired else "sent"
    )
    monkeypatch.setattr(engine.Shares, "reactions", lambda self, rng: ["displayed_notification"])


@pytest.fixture
def stub():
    """A scripted server on loopback (tests/stub_server.py), for exact requests and answers."""
    from tests.stub_server import StubServer

    with StubServer() as server:
        yield server


@pytest.fixture
def sandbox_media(settings, tmp_path):
    # The sandbox stores uploaded images (it plays the remote server): keep them out of the tree.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo_flows(connection, sandbox_key, sandbox_media):
    """40 demo flows on the sandbox account behind `connection`, newest first: the same 40 on every
    run (seed 0), among them paused ones, silent ones and ones with a second button."""
    from sandbox.models import ApiAccount
    from sandbox.models import Flow as SandboxFlow

    make_flows(sandbox_key, 40)
    return SandboxFlow.objects.filter(account__in=ApiAccount.objects.with_key(sandbox_key)).order_by("-id")


@pytest.fixture
def flows(connection, sandbox_key, sandbox_media):
    """``flows(count)``: the sandbox account behind `connection` given seeded demo flows up to
    ``count`` in all; every flow of the account, oldest first."""
    return lambda count: make_flows(sandbox_key, count)


@pytest.fixture
def flow(flows):
    """The one demo flow of the sandbox account behind `connection`."""
    [only] = flows(1)
    return only


@pytest.fixture
def flow_id(flows):
    """The id of the oldest of three demo flows behind `connection` (a flow among others)."""
    return flows(3)[0].id


@pytest.fixture
def limited(connection, demo_flows, django_user_model):
    """An editor of `connection` limited to its first website; its flows and the others'."""
    person = django_user_model.objects.create_user("limited", password="correct horse battery")
    websites = sorted({flow.website.id for flow in demo_flows})
    Membership.objects.create(connection=connection, user=person, role=Role.EDITOR, websites=[websites[0]])
    client = Client()
    client.force_login(person)
    mine = [flow for flow in demo_flows if flow.website.id == websites[0]]
    theirs = [flow for flow in demo_flows if flow.website.id != websites[0]]
    return client, websites, mine, theirs


@pytest.fixture
def csp_errors(page):
    errors = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error"
            and ("Content Security Policy" in message.text or "Refused to" in message.text)
            else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield errors
    assert errors == [], "no CSP violation or script error on any page"


@pytest.fixture
def signed_in(page, live_server, connection, demo_flows, csp_errors):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#flows-table")).to_be_visible()
    return page


@pytest.fixture
def worker_process(sandbox_url):
    """Starts ``manage.py worker`` in a process of its own on the test database, as production
    runs it beside the web server; every one started is stopped after the test."""
    started = []

    def start(lease_seconds=60):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": f"sqlite:///{db.connection.settings_dict['NAME']}",
            "SANDBOX_URL": sandbox_url,
            "JOBS_LEASE_SECONDS": str(lease_seconds),
        }
        process = subprocess.Popen(
            [sys.executable, "manage.py", "worker", "--interval", "0.2"],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def checkout(tmp_path):
    """A copy of this working tree as a newcomer or an operator gets it: what git tracks and new
    files it does not ignore (no var/, no compiled catalogs, no staticfiles/), with the shared
    .venv linked in, in place of `python3 -m venv .venv && pip install`, which needs the network."""
    root = settings.BASE_DIR
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout.decode()
    copy = tmp_path / "pushdeck"
    for name in filter(None, listed.split("\0")):
        # A tracked file deleted from the working tree is not copied; nor is the .venv link.
        if (root / name).is_file() and not (root / name).is_symlink():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, copy / name)
    (copy / ".venv").symlink_to((root / ".venv").resolve())
    return copy


@pytest.fixture
def clock(monkeypatch):
    """Wall-clock time for the key's budget and the sandbox's window alike, one second into a
    window, which tests move on (``clock[0] += 61``) instead of waiting."""
    from sandbox import ratelimit

    now = [(time.time() // WINDOW + 1) * WINDOW + 1]
    monkeypatch.setattr("flows_app.api.budget.time.time", lambda: now[0])
    monkeypatch.setattr(ratelimit, "time", lambda: now[0])
    return now


@pytest.fixture
def people_spend():
    """``spend(connection, count)``: the connection's key spends ``count`` requests of this
    window as people using the dashboard would (a person's share each), the server having
    announced ``limit``."""

    def spend(connection, count, limit=60):
        key_budget = KeyBudget(connection.budget_key)
        key_budget.record(limit, limit)
        share = Policy(limit).per_person
        for number, start in enumerate(range(0, count, share)):
            key_budget.take(person(f"teammate-{number}"), min(share, count - start), write=True)
        # What the server's answer to the last of them said.
        key_budget.record(limit, limit - count)

    return spend


@pytest.fixture
def stub_client(stub):
    """The flows API client of a stub server's key, for the tests at the HTTP boundary."""
    return FlowsClient(stub.url, "key-abcdef-123456", timeout=2)


@pytest.fixture
def api(sandbox_url, sandbox_key):
    """The flows API client of the sandbox's test key, over real HTTP."""
    return FlowsClient(sandbox_url, sandbox_key, timeout=2)


@pytest.fixture
def pushes_fail_some(monkeypatch):
    """The sandbox engine fails 30 % of pushes. A flow's own failure share is drawn from its id
    (2-6 %), which depends on the tests run before it: 40 sends at 2 % fail none nearly one time
    in two, and a test counting on some failures would then fail."""
    from sandbox import engine

    monkeypatch.setattr(engine, "FAILED_SHARE", (0.3, 0.3))


@pytest.fixture
def rng():
    """A seeded random source for the sandbox engine: the same subscribers and outcomes each run."""
    return random.Random(27)


@pytest.fixture
def account(sandbox_key):
    """The sandbox's account behind the test key."""
    return ApiAccount.objects.with_key(sandbox_key).get()


@pytest.fixture
def website(account):
    """The first website of ``account`` (a module's own, where it defines one)."""
    return account.websites.order_by("id").first()


@pytest.fixture
def quiet_website(account, website):
    """The first website of the sandbox account with nobody subscribed and no log yet."""
    account.subscribers.all().delete()
    account.subscriber_logs.all().delete()
    return website


@pytest.fixture(scope="session")
def identity_provider(live_server, tmp_path_factory):
    """A real OpenID provider on loopback (oidc-provider, tests/identity.py) that knows live_server
    as its client, for the whole session: each test says who exists (``people``)."""
    from tests.identity import running_provider

    try:
        with running_provider(live_server.url, tmp_path_factory.mktemp("oidc")) as provider:
            yield provider
    except RuntimeError as error:
        pytest.fail(str(error))


@pytest.fixture
def oidc(identity_provider, settings):
    """Pushdeck configured to sign in with ``identity_provider``, which knows nobody yet."""
    from tests.identity import provider_settings

    identity_provider.people()
    provider_settings(settings, identity_provider.issuer)
    return identity_provider


@pytest.fixture
def smtp(settings):
    """A real SMTP server on loopback (aiosmtpd) that Pushdeck sends its mail to; ``smtp.messages``
    are what it received, parsed."""
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller

    from tests.identity import free_port

    class Inbox:
        messages = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            return "250 OK"

    inbox = Inbox()
    inbox.messages = []
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": controller.port, "timeout": 5},
        }
    }
    yield inbox
    controller.stop()
