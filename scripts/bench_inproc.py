#!/usr/bin/env python
"""The parts of `make bench` that run inside a Django process (started by scripts/bench.py).

- ``all-flows``: times ``FlowsClient.all_flows`` against the bench's API server, next to one
  1000-row page call and to the same pages fetched as raw bytes by as many threads
  (BENCH_API_URL, BENCH_API_KEY).
- ``profile``: where the time of the list page goes, through Django's test client with the
  real client calling the real API server: what happens before the API call is sent, the call,
  and each step after its answer (the critical path), and how much of the page was drawn while
  the call was on its way; plus a cProfile of the same requests.

Both print one JSON object on stdout.
"""

import argparse
import cProfile
import gzip
import importlib
import io
import json
import math
import os
import pickle
import pstats
import statistics
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dashboard.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.http.response import HttpResponseBase  # noqa: E402
from django.template.backends.django import Template as BackendTemplate  # noqa: E402
from django.test import Client  # noqa: E402

from flows_app.api import FlowsClient, Page  # noqa: E402
from flows_app.api import client as client_module  # noqa: E402


def all_flows(args):
    client = FlowsClient(os.environ["BENCH_API_URL"], os.environ["BENCH_API_KEY"], timeout=30)
    first = client.list_flows(1, 1000)
    pages = first.total_pages
    page_times = []
    for i in range(5):
        started = time.perf_counter()
        client.list_flows(1 + i % pages, 1000)
        page_times.append(time.perf_counter() - started)
    all_times, cpu_times, calls, count = [], [], None, None
    for _ in range(3):
        before = client.calls
        started, cpu = time.perf_counter(), time.process_time()
        # As from the list page: its count is known, so every page goes out in one wave.
        flows = client.all_flows(pool_size=args.pool, expected_total=first.total)
        all_times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        calls, count = client.calls - before, len(flows)

    def raw_page(number):
        """A 1000-row page's HTTP answer, its whole body read, nothing decoded."""
        response = client.session.get(
            client.base_url + "/api/flows/",
            params={"page": number, "results_per_page": 1000},
            timeout=30,
        )
        response.content  # noqa: B018 -- the whole body, as the client reads it
        return response

    # The same pages, as many at a time, read as bytes only (no decoding, no records): how long the
    # API server alone takes to serve them on this machine, whatever the client does with them.
    raw_times = []
    for _ in range(3):
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=args.pool) as pool:
            list(pool.map(raw_page, range(1, pages + 1)))
        raw_times.append(time.perf_counter() - started)
    # Where a page's time goes: the HTTP answer alone, then decoding it and building the records.
    http_times, decode_times, records_times = [], [], []
    for i in range(5):
        started = time.perf_counter()
        response = raw_page(1 + i % pages)
        http_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        body = client._parse("GET", response)
        decode_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        Page.from_api(body, 1 + i % pages, 1000)
        records_times.append(time.perf_counter() - started)
    page = statistics.median(page_times)
    return {
        "page_http_ms": statistics.median(http_times) * 1000,
        "page_json_ms": statistics.median(decode_times) * 1000,
        "page_records_ms": statistics.median(records_times) * 1000,
        "page_body_bytes": len(response.content),
        "pages": pages,
        "pool": args.pool,
        "flows": count,
        "calls": calls,
        "page_ms": page * 1000,
        "all_ms": statistics.median(all_times) * 1000,
        "all_runs_ms": [round(t * 1000, 1) for t in all_times],
        "raw_ms": statistics.median(raw_times) * 1000,
        # CPU of this (client) process during all_flows: parsing runs under one GIL, whatever the pool.
        "all_cpu_ms": statistics.median(cpu_times) * 1000,
        "bound_ms": 1.5 * page * math.ceil(pages / args.pool) * 1000,
    }


class Timeline:
    """Wraps functions to note when, within one request, each ran: its first start and the time
    spent in it, in seconds from the request's start."""

    def __init__(self):
        self.started = None
        self.spans = {}

    def wrap(self, owner, name, label):
        original = getattr(owner, name)
        timeline = self

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                first, spent = timeline.spans.get(label, (began - timeline.started, 0))
                timeline.spans[label] = (first, spent + time.perf_counter() - began)

        setattr(owner, name, timed)

    def begin(self):
        self.started, self.spans = time.perf_counter(), {}

    def take(self):
        return self.spans


# What the list view does once the API has answered, in the order it happens.
AFTER_ANSWER = (
    "JSON decoding",
    "records (Page/Flow.from_api)",
    "rows (render_rows)",
    "gzip of the HTML",
)
# The test client closes the response before it returns, as a server does once it has sent it.
SENT = "after the response is sent: closing it (cache writes; off the critical path)"


