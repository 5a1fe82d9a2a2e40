"""Content-Security-Policy, from Django 6's middleware (settings.SECURE_CSP): script-src 'self',
no inline script or style anywhere, frame-ancestors 'none'. Checked on every page, fragment and
error page: the header is there, and no rendered HTML needs what the policy forbids. A browser
walk asserts that Chromium reports no violation at all."""

import importlib
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

import dashboard.settings
from flows_app.api import FlowsService
from sandbox.models import ApiAccount, Fault
from tests.helpers import HTMX, make_flows, png
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with


class InlineCode(HTMLParser):
    """Everything in a page that a strict policy refuses: inline scripts, styles and handlers."""

    def __init__(self):
        super().__init__()
        self.problems = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self._script = a
            kind = (a.get("type") or "text/javascript").lower()
            if "src" not in a and kind not in ("application/json", "importmap"):
                self.problems.append("<script> without src")
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f"style= on <{tag}>")
            if name.startswith("on"):
                self.problems.append(f"{name}= on <{tag}>")
            if name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name}= (htmx evaluates it as code) on <{tag}>")
            if name in ("hx-vals", "hx-vars") and value and value.lstrip().startswith(("js:", "javascript:")):
                self.problems.append(f"{name}= with code on <{tag}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"javascript: URL in {name}= on <{tag}>")


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    return parser.problems


def directives(header):
    policy = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            policy[words[0]] = set(words[1:])
    return policy


@pytest.fixture
def ctx(logged_in, connection, sandbox_key, sandbox_media):
    make_flows(sandbox_key, 3)
    account = ApiAccount.objects.with_key(sandbox_key).get()
    flow = account.flows.order_by("id").first()
    flow.button_title_2 = flow.button_url_2 = ""
    flow.save()
    base = f"/connections/{connection.pk}/flows/"
    return {
        "client": logged_in,
        "account": account,
        "flow": flow,
        "base": base,
        "flow_url": f"{base}{flow.id}/",
    }


def fault(ctx, **fields):
    Fault.objects.create(account=ctx["account"], **fields)


def edit_data(ctx):
    return form_with(ctx["client"].get(ctx["flow_url"] + "edit/").content, "fingerprint")


def new_data(ctx):
    fields = form_with(ctx["client"].get(ctx["base"] + "new/").content, "form_token")
    return {**fields, "website_id": ctx["flow"].website_id, "name": "N", "title": "T", "description": "D"}


def conflict_page(ctx):
    data = edit_data(ctx)
    type(ctx["flow"]).objects.filter(pk=ctx["flow"].pk).update(title="Theirs")
    return ctx["client"].post(ctx["flow_url"] + "edit/", {**data, "title": "Mine"})


def rejected_create(ctx):
    data = new_data(ctx)
    fault(ctx, kind="image_error", methods="POST")
    image = SimpleUploadedFile("p.png", png(color=(9, 9, 9)), content_type="image/png")
    return ctx["client"].post(ctx["base"] + "new/", {**data, "image": image})


def kept_image(ctx):
    token = form_with(rejected_create(ctx).content, "title")["image_token"]
    return ctx["client"].get(f"/uploads/{token}/")


def server_error_page(ctx, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(FlowsService, "get_flow", broken)
    ctx["client"].raise_request_exception = False
    return ctx["client"].get(ctx["flow_url"])


def locked_out(ctx):
    client = Client()
    for _ in range(5):
        response = client.post("/accounts/login/", {"username": "marketer", "password": "wrong"})
    return response


SCENARIOS = {
    "login page": lambda ctx: Client().get("/accounts/login/"),
    "locked-out page": locked_out,
    "connections": lambda ctx: ctx["client"].get("/connections/"),
    "connection form": lambda ctx: ctx["client"].get("/connections/new/"),
    "connection form with an error": lambda ctx: ctx["client"].post(
        "/connections/new/", {"label": "x", "server": "sandbox", "api_key": "wrong-key"}
    ),
    "connection edit": lambda ctx: ctx["client"].get(f"{ctx['base'].split('/flows/')[0]}/edit/"),
    "connection delete": lambda ctx: ctx["client"].get(f"{ctx['base'].split('/flows/')[0]}/delete/"),
    "flow list": lambda ctx: ctx["client"].get(ctx["base"]),
    "flow list fragment": lambda ctx: ctx["client"].get(ctx["base"] + "?page=1", **HTMX),
    "flow detail": lambda ctx: ctx["client"].get(ctx["flow_url"]),
    "new flow form": lambda ctx: ctx["client"].get(ctx["base"] + "new/"),
    "edit form": lambda ctx: ctx["client"].get(ctx["flow_url"] + "edit/"),
    "duplicate form": lambda ctx: ctx["client"].get(ctx["flow_url"] + "duplicate/"),
    "delete page": lambda ctx: ctx["client"].get(ctx["flow_url"] + "delete/"),
    "form with field errors": lambda ctx: ctx["client"].post(ctx["base"] + "new/", {"name": ""}),
    "form after a server rejection": rejected_create,
    "conflict page": conflict_page,
    "toggle row fragment": lambda ctx: ctx["client"].post(
        ctx["flow_url"] + "toggle/", {"is_enabled": "0"}, **HTMX
    ),
    "toggle failure fragment": lambda ctx: (
        fault(ctx, kind="status", status=503),
        ctx["client"].post(ctx["flow_url"] + "toggle/", {"is_enabled": "0"}, **HTMX),
    )[1],
    "delete fragment": lambda ctx: ctx["client"].post(ctx["flow_url"] + "delete/", **HTMX),
    "API error page": lambda ctx: (fault(ctx, kind="status", status=503), ctx["client"].get(ctx["flow_url"]))[
        1
    ],
    "key refused page": lambda ctx: (fault(ctx, kind="status", status=401), ctx["client"].get(ctx["base"]))[
        1
    ],
    "rate limited page": lambda ctx: (fault(ctx, kind="status", status=429), ctx["client"].get(ctx["base"]))[
        1
    ],
    "API error toast": lambda ctx: (
        fault(ctx, kind="status", status=503),
        ctx["client"].get(ctx["base"], **HTMX),
    )[1],
    "missing flow page": lambda ctx: ctx["client"].get(ctx["base"] + "999999/"),
    "not found page": lambda ctx: ctx["client"].get("/no/such/page/"),
    "bad request": lambda ctx: ctx["client"].post(ctx["flow_url"] + "toggle/", {"is_enabled": "maybe"}),
    "kept image": kept_image,
}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_every_page_and_fragment_carries_the_strict_policy_and_needs_no_inline_code(ctx, scenario):
    response = SCENARIOS[scenario](ctx)
    assert response.status_code != 500, scenario
    assert_strict_policy(response)


def test_the_server_error_page_too(ctx, monkeypatch):
    response = server_error_page(ctx, monkeypatch)
    assert response.status_code == 500
    assert_strict_policy(response)


def assert_strict_policy(response):
    header = response.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    policy = directives(header)
    assert policy["script-src"] == {"'self'"}
    assert policy["style-src"] == {"'self'"}
    assert policy["frame-ancestors"] == {"'none'"}
    assert policy["default-src"] == {"'self'"}
    assert policy["object-src"] == {"'none'"} and policy["base-uri"] == {"'none'"}
    assert not any("unsafe" in source for sources in policy.values() for source in sources)
    if response.get("Content-Type", "").startswith("text/html"):
        assert inline_code(response.content.decode()) == []


def test_the_checker_finds_what_the_policy_forbids():
    html = (
        '<p style="color:red" onclick="x()">a</p><script>alert(1)</script><style>p{}</style>'
        '<a href="javascript:void(0)">b</a><button hx-on:click="x()">c</button><script src="/s.js"></script>'
    )
    assert len(inline_code(html)) == 6


@pytest.mark.e2e
def test_a_browser_meets_no_csp_violation_anywhere(page, live_server, connection, sandbox_key, sandbox_media):
    """Every page and htmx swap in Chromium: no violation event, no refusal in the console."""
    make_flows(sandbox_key, 12)
    account = ApiAccount.objects.with_key(sandbox_key).get()
    flow = account.flows.filter(is_enabled=True).first()
    refused = []
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.on("pageerror", lambda error: refused.append(str(error)))
    # Runs before any page script; DevTools init scripts are not subject to the page's policy.
    page.add_init_script(
        "window.__violations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    violations = []

    def visit(path):
        page.goto(live_server.url + path)
        violations.extend(page.evaluate("window.__violations"))

    visit("/accounts/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#flows-table")
    base = f"/connections/{connection.pk}/flows/"
    visit(base)
    page.locator(f"#toggle-{flow.id}").click()
    page.wait_for_selector(f'#toggle-{flow.id}[aria-checked="false"]')
    page.locator("#results-per-page").select_option("10")
    page.wait_for_load_state("networkidle")
    violations.extend(page.evaluate("window.__violations"))
    visit(f"{base}{flow.id}/")
    visit(f"{base}{flow.id}/edit/")
    page.locator("#id_title").fill("Typed in the browser")
    visit(f"{base}new/")
    visit(f"{base}{flow.id}/duplicate/")
    visit("/connections/")
    visit("/no/such/page/")
    Fault.objects.create(account=account, kind="status", status=503)
    visit(base + "?fresh=1")
    Fault.objects.all().delete()
    assert violations == []
    assert refused == []


@pytest.fixture
def settings_loaded_with(monkeypatch):
    """dashboard/settings.py loaded anew with these variables, as at start-up (the policy is
    computed once, when the settings load); loaded back as it was after the test."""

    def load(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return importlib.reload(dashboard.settings)

    yield load
    monkeypatch.undo()
    importlib.reload(dashboard.settings)


def test_images_are_allowed_from_the_configured_api_servers_whatever_their_scheme_and_nowhere_else(
    settings_loaded_with,
):
    servers = {"FLOWS_API_SERVERS": "https://push.example.com/, http://10.0.0.5:8080/api"}
    sandbox = {"SANDBOX_URL": "http://127.0.0.1:8001/sandbox"}
    policy = settings_loaded_with(**servers, **sandbox, SANDBOX_ENABLED="1").SECURE_CSP
    assert policy["img-src"] == [
        *("'self'", "data:", "blob:", "https:"),
        *("https://push.example.com", "http://10.0.0.5:8080", "http://127.0.0.1:8001"),
    ]
    # The sandbox is no server of the site when it is off.
    policy = settings_loaded_with(**servers, **sandbox, SANDBOX_ENABLED="0").SECURE_CSP
    assert "http://127.0.0.1:8001" not in policy["img-src"]
    assert "http:" not in policy["img-src"]


@pytest.fixture
def sandbox_on_another_origin(live_server, connection, settings, settings_loaded_with):
    """The pages at http://127.0.0.1:PORT, the sandbox (and so its images) at http://localhost:PORT:
    another origin over plain HTTP, as `make run` serves the sandbox on a port of its own, with the
    policy the settings derive for that SANDBOX_URL."""
    settings.SECURE_CSP = settings_loaded_with(
        SANDBOX_URL=settings.SANDBOX_URL, SANDBOX_ENABLED="1"
    ).SECURE_CSP
    assert not settings.SANDBOX_URL.startswith(live_server.url.replace("localhost", "127.0.0.1"))
    return live_server.url.replace("localhost", "127.0.0.1")


def shown(image):
    """The image was loaded and decoded (a refused or broken one has no natural width)."""
    expect(image).to_be_visible()
    image.evaluate("img => img.complete || new Promise(done => img.addEventListener('load', done))")
    return image.evaluate("img => img.naturalWidth") > 0


@pytest.mark.e2e
def test_an_image_uploaded_to_a_sandbox_over_http_on_another_origin_is_shown(
    page, sandbox_on_another_origin, connection, demo_flows, settings, csp_errors
):
    """The flow's page, the edit form's thumbnail and its preview show the API server's image,
    served over http: from another origin, and no policy error is reported."""
    site = sandbox_on_another_origin
    page.goto(f"{site}/accounts/login/")
    page.get_by_label("Username").fill("marketer")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#flows-table")).to_be_visible()
    flow = f"{site}/connections/{connection.pk}/flows/{demo_flows[0].id}/"
    page.goto(flow + "edit/")
    page.locator("#id_image").set_input_files(
        {"name": "pic.png", "mimeType": "image/png", "buffer": png(color=(9, 9, 9))}
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".toast-success")).to_be_visible()
    # Served by the API server, on its own origin over plain HTTP.
    from_sandbox = re.compile("^" + re.escape(settings.SANDBOX_URL) + "/")
    for image in (page.locator("img.thumb"), page.locator("[data-preview-image]")):
        expect(image).to_have_attribute("src", from_sandbox)
        assert shown(image)
    page.goto(flow + "edit/")
    for image in (page.locator("[data-image-thumb]"), page.locator("[data-preview-image]")):
        expect(image).to_have_attribute("src", from_sandbox)
        assert shown(image)
