"""Users browsing: `make loadtest` alone (DURATION), the last scenario of `make bench`.

Each virtual user is a team member with an account of their own, an editor of one shared
connection, and logs in with its own session and loops until the time is up: a list page (25,
50 or 100 rows, any page), a flow's details, or a toggle (the POST the switch sends, as htmx
sends it), with a short pause between. Each user toggles flows of its own, so that a flow's
toggles have an order; at the end each flow's state in the API's database must be the last one
asked for. Then the same users send the API calls of those actions straight to the API server:
the p95 of the API alone under the same load.
"""

import json
import random
import re
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from statistics import median, quantiles

import requests

from bench.harness import REQUEST_TIMEOUT, Report, log, shell

PAGE_SIZES = (25, 25, 25, 50, 100)
# What a user does next, as often as it appears here.
ACTIONS = ("list",) * 4 + ("detail",) * 3 + ("toggle",) * 3

ADD_MEMBERS = """
import json
from django.contrib.auth import get_user_model
from flows_app.models import Connection, Membership, Role

connection_id, names, password = json.loads({spec!r})
for name in names:
    user = get_user_model().objects.create_user(name, password=password)
    Membership.objects.create(connection_id=connection_id, user=user, role=Role.EDITOR)
print("RESULT " + json.dumps(len(names)))
"""


def members(bench):
    """The users' accounts, each an editor of the bench user's "load" connection: their names."""
    names = [f"member{number}" for number in range(bench.args.users)]
    shell(bench.env, ADD_MEMBERS.format(spec=json.dumps([bench.connections["load"], names, bench.password])))
    return names


class Dashboard:
    """The actions as a user's browser asks the dashboard for them."""

    def __init__(self, bench, username):
        self.session = bench.logged_in(username)
        self.flows = bench.flows_url("load")

    def list(self, page, size):
        params = {"page": page, "results_per_page": size}
        return self.session.get(self.flows, params=params, timeout=REQUEST_TIMEOUT)

    def detail(self, flow_id):
        return self.session.get(f"{self.flows}{flow_id}/", timeout=REQUEST_TIMEOUT)

    def toggle(self, flow_id, on):
        headers = {"X-CSRFToken": self.session.cookies.get("csrftoken", ""), "HX-Request": "true"}
        url = f"{self.flows}{flow_id}/toggle/"
        return self.session.post(url, data={"is_enabled": int(on)}, headers=headers, timeout=REQUEST_TIMEOUT)

    @staticmethod
    def problem(answer, flow_id=None, on=None):
        if answer.status_code != 200 or "Traceback" in answer.text:
            return f"HTTP {answer.status_code} {answer.url}"
        # The switch that comes back shows the state asked for.
        shown = flow_id and re.search(rf'id="toggle-{flow_id}"[^>]*?aria-checked="(true|false)"', answer.text)
        if flow_id and (not shown or (shown[1] == "true") != on):
            return f"the switch of flow {flow_id} does not show is_enabled={int(on)}"
        return None


class Api(Dashboard):
    """The API calls the dashboard makes for the same actions, sent straight to the API server."""

    def __init__(self, bench, _username):
        self.session = bench.api_session("load")
        self.flows = f"{bench.api.url}/sandbox/api/flows/"

    def detail(self, flow_id):
        return self.session.get(f"{self.flows}{flow_id}", timeout=REQUEST_TIMEOUT)

    def toggle(self, flow_id, on):
        form = {"is_enabled": (None, str(int(on)))}
        return self.session.post(f"{self.flows}{flow_id}", files=form, timeout=REQUEST_TIMEOUT)

    @staticmethod
    def problem(answer, flow_id=None, on=None):
        return None if answer.status_code == 200 else f"HTTP {answer.status_code} {answer.url}"


