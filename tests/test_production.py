"""Pushdeck as a team runs it: two gunicorn instances sharing one PostgreSQL and one Redis, in front
of a flows API (the sandbox, served by a third gunicorn of its own, with its own SQLite database,
as a remote server would be). Every request goes over real HTTP, with the production settings.
"""

import hashlib
import json
import os
import re
import secrets
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from contextlib import closing
from types import SimpleNamespace
from unittest.mock import ANY

import psycopg
import pytest
import requests

from bench.harness import PYTHON, ROOT, Server, add_user, child_env, free_port, log_in, manage, migrate
from sandbox.models import hash_key
from tests.helpers import HTMX_HEADER, dockerfile_instructions
from tests.pages import form_with
from tests.services import Service, create_database

pytestmark = pytest.mark.production

# The API's budget per key and minute, small so that a test can spend it in a few seconds.
RATE_LIMIT = 8
PASSWORD = "correct horse battery staple"
ACCESS_LINE = re.compile(rb'"(GET|POST|DELETE) (/sandbox/api/\S*) HTTP/[\d.]+" (\d{3}) ')


class Api:
    """The flows API server, and what its access log says it answered."""

    def __init__(self, server, database, env):
        self.server, self.database, self.env = server, database, env
        self.url = f"{server.url}/sandbox"

    def answers(self):
        """Every API request answered so far, as (method, path, status)."""
        lines = self.server.output.read_bytes().splitlines()
        return [(m[1].decode(), m[2].decode(), int(m[3])) for m in map(ACCESS_LINE.search, lines) if m]

    def flows_named(self, name):
        with closing(sqlite3.connect(self.database, timeout=30)) as db:
            return db.execute("SELECT id FROM sandbox_flow WHERE name = ?", (name,)).fetchall()


def start_api(name, workdir, **settings):
    """A flows API server (the sandbox) with its own SQLite database."""
    database = workdir / f"{name}.sqlite3"
    env = child_env(database, GUNICORN_THREADS="8", **settings)
    manage(env, "migrate", "--no-input", "-v", "0")
    server = Server(name, env, workdir)
    server.start()
    return Api(server, database, env)


@pytest.fixture(scope="module")
def cluster(services, tmp_path_factory):
    """Two flows APIs: one with a small budget per key, and an unlimited, slower one for background
    work; then two dashboard instances and a worker on one PostgreSQL database and one Redis."""
    workdir = tmp_path_factory.mktemp("cluster")
    started = []
    try:
        api = start_api("api", workdir, SANDBOX_RATE_LIMIT=str(RATE_LIMIT))
        started.append(api.server)
        # Every call takes a while, so that a worker can be killed in the middle of a job.
        background_api = start_api(
            "background-api", workdir, SANDBOX_RATE_LIMIT="0", SANDBOX_LATENCY_MS="150"
        )
        started.append(background_api.server)
        env = child_env(
            workdir / "unused.sqlite3",
            DATABASE_URL=create_database(services.postgres_url, "pushdeck"),
            REDIS_URL=services.redis_url,
            SANDBOX_ENABLED="0",
            FLOWS_API_SERVERS=f"{api.url},{background_api.url}",
            # Long enough that only a retired page can explain seeing a change.
            FLOWS_CACHE_SECONDS="300",
            GUNICORN_THREADS="8",
            LOG_FORMAT="json",
            LOG_LEVEL="INFO",
            # Every minute, so that a test sees two workers reach the same period.
            STATS_SNAPSHOT_MINUTES="1",
            # A killed worker's job is taken over within seconds.
            JOBS_LEASE_SECONDS="5",
            # One person may spend the whole key here: what the instances share is the count
            # (the parts of docs/BUDGET.md are tested in test_key_budget.py).
            BUDGET_PERSON_SHARE="100",
            BUDGET_WRITE_SHARE="0",
        )
        migrate(env)
        instances = [Server(name, env, workdir) for name in ("web-a", "web-b")]
        for server in instances:
            server.start()
            started.append(server)
        for api_server in (api, background_api):
            api_server.server.wait_ready("/sandbox/api/flows/")
        for server in instances:
            server.wait_ready("/accounts/login/")
        workers = [start_worker("worker-1", env, workdir, instances[0])]
        started.extend(workers)
        yield SimpleNamespace(
            api=api,
            background_api=background_api,
            a=instances[0],
            b=instances[1],
            workers=workers,
            env=env,
            workdir=workdir,
        )
    finally:
        for server in reversed(started):
            server.stop()


def health(instance, path="/healthz"):
    answer = requests.get(instance.url + path, timeout=10)
    return answer.status_code, answer.json()


