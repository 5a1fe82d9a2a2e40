"""The jobs, trends and teams pages in Simplified Chinese: no English word a user reads is left
(the flows' own data, names and the server's words aside, marked translate="no"), the chart's
dates and numbers are written as the language writes them, and English stays the default."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone

from dashboard.formats.zh_Hans import formats as zh_formats
from jobs import bulk
from jobs.models import BulkItem, BulkJob, note, server_words
from sandbox.models import ApiAccount, Fault
from teams.activity import record
from teams.models import Kind, Membership, Role
from tests.i18n import english_left
from tests.pages import visible_text
from tests.test_bulk_jobs import work
from tests.trends_history import grow, history_fixture  # noqa: F401 -- the history fixture
from trends.snapshots import take_snapshot

ZH = {"Accept-Language": "zh-hans"}
HTMX = {"HX-Request": "true"}


def zh(client, url, data=None, **headers):
    if data is not None:
        return client.post(url, data, headers={**ZH, **headers})
    return client.get(url, headers={**ZH, **headers})


def content(response, status=200):
    html = response.content.decode()
    assert response.status_code == status, (response.status_code, html[:300])
    return html


def no_english(html, where=""):
    left = english_left(html)
    assert left == [], (where, left)


@pytest.fixture(name="job")
def job_fixture(connection, user, demo_flows):
    """A delete job stopped half-way: one flow deleted, one already gone, one refused by the
    server, one refused as of another website, one waiting to be tried again, one cancelled."""
    flows = list(demo_flows[:6])
    job = BulkJob.objects.create(
        connection=connection,
        created_by=user,
        action=BulkJob.Action.DELETE,
        fingerprint="i18n",
        state=BulkJob.State.STOPPED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        **note("The server refused the connection's API key: %(reason)s", reason="Invalid API key"),
    )
    outcomes = [
        (BulkItem.State.DONE, note("Deleted.")),
        (BulkItem.State.DONE, note("Already deleted.")),
        (BulkItem.State.FAILED, server_words("Flow is locked by another request")),
        (
            BulkItem.State.FAILED,
            note("Not one of the websites you may change (%(allowed)s): left as it was.", allowed="#3"),
        ),
        (BulkItem.State.PENDING, note("Trying again: %(reason)s", reason="Service Unavailable")),
        (BulkItem.State.SKIPPED, server_words("")),
    ]
    for flow, (state, message) in zip(flows, outcomes, strict=True):
        BulkItem.objects.create(job=job, flow_id=flow.id, name=flow.name, state=state, **message)
    return job


def test_the_jobs_list_and_a_job_with_its_errors_read_in_chinese(logged_in, connection, job):
    listing = content(zh(logged_in, reverse("connection_jobs", args=[connection.pk])))
    no_english(listing)
    assert "删除" in listing and "已停止" in listing
    page = content(zh(logged_in, reverse("jobs:detail", args=[job.pk])))
    no_english(page)
    # The notes the worker wrote in no language are read in the reader's; the server's words as they came.
    assert "已删除。" in page and "Flow is locked by another request" in page
    assert "服务器拒绝了该连接的 API 密钥" in page and "#3" in page
    # English stays the default.
    english = visible_text(logged_in.get(reverse("jobs:detail", args=[job.pk])).content)
    assert "Already deleted." in english
    assert "Stopped. The server refused the connection's API key: Invalid API key" in english


def test_the_servers_troubles_are_told_in_the_language_the_job_was_started_in(
    logged_in, connection, demo_flows, sandbox_key, monkeypatch
):
    monkeypatch.setattr(bulk, "UNAVAILABLE_PAUSE", 0.2)
    account = ApiAccount.objects.with_key(sandbox_key).get()
    Fault.objects.create(account=account, kind="status", status=503, methods="POST", remaining=bulk.ATTEMPTS)
    ids = [flow.id for flow in demo_flows[:2]]
    response = zh(logged_in, f"/connections/{connection.pk}/flows/bulk/", {"action": "pause", "ids": ids})
    assert response.status_code == 302
    work()
    failed = BulkItem.objects.get(state=BulkItem.State.FAILED)
    assert failed.job.language == "zh-hans"
    page = content(zh(logged_in, response["Location"]))
    no_english(page)
    assert "流程服务器出现问题" in page and "HTTP 503" in page


def test_a_running_jobs_status_and_the_bulk_confirmation_read_in_chinese(logged_in, connection, demo_flows):
    ids = [flow.id for flow in demo_flows[:7]]
    confirm = zh(logged_in, f"/connections/{connection.pk}/flows/bulk/", {"action": "delete", "ids": ids})
    no_english(content(confirm))
    assert "删除 7 个流程" in content(confirm)
    settable = zh(
        logged_in,
        f"/connections/{connection.pk}/flows/bulk/",
        {"action": "set", "match": "1", "utm_campaign": "spring", "ttl": "86400", "urgency": "high"},
    )
    no_english(content(settable))
    response = zh(logged_in, f"/connections/{connection.pk}/flows/bulk/", {"action": "pause", "ids": ids[:2]})
    assert response.status_code == 302
    status = zh(logged_in, response["Location"], **HTMX)
    no_english(content(status))
    assert "排队中" in content(status) or "进行中" in content(status)


def test_bulk_form_errors_read_in_chinese(logged_in, connection, demo_flows):
    response = zh(
        logged_in, f"/connections/{connection.pk}/flows/bulk/", {"action": "set", "ids": [demo_flows[0].id]}
    )
    assert response.status_code == 302
    shown = [str(message) for message in response.wsgi_request._messages]
    assert shown and not any(english_left(message) for message in shown), shown


@pytest.fixture
def big_history(connection, demo_flows):
    """Ten thousands of sends yesterday, so that the chart's numbers need grouping."""
    now = timezone.now()
    flow = demo_flows[0]
    take_snapshot(connection, now - dt.timedelta(days=2))
    grow(flow, 12345, 11000, 1234)
    take_snapshot(connection, now - dt.timedelta(days=1))
    return flow