class Run:
    """One load run: the latencies of each action, the errors, and each flow's last toggle (None
    when it failed: its outcome is unknown)."""

    def __init__(self, flow_ids):
        self.flow_ids = flow_ids
        self.latencies, self.errors, self.last_toggle = defaultdict(list), [], {}
        self.lock = threading.Lock()

    def user(self, site, number, users, deadline, think):
        rng = random.Random(number)
        # Each user toggles flows of its own, so that each flow's toggles have an order.
        own = self.flow_ids[number::users]
        while time.monotonic() < deadline:
            action, on = rng.choice(ACTIONS), rng.random() < 0.5
            flow_id = rng.choice(own if action == "toggle" else self.flow_ids)
            started = time.perf_counter()
            try:
                if action == "list":
                    size = rng.choice(PAGE_SIZES)
                    error = site.problem(site.list(rng.randint(1, max(1, len(self.flow_ids) // size)), size))
                elif action == "detail":
                    error = site.problem(site.detail(flow_id))
                else:
                    error = site.problem(site.toggle(flow_id, on), flow_id, on)
            except requests.RequestException as exc:
                error = f"{type(exc).__name__}: {exc}"[:200]
            with self.lock:
                for kind in (action, "all"):
                    self.latencies[kind].append(time.perf_counter() - started)
                if error:
                    self.errors.append(f"{action}: {error}")
                if action == "toggle":
                    self.last_toggle[flow_id] = None if error else on
            time.sleep(rng.uniform(0, 2 * think))


def browse(bench, site, flow_ids, usernames):
    args = bench.args
    run = Run(flow_ids)
    # One after another: a login hashes the password (about a second of CPU here), and twenty
    # at once could outwait the timeout.
    sites = [site(bench, username) for username in usernames]
    # The first users' connections idled while the others logged in, and gunicorn closes one idle
    # for 2 s (its keep-alive): closed just as its user sends, the request is reset, which a
    # browser sends again and requests does not. So every user starts on a new connection.
    for each in sites:
        each.session.close()
    with ThreadPoolExecutor(max_workers=args.users) as pool:
        deadline = time.monotonic() + args.duration
        list(pool.map(lambda n: run.user(sites[n], n, args.users, deadline, args.think), range(args.users)))
    return run


def flow_states(bench):
    """Every flow of the load test's account as the API has it: {id: is_enabled}."""
    url = f"{bench.api.url}/sandbox/api/flows/?results_per_page=1000"  # every flow: --load-flows <= 1000
    answer = bench.api_session("load").get(url, timeout=REQUEST_TIMEOUT)
    return {flow["id"]: bool(flow["is_enabled"]) for flow in answer.json()["data"]}


def lost_toggles(initial, final, last_toggle):
    """The flows whose final state is not the last one asked for (for a flow never toggled: its
    initial one), and how many flows could be checked (a failed toggle's outcome is unknown)."""
    unknown = {flow_id for flow_id, on in last_toggle.items() if on is None}
    expected = {flow: last_toggle.get(flow, on) for flow, on in initial.items() if flow not in unknown}
    return sorted(flow_id for flow_id, on in expected.items() if final.get(flow_id) != on), len(expected)


def spread(values):
    """How many, the median and the p95, in ms."""
    return len(values), median(values) * 1000, quantiles(values, n=20, method="inclusive")[18] * 1000


def load(bench):
    args = bench.args
    initial = flow_states(bench)
    log(f"{args.users} users browsing the dashboard for {args.duration:g} s")
    usernames = members(bench)
    dashboard = browse(bench, Dashboard, sorted(initial), usernames)
    lost, checked = lost_toggles(initial, flow_states(bench), dashboard.last_toggle)
    log(f"the same users on the API alone for {args.duration:g} s")
    api = browse(bench, Api, sorted(initial), usernames)
    report = Report(f"5b. {args.users} users browsing for {args.duration:g} s", __doc__.split("\n\n", 1)[1])
    report.table("action", "dashboard: requests", "p50 ms", "p95 ms", "API alone: requests", "p50", "p95")
    for action in ("list", "detail", "toggle", "all"):
        report.row(action, *spread(dashboard.latencies[action]), *spread(api.latencies[action]))
    requests_made = len(dashboard.latencies["all"])
    errors = dashboard.errors + [f"API alone, {error}" for error in api.errors]
    report.target("0 errors", f"{len(errors)} of {requests_made} requests {errors[:3]}", not errors)
    toggled = len(dashboard.last_toggle)
    report.target("0 lost toggles", f"{len(lost)} ({toggled} flows toggled, {checked} checked)", not lost)
    report.figures = {
        "errors": len(errors),
        "lost_toggles": len(lost),
        "flows_checked": checked,
        "flows_toggled": toggled,
        "requests": {action: len(values) for action, values in dashboard.latencies.items()},
    }
    return report
