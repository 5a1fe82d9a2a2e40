"""The CPU each page costs the dashboard's own processes (issue 30), and its upstream calls."""

import os
from pathlib import Path

from bench.harness import REQUEST_TIMEOUT, Report

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(server):
    """User and system CPU of every process of the server's group (gunicorn and its workers)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # After the name: state, ppid, pgrp (fields[2]), ..., utime and stime (fields[11], [12]).
        if int(fields[2]) == server.process.pid:
            total += int(fields[11]) + int(fields[12])
    return total / TICK


def pages(bench):
    """Each page's URL (GET, or POST with its form) on the load test's account of 200 flows."""
    flows, connection = bench.flows_url("load"), bench.connections["load"]
    site = bench.web.url
    api = bench.api_session("load")
    flow_id = api.get(f"{bench.api.url}/sandbox/api/flows/", timeout=REQUEST_TIMEOUT).json()["data"][0]["id"]
    websites = api.get(f"{bench.api.url}/sandbox/api/websites/", timeout=REQUEST_TIMEOUT).json()["data"]
    return {
        "list, 25 rows": (f"{flows}?results_per_page=25", None),
        "list, 100 rows": (f"{flows}?results_per_page=100", None),
        "a flow's page (its chart)": (f"{flows}{flow_id}/", None),
        "toggle": (f"{flows}{flow_id}/toggle/", {"is_enabled": "1"}),
        "sequence": (f"{site}/connections/{connection}/websites/{websites[0]['id']}/sequence/", None),
        "deliveries": (f"{flows}{flow_id}/deliveries/", None),
        "subscribers": (f"{site}/connections/{connection}/subscribers/", None),
        "test send": (f"{flows}{flow_id}/test/", None),
    }


def page_cpu(bench):
    """Each page asked for one at a time (the first time, then `--repeat` times more, the cache
    warm as a team's browsing keeps it): CPU ms of the dashboard's processes per request, by
    their /proc counters (ticks of 10 ms: the mean over the repeats), and its upstream calls."""
    session, samples = bench.logged_in(), max(bench.args.repeat * 3, 10)
    headers = {"X-CSRFToken": session.cookies.get("csrftoken", ""), "HX-Request": "true"}
    report = Report("6. CPU per page", page_cpu.__doc__)
    report.table(
        "page", "status", "first: upstream calls", "then: upstream calls a request", "CPU ms a request"
    )
    for name, (url, form) in pages(bench).items():

        def ask(url=url, form=form):
            if form is None:
                return session.get(url, timeout=REQUEST_TIMEOUT)
            return session.post(url, data=form, headers=headers, timeout=REQUEST_TIMEOUT)

        mark = bench.api.log.mark()
        status = ask().status_code
        first = len(bench.api.log.since(mark, "/api/"))
        mark, before = bench.api.log.mark(), cpu_seconds(bench.web)
        statuses = {status, *(ask().status_code for _ in range(samples))}
        spent = (cpu_seconds(bench.web) - before) * 1000 / samples
        calls = len(bench.api.log.since(mark, "/api/")) / samples
        report.row(name, ", ".join(map(str, sorted(statuses))), first, calls, spent)
        report.figures[name] = spent
    report.target("every page answered 200", "see the table", all(row[1] == "200" for row in report.rows))
    return report
