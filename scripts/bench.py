#!/usr/bin/env python
"""`make bench`: the dashboard measured side by side with the flows API it calls.

Starts three gunicorn servers on loopback, all with the production settings and one temporary
SQLite database:

- the API server: the sandbox flows API (SANDBOX_LATENCY_MS added to every call), seeded with an
  account of N flows for each size of --flows-sizes;
- the dashboard, whose connections point at the API server;
- the floors (bench_floors.py): the list's API page passed on with nothing done to it, by a bare
  WSGI function, by Django alone, and by Django after the login and the connection lookup.

They are two processes so that the API's own work never takes the dashboard's threads or GIL,
as with a real, remote server; the "direct API" figures are requests of this script to the same
API server, so a ratio dashboard / API isolates what the dashboard adds.

Prints a table of medians, ratios, upstream calls per action, throughput under concurrency and
the bytes of a first visit, with each target marked PASS or FAIL, and writes the same as Markdown
to var/bench-results.md (and the raw figures to var/bench-results.json).
"""

import argparse
import contextlib
import gzip
import json
import math
import os
import platform
import re
import resource
import secrets
import statistics
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import requests
from harness import (
    REQUEST_TIMEOUT,
    ROOT,
    Server,
    add_user,
    child_env,
    cpu_seconds,
    cpu_times,
    exit_on_signals,
    log,
    log_in,
    logged_requests,
    migrate,
    percentile,
    run_python,
    seed_sandbox,
    workspace,
)

RESULTS_MD = ROOT / "var" / "bench-results.md"
RESULTS_JSON = ROOT / "var" / "bench-results.json"
# Twice the dashboard's default threads (gunicorn_conf.py): each thread serves some before timing.
WARM_UP_REQUESTS = 32
INPROC = "scripts/bench_inproc.py"  # the parts measured inside a Django process

USERNAME = "bench"
PASSWORD = secrets.token_urlsafe(16)
YEAR = 365 * 24 * 3600
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.[A-Za-z0-9]+$")


def busy_since(before):
    """The fraction of all CPUs busy with this machine's processes since `before` (a cpu_times()
    sample): neither idle nor taken by the hypervisor."""
    after = cpu_times()
    if before is None or after is None:
        return None
    idle, total, steal = (a - b for a, b in zip(after, before, strict=True))
    return 1 - (idle + steal) / total if total > 0 else None


def cpu_busy(seconds=1.0):
    """The fraction of all CPUs busy over the next `seconds`."""
    before = cpu_times()
    time.sleep(seconds)
    return busy_since(before)


