#!/usr/bin/env python
"""`make bench`, the bulk job: 500 flows paused within the key's rate budget.

The API server is the sandbox under gunicorn with its rate limit on (60 requests a window), the
window shortened to WINDOW seconds so that a minute plays out in a few seconds. A "pause" job
on its 500 flows is queued and run by the worker in this process, whose client is told the same
window. Reported: the requests the job spent (from the API server's access log), the 429s, and
its time against two floors: items ÷ budget (every request of every window) and items ÷
(budget - reserve) (what background work may take, leaving the reserve to people).
"""

import json
import os
import secrets
import sys
import time

from harness import (
    ROOT,
    Server,
    add_user,
    child_env,
    exit_on_signals,
    log,
    logged_requests,
    migrate,
    seed_sandbox,
    workspace,
)

ITEMS = 500
LIMIT = 60
WINDOW = 3
RESERVE = 10


def run_job(connection_id, key):
    """Queue the job and run the worker until it is over, in this process; the job's figures."""
    import django

    sys.path.insert(0, str(ROOT))
    django.setup()
    from flows_app.api import client as api_client
    from flows_app.models import Connection
    from jobs import bulk
    from jobs.worker import Worker
    from sandbox.models import ApiAccount, Flow

    # The client's idea of the window, shortened as the server's is.
    api_client.RATE_WINDOW = WINDOW
    connection = Connection.objects.get(pk=connection_id)
    ids = list(Flow.objects.filter(account__in=ApiAccount.objects.with_key(key)).values_list("pk", flat=True))
    job, _ = bulk.start(connection, connection.owner, "pause", ids)
    started = time.monotonic()
    Worker(interval=0.05, until_idle=True).run()
    seconds = time.monotonic() - started
    job.refresh_from_db()
    states = dict(job.items.values_list("state").annotate(count=django.db.models.Count("pk")))
    return {"seconds": seconds, "states": states, "state": job.state, "items": len(ids)}


def main():
    exit_on_signals()
    with workspace() as workdir:
        env = child_env(
            workdir / "db.sqlite3",
            SANDBOX_RATE_LIMIT=str(LIMIT),
            SANDBOX_RATE_WINDOW=str(WINDOW),
            JOBS_RESERVE_PER_MINUTE=str(RESERVE),
        )
        migrate(env)
        key = f"bench-jobs-{secrets.token_hex(8)}"
        seed_sandbox(env, key, ITEMS)
        [connection_id] = add_user(env, "bench-jobs", secrets.token_urlsafe(16), [("Bench jobs", key)])
        access_log = workdir / "api-access.log"
        api = Server("api", dict(env, GUNICORN_ACCESSLOG=str(access_log)), workdir)
        api.start()
        api.wait_ready("/sandbox/api/flows/")
        log(f"API server up at {api.url}; running a {ITEMS}-flow pause")
        os.environ.update(env, SANDBOX_URL=f"{api.url}/sandbox", DJANGO_SETTINGS_MODULE="dashboard.settings")
        result = run_job(connection_id, key)
        result["requests"] = logged_requests(access_log, b'"POST /sandbox/api/flows/')
        result["rate_limited"] = logged_requests(access_log, b'" 429 ')
    report(result)


def report(result):
    minute = 60 / WINDOW
    budget_floor = result["items"] / LIMIT * WINDOW
    job_floor = result["items"] / (LIMIT - RESERVE) * WINDOW
    rows = [
        ("items", f"{result['items']}", f"job {result['state']}, items {result['states']}"),
        ("requests spent", f"{result['requests']}", "one per item is the least"),
        ("429 answers", f"{result['rate_limited']}", "the pacing waits for the reset instead"),
        (
            "time",
            f"{result['seconds']:.1f} s",
            f"{result['seconds'] * minute / 60:.1f} min at the real 60 s window",
        ),
        ("floor: items ÷ budget", f"{budget_floor:.1f} s", f"ratio {result['seconds'] / budget_floor:.2f}"),
        (
            f"floor: items ÷ (budget - reserve of {RESERVE})",
            f"{job_floor:.1f} s",
            f"ratio {result['seconds'] / job_floor:.2f}",
        ),
    ]
    print(f"\nBulk job: {LIMIT} requests per {WINDOW} s window (a minute played {minute:.0f}x faster)\n")
    print("| figure | value | note |\n| --- | --- | --- |")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    (ROOT / "var").mkdir(exist_ok=True)
    (ROOT / "var" / "bench-jobs.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