def profile(args):
    user = get_user_model().objects.get(username=args.username)
    browser = Client()
    browser.force_login(user)
    url = f"/connections/{args.connection}/flows/"

    timeline = Timeline()
    timeline.wrap(client_module.FlowsClient, "_send", "upstream")
    timeline.wrap(client_module.orjson, "loads", "JSON decoding")
    timeline.wrap(Page, "from_api", "records (Page/Flow.from_api)")
    timeline.wrap(HttpResponseBase, "close", SENT)
    timeline.wrap(BackendTemplate, "render", "template")
    # Where the page's own thread starts waiting for the API: the page around the table is drawn
    # before it, while the answer is on its way.
    timeline.wrap(Future, "result", "waiting")
    timeline.wrap(importlib.import_module("flows_app.views.flows"), "render_rows", "rows (render_rows)")
    timeline.wrap(importlib.import_module("django.middleware.gzip"), "compress_string", "gzip of the HTML")

    def one(page, per_page):
        timeline.begin()
        response = browser.get(
            url,
            {"page": page, "results_per_page": per_page, "fresh": "1"},
            headers={"Accept-Encoding": "gzip, deflate, br"},  # as a browser sends it
        )
        spans = timeline.take()
        # Until the response was ready to send: what the user waits for.
        total = time.perf_counter() - timeline.started - spans[SENT][1]
        assert response.status_code == 200, response.status_code
        sent_at, upstream = spans["upstream"]
        answered_at = sent_at + upstream
        template_at, _ = spans["template"]
        after = {label: spans.get(label, (0, 0))[1] for label in AFTER_ANSWER}
        parts = {
            "total": total,
            "before the call is sent (middleware, session, user, connection)": sent_at,
            "upstream (HTTP round trip)": upstream,
            "after the answer": total - answered_at,
            **{f"after the answer: {label}": value for label, value in after.items()},
            "after the answer: the rest (template, middleware)": total - answered_at - sum(after.values()),
            "page drawn while the API answers (off the critical path)": spans["waiting"][0] - template_at,
            SENT: spans[SENT][1],
        }
        return parts, response

    def pages(per_page):
        count = max(1, math.ceil(args.flows / per_page))
        return [1 + (i * 7919) % count for i in range(args.repeat)]

    out = {"flows": args.flows}
    for per_page in (10, 25, 100):
        for page in pages(per_page)[:2]:
            one(page, per_page)  # warm up: imports, template loading, connections
        rows = [one(page, per_page)[0] for page in pages(per_page)]
        medians = {label: statistics.median(row[label] for row in rows) * 1000 for label in rows[0]}
        _, response = one(1, per_page)
        body = response.content
        if response.get("Content-Encoding") == "gzip":
            out[str(per_page)] = {"median_ms": medians, "gzip_bytes": len(body)}
            body = gzip.decompress(body)
        out.setdefault(str(per_page), {"median_ms": medians})["html_bytes"] = len(body)

    # What caching a 100-row page costs (the locmem cache pickles it).
    probe = FlowsClient(os.environ["SANDBOX_URL"], _api_key(args.connection))
    page = probe.list_flows(1, 100)
    # A straight line through 10 and 100 rows: what every view costs, and what each row adds.
    for part in ("total", "after the answer"):
        ten, hundred = out["10"]["median_ms"][part], out["100"]["median_ms"][part]
        per_row = (hundred - ten) / 90
        out.setdefault("linear", {})[part] = {"fixed_ms": ten - 10 * per_row, "per_row_ms": per_row}

    dumps, loads = [], []
    for _ in range(20):
        started = time.perf_counter()
        blob = pickle.dumps((time.time(), page), pickle.HIGHEST_PROTOCOL)
        dumps.append(time.perf_counter() - started)
        started = time.perf_counter()
        pickle.loads(blob)  # noqa: S301 -- our own bytes, just made
        loads.append(time.perf_counter() - started)
    out["cache_dumps_ms"] = statistics.median(dumps) * 1000
    out["cache_loads_ms"] = statistics.median(loads) * 1000
    out["cache_pickle_bytes"] = len(blob)

    profiler = cProfile.Profile()
    profiler.enable()
    for page in pages(100):
        one(page, 100)
    profiler.disable()
    buffer = io.StringIO()
    stats = pstats.Stats(profiler, stream=buffer)
    stats.sort_stats("tottime").print_stats(25)
    buffer.write("\n")
    stats.sort_stats("cumulative").print_stats(40)
    out["cprofile_requests"] = args.repeat
    out["cprofile"] = _trim(buffer.getvalue())
    out["text"] = _text(out)
    return out


def _api_key(connection_id):
    from flows_app.models import Connection

    return Connection.objects.get(pk=connection_id).api_key


def _trim(report):
    """Paths shortened to the package, so the table reads in a terminal."""
    return report.replace(str(ROOT) + "/", "").replace(sys.prefix + "/lib/", "")


def _text(out):
    lines = [
        f"### Profile: the list page in-process ({out['flows']:,} flows; test client, real API server, ?fresh=1)",
        "",
    ]
    for per_page in ("10", "25", "100"):
        part = out[per_page]
        lines += [
            f"{per_page} rows ({part['html_bytes']:,} bytes of HTML"
            + (f", {part['gzip_bytes']:,} gzipped" if "gzip_bytes" in part else "")
            + "), medians in ms:",
            "",
            "| part | ms |",
            "| --- | --- |",
        ]
        for label, value in part["median_ms"].items():
            lines.append(f"| {label} | {value:.2f} |")
        lines.append("")
    for part, line in out["linear"].items():
        lines.append(
            f"- {part}: {line['fixed_ms']:.1f} ms for any page + {line['per_row_ms']:.3f} ms per row "
            f"(a line through 10 and 100 rows)"
        )
    lines.append("")
    lines.append(
        f"The locmem cache pickles what it stores: a 100-row Page takes {out['cache_dumps_ms']:.2f} ms to "
        f"store (every cold view) and {out['cache_loads_ms']:.2f} ms to read back (every repeated view); "
        f"{out['cache_pickle_bytes']:,} bytes."
    )
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command", required=True)
    one = commands.add_parser("all-flows")
    one.add_argument("--pool", type=int, default=4)
    two = commands.add_parser("profile")
    two.add_argument("--connection", type=int, required=True)
    two.add_argument("--username", required=True)
    two.add_argument("--repeat", type=int, default=20)
    two.add_argument("--flows", type=int, required=True, help="how many flows the connection has")
    args = parser.parse_args()
    result = all_flows(args) if args.command == "all-flows" else profile(args)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
