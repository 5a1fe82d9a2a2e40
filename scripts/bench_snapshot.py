#!/usr/bin/env python
"""`make bench`, trends part: one connection of 10,000 flows snapshotted through the real client
against the sandbox served by gunicorn (upstream calls, time, rows written, database growth).

Five snapshots an hour apart: the first is the starting point, the second sees nothing move, the
next three follow a `sandbox_tick` each (every enabled flow sends: the worst case, since a real
flow rarely sends in every quarter hour). Prints a Markdown table and the growth per day at the
default interval, and writes them to var/bench-snapshot.md.
"""

import argparse
import json
import secrets

from harness import ROOT, Server, add_user, child_env, log, manage, migrate, seed_sandbox, workspace

MEASURE = """
import datetime as dt, json, time
from django.db import connection as db
from django.utils import timezone
from flows_app.models import Connection
from sandbox.demo import tick
from sandbox.models import ApiAccount, Flow
from trends.models import Delta
from trends.snapshots import take_snapshot

def size():
    with db.cursor() as cursor:
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0]

connection = Connection.objects.get(pk={connection_id})
flows = Flow.objects.filter(account__in=ApiAccount.objects.with_key({key!r}))
start = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=6)
runs = []
for number, moved in enumerate((False, False, True, True, True)):
    if moved:
        tick(flows)
    rows, before, began = Delta.objects.count(), size(), time.perf_counter()
    snapshot = take_snapshot(connection, start + dt.timedelta(hours=number))
    runs.append(dict(
        seconds=time.perf_counter() - began, calls=snapshot.calls, flows=snapshot.flows,
        changed=snapshot.changed, delta_rows=Delta.objects.count() - rows, bytes=size() - before,
    ))
print("RESULT " + json.dumps(runs))
"""


def report(runs, flows):
    labels = ["first (starting point)", "nothing moved", "after a tick", "after a tick", "after a tick"]
    lines = [
        f"### Snapshot of {flows:,} flows",
        "",
        "| snapshot | upstream calls | time | flows changed | hour rows written | database growth |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, run in zip(labels, runs, strict=True):
        lines.append(
            f"| {label} | {run['calls']} | {run['seconds']:.2f} s | {run['changed']:,} "
            f"| {run['delta_rows']:,} | {run['bytes'] / 1024:,.0f} KiB |"
        )
    moved = runs[2:]
    per_row = sum(run["bytes"] for run in moved) / max(1, sum(run["delta_rows"] for run in moved))
    changed = max(run["changed"] for run in moved)
    # Snapshots of one hour add to the same row: at most 24 rows a flow a day, whatever the interval.
    per_day = 24 * changed * per_row
    lines += [
        "",
        f"About {per_row:.0f} bytes per stored hour row. Growth per day at the default interval "
        f"(STATS_SNAPSHOT_MINUTES=15, 96 snapshots, {96 * moved[0]['calls']} upstream calls a day), "
        f"if {changed:,} flows moved in every hour: {per_day / 2**20:.1f} MiB; after "
        f"STATS_HOURLY_DAYS the day is thinned to one row a flow ({per_day / 24 / 2**20:.2f} MiB a day). "
        "A flow that did not move writes nothing.",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flows", type=int, default=10_000)
    args = parser.parse_args()
    with workspace() as workdir:
        env = child_env(workdir / "db.sqlite3")
        migrate(env)
        key = f"bench-snapshot-{secrets.token_hex(8)}"
        seed_sandbox(env, key, args.flows)
        api = Server("api", env, workdir)
        api.start()
        api.wait_ready("/sandbox/api/flows/")
        env["SANDBOX_URL"] = api.url + "/sandbox"
        (connection_id,) = add_user(env, "bench-snapshot", secrets.token_urlsafe(12), [("Bench", key)])
        log(f"snapshotting {args.flows:,} flows")
        out = manage(env, "shell", "-c", MEASURE.format(connection_id=connection_id, key=key))
        runs = json.loads(out.split("RESULT ", 1)[1])
    text = report(runs, args.flows)
    print(text)
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-snapshot.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
