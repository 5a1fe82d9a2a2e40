"""The shared cache without Redis (flows_app/shared_cache.py, issue 30): what the web server's
processes and the worker take one at a time (edit locks, one-time tokens) is taken once across
processes, as gunicorn runs a process per core."""

import os
import runpy
import subprocess
import sys
import time

import pytest
from django import db
from django.conf import settings
from django.db import connection as db_connection

from flows_app.shared_cache import DatabaseSharedCache

# Each process waits for this moment, so that they all start taking at once.
SETUP = (
    "import sys, time\n"
    "import django\n"
    "django.setup()\n"
    "from types import SimpleNamespace\n"
    "from django.core.cache import caches\n"
    "shared = caches['shared']\n"
    "time.sleep(max(0, float(sys.argv[1]) - time.time()))\n"
)


def in_processes(body, count=4, *args):
    """``body`` run by ``count`` processes at once on the test database with the shared cache in
    it, as a site without Redis has it; what each printed, one list of words per process."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"sqlite:///{db.connection.settings_dict['NAME']}?timeout=30",
        "TEST_SHARED_CACHE_IN_DATABASE": "1",
    }
    start = str(time.time() + 6)
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", SETUP + body, start, str(number), *args],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for number in range(count)
    ]
    outputs = [process.communicate(timeout=120)[0] for process in processes]
    assert all(process.returncode == 0 for process in processes), outputs
    return [output.split() for output in outputs]


def test_the_site_without_redis_keeps_locks_tokens_and_the_budget_in_the_database():
    """The production settings, not the tests' (which keep both in memory)."""
    env = {name: value for name, value in os.environ.items() if name != "REDIS_URL"}
    script = "from dashboard import settings as s; print(*(s.CACHES[a]['BACKEND'] for a in ('shared', 'rate-budget')))"
    backends = subprocess.run(
        [sys.executable, "-c", script],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert backends == ["flows_app.shared_cache.DatabaseSharedCache"] * 2


def test_several_processes_adding_the_same_keys_at_once_each_key_is_won_once(transactional_db):
    won = in_processes("print(*[n for n in range(100) if shared.add(f'key:{n}', sys.argv[2], 60)])\n")
    every = sorted(int(n) for words in won for n in words)
    assert every == list(range(100)), "a key was added by two processes, or by none"


def test_several_processes_incrementing_one_count_lose_no_step(transactional_db):
    DatabaseSharedCache("", {}).set("count", 0, 60)
    in_processes("for _ in range(25):\n    shared.incr('count')\n")
    assert DatabaseSharedCache("", {}).get("count") == 100


def test_the_flow_lock_lets_one_process_at_a_time_read_then_write(transactional_db):
    """Each process, holding the lock, reads a count, waits a little and writes it plus one: with
    two holders at once, one write would undo the other's."""
    DatabaseSharedCache("", {}).set("count", 0, 60)
    in_processes(
        "from flows_app.locks import flow_lock\n"
        "api = SimpleNamespace(client=SimpleNamespace(deadline=30, fingerprint='key'))\n"
        "for _ in range(10):\n"
        "    with flow_lock(api, 7):\n"
        "        count = shared.get('count')\n"
        "        time.sleep(0.005)\n"
        "        shared.set('count', count + 1, 60)\n"
    )
    assert DatabaseSharedCache("", {}).get("count") == 40


def test_a_create_token_issued_in_one_process_is_claimed_once_across_processes(transactional_db):
    claim = (
        "from flows_app.create_tokens import CreateTokens\n"
        "tokens = CreateTokens(SimpleNamespace(pk=1), 'test-send')\n"
        "if sys.argv[2] == 'issue':\n"
        "    print(*[tokens.issue() for _ in range(30)])\n"
        "else:\n"
        "    print(*[token for token in sys.argv[3:] if tokens.claim(token)])\n"
    )
    [issued] = in_processes(claim.replace("sys.argv[2] == 'issue'", "True"), 1)
    claimed = in_processes(claim, 4, *issued)
    assert sorted(token for words in claimed for token in words) == sorted(issued)


def test_an_expired_entry_is_gone_and_may_be_added_again(db, monkeypatch):
    shared = DatabaseSharedCache("", {})
    now = [1_000_000.0]
    monkeypatch.setattr("flows_app.shared_cache.time.time", lambda: now[0])
    assert shared.add("lock", "first", 10)
    assert not shared.add("lock", "second", 10)
    assert shared.get("lock") == "first"
    now[0] += 11
    assert shared.get("lock") is None
    assert not shared.has_key("lock")
    assert shared.add("lock", "second", 10)
    assert shared.get("lock") == "second"
    assert shared.delete("lock")
    with pytest.raises(ValueError):
        shared.incr("lock")
    shared.set("forever", {"a": [1, 2]}, None)
    now[0] += 10**6
    assert shared.get("forever") == {"a": [1, 2]}


def test_the_web_server_runs_a_process_per_core_without_needing_redis(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    config = runpy.run_path(str(settings.BASE_DIR / "dashboard" / "gunicorn_conf.py"))
    assert config["workers"] == len(os.sched_getaffinity(0))
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert runpy.run_path(str(settings.BASE_DIR / "dashboard" / "gunicorn_conf.py"))["workers"] == 3


def test_sqlite_lets_pages_read_while_another_process_writes(db):
    """Write-ahead logging: without it a reader waits out every other process's write."""
    with db_connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