def start_worker(name, env, workdir, instance):
    """`manage.py worker` (the Procfile's worker), ready once the instance's /healthz sees it."""
    return Service(
        name,
        [PYTHON, "manage.py", "worker"],
        workdir,
        ready=lambda: health(instance)[1]["worker"]["status"] == "ok",
        env=env,
        cwd=ROOT,
    )


def join(cluster, api, flows):
    """A fresh API key (its own budget) with that many flows, and a dashboard user connected to it,
    logged in through instance A; the one browser session works on B too (sessions are shared)."""
    key = "prod-" + secrets.token_hex(12)
    manage(api.env, "sandbox_create_key", "--key", key, "-v", "0")
    manage(api.env, "sandbox_demo", "--key", key, "--flows", str(flows), "-v", "0")
    username = "team-" + secrets.token_hex(4)
    (connection_id,) = add_user(cluster.env, username, PASSWORD, [("Production", key, api.url)])
    session = requests.Session()
    log_in(session, cluster.a.url, username, PASSWORD)
    with closing(sqlite3.connect(api.database, timeout=30)) as db:
        flow_ids = [
            row[0]
            for row in db.execute(
                "SELECT f.id FROM sandbox_flow f JOIN sandbox_apiaccount a ON a.id = f.account_id "
                "WHERE a.key_hash = ? ORDER BY f.id",
                (hash_key(key),),
            )
        ]
    return SimpleNamespace(
        session=session,
        key=key,
        connection_id=connection_id,
        flows=f"/connections/{connection_id}/flows/",
        flow_ids=flow_ids,
        fingerprint=hashlib.sha256(f"{api.url}\0{key}".encode()).hexdigest()[:12],
    )


@pytest.fixture
def team(cluster):
    team = join(cluster, cluster.api, flows=3)
    yield team
    team.session.close()


def csrf(session):
    return {"X-CSRFToken": session.cookies["csrftoken"]}


def switch(instance, team, flow_id, on):
    """A click on the flow's switch, through ``instance``."""
    toggled = team.session.post(
        f"{instance.url}{team.flows}{flow_id}/toggle/",
        data={"is_enabled": "1" if on else "0"},
        headers={**HTMX_HEADER, **csrf(team.session)},
        timeout=30,
    )
    assert toggled.status_code == 200, toggled.text


def switch_state(html, flow_id):
    match = re.search(rf'id="toggle-{flow_id}"[^>]*aria-checked="(true|false)"', html)
    assert match, f"no switch for flow {flow_id} on the page"
    return match[1] == "true"


def test_the_two_instances_together_never_spend_more_than_the_api_allows(cluster, team):
    before = len(cluster.api.answers())
    pages = []
    # Three times the budget, alternating instances; each view asks for a page not seen yet (not in
    # the page cache), so every view wants one upstream call.
    for n in range(3 * RATE_LIMIT):
        instance = (cluster.a, cluster.b)[n % 2]
        page = team.session.get(f"{instance.url}{team.flows}?page={n + 1}&results_per_page=10", timeout=30)
        pages.append((instance.name, page.status_code, page.text))
    answered = cluster.api.answers()[before:]
    # The API never had to refuse a request: the instances stopped at the budget they share.
    assert [status for *_, status in answered if status == 429] == []
    assert RATE_LIMIT - 1 <= len(answered) <= 2 * RATE_LIMIT  # at most two clock minutes were touched
    served = {name for name, status, _ in pages if status == 200}
    refused = [text for _, status, text in pages if status == 429]
    assert served == {"web-a", "web-b"}, "both instances spent from the budget"
    assert refused, "the budget was reached, and the instances said so themselves"
    assert all("requests for this minute" in text for text in refused)


def test_a_write_on_one_instance_retires_the_cached_pages_on_the_other(cluster, team):
    flow_id = team.flow_ids[0]
    first = team.session.get(cluster.b.url + team.flows, timeout=30).text
    was_on = switch_state(first, flow_id)
    calls = len(cluster.api.answers())
    again = team.session.get(cluster.b.url + team.flows, timeout=30).text
    assert len(cluster.api.answers()) == calls, "B served its list from the shared cache"
    assert switch_state(again, flow_id) is was_on

    switch(cluster.a, team, flow_id, on=not was_on)

    after = team.session.get(cluster.b.url + team.flows, timeout=30).text
    assert switch_state(after, flow_id) is not was_on
    assert len(cluster.api.answers()) > calls + 1, "B asked the API again after A's write"


