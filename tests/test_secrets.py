"""The full API key never appears in a response (page, fragment, error page, header), a log record
or the dashboard's database file, and no Authorization header is ever logged.

In process: every page, fragment and error page is walked with log records captured at DEBUG for
every logger (urllib3 and SQL included). Then a real run: gunicorn with a file database, where the
key is typed into the connection form, the pages are used, and the database file's bytes and the
server's own log output are searched.
"""

import logging
import re
import secrets
import tempfile
import time
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection as db

from bench.harness import Server, child_env, manage
from flows_app.models import Connection
from sandbox.models import ApiAccount
from tests.faults import FAULTS, hang_seconds, inject
from tests.helpers import HTMX, make_flows, png
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with


def leaks(text, key):
    """Where text shows the key: whole, or all of it but the last four characters that are shown."""
    found = []
    if key in text:
        found.append("the full key")
    if key[:-4] in text:
        found.append("the key's hidden part")
    if re.search(r"(?i)\bbearer\s+\S", text):
        found.append("a bearer token")
    if re.search(r"(?i)['\"]?authorization['\"]?\s*[:=]", text):
        found.append("an Authorization header")
    return found


@pytest.fixture
def all_logs(caplog):
    """Every log record of every logger at DEBUG, SQL statements with their parameters included."""
    caplog.set_level(logging.DEBUG)
    for name in ("urllib3", "urllib3.connectionpool", "requests", "django", "django.db.backends", "axes"):
        caplog.set_level(logging.DEBUG, logger=name)
    db.force_debug_cursor = True
    yield caplog
    db.force_debug_cursor = False


def remote(record):
    """SQL of the sandbox's own tables: the remote server's database, which does hold its keys
    (in production it is another machine; the real run below keeps the two databases apart)."""
    return record.name == "django.db.backends" and '"sandbox_' in record.getMessage()


def walk(client, connection, key, flow_id, settings):
    """Every page, fragment and error page a user of this connection can meet, with its answers."""
    c, base = connection.pk, f"/connections/{connection.pk}/flows/"
    answers = [
        client.get("/connections/"),
        client.get(f"/connections/{c}/edit/"),
        client.get(f"/connections/{c}/delete/"),
        client.get(base),
        client.get(base, **HTMX),
        client.get(f"{base}{flow_id}/"),
        client.get(f"{base}{flow_id}/edit/"),
        client.get(f"{base}{flow_id}/duplicate/"),
        client.get(f"{base}{flow_id}/delete/"),
        client.get(f"{base}new/"),
        client.post(f"{base}{flow_id}/toggle/", {"is_enabled": "0"}, **HTMX),
        client.post(f"{base}{flow_id}/toggle/", {"is_enabled": "1"}),
        client.get(f"{base}999999/"),
        client.get("/nowhere/"),
        # The key typed again, and refused: the form must not echo it back.
        client.post(f"/connections/{c}/edit/", {"label": "L", "server": "sandbox", "api_key": key + "x"}),
        client.post("/connections/new/", {"label": "L", "server": "sandbox", "api_key": key + "y"}),
    ]
    fields = form_with(client.get(f"{base}{flow_id}/edit/").content, "fingerprint")
    image = SimpleUploadedFile("p.png", png(color=(5, 5, 5)), content_type="image/png")
    answers.append(client.post(f"{base}{flow_id}/edit/", {**fields, "title": "Edited", "image": image}))
    for fault in FAULTS:
        inject(key, fault, settings, remaining=None)
        answers += [
            client.get(f"{base}?fresh=1"),
            client.get(f"{base}?fresh=1", **HTMX),
            client.get(f"{base}{flow_id}/"),
            client.post(f"{base}{flow_id}/toggle/", {"is_enabled": "0"}, **HTMX),
            client.post(f"{base}{flow_id}/edit/", {**fields, "title": "Again"}),
        ]
        time.sleep(hang_seconds(fault))
        ApiAccount.objects.with_key(key).get().faults.all().delete()
        cache.clear()  # a 429's spent budget must not hide the next fault
    return answers


