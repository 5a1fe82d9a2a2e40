#!/usr/bin/env python
"""`make loadtest`: concurrent users browse and toggle flows through gunicorn, then every flow's
final state is checked against the last toggle asked for it.

Loopback only, and bounded by --duration. Two gunicorn servers with the production settings
(DEBUG=0; HTTPS_ONLY=0 for plain HTTP on loopback) share one temporary SQLite database:

- the API server: the sandbox flows API (SANDBOX_RATE_LIMIT=0: the budget is not what is measured),
  seeded with `sandbox_create_key` and `sandbox_demo` (--flows, 200 by default);
- the dashboard, whose connection points at the API server. A separate process, as a real server
  would be: a dashboard view waits on an upstream call, and a process serving both could run out
  of threads with every thread waiting on a call that no thread is left to answer.

Each virtual user logs in with its own requests.Session, then loops until the time is up: a list
page, a flow's details, or a toggle (POST .../toggle/ is_enabled=1|0 with X-CSRFToken and
HX-Request, as htmx sends it). A flow is toggled by one user at a time, so that its toggles have
an order and "the last one" means something; the script records each flow's last requested state
and when it was answered, and at the end compares them with the API's database.

Prints a Markdown summary and writes it to var/loadtest-results.md, the raw figures to
var/loadtest-results.json (or --json). Exits 1 when any request failed or any toggle was lost.
"""

import argparse
import contextlib
import hashlib
import json
import os
import platform
import random
import re
import secrets
import sqlite3
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import requests

# The tests load this file by its path, so its folder (where harness.py is) may not be on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parent))
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
    manage,  # noqa: F401 (tests/test_secrets.py prepares its own database through this module)
    migrate,
    percentile,
    seed_sandbox,
    workspace,
)

RESULTS_MD = ROOT / "var" / "loadtest-results.md"
RESULTS_JSON = ROOT / "var" / "loadtest-results.json"

USERNAME = "loadtest"
PASSWORD = secrets.token_urlsafe(16)
API_KEY = "loadtest-" + secrets.token_hex(16)
PAGE_SIZES = (25, 25, 25, 50, 100)
# What a user does next, and how often.
ACTIONS = (("list", 4), ("detail", 3), ("toggle", 3))


def base_env(database):
    env = child_env(database)
    # No Redis cache from the caller's shell: the documented run is one dashboard worker with its
    # local-memory cache.
    env.pop("REDIS_URL", None)
    return env


def set_up(workdir, flows):
    """Migrate and seed the temporary database; returns (env, connection id)."""
    env = base_env(workdir / "db.sqlite3")
    migrate(env)
    log(f"seeding the sandbox with {flows} flows")
    seed_sandbox(env, API_KEY, flows)
    (connection_id,) = add_user(env, USERNAME, PASSWORD, [("Load test", API_KEY)])
    return env, connection_id


def flow_states(database):
    """Every flow of the load test's account, as the API's database has it: {id: is_enabled}."""
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db:
        rows = db.execute(
            "SELECT f.id, f.is_enabled FROM sandbox_flow f JOIN sandbox_apiaccount a ON a.id = f.account_id "
            "WHERE a.key_hash = ?",
            (hashlib.sha256(API_KEY.encode()).hexdigest(),),
        ).fetchall()
    return {flow_id: bool(enabled) for flow_id, enabled in rows}


# The run


@dataclass
class Toggle:
    wanted: bool
    answered_at: float


@dataclass
class Results:
    latencies: dict = field(default_factory=lambda: defaultdict(list))
    errors: list = field(default_factory=list)
    last_toggle: dict = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action, seconds, error=None):
        with self.lock:
            self.latencies[action].append(seconds)
            if error:
                self.errors.append(f"{action}: {error}")


class FlowLocks:
    """One user toggles a flow at a time; a user finding a flow busy picks another."""

    def __init__(self, flow_ids):
        self.locks = {flow_id: threading.Lock() for flow_id in flow_ids}

    @contextlib.contextmanager
    def any_free(self, rng):
        while True:
            flow_id = rng.choice(list(self.locks))
            if self.locks[flow_id].acquire(blocking=False):
                try:
                    yield flow_id
                finally:
                    self.locks[flow_id].release()
                return