def own_cpu_seconds(groups):
    """CPU seconds used so far by this script, its finished children and the servers' process groups."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime + cpu_seconds(groups)


class OtherLoad:
    """How much CPU other processes of the machine took while this run measured."""

    def __init__(self, groups):
        self.groups = set(groups)
        self.machine, self.own, self.started = cpu_times(), own_cpu_seconds(self.groups), time.monotonic()

    def shares(self):
        """(other processes, the hypervisor's steal): each a fraction of all CPUs' time since start."""
        after = cpu_times()
        if self.machine is None or after is None:
            return None, None
        stolen = after[2] - self.machine[2]
        busy = (after[1] - after[0]) - (self.machine[1] - self.machine[0]) - stolen
        other = busy - (own_cpu_seconds(self.groups) - self.own)
        available = (time.monotonic() - self.started) * (os.cpu_count() or 1)
        return max(0.0, other) / available, stolen / available


def wait_idle(limit):
    """Wait up to `limit` seconds for other work on the machine to stop; the busy fraction seen."""
    deadline = time.monotonic() + limit
    busy = cpu_busy()
    while busy is not None and busy > 0.15 and time.monotonic() < deadline:
        log(f"the CPUs are {busy:.0%} busy with other work: waiting (--wait-idle)")
        time.sleep(5)
        busy = cpu_busy()
    return busy


def median(values):
    return statistics.median(values) if values else None


def ms(seconds):
    return None if seconds is None else seconds * 1000


# HTML


class PageParser(HTMLParser):
    """The forms (fields as a browser would submit them) and the assets of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.assets, self.text = [], [], []
        self._form = None
        self._select = None
        self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = {name: (value if value is not None else "") for name, value in attrs}
        if tag == "form":
            self._form = {
                "action": a.get("action", ""),
                "method": a.get("method", "get").lower(),
                "enctype": a.get("enctype", ""),
                "fields": [],
            }
            self.forms.append(self._form)
        elif tag == "link" and a.get("href"):
            rel = a.get("rel", "").lower().split()
            if {"stylesheet", "icon", "preload", "modulepreload", "manifest"} & set(rel):
                self.assets.append(("link:" + "/".join(rel), a["href"]))
        elif tag == "script" and a.get("src"):
            self.assets.append(("script", a["src"]))
        elif tag == "img" and a.get("src") and not a["src"].startswith("data:"):
            self.assets.append(("img", a["src"]))
        elif tag == "use" and a.get("href", "").split("#")[0]:
            self.assets.append(("svg sprite", a["href"]))
        elif self._form is not None and a.get("name") and tag in ("input", "select", "textarea", "button"):
            self._field(tag, a)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["value"] = a.get("value", "")

    def _field(self, tag, a):
        if tag == "input":
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            if kind in ("submit", "button", "image", "reset", "file"):
                return
            self._form["fields"].append([a["name"], a.get("value", "on" if kind == "checkbox" else "")])
        elif tag == "select":
            self._select = {"name": a["name"], "value": None, "options": []}
        elif tag == "textarea":
            self._textarea = [a["name"], ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            value = self._select["value"]
            if value is None and self._select["options"]:
                value = self._select["options"][0]
            if self._form is not None and value is not None:
                self._form["fields"].append([self._select["name"], value])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            if self._form is not None:
                self._form["fields"].append(self._textarea)
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data
        self.text.append(data)


def parse(html):
    parser = PageParser()
    parser.feed(html)
    return parser


def form_with(html, field):
    """The first form of the page that has this field."""
    for form in parse(html).forms:
        if any(name == field for name, _ in form["fields"]):
            return form
    raise RuntimeError(f"no form with a {field!r} field on the page")


# Measuring


@dataclass
class Timing:
    dashboard: list = field(default_factory=list)
    api: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    # Milliseconds the dashboard's gunicorn itself logged for the same requests.
    server: list = field(default_factory=list)
    # The same page answered by the floors server (bench_floors.py), by floor.
    floors: dict = field(default_factory=dict)

    def summary(self):
        d, a = median(self.dashboard), median(self.api)
        return {
            "dashboard_ms": ms(d),
            "server_ms": median(self.server),
            "api_ms": ms(a),
            "ratio": (d / a) if d and a else None,
            "overhead_ms": ms(d - a) if d is not None and a is not None else None,
            "samples": len(self.dashboard),
            "failures": self.failures[:5],
            **(
                {"floors_ms": {name: ms(median(values)) for name, values in self.floors.items()}}
                if self.floors
                else {}
            ),
        }


def timed(call):
    started = time.perf_counter()
    response = call()
    return time.perf_counter() - started, response


class Upstream:
    """Counts the API server's requests from its access log (one line per request)."""

    def __init__(self, path):
        self.path = path

    def count(self):
        return logged_requests(self.path, b"/sandbox/api/")

    def settled(self):
        """The count once gunicorn has written the lines of requests already answered."""
        last, stable = self.count(), 0
        for _ in range(50):
            time.sleep(0.02)
            now = self.count()
            stable = stable + 1 if now == last else 0
            if stable >= 3:
                return now
            last = now
        return last

    @contextlib.contextmanager
    def counting(self, into, key):
        before = self.settled()
        yield
        into.setdefault(key, []).append(self.settled() - before)


class ServerLog:
    """The dashboard's own time per request, from its access log (gunicorn's %(M)s, in ms)."""

    LINE = re.compile(r'"(\w+) (\S+) HTTP/[\d.]+" (\d+) \S+ (\d+)ms')

    def __init__(self, path):
        self.path = path

    def size(self):
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def mark(self):
        return self.size()

    def since(self, mark, method, contains):
        """Server times of the requests logged since mark with this method and path fragment."""
        last = self.size()
        for _ in range(10):  # gunicorn writes the line just after answering
            time.sleep(0.02)
            now = self.size()
            if now == last:
                break
            last = now
        with self.path.open("rb") as handle:
            handle.seek(mark)
            text = handle.read().decode(errors="replace")
        return [
            float(found[4])
            for found in self.LINE.finditer(text)
            if found[1] == method and contains in found[2] and found[3][0] in "23"
        ]


class Api:
    """This script's own client of the API server: the direct calls the dashboard is compared to."""

    def __init__(self, base_url, key):
        self.base = base_url + "/sandbox/api/flows"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {key}"

    def list(self, page, per_page):
        return self.session.get(
            self.base + "/", params={"page": page, "results_per_page": per_page}, timeout=REQUEST_TIMEOUT
        )

    def get(self, flow_id):
        return self.session.get(f"{self.base}/{flow_id}", timeout=REQUEST_TIMEOUT)

    def update(self, flow_id, fields):
        parts = [(name, (None, str(value))) for name, value in fields.items()]
        return self.session.post(f"{self.base}/{flow_id}", files=parts, timeout=REQUEST_TIMEOUT)

    def create(self, fields):
        parts = [(name, (None, str(value))) for name, value in fields.items()]
        return self.session.post(self.base, files=parts, timeout=REQUEST_TIMEOUT)

    def delete(self, flow_id):
        return self.session.delete(f"{self.base}/{flow_id}", timeout=REQUEST_TIMEOUT)

    def all_flows(self):
        flows, page = [], 1
        while True:
            body = self.list(page, 1000).json()
            flows.extend(body["data"])
            if page >= body["meta"]["total_pages"]:
                return flows
            page += 1


class Browser:
    """A logged-in user of the dashboard."""

    def __init__(self, base_url):
        self.base = base_url
        self.session = requests.Session()

    def login(self):
        log_in(self.session, self.base, USERNAME, PASSWORD)

    def clone(self):
        other = Browser(self.base)
        other.session.cookies.update(self.session.cookies)
        return other

    def csrf(self):
        return {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), "Referer": self.base + "/"}

    def get(self, path, **kwargs):
        kwargs.setdefault("timeout", REQUEST_TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.session.get(self.base + path, **kwargs)

    def post(self, path, fields, htmx=False, multipart=False):
        headers = self.csrf()
        if htmx:
            headers["HX-Request"] = "true"
        if multipart:
            parts = [(name, (None, str(value))) for name, value in fields]
            return self.session.post(
                self.base + path, files=parts, headers=headers, timeout=REQUEST_TIMEOUT, allow_redirects=False
            )
        return self.session.post(
            self.base + path, data=fields, headers=headers, timeout=REQUEST_TIMEOUT, allow_redirects=False
        )


def why(response):
    """A failed form's errors, for the report: "HTTP 400 (wait_time: ...)"."""
    errors = re.findall(r'class="field-error" id="id_(\w+)_error">([^<]*)<', response.text)
    alert = re.search(r'role="alert">.*?<p>(.*?)</p>', response.text, re.S)
    detail = "; ".join(f"{name}: {text.strip()}" for name, text in errors[:3])
    if not detail and alert:
        detail = re.sub(r"<[^>]+>|\s+", " ", alert.group(1)).strip()[:120]
    return f"HTTP {response.status_code}" + (f" ({detail})" if detail else "")


def replaced(fields, changes):
    """Form fields with some values changed (and added when missing), order kept."""
    out, seen = [], set()
    for name, value in fields:
        if name in changes:
            if name in seen:
                continue
            value = changes[name]
            seen.add(name)
        out.append((name, value))
    out.extend((name, value) for name, value in changes.items() if name not in seen)
    return out


class SizeRun:
    """Every measurement for one connection with `size` flows."""

    def __init__(self, ctx, size, connection_id, key):
        self.ctx, self.size, self.cid = ctx, size, connection_id
        self.api = Api(ctx.api_url, key)
        self.key = key
        self.browser = ctx.browser
        self.up = ctx.upstream
        self.web = ctx.web_log
        self.repeat = ctx.args.repeat
        self.calls = {}
        self.out = {"size": size, "timings": {}, "upstream": {}, "checks": {}}
        flows = self.api.all_flows()
        self.flows = {row["id"]: row for row in flows}
        # Disjoint sets of flows per purpose, so that no measurement sees one another cached.
        ids = sorted(self.flows)
        self.pool = iter(ids[len(ids) // 2 :] + ids[: len(ids) // 2])
        if len(ids) != size:
            log(f"warning: the account of size {size} has {len(ids)} flows")

    def take(self, count, editable=False):
        taken = []
        for fid in self.pool:
            settings = self.flows[fid]["settings"]
            # The sandbox's demo data has second buttons without a link, which the form refuses.
            if editable and settings["button_title_2"] and not settings["button_url_2"]:
                continue
            taken.append(fid)
            if len(taken) == count:
                break
        if len(taken) < count:
            raise RuntimeError(f"not enough flows in the {self.size} account for this --repeat")
        return taken

    def path(self, tail=""):
        return f"/connections/{self.cid}/flows/{tail}"

    def pair(self, timing, index, dashboard_call, api_call, ok=lambda r: r.status_code == 200, floors=()):
        """One sample of each (and of each floor), in turns so that none always goes first."""
        calls = [("dashboard", dashboard_call), ("api", api_call), *floors]
        turn = index % len(calls)
        for side, call in calls[turn:] + calls[:turn]:
            seconds, response = timed(call)
            if ok(response) if side == "dashboard" else response.status_code < 300:
                samples = (
                    getattr(timing, side)
                    if side in ("dashboard", "api")
                    else timing.floors.setdefault(side, [])
                )
                samples.append(seconds)
            else:
                timing.failures.append(f"{side}: HTTP {response.status_code}")

    # Reads

    def list_pages(self, per_page):
        pages = max(1, math.ceil(self.size / per_page))
        # Spread over the whole list (the API's OFFSET cost is in both sides of each pair).
        return [1 + (i * 7919) % pages for i in range(self.repeat)]

    def measure_list(self, per_page):
        """Cold: ?fresh=1 is the refresh button, the same path as a page not viewed before."""
        timing = Timing()
        mark = self.web.mark()
        for i, page in enumerate(self.list_pages(per_page)):
            query = f"?page={page}&results_per_page={per_page}&fresh=1"
            self.pair(
                timing,
                i,
                lambda q=query: self.browser.get(self.path(q)),
                lambda p=page: self.api.list(p, per_page),
                floors=self.floors(page, per_page),
            )
        timing.server = self.web.since(mark, "GET", "fresh=1")
        self.out["timings"][f"list_{per_page}_cold"] = timing.summary()
        # The page really shows those rows: each flow of the API's page is linked from the HTML.
        page = self.list_pages(per_page)[0]
        html = self.browser.get(self.path(f"?page={page}&results_per_page={per_page}")).text
        expected = [row["id"] for row in self.api.list(page, per_page).json()["data"]]
        shown = sum(1 for fid in expected if f"/flows/{fid}/" in html)
        self.out["checks"][f"list_{per_page}_rows_shown"] = f"{shown}/{len(expected)}"
        self.out["checks"][f"list_{per_page}_html_bytes"] = len(html.encode())

    def floors(self, page, per_page):
        """The same page through the floors server (bench_floors.py), by floor: the API's bytes
        passed on by a bare WSGI function, by Django alone, and by Django after what every page
        does first (login, connection)."""
        base, query = self.ctx.floors_url, {"page": page, "results_per_page": per_page}
        key = {"Authorization": self.api.session.headers["Authorization"]}
        get = self.browser.session.get
        paths = dict(
            zip(FLOORS, ("/floor/wsgi/", "/floor/django/", f"/floor/connection/{self.cid}/"), strict=True)
        )
        return [
            (name, lambda path=path: get(base + path, params=query, headers=key, timeout=REQUEST_TIMEOUT))
            for name, path in paths.items()
        ]

    def measure_list_never_viewed(self, per_page):
        """Cold without ?fresh: pages nobody viewed yet (as many as the size has, up to --repeat)."""
        pages = max(1, math.ceil(self.size / per_page))
        start = pages // 2 + 1
        timing = Timing()
        mark = self.web.mark()
        for i, page in enumerate(range(start, min(pages, start + self.repeat - 1) + 1)):
            query = f"?page={page}&results_per_page={per_page}"
            with self.up.counting(self.calls, "list"):
                self.pair(
                    timing,
                    i,
                    lambda q=query: self.browser.get(self.path(q)),
                    lambda p=page: self.api.list(p, per_page),
                )
        # Each sample above made one direct call of this script besides the dashboard's.
        self.calls["list"] = [n - 1 for n in self.calls["list"]]
        timing.server = self.web.since(mark, "GET", "results_per_page")
        self.out["timings"][f"list_{per_page}_never_viewed"] = timing.summary()

    def measure_repeat_view(self):
        """A page viewed again within FLOWS_CACHE_SECONDS: from the cache, with its age shown."""
        query = "?page=1&results_per_page=100"
        self.browser.get(self.path(query))
        samples, counts = [], {}
        mark = self.web.mark()
        for _ in range(self.repeat):
            with self.up.counting(counts, "repeat"):
                seconds, response = timed(lambda: self.browser.get(self.path(query)))
            if response.status_code == 200:
                samples.append(seconds)
        text = " ".join(parse(response.text).text)
        text = re.sub(r"\s+", " ", text)
        age = re.search(r"updated[^.]{0,40}?(\d+\s*s\b[^.]{0,10}ago|just now|\d+ seconds? ago)", text, re.I)
        refresh = re.search(r"fresh=1", response.text) and re.search(r"refresh", response.text, re.I)
        self.out["timings"]["list_100_repeat"] = {
            "dashboard_ms": ms(median(samples)),
            "server_ms": median(self.web.since(mark, "GET", "results_per_page")),
            "samples": len(samples),
        }
        self.out["upstream"]["repeat view"] = max(counts["repeat"])
        self.out["checks"]["updated_ago_shown"] = age.group(0) if age else None
        self.out["checks"]["refresh_button"] = bool(refresh)

    def measure_filtered(self):
        """The list searched and sorted over every flow: cold (no earlier step reads the whole set,
        so every page of 1000 is fetched), then again from the cache."""
        query = "?q=cart&status=enabled&sort=-click_rate&page=1&results_per_page=100"
        figures = {}
        for kind in ("cold", "cached"):
            counts = {}
            with self.up.counting(counts, kind):
                seconds, response = timed(lambda: self.browser.get(self.path(query)))
            figures[kind] = {"ms": ms(seconds), "status": response.status_code, "calls": counts[kind][0]}
        self.out["timings"]["filtered"] = figures

    def measure_detail(self):
        timing = Timing()
        mark = self.web.mark()
        for i, fid in enumerate(self.take(self.repeat)):
            self.pair(
                timing, i, lambda f=fid: self.browser.get(self.path(f"{f}/")), lambda f=fid: self.api.get(f)
            )
        timing.server = self.web.since(mark, "GET", "/flows/")
        self.out["timings"]["detail_cold"] = timing.summary()
        fid = self.take(1)[0]
        with self.up.counting(self.calls, "detail"):
            self.browser.get(self.path(f"{fid}/"))

    # Writes

    def measure_toggle(self):
        timing = Timing()
        mark = self.web.mark()
        for i, fid in enumerate(self.take(self.repeat)):
            was = 1 if self.flows[fid]["is_enabled"] else 0
            # The dashboard sets the flow to the other state, the API call sets it back.
            dashboard_first = i % 2 == 0
            dash_value, api_value = (1 - was, was) if dashboard_first else (was, 1 - was)
            with self.up.counting(self.calls, "toggle") if dashboard_first else contextlib.nullcontext():
                self.pair(
                    timing,
                    i,
                    lambda f=fid, v=dash_value: self.browser.post(
                        self.path(f"{f}/toggle/"), {"is_enabled": v}, htmx=True
                    ),
                    lambda f=fid, v=api_value: self.api.update(f, {"is_enabled": v}),
                )
            if dashboard_first:
                self.calls["toggle"][-1] -= 1
        timing.server = self.web.since(mark, "POST", "/toggle/")
        self.out["timings"]["toggle"] = timing.summary()

    def measure_edit(self):
        timing = Timing()
        form_calls, follow_calls = {}, {}
        mark = self.web.mark()
        for i, fid in enumerate(self.take(self.repeat, editable=True)):
            with self.up.counting(form_calls, "edit form"):
                page = self.browser.get(self.path(f"{fid}/edit/"))
            form = form_with(page.text, "fingerprint")
            fields = replaced(form["fields"], {"name": f"Bench edit {i} {secrets.token_hex(3)}"})
            multipart = "multipart" in form["enctype"]
            with self.up.counting(self.calls, "edit"):
                seconds, response = timed(
                    lambda f=fid, d=fields, m=multipart: self.browser.post(
                        self.path(f"{f}/edit/"), d, multipart=m
                    )
                )
            if response.status_code == 302:
                timing.dashboard.append(seconds)
            else:
                timing.failures.append(f"dashboard: {why(response)}")
            with self.up.counting(follow_calls, "after edit"):
                self.browser.get(
                    response.headers.get("Location", self.path(f"{fid}/")).removeprefix(self.browser.base)
                )
            seconds, response = timed(lambda f=fid, i=i: self.api.update(f, {"name": f"Bench API edit {i}"}))
            timing.api.append(seconds)
        timing.server = self.web.since(mark, "POST", "/edit/")
        self.out["timings"]["edit_save"] = timing.summary()
        self.out["upstream"]["edit form (GET)"] = max(form_calls["edit form"])
        self.out["upstream"]["page after edit"] = max(follow_calls["after edit"])

    def measure_create_delete(self):
        created, deleted = Timing(), Timing()
        form_calls = {}
        mark = self.web.mark()
        website_id = self.flows[next(iter(self.flows))]["website_id"]
        for i in range(self.repeat):
            with self.up.counting(form_calls, "new form"):
                page = self.browser.get(self.path("new/"))
            form = form_with(page.text, "form_token")
            values = {
                "website_id": website_id,
                "name": f"Bench create {i}",
                "title": "Bench",
                "description": "Made by scripts/bench.py",
                "wait_time": 1,
                "wait_time_type": "days",
            }
            fields = replaced(form["fields"], values)
            multipart = "multipart" in form["enctype"]
            with self.up.counting(self.calls, "create"):
                seconds, response = timed(
                    lambda d=fields, m=multipart: self.browser.post(self.path("new/"), d, multipart=m)
                )
            match = re.search(r"/flows/(\d+)/", response.headers.get("Location", ""))
            if response.status_code == 302 and match:
                created.dashboard.append(seconds)
            else:
                created.failures.append(f"dashboard: {why(response)}")
            seconds, api_response = timed(lambda v=values: self.api.create(v))
            created.api.append(seconds)
            api_id = api_response.json()["data"]["id"]
            if match:
                fid = int(match.group(1))
                with self.up.counting(self.calls, "delete"):
                    seconds, response = timed(lambda f=fid: self.browser.post(self.path(f"{f}/delete/"), {}))
                if response.status_code in (200, 302):
                    deleted.dashboard.append(seconds)
                else:
                    deleted.failures.append(f"dashboard: HTTP {response.status_code}")
            seconds, _ = timed(lambda f=api_id: self.api.delete(f))
            deleted.api.append(seconds)
        created.server = self.web.since(mark, "POST", "/new/")
        deleted.server = self.web.since(mark, "POST", "/delete/")
        self.out["timings"]["create"] = created.summary()
        self.out["timings"]["delete"] = deleted.summary()
        self.out["upstream"]["new form (GET)"] = max(form_calls["new form"])

    # Concurrency, bytes

    def measure_load(self, name, make_query, single_ms, direct=False):
        """Clients that never pause, each with its own session, for --duration seconds. With
        direct, they call the API itself (the query's page and size): what the API server alone
        does under the same load on this machine, the baseline of the dashboard's figures."""
        args = self.ctx.args
        deadline = time.monotonic() + args.duration
        per_client_cap = max(1, int(args.duration * 200))

        def fetcher():
            """A new client's way to ask for a query (its own session either way)."""
            if direct:
                api = Api(self.ctx.api_url, self.key)
                return lambda query: api.session.get(f"{api.base}/{query}", timeout=REQUEST_TIMEOUT)
            browser = self.browser.clone()
            return lambda query: browser.get(self.path(query))

        def client(number):
            fetch = fetcher()
            latencies, errors, i = [], [], 0
            while time.monotonic() < deadline and i < per_client_cap:
                query = make_query(number, i)
                i += 1
                started = time.perf_counter()
                try:
                    response = fetch(query)
                    status = response.status_code
                except requests.RequestException as exc:
                    status = type(exc).__name__
                if status == 200:
                    latencies.append(time.perf_counter() - started)
                else:
                    errors.append(str(status))
            return latencies, errors

        started, cpu, machine = time.monotonic(), time.process_time(), cpu_times()
        with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
            results = list(pool.map(client, range(args.concurrency)))
        elapsed = time.monotonic() - started
        # This script shares the machine's CPUs with both servers: how much of them it took.
        client_cpu = (time.process_time() - cpu) / elapsed if elapsed else None
        machine_busy = busy_since(machine)
        latencies = [x for lat, _ in results for x in lat]
        errors = [e for _, err in results for e in err]
        p95 = ms(percentile(latencies, 0.95))
        self.out["load"] = self.out.get("load", {})
        self.out["load"][name] = {
            "clients": args.concurrency,
            "seconds": round(elapsed, 1),
            "requests": len(latencies) + len(errors),
            "errors": len(errors),
            "error_kinds": sorted(set(errors))[:5],
            "throughput_rps": len(latencies) / elapsed if elapsed else None,
            "p50_ms": ms(median(latencies)),
            "p95_ms": p95,
            "single_ms": single_ms,
            "p95_over_single": (p95 / single_ms) if p95 and single_ms else None,
            "client_cpu": client_cpu,
            "machine_busy": machine_busy,
        }

    def measure_first_visit(self):
        browser = self.browser.clone()
        browser.session.headers["Accept-Encoding"] = "gzip, br"
        page = browser.get(self.path(), stream=True)
        raw_html = page.raw.read(decode_content=False)
        html_bytes = len(raw_html)
        gzipped = page.headers.get("Content-Encoding") == "gzip"
        html = (gzip.decompress(raw_html) if gzipped else raw_html).decode()
        assets = []
        seen = set()
        queue = [(kind, urljoin(self.browser.base + self.path(), href)) for kind, href in parse(html).assets]
        while queue and len(assets) < 50:
            kind, url = queue.pop(0)
            url = url.split("#", 1)[0]
            if url in seen or urlsplit(url).netloc != urlsplit(self.browser.base).netloc:
                continue
            seen.add(url)
            response = browser.session.get(url, stream=True, timeout=REQUEST_TIMEOUT)
            raw = response.raw.read(decode_content=False)
            wire = len(raw)
            if kind == "link:stylesheet" and response.headers.get("Content-Encoding") in (None, "gzip"):
                # What the stylesheet itself loads (counted whether or not this page uses it).
                css = gzip.decompress(raw) if response.headers.get("Content-Encoding") else raw
                for ref in re.findall(rb"url\(\s*['\"]?([^'\")]+)", css):
                    if not ref.startswith(b"data:"):
                        queue.append(("css url()", urljoin(url, ref.decode())))
            control = response.headers.get("Cache-Control", "")
            age = re.search(r"max-age=(\d+)", control)
            assets.append(
                {
                    "kind": kind,
                    "path": urlsplit(url).path,
                    "status": response.status_code,
                    "wire_bytes": wire,
                    "encoding": response.headers.get("Content-Encoding", "identity"),
                    "cache_control": control,
                    "far_future": bool(age and int(age.group(1)) >= YEAR),
                    "hashed": bool(HASHED_NAME.search(urlsplit(url).path)),
                }
            )
        total = html_bytes + sum(a["wire_bytes"] for a in assets)
        self.out["first_visit"] = {
            "html_wire_bytes": html_bytes,
            "html_encoding": page.headers.get("Content-Encoding", "identity"),
            "html_gzip_bytes": len(gzip.compress(html.encode(), 6)),
            "assets": assets,
            "total_wire_bytes": total,
            "total_if_html_gzipped": total - html_bytes + len(gzip.compress(html.encode(), 6)),
            "all_hashed_far_future": all(
                a["hashed"] and a["far_future"] and a["status"] == 200 for a in assets
            ),
        }

    def warm_up(self):
        """Requests on every thread of the dashboard first (its database connection, templates,
        this connection's API session), so that no figure times a process's first requests; they
        use 10-row pages, which no measurement uses."""
        for _ in range(WARM_UP_REQUESTS):
            self.browser.get(self.path("?page=1&results_per_page=10&fresh=1"))
            for _, call in self.floors(1, 10):
                call()

    def run_dashboard(self):
        pages = max(1, math.ceil(self.size / 100))
        self.warm_up()
        steps = [
            # First, while no page of this connection has been viewed yet.
            ("list never viewed", lambda: self.measure_list_never_viewed(100)),
            ("list 25", lambda: self.measure_list(25)),
            ("list 100", lambda: self.measure_list(100)),
            ("repeat view", self.measure_repeat_view),
            ("filtered", self.measure_filtered),
            ("detail", self.measure_detail),
            ("toggle", self.measure_toggle),
            ("edit", self.measure_edit),
            ("create/delete", self.measure_create_delete),
            ("first visit", self.measure_first_visit),
            (
                "load cold",
                lambda: self.measure_load(
                    "cold",
                    lambda n, i: f"?page={1 + (n * 31 + i) % pages}&results_per_page=100&fresh=1",
                    self.out["timings"]["list_100_cold"]["dashboard_ms"],
                ),
            ),
            (
                "load API",
                lambda: self.measure_load(
                    "API alone, same pages",
                    lambda n, i: f"?page={1 + (n * 31 + i) % pages}&results_per_page=100",
                    self.out["timings"]["list_100_cold"]["api_ms"],
                    direct=True,
                ),
            ),
            (
                "load repeat",
                lambda: self.measure_load(
                    "repeat",
                    lambda n, i: "?page=1&results_per_page=100",
                    self.out["timings"]["list_100_repeat"]["dashboard_ms"],
                ),
            ),
        ]
        for name, step in steps:
            # One broken page must not cost the other figures: the failure is reported instead.
            try:
                step()
            except Exception as exc:
                self.ctx.notes.append(
                    f"{self.size:,} flows, {name}: not measured ({type(exc).__name__}: {exc})"
                )
                log(f"{name} failed: {exc}")
        for action, counts in self.calls.items():
            self.out["upstream"][action] = max(counts) if counts else None

    def run_whole_connection(self):
        """FlowsClient.all_flows in a Django process of its own, against the same API server."""
        env = dict(self.ctx.env, BENCH_API_URL=self.ctx.api_url + "/sandbox", BENCH_API_KEY=self.key)
        out = run_python(env, INPROC, "all-flows", "--pool", str(self.ctx.args.pool))
        self.out["whole_connection"] = json.loads(out)

    def run_api_only(self):
        """The direct API timings alone (when the dashboard is not there to compare)."""
        for per_page in (25, 100):
            timing = Timing()
            for page in self.list_pages(per_page):
                seconds, _ = timed(lambda p=page, n=per_page: self.api.list(p, n))
                timing.api.append(seconds)
            self.out["timings"][f"list_{per_page}_cold"] = timing.summary()


# Report


def fmt(value, unit="", digits=1):
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    return f"{value:,}{unit}"


def verdict(ok):
    return "n/a" if ok is None else ("PASS" if ok else "FAIL")


def targets(result, args):
    """(target, [(size, figure, ok)]) for every target of the issue."""
    rows = []

    def each(fn):
        out = []
        for run in result["sizes"]:
            try:
                out.append((run["size"], *fn(run)))
            except (KeyError, TypeError):
                out.append((run["size"], "n/a", None))
        return out

    def ratio(key, limit):
        def fn(run):
            t = run["timings"][key]
            figure = f"{t['ratio']:.2f}x ({t['overhead_ms']:+.1f} ms)"
            if floor := t.get("floors_ms", {}).get(FLOORS[-1]):
                figure += f"; {FLOORS[-1]}, nothing else: {floor / t['api_ms']:.2f}x"
            return figure, t["ratio"] <= limit and not t["failures"]

        return fn

    rows.append(("List 100 rows cold <= 1.2x API", each(ratio("list_100_cold", 1.2))))
    rows.append(("List 25 rows cold <= 1.1x API", each(ratio("list_25_cold", 1.1))))

    def overhead(run):
        t = run["timings"]["list_100_cold"]
        return f"{t['overhead_ms']:.1f} ms", t["overhead_ms"] <= 6

    rows.append(("List 100 rows: render overhead <= ~6 ms", each(overhead)))

    def calls(names, limit):
        def fn(run):
            got = {name: run["upstream"][name] for name in names}
            return ", ".join(f"{n} {v}" for n, v in got.items()), all(
                v is not None and v <= limit for v in got.values()
            )

        return fn

    rows.append(("1 upstream call per list / detail view", each(calls(["list", "detail"], 1))))
    rows.append(
        ("<= 2 upstream calls per toggle / create / edit", each(calls(["toggle", "create", "edit"], 2)))
    )

    def repeat(run):
        calls_, c = run["upstream"]["repeat view"], run["checks"]
        ok = calls_ == 0 and bool(c["updated_ago_shown"]) and c["refresh_button"]
        shown = "yes" if c["updated_ago_shown"] else "no"
        refresh = "yes" if c["refresh_button"] else "no"
        return f"{calls_} calls; age shown: {shown}; refresh: {refresh}", ok

    rows.append(("Repeated view from cache, age + refresh shown", each(repeat)))

    def whole(run):
        w = run["whole_connection"]
        return (
            f"{w['all_ms']:.0f} ms / bound {w['bound_ms']:.0f} ms ({w['pages']} pages, {w['calls']} calls)",
            w["all_ms"] <= w["bound_ms"] and w["calls"] == w["pages"] and w["pages"] <= 60,
        )

    rows.append((f"All flows: pages of 1000, pool {args.pool}, <= 1.5x page x ceil(pages/pool)", each(whole)))

    def first(run):
        f = run["first_visit"]
        kb = f["total_wire_bytes"] / 1024
        return (
            f"{kb:.1f} KB; hashed + 1-year cache: {'yes' if f['all_hashed_far_future'] else 'no'}",
            kb < 100 and f["all_hashed_far_future"],
        )

    rows.append(("First visit < 100 KB compressed, assets hashed + far-future", each(first)))

    def load(name):
        def fn(run):
            x = run["load"][name]
            return (
                f"{x['errors']} errors, p95 {x['p95_ms']:.0f} ms = {x['p95_over_single']:.1f}x single",
                x["errors"] == 0 and x["p95_over_single"] <= 3,
            )

        return fn

    rows.append((f"{args.concurrency} clients, cold pages: no errors, p95 <= 3x single", each(load("cold"))))
    return rows


FLOORS = ("bare WSGI", "Django alone", "Django + login + connection")
TIMING_ROWS = [
    ("list_25_cold", "List, 25 rows, cold (?fresh=1)"),
    ("list_100_cold", "List, 100 rows, cold (?fresh=1)"),
    ("list_100_never_viewed", "List, 100 rows, page never viewed"),
    ("list_100_repeat", "List, 100 rows, repeated (cache)"),
    ("detail_cold", "Detail, cold"),
    ("toggle", "Toggle (htmx)"),
    ("edit_save", "Edit: save"),
    ("create", "Create: save"),
    ("delete", "Delete"),
]
UPSTREAM_ROWS = [
    "list",
    "detail",
    "toggle",
    "create",
    "edit",
    "delete",
    "repeat view",
    "new form (GET)",
    "edit form (GET)",
    "page after edit",
]


def growth(values):
    a, b = values[0], values[-1]
    if a in (None, 0) or b is None or len(values) < 2:
        return "n/a"
    return f"{b / a:.2f}x"


def markdown(result, args):
    sizes = [run["size"] for run in result["sizes"]]
    heads = [f"{size:,} flows" for size in sizes]
    lines = [
        f"Run {result['started']} on {result['machine']}; API latency {args.latency_ms} ms per call; "
        f"medians of {args.repeat} samples; {args.concurrency} clients for {args.duration:g} s; "
        f"dashboard gunicorn: {args.web_workers or 'default'} workers x {args.web_threads or 'default'} threads.",
        "",
        "### Targets",
        "",
        "| target | " + " | ".join(heads) + " | result |",
        "| --- | " + " | ".join("---" for _ in sizes) + " | --- |",
    ]
    for name, per_size in targets(result, args):
        figures = [figure for _, figure, _ in per_size]
        oks = [ok for _, _, ok in per_size]
        status = "n/a" if all(ok is None for ok in oks) else verdict(all(ok for ok in oks if ok is not None))
        if status == "FAIL":
            status += " (" + ", ".join(f"{s:,}" for s, _, ok in per_size if ok is False) + ")"
        lines.append(f"| {name} | " + " | ".join(figures) + f" | {status} |")

    lines += [
        "",
        "### Response times (medians, ms): dashboard vs the same call made directly to the API",
        "",
        "| action | " + " | ".join(f"{h}: dashboard (its server time) / API / ratio" for h in heads) + " |",
        "| --- | " + " | ".join("---" for _ in sizes) + " |",
    ]
    for key, label in TIMING_ROWS:
        cells = []
        for run in result["sizes"]:
            t = run["timings"].get(key)
            if not t:
                cells.append("n/a")
                continue
            cell = (
                f"{fmt(t.get('dashboard_ms'))} ({fmt(t.get('server_ms'), digits=0)}) / {fmt(t.get('api_ms'))} / "
                f"{fmt(t.get('ratio'), 'x', 2)}"
            )
            if t.get("failures"):
                cell += f" ({len(t['failures'])} failed: {t['failures'][0]})"
            cells.append(cell)
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    lines += [
        "",
        "### Floors: the same list page passed on with nothing done to it (medians, ms / ratio to the API call)",
        "",
        "| page | flows | API | " + " | ".join(FLOORS) + " | the list page |",
        "| --- | --- | --- | " + " | ".join("---" for _ in FLOORS) + " | --- |",
    ]
    for key, label in TIMING_ROWS:
        for run in result["sizes"]:
            t = run["timings"].get(key) or {}
            floors = t.get("floors_ms")
            if not floors or not t.get("api_ms"):
                continue
            cells = [
                f"{fmt(v)} / {fmt(v / t['api_ms'], 'x', 2)}" if v else "n/a"
                for v in (floors.get(name) for name in FLOORS)
            ]
            lines.append(
                f"| {label} | {run['size']:,} | {fmt(t['api_ms'])} | "
                + " | ".join(cells)
                + f" | {fmt(t['dashboard_ms'])} / {fmt(t['ratio'], 'x', 2)} |"
            )
    lines += [
        "",
        "A third server (scripts/bench_floors.py) passes the same page on as the API gives it: a bare WSGI",
        "function (what the hop through any server costs here), a view of the dashboard's Django settings",
        "and middleware, and the same view after checking the login and looking up the connection as every",
        "page does: what each layer costs before the list page does anything of its own.",
        "",
        "### Upstream API calls per action",
        "",
        "| action | " + " | ".join(heads) + " |",
        "| --- | " + " | ".join("---" for _ in sizes) + " |",
    ]
    for name in UPSTREAM_ROWS:
        lines.append(
            f"| {name} | " + " | ".join(fmt(run["upstream"].get(name)) for run in result["sizes"]) + " |"
        )

    lines += [
        "",
        f"### Under {args.concurrency} concurrent clients (list, 100 rows)",
        "",
        "| scenario | flows | requests | errors | throughput req/s | p50 ms | p95 ms | single-client median ms "
        "| p95 / single | CPUs busy (all processes) | of which this load generator |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in result["sizes"]:
        for name, x in run.get("load", {}).items():
            lines.append(
                f"| {name} | {run['size']:,} | {x['requests']:,} | {x['errors']} | {fmt(x['throughput_rps'])} | "
                f"{fmt(x['p50_ms'])} | {fmt(x['p95_ms'])} | {fmt(x['single_ms'])} | {fmt(x['p95_over_single'], 'x', 2)} "
                f"| {fmt(x['machine_busy'] and x['machine_busy'] * 100, '%', 0)} "
                f"| {fmt(x['client_cpu'] and x['client_cpu'] * 100, '% of one', 0)} |"
            )

    lines += [
        "",
        "The p95 target applies to cold pages (each request waits on its API call, so threads overlap).",
        '"API alone" is the same load sent straight to the API server, without the dashboard: what this',
        "machine's CPUs allow at all, since the API server, the dashboard and the clients share them.",
        "A repeated page is pure CPU in one process: with clients that never pause, p95 is about the",
        "number of clients x the CPU time of one view, whatever the code; it is shown for throughput.",
    ]
    lines += ["", "### Searched, filtered and sorted over every flow", ""]
    lines += ["| flows | cold ms (calls) | cached ms (calls) |", "| --- | --- | --- |"]
    for run in result["sizes"]:
        if f := run["timings"].get("filtered"):
            cold, cached = f["cold"], f["cached"]
            lines.append(
                f"| {run['size']:,} | {fmt(cold['ms'])} ({cold['calls']}) | {fmt(cached['ms'])} ({cached['calls']}) |"
            )

    lines += ["", "### Whole connection: FlowsClient.all_flows (pages of 1000)", ""]
    lines += [
        "| flows | pages | pool | upstream calls | all_flows ms (runs) | client CPU ms | one 1000-row page ms "
        "| of which HTTP / JSON / records ms | bound ms (1.5 x page x ceil(pages/pool)) "
        "| the same pages as raw bytes, pool threads, ms |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for run in result["sizes"]:
        w = run.get("whole_connection")
        if w:
            lines.append(
                f"| {run['size']:,} | {w['pages']} | {w['pool']} | {w['calls']} | {fmt(w['all_ms'])} "
                f"({', '.join(fmt(x, digits=0) for x in w['all_runs_ms'])}) | {fmt(w['all_cpu_ms'], digits=0)} | "
                f"{fmt(w['page_ms'])} | "
                f"{fmt(w['page_http_ms'])} / {fmt(w['page_json_ms'])} / {fmt(w['page_records_ms'])} | "
                f"{fmt(w['bound_ms'])} | {fmt(w.get('raw_ms'))} |"
            )
    lines += [
        "",
        "The raw-bytes column is the API server alone serving the same pages to as many threads, with",
        "no decoding: on this machine its CPU work for concurrent pages shares the two CPUs with the",
        "client, where a remote server would serve them side by side (as the bound assumes).",
    ]

    lines += ["", "### First visit of the list page (bytes on the wire)", ""]
    for run in result["sizes"]:
        f = run.get("first_visit")
        if not f:
            continue
        lines += [
            f"{run['size']:,} flows: total **{f['total_wire_bytes'] / 1024:.1f} KB** "
            f"(HTML {f['html_wire_bytes'] / 1024:.1f} KB sent as {f['html_encoding']}; "
            f"{f['html_gzip_bytes'] / 1024:.1f} KB if gzipped; total then "
            f"{f['total_if_html_gzipped'] / 1024:.1f} KB)",
            "",
            "| asset | bytes | encoding | Cache-Control | hashed name |",
            "| --- | --- | --- | --- | --- |",
        ]
        for a in f["assets"]:
            lines.append(
                f"| {a['path']} | {a['wire_bytes']:,} | {a['encoding']} | {a['cache_control'] or '-'} | "
                f"{'yes' if a['hashed'] else 'no'} |"
            )
        lines.append("")

    if len(sizes) > 1:
        lines += [
            f"### Growth from {sizes[0]:,} to {sizes[-1]:,} flows",
            "",
            "| figure | " + " | ".join(heads) + " | growth |",
            "| --- | " + " | ".join("---" for _ in sizes) + " | --- |",
        ]
        for key, label in TIMING_ROWS:
            for side in ("dashboard_ms", "api_ms"):
                values = [run["timings"].get(key, {}).get(side) for run in result["sizes"]]
                if any(v is not None for v in values):
                    who = "dashboard" if side == "dashboard_ms" else "API"
                    lines.append(
                        f"| {label}, {who} ms | "
                        + " | ".join(fmt(v) for v in values)
                        + f" | {growth(values)} |"
                    )
        for name in ("cold", "repeat"):
            for metric, label in (("throughput_rps", "req/s"), ("p95_ms", "p95 ms")):
                values = [run.get("load", {}).get(name, {}).get(metric) for run in result["sizes"]]
                lines.append(
                    f"| {args.concurrency} clients, {name}: {label} | "
                    + " | ".join(fmt(v) for v in values)
                    + f" | {growth(values)} |"
                )
        values = [run.get("whole_connection", {}).get("all_ms") for run in result["sizes"]]
        lines.append("| all_flows ms | " + " | ".join(fmt(v) for v in values) + f" | {growth(values)} |")
        values = [run.get("first_visit", {}).get("total_wire_bytes") for run in result["sizes"]]
        lines.append("| first visit bytes | " + " | ".join(fmt(v) for v in values) + f" | {growth(values)} |")
        values = [run.get("seed_seconds") for run in result["sizes"]]
        lines.append(
            "| sandbox_demo seed s | "
            + " | ".join(fmt(v, digits=2) for v in values)
            + f" | {growth(values)} |"
        )
    if result.get("notes"):
        lines += ["", "Notes:", ""] + [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


# Main


@dataclass
class Context:
    args: argparse.Namespace
    env: dict
    api_url: str
    upstream: Upstream
    web_log: ServerLog
    floors_url: str
    browser: Browser | None = None
    notes: list = field(default_factory=list)


def dashboard_ready(browser, connection_id):
    try:
        browser.login()
    except (RuntimeError, requests.RequestException) as exc:
        return f"login: {exc}"
    response = browser.get(f"/connections/{connection_id}/flows/")
    if response.status_code != 200:
        return f"flows list answered HTTP {response.status_code}"
    return None


def run(args):
    result = {
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, Python {platform.python_version()}",
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
        ).stdout.strip(),
        "args": vars(args),
        "sizes": [],
        "notes": [],
        "load_before": os.getloadavg()[0],
        "cpu_busy_before": wait_idle(args.wait_idle),
    }
    with workspace() as workdir:
        env = child_env(workdir / "db.sqlite3", SANDBOX_LATENCY_MS=str(args.latency_ms))
        migrate(env)
        keys = {size: f"bench-{size}-{secrets.token_hex(8)}" for size in args.sizes}
        seed_seconds = {}
        for size in args.sizes:
            seed_seconds[size] = seed_sandbox(env, keys[size], size)
            log(f"seeded {size:,} flows in {seed_seconds[size]:.2f} s")
        labelled = [(f"Bench {size} flows", keys[size]) for size in args.sizes]
        connections = dict(zip(args.sizes, add_user(env, USERNAME, PASSWORD, labelled), strict=True))

        access_log = workdir / "api-access.log"
        api_env = dict(env, GUNICORN_ACCESSLOG=str(access_log))
        # The API server stands in for a remote server, whose capacity is not what is measured.
        # Its workers need no shared cache (gunicorn_conf.py's WEB_CONCURRENCY guard): with
        # SANDBOX_RATE_LIMIT=0 and no faults the sandbox keeps nothing in Django's cache.
        api = Server("api", api_env, workdir, extra=["--workers", str(args.api_workers)])
        # The dashboard and the in-process runs of bench_inproc.py call the API server.
        env["SANDBOX_URL"] = api.url + "/sandbox"
        web_log = workdir / "dashboard-access.log"
        web_env = dict(env, GUNICORN_ACCESSLOG=str(web_log))
        if args.web_workers:
            web_env["WEB_CONCURRENCY"] = str(args.web_workers)
        if args.web_threads:
            web_env["GUNICORN_THREADS"] = str(args.web_threads)
        web = Server("dashboard", web_env, workdir)
        floors_env = dict(
            web_env, DJANGO_SETTINGS_MODULE="bench_floors", GUNICORN_ACCESSLOG=str(workdir / "floors.log")
        )
        floors = Server(
            "floors", floors_env, workdir, extra=["--pythonpath", "scripts"], app="bench_floors:application"
        )
        for server in (api, web, floors):
            server.start()
        api.wait_ready("/sandbox/api/flows/")
        web.wait_ready("/accounts/login/")
        floors.wait_ready("/accounts/login/")
        log(f"servers up: dashboard {web.url}, API {api.url}, floors {floors.url}")

        ctx = Context(
            args, env, api.url, Upstream(access_log), ServerLog(web_log), floors.url, notes=result["notes"]
        )
        others = OtherLoad([server.process.pid for server in (api, web, floors)])
        ctx.browser = Browser(web.url)
        first_cid = connections[args.sizes[0]]
        missing = dashboard_ready(ctx.browser, first_cid)
        if missing:
            result["notes"].append(f"Dashboard not measured ({missing}): API figures only.")
            log(f"dashboard not available: {missing}")

        for size in args.sizes:
            log(f"measuring {size:,} flows")
            sized = SizeRun(ctx, size, connections[size], keys[size])
            sized.out["seed_seconds"] = seed_seconds[size]
            if missing:
                sized.run_api_only()
            else:
                sized.run_dashboard()
            sized.run_whole_connection()
            result["sizes"].append(sized.out)
        if args.profile and not missing:
            log("profiling the 100-row list page in-process")
            result["profile"] = profile(env, connections[args.sizes[-1]], args.sizes[-1], args)
        result["other_cpu_share"], result["steal_share"] = others.shares()
    result["load_after"] = os.getloadavg()[0]
    other, steal = result["other_cpu_share"], result["steal_share"]
    if other is not None:
        quiet = "quiet enough" if other < 0.1 else "NOT quiet: figures are noisier than on an idle machine"
        result["notes"].append(
            f"Other processes of the machine used {other:.0%} of its CPU time while this run measured "
            f"({quiet})."
        )
    if steal:
        result["notes"].append(
            f"The hypervisor kept {steal:.1%} of the CPUs' time from this virtual machine (steal) while "
            "this run measured: the figures are slower than on CPUs of its own, and runs differ as "
            "the host's other guests come and go."
        )
    return result


def profile(env, connection_id, flows, args):
    command = [INPROC, "profile", "--connection", str(connection_id), "--username", USERNAME]
    command += ["--repeat", str(max(args.repeat, 20)), "--flows", str(flows)]
    profile_env = dict(env, ALLOWED_HOSTS="127.0.0.1,testserver")
    try:
        return json.loads(run_python(profile_env, *command))
    except RuntimeError as exc:
        # The rest of the report stands without the profile: its failure is shown instead.
        return {"error": str(exc)[-2000:]}


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--latency-ms", type=int, default=30, help="added latency per API call (default 30)")
    parser.add_argument("--flows-sizes", default="100,10000", help="comma-separated account sizes")
    parser.add_argument("--repeat", type=int, default=15, help="samples per median (default 15)")
    parser.add_argument("--concurrency", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per concurrency run (default 10)")
    parser.add_argument("--pool", type=int, default=4, help="all_flows pool size (default 4)")
    parser.add_argument("--api-workers", type=int, default=2, help="gunicorn workers of the API server")
    parser.add_argument(
        "--web-workers",
        type=int,
        help="WEB_CONCURRENCY of the dashboard (default: its own; >1 needs REDIS_URL)",
    )
    parser.add_argument(
        "--web-threads", type=int, help="GUNICORN_THREADS of the dashboard (default: its own)"
    )
    parser.add_argument(
        "--no-profile",
        dest="profile",
        action="store_false",
        help="skip the in-process profile of the list page",
    )
    parser.add_argument("--quick", action="store_true", help="5 samples, 3 s of load: a smoke run")
    parser.add_argument(
        "--wait-idle",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for an idle CPU",
    )
    parser.add_argument(
        "--no-write", action="store_true", help=f"do not write {RESULTS_MD.relative_to(ROOT)}"
    )
    args = parser.parse_args()
    if args.quick:
        args.repeat, args.duration = min(args.repeat, 5), min(args.duration, 3)
    args.sizes = [int(size) for size in args.flows_sizes.split(",") if size.strip()]
    if not args.sizes or min(args.sizes) < 4 * args.repeat:
        parser.error("each size needs at least 4 x --repeat flows (distinct flows per measurement)")

    exit_on_signals()
    result = run(args)
    report = markdown(result, args)
    print(report)
    if result.get("profile"):
        print(result["profile"].get("text", result["profile"]))
    if not args.no_write:
        RESULTS_MD.parent.mkdir(exist_ok=True)
        RESULTS_MD.write_text(
            report + ("\n" + result["profile"].get("text", "") if result.get("profile") else "")
        )
        RESULTS_JSON.write_text(json.dumps(result, indent=2, default=str))
        log(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_JSON.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