def test_the_trends_pages_read_in_chinese(logged_in, connection, history):
    flow = history[0]
    for url in (
        reverse("trends:connection", args=[connection.pk]),
        reverse("trends:website", args=[connection.pk, flow.website_id]),
        reverse("trends:connection", args=[connection.pk]) + "?range=48h",
        reverse("trends:connection", args=[connection.pk]) + "?from=2026-13-01&to=x",
    ):
        page = content(zh(logged_in, url))
        no_english(page, url)
    for window in ("7d", "48h", "90d"):
        fragment = content(
            zh(logged_in, reverse("trends:flow", args=[connection.pk, flow.id]) + f"?range={window}", **HTMX)
        )
        no_english(fragment, window)
    assert "48 小时" in fragment and "7 天" in fragment


def test_the_flows_chart_names_its_edits_in_chinese(logged_in, connection, history, django_user_model):
    flow = history[0]
    editor = django_user_model.objects.create_user("王芳")
    Membership.objects.create(connection=connection, user=editor, role=Role.EDITOR)
    record(
        editor,
        connection,
        Kind.FLOW_TOGGLE,
        flow_id=flow.id,
        before={"is_enabled": True},
        after={"is_enabled": False},
    )
    record(
        editor,
        connection,
        Kind.FLOW_EDIT,
        flow_id=flow.id,
        before={"utm_campaign": "a", "ttl": 3600},
        after={"utm_campaign": "b", "ttl": 86400},
    )
    fragment = content(
        zh(logged_in, reverse("trends:flow", args=[connection.pk, flow.id]) + "?range=7d", **HTMX)
    )
    no_english(fragment)
    assert "王芳 暂停了该流程" in fragment