@pytest.mark.live
def test_no_page_fragment_error_page_or_log_record_shows_the_key(
    logged_in, connection, sandbox_key, sandbox_media, settings, all_logs
):
    make_flows(sandbox_key, 2)
    flow_id = ApiAccount.objects.with_key(sandbox_key).get().flows.first().id
    answers = walk(logged_in, connection, sandbox_key, flow_id, settings)
    assert len(answers) > 60
    for response in answers:
        shown = response.content.decode(errors="replace") + str(dict(response.items()))
        assert leaks(shown, sandbox_key) == [], (response.status_code, response.request["PATH_INFO"])
    records = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in all_logs.records
        if not remote(record)
    )
    assert any(record.name.startswith("urllib3") for record in all_logs.records), "urllib3 was not captured"
    assert "SELECT" in records, "SQL statements were not captured"
    assert leaks(records, sandbox_key) == []


def test_the_leak_check_sees_each_kind_of_leak(sandbox_key):
    assert leaks(f"{{'Authorization': 'Bearer {sandbox_key}'}}", sandbox_key) == [
        "the full key",
        "the key's hidden part",
        "a bearer token",
        "an Authorization header",
    ]
    assert leaks(f"key ••••{sandbox_key[-4:]}", sandbox_key) == []


def test_a_bearer_token_logged_by_mistake_is_redacted_on_output(sandbox_key):
    [console] = [
        handler for handler in logging.getLogger().handlers if type(handler) is logging.StreamHandler
    ]
    record = logging.LogRecord(
        "urllib3", logging.DEBUG, __file__, 1, "sent %s", (f"Bearer {sandbox_key}",), None
    )
    assert all(check.filter(record) for check in console.filters)
    shown = console.format(record)
    assert sandbox_key not in shown and sandbox_key[:-4] not in shown
    assert shown.endswith("Bearer [redacted]")


def test_a_server_error_page_and_its_log_do_not_show_the_key(
    logged_in, connection, sandbox_key, all_logs, monkeypatch
):
    from flows_app.api import FlowsService

    def broken(self, *args, **kwargs):
        raise RuntimeError(f"failed on {self.client.base_url}")

    monkeypatch.setattr(FlowsService, "list_flows", broken)
    logged_in.raise_request_exception = False
    response = logged_in.get(f"/connections/{connection.pk}/flows/")
    assert response.status_code == 500
    assert leaks(response.content.decode(), sandbox_key) == []
    assert "Internal Server Error" in all_logs.text
    assert leaks(all_logs.text, sandbox_key) == []


def test_the_stored_key_is_sealed_in_its_row(connection, sandbox_key):
    row = Connection.objects.filter(pk=connection.pk).values().get()
    assert leaks(str(row), sandbox_key) == []
    assert row["api_key_last4"] == sandbox_key[-4:]


# A real run: gunicorn, a database file, the key typed into the form.


def test_the_database_file_and_server_logs_of_a_real_run_never_hold_the_key():
    key = "live-secret-" + secrets.token_hex(20)
    password = secrets.token_urlsafe(12)
    with tempfile.TemporaryDirectory(prefix="pushdeck-secrets-") as folder:
        workdir = Path(folder)
        # The API server is another machine: its own database, which does hold the key.
        api_env = child_env(workdir / "api.sqlite3")
        dash_env = {**child_env(workdir / "dashboard.sqlite3"), "LOG_LEVEL": "DEBUG"}
        for env in (api_env, dash_env):
            manage(env, "migrate", "--no-input", "-v", "0")
        manage(api_env, "sandbox_create_key", "--key", key, "-v", "0")
        manage(api_env, "sandbox_demo", "--key", key, "--flows", "3", "-v", "0")
        script = f"from django.contrib.auth.models import User; User.objects.create_user('alice', password={password!r})"
        manage(dash_env, "shell", "-c", script)
        api = Server("api", api_env, workdir)
        dashboard = Server("dashboard", {**dash_env, "SANDBOX_URL": f"{api.url}/sandbox"}, workdir)
        try:
            for server in (api, dashboard):
                server.start()
            api.wait_ready("/sandbox/api/flows/")
            dashboard.wait_ready("/accounts/login/")
            use_the_dashboard(dashboard.url, key, password)
        finally:
            dashboard.stop()
            api.stop()
        stored = b"".join(path.read_bytes() for path in workdir.glob("dashboard.sqlite3*"))
        assert key.encode() not in stored and key[:-4].encode() not in stored
        assert b"v1:" in stored, "the sealed key is in the file, so the search looked in the right place"
        log = dashboard.output.read_text(errors="replace")
        assert "/connections/" in log, "the dashboard's log was captured"
        assert leaks(log, key) == []


