"""The scenarios of issue #18, each a function of the shared Bench that returns its Report."""

import gzip
import math
import re
from concurrent.futures import ThreadPoolExecutor
from statistics import median
from urllib.parse import urljoin

from bench.harness import REQUEST_TIMEOUT, Report, Server, median_ms, shell, timed

# Each sample of the filtered view asks for another word and order, so that no two look alike.
WORDS = ("cart", "welcome", "sale", "review")
SORTS = ("-click_rate", "name", "-sent", "last_sent")


def get(session, url, **kwargs):
    answer = session.get(url, timeout=REQUEST_TIMEOUT, **kwargs)
    answer.raise_for_status()
    return answer


def find(bench):
    """The list searched and sorted over every flow: cold (`?fresh=1`, the Refresh button: every
    page read again) against the API's pages of 1000 fetched directly, all at once, bytes only;
    then another word and order within the cache's life (FLOWS_CACHE_SECONDS)."""
    api, web, args = bench.api, bench.web, bench.args
    session, pages = bench.api_session("many"), math.ceil(args.flows / 1000)

    def page(number):
        return get(session, f"{api.url}/sandbox/api/flows/?page={number}&results_per_page=1000")

    def raw():
        with ThreadPoolExecutor(max_workers=pages) as pool:
            return list(pool.map(page, range(1, pages + 1)))

    def view(word, sort, fresh=""):
        url = f"{bench.flows_url('many')}?q={word}&sort={sort}&results_per_page=100{fresh}"
        marks = api.log.mark(), web.log.mark()
        seconds, _ = timed(lambda: get(bench.browser, url))
        own = [ms for *_, ms in web.log.since(marks[1], "/flows/")]
        return seconds, len(api.log.since(marks[0], "/api/")), own[0]

    cold, direct, changed = [], [], []
    for i in range(args.repeat):
        # In turns, so that neither side always goes first.
        for side in ("cold", "raw") if i % 2 else ("raw", "cold"):
            if side == "raw":
                direct.append(timed(raw)[0])
            else:
                cold.append(view(WORDS[i % 4], SORTS[i % 4], "&fresh=1"))
        changed.append(view(WORDS[(i + 1) % 4], SORTS[(i + 2) % 4]))
    cold_ms, direct_ms = median_ms([s for s, *_ in cold]), median_ms(direct)
    calls, own = max(c for _, c, _ in changed), median(ms for *_, ms in changed)
    report = Report(f"1. Filtered and sorted view of {args.flows:,} flows", find.__doc__)
    report.table("figure", "wall ms", "in the dashboard ms (%(M)s)", "upstream calls (most)")
    report.row(f"API alone: {pages} pages of 1000 at once", direct_ms, "", pages)
    report.row("the view, cold", cold_ms, median(ms for *_, ms in cold), max(c for _, c, _ in cold))
    report.row("the view changed, from the cache", median_ms([s for s, *_ in changed]), own, calls)
    report.target("cold <= 1.3x the API alone", f"{cold_ms / direct_ms:.2f}x", cold_ms <= 1.3 * direct_ms)
    report.target("changed: no upstream call", calls, calls == 0)
    report.target("changed: <= 30 ms in the dashboard", f"{own:.0f} ms", own <= 30)
    return report


def plain_list(bench):
    """The plain list of 100 rows, each sample a page never viewed (one upstream call), against
    an upstream that adds only its latency (bench/upstream.py), and the same page passed on by
    the floors (bench/floors.py): a bare WSGI function, and Django after the login and the
    connection. Taken in turns, so that none always goes first."""
    upstream, floors, args = bench.upstream, bench.floors, bench.args
    for server in (upstream, floors):
        server.start()
    upstream.wait_ready("/ready")
    floors.wait_ready("/accounts/login/")
    direct = bench.api_session("many")
    connection = bench.connections["fast"]
    sides = {
        "the upstream alone": lambda q: get(direct, f"{upstream.url}/api/flows/?{q}"),
        "floor: bare WSGI": lambda q: get(direct, f"{floors.url}/floor/wsgi/?{q}"),
        "floor: Django + login + connection": lambda q: get(
            bench.browser, f"{floors.url}/floor/connection/{connection}/?{q}"
        ),
        "the list page": lambda q: get(bench.browser, f"{bench.flows_url('fast')}?{q}"),
    }
    # Every thread's first requests (connections, templates) on 10-row pages, which no sample uses.
    for _ in range(20):
        for call in sides.values():
            call("page=1&results_per_page=10")
    times = {side: [] for side in sides}
    mark = bench.web.log.mark()
    for i in range(args.repeat):
        query = f"page={i + 1}&results_per_page=100"
        sides["the upstream alone"](query)  # recorded by the upstream before it is timed
        order = list(sides)[i % 4 :] + list(sides)[: i % 4]
        for side in order:
            times[side].append(timed(lambda side=side, query=query: sides[side](query))[0])
    own = median(ms for *_, ms in bench.web.log.since(mark, "results_per_page=100"))
    bare = median_ms(times["the upstream alone"])
    report = Report("2. The plain list, 100 rows, cold, against a fast upstream", plain_list.__doc__)
    report.table("figure", "median ms", "ratio to the upstream alone")
    for side, seconds in times.items():
        report.row(side, median_ms(seconds), f"{median_ms(seconds) / bare:.2f}x")
    report.row("the list page in the dashboard (%(M)s)", own, "")
    ratio = median_ms(times["the list page"]) / bare
    report.target("cold <= 1.3x the upstream alone", f"{ratio:.2f}x", ratio <= 1.3)
    return report


