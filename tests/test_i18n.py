"""Pushdeck in Simplified Chinese: the catalogs are whole, every page reads as Chinese (the flows'
own data aside), the language follows the browser or the user's choice, and app.js speaks it too.

PAGES is the table of pages checked in zh-hans. Each entry names the page and says how a user
reaches it (``ctx`` holds a zh-hans client signed in to a connection with demo flows on the
sandbox). Add a page there and it is checked both ways: with the browser asking for Chinese, and
for a user who chose Chinese in the account menu.
"""

import datetime as dt
import io
import json
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils import timezone, translation
from django.views import defaults
from playwright.sync_api import expect

from activity.history import record
from activity.models import Kind
from flows_app.models import SANDBOX, Connection, Membership, Preferences, Role
from sandbox.models import Subscriber as SandboxSubscriber
from sandbox.models import Website as SandboxWebsite
from teams.models import Invitation
from tests.bulk import stopped_job
from tests.helpers import HTMX, OTHER_SANDBOX_KEY, SANDBOX_KEY, UNSENDABLE_MAIL, fault
from tests.i18n import english_left
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_posting_to, form_with, toasts
from tests.trends_history import grow
from trends.snapshots import take_snapshot

ZH = "zh-hans"
CATALOGS = sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/*.po"))


# The catalogs


def catalog_entries(path):
    """Each entry of a .po file as (msgid, its translations, its flags, its source references)."""
    entries, entry, part = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry is not None:
                entries.append(entry)
            entry = None
            continue
        entry = entry or {"msgid": "", "msgstr": [], "flags": set(), "refs": []}
        if line.startswith("#,"):
            entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
        elif line.startswith("#:"):
            entry["refs"] += [ref.rsplit(":", 1)[0] for ref in line[2:].split()]
        elif line.startswith("#"):
            continue
        else:
            keyword, _, text = line.partition(" ") if not line.startswith('"') else (part, "", line)
            value = json.loads(text)
            if keyword.startswith("msgstr"):
                if keyword != part:
                    entry["msgstr"].append("")
                entry["msgstr"][-1] += value
            elif keyword == "msgid":
                entry["msgid"] += value
            part = keyword
    return [entry for entry in entries if entry["msgid"]]


def test_the_catalogs_exist_for_python_templates_and_javascript():
    assert {path.name for path in CATALOGS} >= {"django.po", "djangojs.po"}
    js = next(path for path in CATALOGS if path.name == "djangojs.po")
    assert any(e["refs"] == ["static/js/app.js"] for e in catalog_entries(js)), "app.js's texts are collected"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda path: f"{path.parent.parent.name}/{path.name}")
def test_no_entry_is_fuzzy_or_untranslated(path):
    entries = catalog_entries(path)
    assert len(entries) > 10, "the catalog has been collected (make messages)"
    fuzzy = [e["msgid"] for e in entries if "fuzzy" in e["flags"]]
    untranslated = [
        f"{e['msgid']}  ({', '.join(sorted(set(e['refs'])))})" for e in entries if not all(e["msgstr"])
    ]
    assert fuzzy == [], "fuzzy entries (check and translate, then remove the flag)"
    assert untranslated == [], f"{len(untranslated)} untranslated entries:\n" + "\n".join(untranslated)


def test_msgfmt_accepts_every_catalog_with_its_placeholders(tmp_path):
    for path in CATALOGS:
        done = subprocess.run(
            ["msgfmt", "--check", "--output-file", str(tmp_path / "out.mo"), str(path)],
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr


# Every page, in Chinese


@dataclass(frozen=True)
class Page:
    name: str
    # What the user does to get the page: a function of ctx, returning the response.
    visit: object
    status: int = 200
    signed_in: bool = True
    # Data a page quotes inside a sentence of ours, where no element can mark it translate="no":
    # the sandbox's own English words in a form error, a flow's name in a toast's plain text.
    # Each is a text, or a function of ctx giving one.
    quoted: tuple = field(default=())


def flows(ctx, name, *args):
    return reverse(f"flows:{name}", args=[ctx.connection.pk, *args])


def flow_form(ctx, page_url, **changes):
    """The form as the page offers it, with ``changes``: what a browser would submit."""
    fields = form_with(ctx.client.get(page_url).content.decode(), "title")
    return {**fields, **changes}


def second_connection(ctx, key=OTHER_SANDBOX_KEY, label="Second shop"):
    connection = Connection(owner=ctx.user, label=label, server=SANDBOX)
    connection.set_api_key(key)
    connection.save()
    return connection


def empty_list(ctx):
    # A connection whose account has websites but no flow yet.
    return ctx.client.get(reverse("flows:list", args=[second_connection(ctx).pk]))


def filtered_list(ctx):
    site = SandboxWebsite.objects.filter(flows__in=ctx.demo_flows).first()
    query = {"q": "e", "status": "paused", "sort": "-sent", "website": site.id, "segment": "all"}
    return ctx.client.get(flows(ctx, "list"), query)


def rejected_edit(ctx):
    data = flow_form(ctx, flows(ctx, "edit", ctx.flow.id), title="Changed")
    fault(SANDBOX_KEY, kind="status", status=422, methods="POST", remaining=1)
    return ctx.client.post(flows(ctx, "edit", ctx.flow.id), data)


def rejected_create(ctx):
    data = flow_form(ctx, flows(ctx, "new"), name="Welcome", title="Hello", description="Thanks.")
    fault(SANDBOX_KEY, kind="status", status=422, methods="POST", remaining=1)
    return ctx.client.post(flows(ctx, "new"), data)


def invalid_edit(ctx):
    data = flow_form(ctx, flows(ctx, "edit", ctx.flow.id), name="", wait_time="100", wait_time_type="days")
    data |= {"button_title_1": "Go", "button_url_1": "", "button_url_2": "ftp://x", "title": "x" * 70}
    return ctx.client.post(flows(ctx, "edit", ctx.flow.id), data)


def conflicting_edit(ctx):
    data = flow_form(ctx, flows(ctx, "edit", ctx.flow.id), title="Mine", fingerprint="stale")
    return ctx.client.post(flows(ctx, "edit", ctx.flow.id), data)


def toggled_without_javascript(ctx):
    ctx.client.post(flows(ctx, "toggle", ctx.flow.id), {"is_enabled": "0" if ctx.flow.is_enabled else "1"})
    return ctx.client.get(flows(ctx, "list"))


def upstream_failure(ctx, status):
    fault(SANDBOX_KEY, kind="status", status=status, methods="GET")
    return ctx.client.get(flows(ctx, "detail", ctx.flow.id), {"fresh": "1"})


def csrf_failure(ctx):
    strict = Client(enforce_csrf_checks=True, headers=ctx.headers)
    strict.force_login(ctx.user)
    return strict.post(reverse("connection_new"), {"label": "x"})


def django_error_page(view, **kwargs):
    """Django's own handler, rendering templates/<status>.html as it does for a real failure."""

    def visit(ctx):
        request = RequestFactory().get("/", headers=ctx.headers)
        request.user = ctx.user
        with translation.override(ctx.language):
            return view(request, **kwargs)

    return visit


def connection_rejected(ctx):
    return ctx.client.post(
        reverse("connection_new"), {"label": "Shop", "server": SANDBOX, "api_key": "wrong-key"}
    )


def people(ctx):
    """The People page of a site admin, a deactivation in its audit trail."""
    ctx.user.is_staff = True
    ctx.user.save()
    gone = get_user_model().objects.create_user("leaver")
    ctx.client.post(reverse("people_change"), {"person": gone.pk, "action": "deactivate"})
    return ctx.client.get(reverse("people"))


def people_invited(ctx):
    """The People page just after an invitation with a connection: its link, the pending list and
    the trail (the mail, with no SMTP server here, could not go: that is said too)."""
    ctx.user.is_staff = True
    ctx.user.save()
    with override_settings(MAILERS=UNSENDABLE_MAIL):
        return ctx.client.post(
            reverse("people_invite"),
            {"email": "ana@example.com", "connection": ctx.connection.pk, "role": "editor"},
        )


def people_invitation_refused(ctx):
    ctx.user.is_staff = True
    ctx.user.save()
    return ctx.client.post(reverse("people_invite"), {"email": "not an address", "role": "viewer"})


def join_an_account(ctx):
    ctx.user.is_staff = True
    ctx.user.save()
    invitation = Invitation(connection=None, created_by=ctx.user, email="ana@example.com")
    token = invitation.issue_token()
    invitation.save()
    return ctx.client.get(reverse("teams:join", args=[token]))


def login_with_provider(ctx):
    with override_settings(OIDC_ISSUER="https://id.example.com", OIDC_NAME=""):
        return ctx.client.get(reverse("login"))


PAGES = [
    Page("flows list", lambda ctx: ctx.client.get(flows(ctx, "list"))),
    Page("flows list, searched, filtered and sorted (chips)", filtered_list),
    Page(
        "flows list, nothing matches", lambda ctx: ctx.client.get(flows(ctx, "list"), {"q": "zzzz-nothing"})
    ),
    Page("flows list, past the last page", lambda ctx: ctx.client.get(flows(ctx, "list"), {"page": "99"})),
    Page("flows list, no flows yet", empty_list),
    Page("flows list, the table's htmx fragment", lambda ctx: ctx.client.get(flows(ctx, "list"), **HTMX)),
    Page(
        "flows list after a toggle without JavaScript (toast)",
        toggled_without_javascript,
        quoted=(lambda ctx: ctx.flow.name,),
    ),
    Page("flow detail", lambda ctx: ctx.client.get(flows(ctx, "detail", ctx.flow.id))),
    Page("new flow", lambda ctx: ctx.client.get(flows(ctx, "new"))),
    Page("new flow refused by the server", rejected_create, status=422),
    Page("edit flow", lambda ctx: ctx.client.get(flows(ctx, "edit", ctx.flow.id))),
    Page("edit flow with errors", invalid_edit, status=400),
    Page("edit flow refused by the server", rejected_edit, status=422),
    Page("edit flow, changed elsewhere (conflict)", conflicting_edit, status=409),
    Page("delete flow", lambda ctx: ctx.client.get(flows(ctx, "delete", ctx.flow.id))),
    Page("pause flow", lambda ctx: ctx.client.get(flows(ctx, "pause", ctx.flow.id))),
    Page("flow deliveries", lambda ctx: ctx.client.get(flows(ctx, "deliveries", ctx.flow.id))),
    Page(
        "website sequence",
        lambda ctx: ctx.client.get(reverse("sequence", args=[ctx.connection.pk, ctx.flow.website_id])),
    ),
    Page("duplicate flow", lambda ctx: ctx.client.get(flows(ctx, "duplicate", ctx.flow.id))),
    Page("websites overview", lambda ctx: ctx.client.get(reverse("websites", args=[ctx.connection.pk]))),
    Page("connections", lambda ctx: ctx.client.get(reverse("connections"))),
    Page("new connection", lambda ctx: ctx.client.get(reverse("connection_new"))),
    Page(
        "new connection, key refused",
        connection_rejected,
        status=400,
        quoted=("You do not have access to the API.",),
    ),
    Page("edit connection", lambda ctx: ctx.client.get(reverse("connection_edit", args=[ctx.connection.pk]))),
    Page(
        "delete connection",
        lambda ctx: ctx.client.get(reverse("connection_delete", args=[ctx.connection.pk])),
    ),
    Page("overview of every connection", lambda ctx: second_connection(ctx) and ctx.client.get("/")),
    Page("upstream error: rate limit", lambda ctx: upstream_failure(ctx, 429), status=429),
    Page("upstream error: server failing", lambda ctx: upstream_failure(ctx, 500), status=502),
    Page("upstream error: flow gone", lambda ctx: upstream_failure(ctx, 404), status=404),
    Page("error 404", lambda ctx: ctx.client.get("/no-such-page/"), status=404),
    Page("error 403, form expired (CSRF)", csrf_failure, status=403),
    Page("error 403", django_error_page(defaults.permission_denied, exception=None), status=403),
    Page("error 400", django_error_page(defaults.bad_request, exception=None), status=400),
    Page("error 500", django_error_page(defaults.server_error), status=500),
    Page("log in", lambda ctx: ctx.client.get(reverse("login")), signed_in=False),
    Page("log in, with the identity provider's button", login_with_provider, signed_in=False),
    Page("people, with the audit trail", people, quoted=("leaver",)),
    Page("people, an invitation made", people_invited, quoted=("ana@example.com", "marketer", "Sandbox")),
    Page("people, an invitation refused", people_invitation_refused, status=400, quoted=("ana@example.com",)),
    Page("join, an account only", join_an_account, signed_in=False),
    Page(
        "log in, wrong password",
        lambda ctx: ctx.client.post(reverse("login"), {"username": "marketer", "password": "nope"}),
        signed_in=False,
    ),
]


# The jobs, trends and teams apps


def bulk(ctx, **data):
    return ctx.client.post(flows(ctx, "bulk"), data)


def copy_questions(ctx):
    """A copy confirmed before its questions were answered: a segment without a namesake on the
    target website, and links to the old one."""
    websites = sorted({flow.website_id for flow in ctx.demo_flows})
    ids = [flow.id for flow in ctx.demo_flows if flow.website_id == websites[0] and flow.segment != "all"]
    return bulk(ctx, action="copy", ids=ids[:3], website=websites[1], confirmed="1")


def import_refused(ctx):
    file = io.BytesIO(b'{"format": "something else"}')
    file.name = "flows.json"
    website = ctx.demo_flows[0].website_id
    return ctx.client.post(flows(ctx, "import"), {"file": file, "website": website})


def running_job(ctx):
    started = bulk(ctx, action="pause", ids=[flow.id for flow in ctx.demo_flows[:2]])
    return ctx.client.get(started["Location"], **HTMX)


def with_history(ctx):
    """Three days of snapshots, the last flow's figures grown between them."""
    now = timezone.now()
    for days, sent in ((3, 0), (2, 12345), (1, 50), (0, 10)):
        grow(ctx.flow, sent, sent * 4 // 5, sent // 10)
        take_snapshot(ctx.connection, now - dt.timedelta(days=days))
    return ctx


def trends(ctx, query=None, website=None):
    with_history(ctx)
    if website:
        return ctx.client.get(reverse("trends:website", args=[ctx.connection.pk, ctx.flow.website_id]), query)
    return ctx.client.get(reverse("trends:connection", args=[ctx.connection.pk]), query)


def flow_chart(ctx, window):
    with_history(ctx)
    toggled = {"is_enabled": not ctx.flow.is_enabled}
    # The edit's label names who made it inside a sentence, in attributes too, where nothing can
    # mark the name translate="no": a Chinese team member's name.
    editor = get_user_model().objects.create_user("王芳")
    Membership.objects.create(connection=ctx.connection, user=editor, role=Role.EDITOR)
    record(
        editor,
        ctx.connection,
        Kind.FLOW_TOGGLE,
        flow_id=ctx.flow.id,
        before={"is_enabled": ctx.flow.is_enabled},
        after=toggled,
    )
    url = reverse("trends:flow", args=[ctx.connection.pk, ctx.flow.id])
    return ctx.client.get(url, {"range": window}, **HTMX)


def with_activity(ctx):
    flow = ctx.flow
    before = {
        "name": flow.name,
        "title": "Hello",
        "wait_time_type": "hours",
        "urgency": "normal",
        "ttl": 3600,
        "image": "",
        "is_silent": False,
    }
    after = {
        **before,
        "title": "Welcome",
        "wait_time_type": "days",
        "urgency": "high",
        "ttl": 86400,
        "image": "replaced",
        "is_silent": True,
    }
    record(ctx.user, ctx.connection, Kind.FLOW_EDIT, flow_id=flow.id, before=before, after=after)
    viewer = {"username": "wang", "role": "viewer", "websites": [3]}
    record(
        ctx.user,
        ctx.connection,
        Kind.MEMBER_CHANGE,
        before=viewer,
        after={**viewer, "role": "editor", "websites": []},
    )
    record(
        ctx.user,
        ctx.connection,
        Kind.CONNECTION_EDIT,
        before={"label": "Shop", "server": SANDBOX},
        after={"label": "Shop EU", "server": SANDBOX, "api_key": "replaced"},
    )
    return ctx


def invited(ctx):
    action = reverse("teams:invitation_new", args=[ctx.connection.pk])
    page = ctx.client.get(reverse("teams:members", args=[ctx.connection.pk])).content.decode()
    offered = [value for name, value in form_posting_to(page, action)["offered"] if name == "websites"]
    return ctx.client.post(action, {"note": "Ana", "role": "editor", "websites": offered[:2]})


def join_page(ctx):
    invitation = Invitation(connection=ctx.connection, created_by=ctx.user, role=Role.EDITOR)
    token = invitation.issue_token()
    invitation.save()
    return ctx.client.get(reverse("teams:join", args=[token]))


def as_viewer(ctx, url):
    viewer = get_user_model().objects.create_user("wang", password="correct horse battery")
    Membership.objects.create(connection=ctx.connection, user=viewer, role=Role.VIEWER)
    client = Client(headers=ctx.headers)
    client.force_login(viewer)
    if ctx.headers == {}:
        Preferences.objects.update_or_create(user=viewer, defaults={"language": ZH})
    return client.get(url)


def send_form(ctx, **headers):
    return ctx.client.get(reverse("sends:test", args=[ctx.connection.pk, ctx.flow.id]), **headers)


def sent_test(ctx, then_followed=False):
    """A test of the flow sent to the newest subscriber of its website, and the page following it."""
    url = reverse("sends:test", args=[ctx.connection.pk, ctx.flow.id])
    token = re.search(r'name="send_token" value="([^"]+)"', send_form(ctx, **HTMX).content.decode()).group(1)
    subscriber = SandboxSubscriber.objects.filter(website_id=ctx.flow.website_id).order_by("-id").first()
    sent = ctx.client.post(url, {"subscriber_id": subscriber.id, "send_token": token}, **HTMX)
    if not then_followed:
        return sent
    send_id = re.search(r"/tests/(\d+)/", sent.content.decode()).group(1)
    return ctx.client.get(reverse("sends:status", args=[send_id]), **HTMX)


SENDS = [
    Page(
        "subscribers and test devices",
        lambda ctx: ctx.client.get(reverse("sends:subscribers", args=[ctx.connection.pk]), {"recent": "1"}),
    ),
    Page("test send, its page", send_form),
    Page("test send, the form (htmx)", lambda ctx: send_form(ctx, **HTMX)),
    Page("test send, sent (htmx)", sent_test),
    Page("test send, followed (htmx)", lambda ctx: sent_test(ctx, then_followed=True)),
    Page(
        "test send, refused (htmx)",
        lambda ctx: ctx.client.post(reverse("sends:test", args=[ctx.connection.pk, ctx.flow.id]), {}, **HTMX),
        status=400,
    ),
]

APPS = [
    Page(
        "jobs list",
        lambda ctx: stopped_job(ctx) and ctx.client.get(reverse("connection_jobs", args=[ctx.connection.pk])),
    ),
    Page(
        "job stopped, its items' outcomes",
        lambda ctx: ctx.client.get(reverse("jobs:detail", args=[stopped_job(ctx).pk])),
    ),
    Page("job running (htmx status)", running_job),
    Page(
        "bulk delete, confirm",
        lambda ctx: bulk(ctx, action="delete", ids=[flow.id for flow in ctx.demo_flows[:7]]),
    ),
    Page(
        "bulk set on every match, confirm",
        lambda ctx: bulk(ctx, action="set", match="1", utm_campaign="spring", ttl="86400", urgency="high"),
    ),
    Page("bulk copy to another website, its questions", lambda ctx: copy_questions(ctx), status=400),
    Page("import form", lambda ctx: ctx.client.get(flows(ctx, "import"))),
    Page("import, a file refused", lambda ctx: import_refused(ctx), status=400),
    Page("trends of a connection", lambda ctx: trends(ctx)),
    Page("trends of a website, 48 hours", lambda ctx: trends(ctx, {"range": "48h"}, website=True)),
    Page("trends, dates refused", lambda ctx: trends(ctx, {"from": "2026-13-01", "to": "x"})),
    Page("flow chart with an edit, 7 days (htmx)", lambda ctx: flow_chart(ctx, "7d")),
    Page("flow chart, 48 hours (htmx)", lambda ctx: flow_chart(ctx, "48h")),
    Page("members, an invitation link made", invited),
    Page(
        "members, unknown username refused",
        lambda ctx: ctx.client.post(
            reverse("teams:member_add", args=[ctx.connection.pk]), {"username": "nobody", "role": "viewer"}
        ),
        status=400,
    ),
    Page("join by invitation", join_page, signed_in=False),
    Page(
        "join, link unknown",
        lambda ctx: ctx.client.get(reverse("teams:join", args=["not-a-token"])),
        status=404,
        signed_in=False,
    ),
    Page(
        "activity with diffs",
        lambda ctx: with_activity(ctx).client.get(reverse("teams:activity", args=[ctx.connection.pk])),
    ),
    Page(
        "a flow's history",
        lambda ctx: with_activity(ctx).client.get(
            reverse("teams:flow_activity", args=[ctx.connection.pk, ctx.flow.id])
        ),
    ),
    Page(
        "403 for a viewer (members)",
        lambda ctx: as_viewer(ctx, reverse("teams:members", args=[ctx.connection.pk])),
        status=403,
        # The reason names the connection inside its sentence (flows_app/access.py).
        quoted=("Sandbox",),
    ),
]
PAGES += APPS + SENDS


@pytest.fixture
def zh_context(connection, demo_flows, user, other_sandbox_key):
    def make(mode, signed_in=True):
        headers = {"accept-language": ZH} if mode == "browser" else {}
        client = Client(headers=headers)
        if signed_in:
            client.force_login(user)
            if mode == "preference":
                Preferences.objects.update_or_create(user=user, defaults={"language": ZH})
        elif mode == "preference":
            # Signed out, the choice is in the cookie the switch leaves (test_the_switch_...).
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = ZH
        flow = demo_flows.filter(is_enabled=True).first()
        return SimpleNamespace(
            client=client, user=user, connection=connection, demo_flows=demo_flows, flow=flow,
            headers=headers, language=ZH,
        )  # fmt: skip

    return make


@pytest.mark.parametrize("mode", ["browser", "preference"])
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_page_reads_in_chinese(zh_context, page, mode):
    ctx = zh_context(mode, page.signed_in)
    response = page.visit(ctx)
    assert response.status_code == page.status
    html = response.content.decode()
    if "<html" in html:
        assert f'<html lang="{ZH}"' in html
    for words in page.quoted:
        words = words(ctx) if callable(words) else words
        html = re.sub(rf"{re.escape(words)}[^<”]*", "", html)
    left = english_left(html)
    assert left == [], f"English left on {page.name}: {left}"
    assert re.search(r"[\u4e00-\u9fff]", html), "the page says something in Chinese"


def test_htmx_answers_toast_in_chinese(zh_context):
    ctx = zh_context("browser")
    deleted = ctx.client.post(flows(ctx, "delete", ctx.flow.id), **HTMX)
    assert toasts(deleted) and all(english_left(text) == [] for text in toasts(deleted))
    fault(SANDBOX_KEY, kind="status", status=503, methods="POST")
    other = ctx.demo_flows.exclude(pk=ctx.flow.pk).first()
    failed = ctx.client.post(flows(ctx, "toggle", other.id), {"is_enabled": "1"}, **HTMX)
    # A failed toggle says why in its row (the retargeted fragment).
    assert failed.status_code == 502 and failed["HX-Retarget"] == f"#flow-{other.id}-message"
    assert english_left(failed.content.decode()) == [] and "服务器" in failed.content.decode()
    fault(SANDBOX_KEY, kind="status", status=500, methods="GET")
    refreshed = ctx.client.get(flows(ctx, "detail", other.id), {"fresh": "1"}, **HTMX)
    assert toasts(refreshed) and all(english_left(text) == [] for text in toasts(refreshed))


def test_english_left_finds_what_is_not_translated(zh_context):
    """The check can fail: a page in English is full of English words."""
    ctx = zh_context("browser")
    english = Client()
    english.force_login(ctx.user)
    html = english.get(flows(ctx, "list")).content.decode()
    assert {"Flows", "Refresh", "Rows"} <= set(english_left(html))


# Numbers, dates and durations


def test_numbers_dates_and_durations_are_written_the_chinese_way(zh_context):
    ctx = zh_context("browser")
    html = ctx.client.get(flows(ctx, "detail", ctx.flow.id)).content.decode()
    wait = {"minutes": "分钟", "hours": "小时", "days": "天"}[ctx.flow.wait_time_type]
    assert f"订阅 {ctx.flow.wait_time} {wait}后发送" in html
    assert f"{ctx.flow.total_sent_push_notifications:,}" in html, "thousands grouped"
    created = ctx.flow.datetime
    assert f"{created.year}年{created.month}月{created.day}日" in html
    form = ctx.client.get(flows(ctx, "edit", ctx.flow.id)).content.decode()
    assert ">1 小时<" in form and ">2 周<" in form and ">最长 4 周<" in form, "the TTL choices"
    assert ">分钟<" in form and ">天<" in form, "the wait-time units"
    listed = ctx.client.get(flows(ctx, "list"), {"results_per_page": "100"}).content.decode()
    sent = next(flow for flow in ctx.demo_flows if flow.last_sent_datetime)
    moment = sent.last_sent_datetime
    assert f"{moment.month}月{moment.day}日 {moment:%H:%M}" in listed


def test_english_numbers_and_durations_stay_as_they_were(logged_in, connection, demo_flows):
    # A wait of one unit: the singular is what English writes differently.
    flow = demo_flows.first()
    flow.wait_time, flow.wait_time_type = 1, "days"
    flow.save()
    html = logged_in.get(reverse("flows:detail", args=[connection.pk, flow.pk])).content.decode()
    unit = flow.wait_time_type.removesuffix("s") if flow.wait_time == 1 else flow.wait_time_type
    assert f"Sent {flow.wait_time} {unit} after subscribing" in html
    form = logged_in.get(reverse("flows:edit", args=[connection.pk, flow.pk])).content.decode()
    assert ">1 hour<" in form and ">2 weeks<" in form and ">Up to 4 weeks (the longest)<" in form


# Choosing the language


def test_english_is_the_default_and_accept_language_picks_chinese(logged_in, connection):
    english = logged_in.get(reverse("connections")).content.decode()
    assert '<html lang="en"' in english and "Your connections" in english
    chinese = logged_in.get(reverse("connections"), headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert chinese["Content-Language"] == ZH
    assert f'<html lang="{ZH}"' in chinese.content.decode() and "你的连接" in chinese.content.decode()


def test_the_switch_is_remembered_for_the_user_across_sessions(client, user, connection):
    client.force_login(user)
    page = client.get(reverse("connections")).content.decode()
    switch = re.search(r'<form method="post" action="([^"]+)" class="language-switch">.*?</form>', page, re.S)
    assert switch and 'name="csrfmiddlewaretoken"' in switch.group(0), "a POST form with its CSRF token"
    assert f'value="{ZH}"' in switch.group(0)
    answer = client.post(switch.group(1), {"language": ZH, "next": reverse("connections")})
    assert answer.status_code == 302 and answer["Location"] == reverse("connections")
    assert Preferences.objects.get(user=user).language == ZH
    # A new session, another browser that asks for English: the choice stands.
    fresh = Client(headers={"accept-language": "en"})
    fresh.force_login(user)
    html = fresh.get(reverse("connections")).content.decode()
    assert f'<html lang="{ZH}"' in html and "你的连接" in html
    assert 'aria-pressed="true"' in re.search(rf'value="{ZH}"[^>]*>', html).group(0)
    assert "<span>English</span>" in html and "<span>简体中文</span>" in html, (
        "each language in its own words"
    )
    # Back to English the same way.
    fresh.post(reverse("language"), {"language": "en"})
    assert '<html lang="en"' in fresh.get(reverse("connections")).content.decode()


def test_after_signing_out_the_login_page_keeps_the_chosen_language(client, user, connection):
    client.force_login(user)
    client.post(reverse("language"), {"language": ZH})
    client.post(reverse("logout"))
    login = client.get(reverse("login")).content.decode()
    assert f'<html lang="{ZH}"' in login and "登录" in login


def test_the_switch_refuses_what_is_not_a_language_and_needs_a_user(client, user):
    assert client.post(reverse("language"), {"language": ZH}).status_code == 302  # to the login page
    client.force_login(user)
    assert client.post(reverse("language"), {"language": "xx"}).status_code == 400
    assert client.get(reverse("language")).status_code == 405
    assert (
        client.post(reverse("language"), {"language": ZH, "next": "https://evil.example/"})["Location"] == "/"
    )


def catalog_src(client, **headers):
    """The JavaScript catalog's URL as the login page names it, checked to load before app.js."""
    page = client.get(reverse("login"), headers=headers).content.decode()
    scripts = re.findall(r'<script src="([^"]+)"', page)
    catalog = next(i for i, src in enumerate(scripts) if src.startswith("/jsi18n/"))
    assert catalog < next(i for i, src in enumerate(scripts) if "app" in src), (
        "the catalog loads before app.js"
    )
    return scripts[catalog]


def test_the_javascript_catalog_is_a_script_file_in_the_page_language_kept_a_year(client):
    english, chinese = catalog_src(client), catalog_src(client, accept_language=ZH)
    assert english.startswith("/jsi18n/en/") and chinese.startswith(f"/jsi18n/{ZH}/")
    # The catalog is JSON in the script, its non-ASCII letters escaped.
    title = json.dumps("通知标题")[1:-1]
    for src, in_it in ((english, False), (chinese, True)):
        # The URL alone gives the language: this client's Accept-Language says the other one.
        answer = client.get(src, headers={"accept-language": "en" if in_it else ZH})
        assert answer.status_code == 200
        assert answer["Content-Type"].startswith("text/javascript")
        assert (title in answer.content.decode()) is in_it
        assert set(answer["Cache-Control"].split(", ")) == {"public", "max-age=31536000", "immutable"}
        # Nothing but the URL and gzip: a new cookie (a login) would otherwise fetch it again.
        assert answer["Vary"] == "Accept-Encoding"


def test_another_catalog_version_is_redirected_uncached_and_an_unknown_language_is_404(client):
    current = catalog_src(client, accept_language=ZH)
    # A page from before (or after) a deploy asks for a version this process does not serve.
    old = client.get(f"/jsi18n/{ZH}/0123456789ab.js")
    assert old.status_code == 302 and old["Location"] == current
    assert "no-cache" in old["Cache-Control"] and "immutable" not in old["Cache-Control"]
    version = current.rsplit("/", 1)[1]
    assert client.get(f"/jsi18n/fr/{version}").status_code == 404
    assert client.get(f"/jsi18n/xx/{version}").status_code == 404
    assert client.post(current).status_code == 405


# In the browser


@pytest.mark.e2e
def test_app_js_speaks_chinese_and_the_csp_stays_quiet(signed_in, live_server, connection, demo_flows):
    page = signed_in
    page.locator(".user-menu summary").click()
    page.locator(f'.language-switch button[value="{ZH}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", ZH)
    page.goto(f"{live_server.url}{reverse('flows:new', args=[connection.pk])}")
    expect(page.locator("[data-preview-title]")).to_have_text("通知标题")
    page.locator("#id_title").fill("长" * 70)
    expect(page.locator("#id_title_problem")).to_have_text("70 个字符，超出上限 64 共 6 个：请缩短后再保存。")  # noqa: RUF001
    page.locator("#id_image").set_input_files(
        {"name": "notes.txt", "mimeType": "text/plain", "buffer": b"not an image"}
    )
    expect(page.locator("#id_image_problem")).to_contain_text("不是 JPEG、PNG、GIF 或 WebP 图片")