def use_the_dashboard(base, key, password):
    with requests.Session() as browser:
        page = browser.get(f"{base}/accounts/login/", timeout=10)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        browser.post(
            f"{base}/accounts/login/",
            data={"csrfmiddlewaretoken": token, "username": "alice", "password": password},
            timeout=10,
        )
        form = form_with(browser.get(f"{base}/connections/new/", timeout=10).text, "api_key")
        added = browser.post(
            f"{base}/connections/new/",
            data={**form, "label": "Live", "server": "sandbox", "api_key": key},
            timeout=10,
        )
        assert added.status_code == 200 and "/flows/" in added.url, added.text[-500:]
        pages = [added]
        flows = added.url
        pages.append(browser.get(flows, timeout=10))
        flow_id = re.search(r'id="toggle-(\d+)"', pages[-1].text).group(1)
        headers = {"X-CSRFToken": browser.cookies["csrftoken"], "HX-Request": "true"}
        pages.append(
            browser.post(f"{flows}{flow_id}/toggle/", data={"is_enabled": "0"}, headers=headers, timeout=10)
        )
        for path in (f"{flow_id}/", f"{flow_id}/edit/", "new/", "999999/"):
            pages.append(browser.get(flows + path, timeout=10))
        pages.append(browser.get(f"{base}/connections/", timeout=10))
        for response in pages:
            assert leaks(response.text + str(dict(response.headers)), key) == [], response.url


# Subscribers' endpoints and IPs (API_CONTRACT.md, "Subscribers, their logs and personal
# notifications"): planted on the sandbox, searched for everywhere Pushdeck could keep them.

ENDPOINT_CANARY = "endpoint-CANARY-91c2"
PLANTED_IP = "198.51.100.213"


def dashboard_rows():
    """Every row of the dashboard's own tables (the sandbox's are the remote server's), as text."""
    with db.cursor() as cursor:
        tables = [name for name in db.introspection.table_names(cursor) if not name.startswith("sandbox_")]
        rows = []
        for table in tables:
            cursor.execute(f"SELECT * FROM {db.ops.quote_name(table)}")  # noqa: S608 (names from the schema)
            rows.append(f"{table} {cursor.fetchall()}")
    return "\n".join(rows)


def test_no_subscribers_endpoint_keys_or_whole_ip_reach_a_record_log_line_cache_or_the_database(
    connection, sandbox_key, all_logs
):
    from flows_app.api import connect
    from sandbox.models import Subscriber, SubscriberLog

    subscribers = Subscriber.objects.filter(account__in=ApiAccount.objects.with_key(sandbox_key))
    subscribers.update(
        endpoint_url=f"https://fcm.googleapis.com/fcm/send/{ENDPOINT_CANARY}-url",
        endpoint_p256dh=f"{ENDPOINT_CANARY}-p256dh",
        endpoint_auth=f"{ENDPOINT_CANARY}-auth",
        unique_endpoint_id=f"{ENDPOINT_CANARY}-id",
        ip=PLANTED_IP,
    )
    SubscriberLog.objects.filter(account__in=ApiAccount.objects.with_key(sandbox_key)).update(ip=PLANTED_IP)
    first = subscribers.order_by("id").first()
    service = connect(connection)
    sent = service.send_personal_notification(
        {
            "website_id": first.website_id,
            "subscriber_id": first.id,
            "name": "N",
            "title": "T",
            "description": "D",
        }
    )
    records = [
        service.list_subscribers(1, 100),
        service.get_subscriber(first.id),
        service.list_logs(1, 100, subscriber_id=first.id),
        service.log_counts(("subscribed", "push_notification_sent"), website_id=first.website_id),
        service.list_personal_notifications(),
        service.get_personal_notification(sent.id),
        sent,
    ]
    service.delete_personal_notification(sent.id)
    kept = repr(records)
    assert "198.51.*.*" in kept, "the masked IP is what is kept"
    stored = b"".join(value for value in cache._cache.values() if isinstance(value, bytes))
    assert b"198.51.*.*" in stored, "the subscribers and logs were cached"
    lines = "\n".join(
        f"{record.name} {record.getMessage()} {record.exc_text or ''}"
        for record in all_logs.records
        if not remote(record)
    )
    assert "flows_app_ratewindow" in lines, "the dashboard's SQL statements were captured"
    for shown in (kept, stored.decode(errors="replace"), lines, dashboard_rows()):
        assert ENDPOINT_CANARY not in shown and PLANTED_IP not in shown and "100.213" not in shown