JOB = """
import json, time
from django.core.management import call_command
from django.utils.module_loading import autodiscover_modules
from flows_app.api import budget
from flows_app.models import Connection
from jobs import bulk, periodic
from sandbox.models import ApiAccount, Flow

# The API server's window is shortened alike (SANDBOX_RATE_WINDOW), as the tests do.
budget.WINDOW = {window}
# The job alone is timed: the periodic work due now (a snapshot of every connection) counts as done.
autodiscover_modules("tasks")
for work in periodic.registry.values():
    periodic.claim(work, time.time())
connection = Connection.objects.get(pk={connection})
ids = Flow.objects.filter(account__in=ApiAccount.objects.with_key({key!r})).values_list("pk", flat=True)
job, _ = bulk.start(connection, connection.owner, "pause", list(ids))
started = time.monotonic()
call_command("worker", interval=0.05, until_idle=True)
job.refresh_from_db()
states = sorted(set(job.items.values_list("state", flat=True)))
print("RESULT " + json.dumps(dict(seconds=time.monotonic() - started, state=job.state, items=states)))
"""


def bulk_job(bench):
    """A bulk pause of every flow of an account, queued as the list's bulk form does and run by
    the real worker (`manage.py worker`) against the sandbox with its rate limit on: 60 requests
    a window, the window shortened so that a minute plays in a few seconds. Background work sends
    only while the key's count is under BUDGET_BACKGROUND_SHARE of the limit, leaving the rest to
    people (flows_app/api/budget.py): its floor is items / (budget - reserve)."""
    args, limit = bench.args, 60
    # What background work leaves to people of each window (BUDGET_BACKGROUND_SHARE, 50 % by default).
    reserve = limit - limit * int(bench.env.get("BUDGET_BACKGROUND_SHARE", 50)) // 100
    env = dict(bench.env, SANDBOX_RATE_LIMIT=str(limit), SANDBOX_RATE_WINDOW=str(args.window))
    limited = Server("api-limited", env, bench.workdir)
    limited.start()
    limited.wait_ready("/sandbox/api/flows/")
    worker_env = dict(env, SANDBOX_URL=limited.url + "/sandbox")
    script = JOB.format(window=args.window, connection=bench.connections["jobs"], key=bench.keys["jobs"])
    mark = limited.log.mark()
    result = shell(worker_env, script)
    answers = limited.log.since(mark, "/api/flows/")
    writes = sum(method == "POST" and status == 200 for method, _, status, _ in answers)
    refused = sum(status == 429 for _, _, status, _ in answers)
    minute = args.window  # the shortened window stands for a minute
    floor = args.job_items / (limit - reserve) * minute
    report = Report(f"3. A bulk job of {args.job_items} items", bulk_job.__doc__)
    report.table("figure", "value")
    report.row("window (a minute)", f"{minute} s: {limit} requests, {reserve} kept for people")
    report.row("job", f"{result['state']}, items {', '.join(result['items'])}")
    report.row("requests at the API server: writes / all / 429", f"{writes} / {len(answers)} / {refused}")
    report.row("time", f"{result['seconds']:.1f} s = {result['seconds'] / minute:.2f} minutes")
    report.row("floor: items / (budget - reserve)", f"{floor:.1f} s = {floor / minute:.0f} minutes")
    report.target(f"exactly {args.job_items} writes", writes, writes == args.job_items)
    report.target("0 refused by the rate limit", refused, refused == 0)
    seconds = result["seconds"]
    report.target("within the floor + 1 minute", f"{seconds:.1f} s", seconds <= floor + minute)
    limited.stop()
    return report


