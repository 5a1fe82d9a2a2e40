"""The jobs, trends and teams apps in Simplified Chinese, beyond their pages in tests/test_i18n.py's
table: the worker's notes are read in each reader's language and the server's troubles in the
language the job was started in, the chart's dates and numbers are written as the language writes
them, bulk errors are Chinese, and English stays the default."""

import datetime as dt
import re
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import formats, timezone

from activity.models import Activity, Kind
from dashboard.formats.zh_Hans import formats as zh_formats
from flows_app.models import SANDBOX, Connection, Membership, Preferences, Role
from jobs import bulk
from jobs.models import BulkItem, WorkerBeat
from sandbox.models import ApiAccount, Fault
from teams.models import Invitation
from tests.bulk import stopped_job, work
from tests.helpers import HTMX_HEADER
from tests.i18n import english_left
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import visible_text
from tests.trends_history import grow, history_fixture  # noqa: F401 -- the history fixture
from trends.snapshots import take_snapshot

ZH = {"Accept-Language": "zh-hans"}


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


def test_the_workers_notes_are_read_in_the_readers_language(logged_in, connection, user, demo_flows):
    job = stopped_job(SimpleNamespace(connection=connection, user=user, demo_flows=demo_flows))
    page = content(zh(logged_in, reverse("jobs:detail", args=[job.pk])))
    no_english(page)
    # The notes the worker wrote in no language are read in the reader's; the server's words as they came.
    assert "已删除。" in page and "Flow is locked by another request" in page
    assert "服务器拒绝了该连接的 API 密钥" in page and "#3" in page
    # English stays the default.
    english = visible_text(logged_in.get(reverse("jobs:detail", args=[job.pk])).content)
    assert "Already deleted." in english
    assert "Stopped. The server refused the connection's API key: Invalid API key" in english


@pytest.mark.live
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
    assert "推送服务器出现问题" in page and "HTTP 503" in page


def test_a_running_jobs_page_is_punctuated_as_chinese_is_written(logged_in, connection, demo_flows):
    now = timezone.now()
    WorkerBeat.objects.create(worker_id="w", hostname="here", pid=1, started_at=now, beat_at=now)
    ids = [flow.id for flow in demo_flows[:2]]
    response = zh(
        logged_in,
        f"/connections/{connection.pk}/flows/bulk/",
        {"action": "set", "ids": ids, "utm_source": "push"},
    )
    assert response.status_code == 302
    page = visible_text(content(zh(logged_in, response["Location"])))
    # A percent sign right after its number, full-width colons, and no space between two sentences.
    assert "0%" in page and "0 %" not in page
    assert "UTM 来源：push" in page  # noqa: RUF001
    assert "分钟。任务" in page and "分钟。 " not in page


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


def test_the_charts_dates_and_numbers_are_written_as_the_language_writes_them(
    logged_in, connection, big_history, monkeypatch
):
    url = reverse("trends:flow", args=[connection.pk, big_history.id]) + "?range=7d"
    chinese = content(zh(logged_in, url, **HTMX_HEADER))
    english = logged_in.get(url, headers=HTMX_HEADER).content.decode()
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
    spaced = content(zh(logged_in, url, **HTMX_HEADER))
    assert "已发送\N{FULLWIDTH COLON}12\N{THIN SPACE}345" in spaced and ">20\N{THIN SPACE}000<" in spaced
    formats.reset_format_cache()


def test_the_admin_pages_of_pushdecks_own_records_read_in_chinese(client, django_user_model):
    """/admin/ for those who run the server: Django writes its own words, Pushdeck names its
    records and their fields. The records here are named in Chinese, so that any English is ours."""
    operator = django_user_model.objects.create_superuser("管理员", password="correct horse battery")
    member = django_user_model.objects.create_user("小王", password="correct horse battery")
    connection = Connection(owner=operator, label="主站", server=SANDBOX)
    connection.set_api_key("sandbox-key-2024")
    connection.save()
    membership = Membership.objects.create(connection=connection, user=member, role=Role.EDITOR, websites=[3])
    invitation = Invitation(connection=connection, role=Role.VIEWER, note="给市场部", created_by=operator)
    invitation.issue_token()
    invitation.save()
    Activity.objects.create(
        connection=connection,
        connection_label="主站",
        user=operator,
        username="管理员",
        kind=Kind.FLOW_TOGGLE,
    )
    preferences = Preferences.objects.create(user=member)
    client.force_login(operator)
    pages = [
        reverse("admin:app_list", args=["flows_app"]),
        reverse("admin:app_list", args=["teams"]),
        reverse("admin:flows_app_connection_changelist"),
        reverse("admin:flows_app_connection_change", args=[connection.pk]),
        reverse("admin:flows_app_preferences_changelist"),
        reverse("admin:flows_app_preferences_change", args=[preferences.pk]),
        reverse("admin:flows_app_membership_changelist"),
        reverse("admin:flows_app_membership_change", args=[membership.pk]),
        reverse("admin:teams_invitation_changelist"),
        reverse("admin:activity_activity_changelist"),
    ]
    for page in pages:
        html = content(zh(client, page))
        # The sidebar lists every app, the sandbox's and django-axes' too (not Pushdeck's words).
        html = re.sub(r'<nav class="sticky" id="nav-sidebar".*?</nav>', "", html, flags=re.S)
        # Django's own English: its icons' alt texts (True, False, Search) and one text its
        # Chinese catalog does not have yet.
        html = re.sub(r'<img src="/static/admin/img/[^"]+" alt="[^"]*">', "", html)
        html = html.replace("- Select an option -", "")
        # Each language is named in itself, as in the account menu.
        html = html.replace(">English</option>", "></option>")
        no_english(html, page)
