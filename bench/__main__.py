"""`make bench` (python -m bench): the figures of issue #18 side by side in one run, medians, each
target marked PASS or FAIL; `make loadtest` (python -m bench load) the load test alone.

Everything runs on loopback, bounded in count and time, in a temporary folder; the servers are
stopped on exit, Ctrl-C or SIGTERM. Exits 1 when a target is missed.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench.cpu import page_cpu
from bench.harness import ROOT, Bench, Report, log, workspace
from bench.loadtest import load
from bench.scenarios import bulk_job, find, first_visit, gathering, plain_list, snapshot

# In this order: the snapshot's ticks change the 10,000 flows that the first three read.
SCENARIOS = {
    "find": find,
    "list": plain_list,
    "visit": first_visit,
    "snapshot": snapshot,
    "job": bulk_job,
    "gather": gathering,
    "load": load,
    "cpu": page_cpu,
}
# The sandbox account each scenario reads ("many": the --flows flows, 10,000 by default).
ACCOUNT = {
    "find": "many",
    "list": "many",
    "visit": "many",
    "snapshot": "many",
    "job": "jobs",
    "gather": "gather",
    "load": "load",
    "cpu": "load",
}
OPTIONS = (
    ("--latency-ms", int, 30, "latency the API adds to every call"),
    ("--flows", int, 10_000, "flows of the account that the lists read"),
    ("--repeat", int, 9, "samples per median"),
    ("--job-items", int, 500, "flows the bulk job pauses"),
    ("--gather-flows", int, 1000, "flows whose deliveries the worker gathers"),
    # Long enough for a minute's 50 writes one after another (about 0.1 s each on a loaded machine).
    ("--window", int, 10, "seconds the rate limit's minute lasts"),
    ("--users", int, 20, "users of the load test"),
    ("--duration", float, 20, "seconds of load, on each side"),
    ("--load-flows", int, 200, "flows the load test toggles"),
    # Pauses run up to twice the mean: past gunicorn's 2 s keep-alive a request can meet its
    # connection being closed and be reset (a browser would send it again).
    ("--think", float, 0.1, "a user's mean pause between two actions, s (under 1)"),
    ("--markdown", Path, ROOT / "var" / "bench-results.md", "where the report is written"),
)


def arguments():
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", metavar="scenario", help=f"of {', '.join(SCENARIOS)} (all)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 3 samples, 100 items, 5 s")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and its logs")
    parser.add_argument("--json", type=Path, help="also write each scenario's raw figures there")
    for name, kind, default, text in OPTIONS:
        parser.add_argument(name, type=kind, default=default, help=f"{text} ({default})")
    args = parser.parse_args()
    if unknown := set(args.scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario {', '.join(unknown)}: choose among {', '.join(SCENARIOS)}")
    if not (0 < args.duration <= 3600 and 0 < args.users <= 200 and args.users <= args.load_flows <= 1000):
        parser.error("the load is bounded: --duration <= 1 hour, --users <= 200 and <= --load-flows <= 1000")
    if args.quick:
        args.repeat, args.job_items, args.duration = 3, 100, min(args.duration, 5)
    args.scenarios = [name for name in SCENARIOS if name in args.scenarios or not args.scenarios]
    return args


def accounts(args):
    """The sandbox accounts the chosen scenarios read: {name: flows}."""
    sizes = {"many": args.flows, "jobs": args.job_items, "gather": args.gather_flows, "load": args.load_flows}
    return {ACCOUNT[name]: sizes[ACCOUNT[name]] for name in args.scenarios}


def main():
    args = arguments()
    load_before = os.getloadavg()
    reports = {}
    with workspace(args.keep) as workdir:
        bench = Bench(workdir, args, accounts(args))
        for name in args.scenarios:
            log(f"scenario {name}")
            # One broken scenario must not cost the others' figures: its failure is reported instead.
            try:
                reports[name] = SCENARIOS[name](bench)
            except Exception as error:
                reports[name] = Report(name)
                reports[name].target("the scenario ran", f"{type(error).__name__}: {error}"[:300], False)
            print(reports[name].markdown(), flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    head = (
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, commit {commit.stdout.strip()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}; load average (1, 5, 15 min) before "
        f"{', '.join(f'{x:.1f}' for x in load_before)}, after {', '.join(f'{x:.1f}' for x in os.getloadavg())}; "
        f"API latency {args.latency_ms} ms; medians of {args.repeat}.\n"
    )
    print(head)
    args.markdown.parent.mkdir(parents=True, exist_ok=True)
    args.markdown.write_text("\n".join([head, *(report.markdown() for report in reports.values())]))
    if args.json:
        args.json.write_text(json.dumps({name: report.figures for name, report in reports.items()}, indent=2))
    failed = [name for name, report in reports.items() if not all(ok for *_, ok in report.targets)]
    log(f"targets missed in: {', '.join(failed)}" if failed else "every target met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