SNAPSHOT = """
import datetime as dt, json, time
from django.conf import settings
from django.db import connection as db
from django.db.models import F
from django.utils import timezone
from flows_app.models import Connection
from sandbox.models import ApiAccount, Flow
from trends.snapshots import take_snapshot

def trends_bytes():
    # The pages of the trends tables and their indexes (SQLite's dbstat): what the history takes on disk.
    with db.cursor() as cursor:
        cursor.execute("SELECT SUM(pgsize) FROM dbstat WHERE name IN "
                       "(SELECT name FROM sqlite_master WHERE tbl_name LIKE 'trends_%')")
        return cursor.fetchone()[0] or 0

connection = Connection.objects.get(pk={connection})
flows = Flow.objects.filter(account__in=ApiAccount.objects.with_key({key!r}))
step = dt.timedelta(minutes=settings.STATS_SNAPSHOT_MINUTES)
hour = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=3)
runs = []
# The starting point, then every snapshot of one hour at the default interval, each after a tick.
for number in range(dt.timedelta(hours=1) // step + 1):
    if number:
        # Every enabled flow sends (the worst case): the figures change, the engine's queue aside.
        flows.filter(is_enabled=True).update(**{{name: F(name) + 20 for name in (
            "total_sent_push_notifications", "total_displayed_push_notifications")}})
    before, began = trends_bytes(), time.perf_counter()
    snapshot = take_snapshot(connection, hour + (number - 1) * step)
    runs.append(dict(seconds=time.perf_counter() - began, calls=snapshot.calls, changed=snapshot.changed,
                     bytes=trends_bytes() - before))
print("RESULT " + json.dumps(dict(minutes=settings.STATS_SNAPSHOT_MINUTES, runs=runs)))
"""


def snapshot(bench):
    """A snapshot of every flow (trends.snapshots.take_snapshot, what the worker's periodic
    snapshot runs for each connection) through the real client against the API server: a
    starting point, then the snapshots of one whole hour at the default interval, each after a
    change of every enabled flow's figures (every flow sends: the worst case). The history's growth is the pages
    of the trends tables and indexes (SQLite's dbstat) that the hour added, times 24: snapshots
    of one hour add to the same row of that hour."""
    mark = bench.api.log.mark()
    script = SNAPSHOT.format(connection=bench.connections["many"], key=bench.keys["many"])
    result = shell(bench.env, script)
    counted = len(bench.api.log.since(mark, "/api/"))
    runs, minutes = result["runs"], result["minutes"]
    hour = runs[1:]
    per_day = sum(run["bytes"] for run in hour) * 24
    held = median(run["seconds"] for run in hour)
    report = Report(f"4. A snapshot of {bench.args.flows:,} flows", snapshot.__doc__)
    report.table("snapshot", "upstream calls", "time holding the worker", "flows changed", "trends growth")
    for number, run in enumerate(runs):
        label = "starting point" if not number else f":{(number - 1) * minutes:02d} after a tick"
        kib = f"{run['bytes'] / 1024:,.0f} KiB"
        report.row(label, run["calls"], f"{run['seconds']:.2f} s", run["changed"], kib)
    report.row(f"per day ({1440 // minutes} snapshots)", "", "", "", f"{per_day / 2**20:.1f} MiB")
    calls = max(run["calls"] for run in runs)
    report.target("<= 10 upstream calls each (all, counted by the API)", f"{calls} ({counted})", calls <= 10)
    report.target("holds the worker (median) < the interval", f"{held:.2f} s", held < minutes * 60)
    return report


ASSET = re.compile(r'<(?:link[^>]*\bhref|script[^>]*\bsrc|img[^>]*\bsrc|use[^>]*\bhref)="([^"#]+)', re.I)