def test_the_charts_dates_and_numbers_are_written_as_the_language_writes_them(
    logged_in, connection, big_history, monkeypatch
):
    url = reverse("trends:flow", args=[connection.pk, big_history.id]) + "?range=7d"
    chinese = content(zh(logged_in, url, **HTMX))
    english = logged_in.get(url, headers=HTMX).content.decode()
    yesterday = (timezone.now() - dt.timedelta(days=1)).astimezone(dt.UTC)
    today = timezone.now().astimezone(dt.UTC)
    axis = re.compile(r'<text x="[\d.]+" y="\d+">([^<]+)</text>')
    # The days on the time axis: 12月3日 in Chinese, Dec 3 in English.
    assert all(re.fullmatch(r"\d{1,2}月\d{1,2}日", label) for label in axis.findall(chinese)), axis.findall(
        chinese
    )
    assert f"{today.month}月{today.day}日" in axis.findall(chinese)
    assert f"{today:%b} {today.day}" in axis.findall(english)
    # A day in full, in the tooltips and the table: 2026年12月3日 星期四 (or as translated).
    assert f"{yesterday.year}年{yesterday.month}月{yesterday.day}日" in chinese
    # Numbers as the language's format module writes them (dashboard/formats: 12,345 in both)...
    assert "已发送\N{FULLWIDTH COLON}12,345" in chinese and "Sent: 12,345" in english
    assert ">20,000<" in english and ">20,000<" in chinese  # the axis's top
    # ... whatever it says: with thin spaces between thousands, the chart follows.
    monkeypatch.setattr(zh_formats, "THOUSAND_SEPARATOR", "\N{THIN SPACE}")
    formats.reset_format_cache()
    spaced = content(zh(logged_in, url, **HTMX))
    assert "已发送\N{FULLWIDTH COLON}12\N{THIN SPACE}345" in spaced and ">20\N{THIN SPACE}000<" in spaced
    formats.reset_format_cache()


@pytest.fixture
def team(connection, user, django_user_model):
    viewer = django_user_model.objects.create_user("王芳", password="correct horse battery")
    Membership.objects.create(connection=connection, user=viewer, role=Role.VIEWER, websites=[3, 7])
    return viewer


def test_the_members_page_and_its_invitations_read_in_chinese(logged_in, connection, team):
    made = zh(
        logged_in,
        reverse("teams:invitation_new", args=[connection.pk]),
        {"note": "Ana", "role": "editor", "websites": "2, 3"},
    )
    page = content(made)
    no_english(page)
    assert "查看者" in page and "编辑者" in page and "邀请" in page
    refused = zh(
        logged_in, reverse("teams:member_add", args=[connection.pk]), {"username": "nobody", "role": "viewer"}
    )
    no_english(content(refused, 400))
    token = re.search(r"/invitations/([^/\"]+)/", page)[1]
    join = content(zh(Client(), reverse("teams:join", args=[token])))
    no_english(join)
    assert "加入" in join
    gone = content(zh(Client(), reverse("teams:join", args=["not-a-token"])), 404)
    no_english(gone)


def test_the_activity_history_and_its_diffs_read_in_chinese(logged_in, connection, user, team, demo_flows):
    flow = demo_flows[0]
    record(
        user,
        connection,
        Kind.FLOW_EDIT,
        flow_id=flow.id,
        before={
            "name": flow.name,
            "title": "Hello",
            "wait_time_type": "hours",
            "urgency": "normal",
            "ttl": 3600,
            "image": "",
            "is_silent": False,
        },
        after={
            "name": flow.name,
            "title": "Welcome",
            "wait_time_type": "days",
            "urgency": "high",
            "ttl": 86400,
            "image": "replaced",
            "is_silent": True,
        },
    )
    record(
        user,
        connection,
        Kind.MEMBER_CHANGE,
        before={"username": "王芳", "role": "viewer", "websites": [3]},
        after={"username": "王芳", "role": "editor", "websites": []},
    )
    record(
        user,
        connection,
        Kind.CONNECTION_EDIT,
        before={"label": "Shop", "server": "sandbox"},
        after={"label": "Shop EU", "server": "sandbox", "api_key": "replaced"},
    )
    for url in (
        reverse("teams:activity", args=[connection.pk]),
        reverse("teams:flow_activity", args=[connection.pk, flow.id]),
    ):
        page = content(zh(logged_in, url))
        no_english(page, url)
    assert "编辑者" in page or "编辑者" in content(
        zh(logged_in, reverse("teams:activity", args=[connection.pk]))
    )


def test_a_viewer_is_told_in_chinese_which_role_a_page_needs(connection, team):
    # The reason names the connection inside its sentence (flows_app/access.py), unmarked: a
    # Chinese team's label, so that only the page's own words are judged here.
    connection.label = "网店"
    connection.save()
    client = Client()
    client.force_login(team)
    for url in (
        reverse("teams:members", args=[connection.pk]),
        f"/connections/{connection.pk}/flows/new/",
    ):
        page = content(zh(client, url), 403)
        no_english(page, url)
        assert "查看者" in page and ("管理员" in page or "编辑者" in page)