def test_a_write_on_one_instance_retires_the_others_copy_of_every_flow(cluster, team):
    """A search or sort is served from the instance's own decoded copy of every flow (no call, no
    decoding): a write on the other instance still shows on its next changed view."""
    flow_id = team.flow_ids[0]
    first = team.session.get(f"{cluster.b.url}{team.flows}?sort=name", timeout=30).text
    was_on = switch_state(first, flow_id)
    calls = len(cluster.api.answers())
    for query in ("?sort=-name", "?sort=-sent&status=" + ("enabled" if was_on else "paused")):
        again = team.session.get(f"{cluster.b.url}{team.flows}{query}", headers=HTMX_HEADER, timeout=30).text
        assert switch_state(again, flow_id) is was_on
    assert len(cluster.api.answers()) == calls, "B changed its view without a call"

    switch(cluster.a, team, flow_id, on=not was_on)

    after = team.session.get(f"{cluster.b.url}{team.flows}?sort=-name", headers=HTMX_HEADER, timeout=30).text
    assert switch_state(after, flow_id) is not was_on
    assert ("GET", "/sandbox/api/flows/", 200) in [
        (method, path.split("?")[0], status) for method, path, status in cluster.api.answers()[calls:]
    ], "B read every flow again after A's write"


def test_a_create_form_posted_to_both_instances_at_once_creates_one_flow(cluster, team):
    form = form_with(team.session.get(f"{cluster.a.url}{team.flows}new/", timeout=30).text, "form_token")
    name = "Twice " + secrets.token_hex(4)
    website = str(_website_of(cluster, team.flow_ids[0]))
    data = {**form, "website_id": website, "name": name, "title": "Hello", "description": "Hi there"}
    start = threading.Barrier(2)
    answers = {}

    def submit(instance):
        start.wait()
        answers[instance.name] = team.session.post(
            f"{instance.url}{team.flows}new/", data=data, headers=csrf(team.session), allow_redirects=False
        )

    threads = [threading.Thread(target=submit, args=(instance,)) for instance in (cluster.a, cluster.b)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    made = cluster.api.flows_named(name)
    assert len(made) == 1
    assert {answer.status_code for answer in answers.values()} == {302}
    # The first lands on its flow; the other on the flow too, or, while it is still being created,
    # on the list (which says so).
    landed = sorted(answer.headers["Location"] for answer in answers.values())
    assert landed[1] == f"{team.flows}{made[0][0]}/"
    assert landed[0] in (team.flows, landed[1])


def _website_of(cluster, flow_id):
    with closing(sqlite3.connect(cluster.api.database, timeout=30)) as db:
        return db.execute("SELECT website_id FROM sandbox_flow WHERE id = ?", (flow_id,)).fetchone()[0]


def test_migrations_run_from_an_empty_postgresql_database(services, tmp_path):
    env = child_env(
        tmp_path / "unused.sqlite3",
        DATABASE_URL=create_database(services.postgres_url, "empty_" + secrets.token_hex(4)),
        REDIS_URL=services.redis_url,
    )
    manage(env, "migrate", "--no-input", "-v", "0")
    # Both exit non-zero on a migration left unapplied or a model change without its migration.
    manage(env, "migrate", "--check")
    manage(env, "makemigrations", "--check", "--dry-run")
    plan = manage(env, "showmigrations", "--plan")
    assert "[X]  flows_app.0001_initial" in plan
    assert "[ ]" not in plan


def docker_healthcheck(port):
    """Runs the image's HEALTHCHECK command as Docker would inside the container (PORT set)."""
    [command] = [argument for name, argument in dockerfile_instructions() if name == "HEALTHCHECK"]
    words = json.loads(command.split(" CMD ", 1)[1])
    assert words[0] == "python"
    env = {"PATH": os.environ["PATH"], "PORT": str(port)}
    return subprocess.run([PYTHON, *words[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=30)


def test_each_instance_is_healthy_with_postgresql_redis_and_a_worker(cluster):
    for instance in (cluster.a, cluster.b):
        status, body = health(instance)
        assert status == 200
        assert {name: check["status"] for name, check in body["checks"].items()} == {
            "database": "ok",
            "cache": "ok",
        }
        assert body["worker"]["status"] == "ok"
        assert health(instance, "/healthz/worker")[0] == 200
        assert docker_healthcheck(instance.port).returncode == 0


def test_without_a_worker_every_instance_stays_in_service_and_says_so_until_one_is_back(cluster):
    [worker] = cluster.workers
    worker.stop()
    for instance in (cluster.a, cluster.b):
        status, body = health(instance)
        assert status == 200
        assert body["worker"] == {"status": "fail", "error": "no worker is running", "ms": ANY}
        assert health(instance, "/healthz/worker")[0] == 503
        assert docker_healthcheck(instance.port).returncode == 0
    worker.start()
    assert [health(instance, "/healthz/worker")[0] for instance in (cluster.a, cluster.b)] == [200, 200]


@pytest.mark.parametrize("fault", ["gone", "silent"])
def test_an_instance_that_lost_its_database_and_cache_says_so_in_seconds(cluster, tmp_path, fault):
    """The same settings with PostgreSQL and Redis gone (nothing listens), or silent: accepting
    connections but never answering (overloaded, half dead). The probe gets its answer in time."""
    silent = socket.create_server(("127.0.0.1", 0))
    port = free_port() if fault == "gone" else silent.getsockname()[1]
    env = {
        **cluster.env,
        "DATABASE_URL": f"postgres://pushdeck:not-shown-{secrets.token_hex(4)}@127.0.0.1:{port}/pushdeck",
        "REDIS_URL": f"redis://:not-shown-{secrets.token_hex(4)}@127.0.0.1:{port}/0",
    }
    broken = Server("broken", env, tmp_path)
    try:
        broken.start()
        # A static file: served without the database or the cache.
        broken.wait_ready("/static/css/app.css")
        started = time.monotonic()
        answer = requests.get(broken.url + "/healthz", timeout=10)
        # Within the image's HEALTHCHECK timeout (10 s).
        assert time.monotonic() - started < 8
        assert answer.status_code == 503
        assert answer.json()["status"] == "fail"
        assert {name: check["status"] for name, check in answer.json()["checks"].items()} == {
            "database": "fail",
            "cache": "fail",
        }
        # The heartbeat lives in the database: not asked for again once it failed.
        assert answer.json()["worker"]["error"] == "the database is unavailable"
        assert "not-shown" not in answer.text
        probe = docker_healthcheck(broken.port)
        assert probe.returncode == 1
        assert "503" in probe.stdout
    finally:
        broken.stop()
        silent.close()
    # Nothing listens any more: the probe fails too, rather than hanging.
    assert docker_healthcheck(broken.port).returncode == 1


def test_each_instance_logs_json_lines_that_say_who_spent_the_budget(cluster, team):
    page = team.session.get(f"{cluster.b.url}{team.flows}?fresh=1", timeout=30)
    assert page.status_code == 200
    time.sleep(0.2)  # the line is written once the answer has gone
    output = cluster.b.output.read_text()
    # gunicorn's own start-up lines are not Django's; every line of Django's is one JSON object.
    records = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    [request] = [r for r in records if r["logger"] == "pushdeck.request" and r["path"] == team.flows]
    upstream = [r for r in records if r["logger"] == "pushdeck.upstream" and r["key"] == team.fingerprint]
    assert request["method"] == "GET"
    assert request["status"] == 200
    # The key's first view reads the flows page and the websites, segments and owner behind its
    # names (which later views take from the cache).
    assert request["upstream"] == 4
    assert sorted(r["path"] for r in upstream[-4:]) == [
        "/sandbox/api/flows/",
        "/sandbox/api/segments/",
        "/sandbox/api/user",
        "/sandbox/api/websites/",
    ]
    assert {r["user"] for r in upstream[-4:]} == {request["user"]} != {None}
    assert request["budget_left"] in {r["budget_left"] for r in upstream[-4:]}
    assert request["budget_left"] < RATE_LIMIT
    assert team.key not in output


def test_the_instances_ride_out_a_restart_of_postgresql_and_redis(cluster, team, services):
    """Each instance keeps database connections open between requests (conn_max_age) and a pool
    of Redis connections: after a restart of both, the next pages must not be error pages."""
    for instance in (cluster.a, cluster.b):
        assert team.session.get(instance.url + team.flows, timeout=30).status_code == 200
    services.postgres.restart()
    services.redis.restart()
    restarted = time.monotonic()
    for instance in (cluster.a, cluster.b):
        for _ in range(3):
            page = team.session.get(instance.url + team.flows, timeout=30)
            assert page.status_code == 200, f"{instance.name}: {page.status_code}"
        assert health(instance)[0] == 200
    # The worker lives on too: a heartbeat newer than the restart comes within a few turns.
    deadline = restarted + 30
    while health(cluster.a)[1]["worker"]["last_beat_seconds_ago"] > time.monotonic() - restarted:
        assert time.monotonic() < deadline, "the worker stopped beating after the restart"
        time.sleep(1)
    assert all(worker.popen.poll() is None for worker in cluster.workers)


def database_rows(cluster, query, *params):
    with psycopg.connect(cluster.env["DATABASE_URL"], autocommit=True) as db:
        return db.execute(query, params).fetchall()


def upstream_lines(worker, fingerprint):
    """The upstream calls a worker made with this key, from its JSON log."""
    lines = (json.loads(line) for line in worker.log.read_text().splitlines() if line.startswith("{"))
    return [line for line in lines if line["logger"] == "pushdeck.upstream" and line["key"] == fingerprint]


def test_two_workers_take_each_snapshot_once(cluster):
    """Both workers find the minute's snapshots due; the connection's flows are read once."""
    team = join(cluster, cluster.background_api, flows=5)
    second = start_worker("worker-2", cluster.env, cluster.workdir, cluster.b)
    taken = "SELECT count(*) FROM trends_snapshot WHERE connection_id = %s AND taken_at IS NOT NULL"
    try:
        deadline = time.monotonic() + 90
        while database_rows(cluster, taken, team.connection_id) == [(0,)]:
            assert time.monotonic() < deadline, "no snapshot of the connection within 90 s"
            time.sleep(0.5)
        time.sleep(2)  # the other worker, if it were to read the same period, would have by now
    finally:
        second.stop()
    [(snapshots,)] = database_rows(cluster, taken, team.connection_id)
    reads = [
        line
        for worker in (*cluster.workers, second)
        for line in upstream_lines(worker, team.fingerprint)
        if line["method"] == "GET"
    ]
    assert snapshots == 1
    # Every flow is read once by the period's snapshot and at most once more by its deliveries'
    # gathering (deliveries/gathering.py, which may find them in the shared cache): a period
    # either worker took twice would read them again.
    flow_reads = [line for line in reads if line["path"].endswith("/api/flows/")]
    assert 1 <= len(flow_reads) <= 2, [line["path"] for line in reads]


def wait_until(condition, seconds, what):
    ends = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < ends, f"{what} within {seconds} s"
        time.sleep(0.2)


def test_a_bulk_job_whose_worker_dies_is_finished_by_another_worker_without_repeats(cluster):
    team = join(cluster, cluster.background_api, flows=30)
    before = len(cluster.background_api.answers())
    started = team.session.post(
        f"{cluster.a.url}{team.flows}bulk/",
        data={"action": "pause", "ids": team.flow_ids},
        headers=csrf(team.session),
        allow_redirects=False,
    )
    assert started.status_code == 302, started.text
    job_id = int(re.search(r"/jobs/(\d+)/", started.headers["Location"])[1])

    def items(state):
        return {
            flow_id
            for (flow_id,) in database_rows(
                cluster, "SELECT flow_id FROM jobs_bulkitem WHERE job_id = %s AND state = %s", job_id, state
            )
        }

    [first] = cluster.workers
    wait_until(lambda: len(items("done")) >= 5, 60, "the first worker sent five items")
    os.killpg(first.popen.pid, signal.SIGKILL)
    first.popen.wait(10)
    done_at_kill, in_flight = items("done"), items("sending")
    assert len(done_at_kill) < 30
    assert len(in_flight) <= 1

    second = start_worker("worker-2", cluster.env, cluster.workdir, cluster.b)
    try:
        wait_until(
            lambda: (
                database_rows(cluster, "SELECT state FROM jobs_bulkjob WHERE id = %s", job_id)
                == [("finished",)]
            ),
            120,
            "the second worker finished the job",
        )
    finally:
        second.stop()
        # The cluster's worker again, for the tests after this one.
        first.start()
    assert items("done") == set(team.flow_ids)
    assert upstream_lines(second, team.fingerprint), "the second worker sent the rest"
    with closing(sqlite3.connect(cluster.background_api.database, timeout=30)) as db:
        enabled = db.execute(
            "SELECT count(*) FROM sandbox_flow f JOIN sandbox_apiaccount a ON a.id = f.account_id "
            "WHERE a.key_hash = ? AND f.is_enabled",
            (hash_key(team.key),),
        ).fetchone()[0]
    assert enabled == 0
    writes = Counter(
        int(path.rsplit("/", 1)[1])
        for method, path, _ in cluster.background_api.answers()[before:]
        if method == "POST" and re.fullmatch(r"/sandbox/api/flows/\d+", path)
    )
    assert set(writes) == set(team.flow_ids)
    # No finished item was sent again; only the one under way at the kill may have been.
    assert {flow_id for flow_id, count in writes.items() if count > 1} <= in_flight
    assert all(writes[flow_id] == 1 for flow_id in done_at_kill)