def first_visit(bench):
    """The list page's first visit (25 rows, a new user's page size) as a browser makes it
    (`Accept-Encoding: gzip, br`): the HTML and every asset it names (stylesheets, scripts, icons, the SVG sprite, what the stylesheets
    load with url()), counted in bytes on the wire."""
    session = bench.logged_in()
    session.headers["Accept-Encoding"] = "gzip, br"
    url = bench.flows_url("many") + "?results_per_page=25"
    queue, seen, sizes = [url], set(), {}
    while queue:
        url = queue.pop(0)
        if url in seen or not url.startswith(bench.web.url):
            continue
        seen.add(url)
        answer = get(session, url, stream=True)
        body = answer.raw.read(decode_content=False)
        sizes[url.removeprefix(bench.web.url)] = (len(body), answer.headers.get("Content-Encoding", "none"))
        text = gzip.decompress(body) if answer.headers.get("Content-Encoding") == "gzip" else body
        if "html" in answer.headers["Content-Type"]:
            queue += [urljoin(url, found) for found in ASSET.findall(text.decode())]
        elif "css" in answer.headers["Content-Type"]:
            queue += [urljoin(url, found) for found in re.findall(r"url\(['\"]?([^'\")#]+)", text.decode())]
    total = sum(size for size, _ in sizes.values()) / 1024
    report = Report("5a. First visit of the list", first_visit.__doc__)
    report.table("URL", "bytes on the wire", "encoding")
    for path, (size, encoding) in sizes.items():
        report.row(path, size, encoding)
    report.target("first visit < 100 KB over the wire", f"{total:.1f} KB", total < 100)
    return report


GATHER = """
import datetime as dt, json, time
from django.db.models import F
from django.utils import timezone
from deliveries.gathering import gather
from flows_app.models import Connection
from sandbox.models import ApiAccount, Flow, SubscriberLog

connection = Connection.objects.get(pk={connection})
account = ApiAccount.objects.with_key({key!r}).get()
flows = Flow.objects.filter(account=account)
now = timezone.now()
# Every flow sent; one in five had two pushes refused (failures are few), two days ago.
flows.update(total_sent_push_notifications=F("id") % 500 + 100, is_enabled=True)
SubscriberLog.objects.bulk_create(
    SubscriberLog(account=account, website_id=flow.website_id, flow_id=flow.id, type="push_notification_failed",
                  datetime=now - dt.timedelta(days=2))
    for flow in flows.order_by("id")[::5] for _ in range(2)
)
runs = []
for label, moved in (("first (every flow never counted)", None), ("next, 50 flows moved", 50), ("next, none moved", 0)):
    if moved:
        ids = list(flows.order_by("id").values_list("id", flat=True)[:moved])
        Flow.objects.filter(pk__in=ids).update(total_sent_push_notifications=F("total_sent_push_notifications") + 5)
    began = time.perf_counter()
    gathering = gather(connection, max_wait=None)
    runs.append(dict(label=label, seconds=time.perf_counter() - began, calls=gathering.calls, pending=gathering.pending))
print("RESULT " + json.dumps(dict(flows=flows.count(), runs=runs)))
"""


def gathering(bench):
    """The worker's gathering of deliveries (deliveries/gathering.py) of every flow of an account
    through the real client against the API server, with no rate limit so that only its own cost
    shows: the first gathering (every flow counted once), one after 50 flows sent, one after none
    did; then the flows list filtered by "failures rose", sorted by the Failed share, and the
    websites page with Needs attention, whose calls to the logs are counted at the API server.
    The minutes of budget assume background work's 30 requests a minute (docs/BUDGET.md)."""
    mark = bench.api.log.mark()
    result = shell(bench.env, GATHER.format(connection=bench.connections["gather"], key=bench.keys["gather"]))
    counted = len(bench.api.log.since(mark, "/api/"))
    report = Report(f"6. The gathering of the deliveries of {result['flows']:,} flows", gathering.__doc__)
    report.table("gathering", "upstream calls", "time", "minutes of background budget", "flows left")
    for run in result["runs"]:
        report.row(
            run["label"], run["calls"], f"{run['seconds']:.2f} s", f"{run['calls'] / 30:.1f}", run["pending"]
        )
    url = bench.flows_url("gather")
    mark = bench.api.log.mark()
    for query in ("?failures=rose", "?sort=-failed_share"):
        get(bench.browser, url + query)
    get(bench.browser, url.replace("/flows/", "/websites/"))
    page_calls = len(bench.api.log.since(mark, "/api/subscribers-logs/"))
    report.row("the list (filtered, sorted) and Needs attention: calls to the logs", page_calls, "", "", "")
    later = result["runs"][1]["calls"]
    report.target(
        "all calls counted by the API", counted, counted == sum(run["calls"] for run in result["runs"])
    )
    report.target("after 50 moved: <= 60 calls", later, later <= 60)
    report.target("0 calls to the logs from page views", page_calls, page_calls == 0)
    return report