class VirtualUser(threading.Thread):
    def __init__(self, number, base, connection_id, flow_ids, locks, results, deadline, think):
        super().__init__(name=f"user-{number}", daemon=True)
        self.base, self.flows_path = base, f"{base}/connections/{connection_id}/flows/"
        self.flow_ids, self.locks, self.results = flow_ids, locks, results
        self.deadline, self.think = deadline, think
        self.rng = random.Random(number)
        self.session = requests.Session()
        self.pages = max(1, len(flow_ids) // 25)

    def login(self):
        log_in(self.session, self.base, USERNAME, PASSWORD)

    def run(self):
        while time.monotonic() < self.deadline:
            action = self.rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
            getattr(self, action)()
            if self.think:
                time.sleep(self.rng.uniform(0, 2 * self.think))

    def timed(self, action, call, check):
        started = time.perf_counter()
        error = None
        try:
            response = call()
            error = check(response)
        except requests.RequestException as exc:
            error = type(exc).__name__
        self.results.record(action, time.perf_counter() - started, error)
        return error is None

    @staticmethod
    def page_ok(response):
        if response.status_code != 200:
            return f"HTTP {response.status_code} {response.url}"
        if "Traceback" in response.text:
            return f"a traceback in {response.url}"
        return None

    def list(self):
        size = self.rng.choice(PAGE_SIZES)
        page = self.rng.randint(1, max(1, self.pages * 25 // size))
        params = {"page": page, "results_per_page": size}
        self.timed(
            f"list ({size} rows)",
            lambda: self.session.get(self.flows_path, params=params, timeout=REQUEST_TIMEOUT),
            self.page_ok,
        )

    def detail(self):
        flow_id = self.rng.choice(self.flow_ids)
        url = f"{self.flows_path}{flow_id}/"
        self.timed("detail", lambda: self.session.get(url, timeout=REQUEST_TIMEOUT), self.page_ok)

    def toggle(self):
        wanted = self.rng.random() < 0.5
        with self.locks.any_free(self.rng) as flow_id:
            url = f"{self.flows_path}{flow_id}/toggle/"
            headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), "HX-Request": "true"}

            def check(response):
                if problem := self.page_ok(response):
                    return problem
                # The row that comes back shows the state asked for.
                shown = re.search(
                    rf'id="toggle-{flow_id}"[^>]*?aria-checked="(true|false)"', response.text, re.S
                )
                if not shown or (shown.group(1) == "true") != wanted:
                    return f"the row of flow {flow_id} does not show is_enabled={int(wanted)}"
                return None

            ok = self.timed(
                "toggle",
                lambda: self.session.post(
                    url, data={"is_enabled": int(wanted)}, headers=headers, timeout=REQUEST_TIMEOUT
                ),
                check,
            )
            with self.results.lock:
                # A failed toggle leaves the flow's outcome unknown: it is counted as an error above.
                self.results.last_toggle[flow_id] = Toggle(wanted, time.time()) if ok else None


def run(args):
    with workspace(keep=args.keep) as workdir:
        env, connection_id = set_up(workdir, args.flows)
        api = Server("api", env, workdir)
        dashboard = Server("dashboard", {**env, "SANDBOX_URL": f"{api.url}/sandbox"}, workdir)
        servers = [api, dashboard]
        log("starting the API server and the dashboard (gunicorn)")
        for server in servers:
            server.start()
        api.wait_ready("/sandbox/api/flows/")
        dashboard.wait_ready("/accounts/login/")

        initial = flow_states(workdir / "db.sqlite3")
        flow_ids = sorted(initial)
        results = Results()
        locks = FlowLocks(flow_ids)
        users = [
            VirtualUser(n, dashboard.url, connection_id, flow_ids, locks, results, 0, args.think)
            for n in range(args.users)
        ]
        log(f"logging {args.users} users in")
        with ThreadPoolExecutor(max_workers=args.users) as pool:
            list(pool.map(VirtualUser.login, users))
        upstream_before = logged_requests(api.output, b"/sandbox/api/")
        served_before = logged_requests(dashboard.output, b"/connections/")
        cpu_before = {server.name: cpu_seconds({server.process.pid}) for server in servers}
        cpu_before["load generator"] = time.process_time()
        machine_before = cpu_times()
        log(f"{args.users} users browsing and toggling for {args.duration:g} s")
        started = time.monotonic()
        for user in users:
            user.deadline = started + args.duration
            user.start()
        for user in users:
            user.join(args.duration + REQUEST_TIMEOUT + 5)
        elapsed = time.monotonic() - started
        time.sleep(0.3)  # let gunicorn write the access log lines of the last answers
        final = flow_states(workdir / "db.sqlite3")
        upstream = logged_requests(api.output, b"/sandbox/api/") - upstream_before
        served = logged_requests(dashboard.output, b"/connections/") - served_before
        cpu = {server.name: cpu_seconds({server.process.pid}) - cpu_before[server.name] for server in servers}
        cpu["load generator"] = time.process_time() - cpu_before["load generator"]
        machine_after = cpu_times()
        if machine_before and machine_after:
            # Time the host gave to its other guests while this one had work to run.
            cpu["stolen by the hypervisor"] = machine_after[2] - machine_before[2]
        cpu = {name: round(seconds, 1) for name, seconds in cpu.items()}
        return summarize(args, results, initial, final, elapsed, upstream, served, cpu)


def summarize(args, results, initial, final, elapsed, upstream, served, cpu=None):
    expected = dict(initial)
    unknown = set()
    for flow_id, toggle in results.last_toggle.items():
        if toggle is None:
            unknown.add(flow_id)
        else:
            expected[flow_id] = toggle.wanted
    lost = sorted(
        flow_id for flow_id in expected if flow_id not in unknown and final.get(flow_id) != expected[flow_id]
    )
    requests_made = sum(len(values) for values in results.latencies.values())
    actions = {}
    for action in sorted(results.latencies, key=lambda name: (name.split()[0] != "list", len(name), name)):
        values = results.latencies[action]
        actions[action] = {
            "requests": len(values),
            "median_ms": round(statistics.median(values) * 1000, 1) if values else None,
            "p95_ms": round(percentile(values, 0.95) * 1000, 1) if values else None,
            "p99_ms": round(percentile(values, 0.99) * 1000, 1) if values else None,
            "max_ms": round(max(values) * 1000, 1) if values else None,
        }
    return {
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "think_s": args.think,
        "flows": len(initial),
        "requests": requests_made,
        "requests_per_s": round(requests_made / elapsed, 1) if elapsed else None,
        "dashboard_requests_logged": served,
        "upstream_requests": upstream,
        "upstream_per_request": round(upstream / requests_made, 2) if requests_made else None,
        "actions": actions,
        "errors": len(results.errors),
        "error_samples": results.errors[:10],
        "toggles": len(results.latencies.get("toggle", [])),
        "cpu_s": cpu,
        "flows_toggled": len(results.last_toggle),
        "flows_checked": len(expected) - len(unknown),
        "lost_toggles": len(lost),
        "lost_flow_ids": lost[:20],
    }


def markdown(figures):
    lines = [
        f"Run {figures['when']} on {figures['machine']}: {figures['users']} users for "
        f"{figures['duration_s']} s on {figures['flows']} flows (think time up to "
        f"{2 * figures['think_s']:g} s).",
        "",
        "| action | requests | median | p95 | p99 | max |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for action, row in figures["actions"].items():
        cells = [
            f"{row[key]} ms" if row[key] is not None else "-"
            for key in ("median_ms", "p95_ms", "p99_ms", "max_ms")
        ]
        lines.append(f"| {action} | {row['requests']} | {' | '.join(cells)} |")
    lines += [
        "",
        f"- Requests: {figures['requests']} ({figures['requests_per_s']}/s); errors: {figures['errors']}.",
        f"- Upstream API requests: {figures['upstream_requests']} "
        f"({figures['upstream_per_request']} per dashboard request).",
        "- CPU used during the run: "
        + ", ".join(f"{name} {seconds} s" for name, seconds in (figures["cpu_s"] or {}).items())
        + f" (of {figures['duration_s'] * (os.cpu_count() or 1):.0f} s available on {os.cpu_count()} CPUs).",
        f"- Toggles: {figures['toggles']} on {figures['flows_toggled']} flows; every one of the "
        f"{figures['flows_checked']} flows checked against the API's database; lost toggles: "
        f"{figures['lost_toggles']}.",
    ]
    if figures["error_samples"]:
        lines += ["", "Errors (first 10):", *(f"- {error}" for error in figures["error_samples"])]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (default 60)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--flows", type=int, default=200, help="flows in the sandbox account (default 200)")
    parser.add_argument("--think", type=float, default=0.1, help="mean pause between a user's actions, s")
    parser.add_argument(
        "--json", type=Path, default=RESULTS_JSON, help=f"where to write the figures ({RESULTS_JSON})"
    )
    parser.add_argument(
        "--markdown", type=Path, default=RESULTS_MD, help=f"where to write the summary ({RESULTS_MD})"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (database, server logs)"
    )
    args = parser.parse_args()
    if not 0 < args.duration <= 3600 or not 0 < args.users <= 200:
        parser.error("--duration must be within 1 hour and --users within 200: the load test is bounded")
    exit_on_signals()

    figures = run(args)
    summary = markdown(figures)
    print(summary)
    for path, text in ((args.json, json.dumps(figures, indent=2) + "\n"), (args.markdown, summary)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if figures["errors"] or figures["lost_toggles"]:
        log(f"FAILED: {figures['errors']} errors, {figures['lost_toggles']} lost toggles")
        return 1
    log("passed: no errors, no lost toggles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
