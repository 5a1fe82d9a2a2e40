"""The background worker: queued tasks, periodic work claimed once per period, a heartbeat."""

import pytest
from django.core.management import call_command
from django.tasks import TaskResultStatus, task

from jobs import periodic
from jobs.models import PeriodicRun, WorkerBeat
from jobs.worker import last_heartbeat

ran = []


@task
def remember(word):
    ran.append(word)
    return word.upper()


@pytest.fixture(autouse=True)
def _clean():
    ran.clear()
    registered = dict(periodic.registry)
    periodic._looked_at.clear()
    yield
    periodic.registry.clear()
    periodic.registry.update(registered)


def test_the_worker_runs_a_queued_task_and_stores_its_result(transactional_db):
    result = remember.enqueue("hello")
    call_command("worker", "--until-idle", "--interval", "0")
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == "HELLO"
    assert ran == ["hello"]


def test_a_period_is_claimed_by_one_worker_only(transactional_db):
    every_minute = periodic.Periodic("tests.every_minute", 60, lambda: None)
    now = 1_800_000_000.0
    assert periodic.claim(every_minute, now)
    # A second worker (or the same one) asking in the same minute is refused.
    assert not periodic.claim(every_minute, now + 30)
    assert periodic.claim(every_minute, now + 60)
    assert PeriodicRun.objects.get(pk="tests.every_minute").period == int(now // 60) + 1


def test_the_worker_runs_due_periodic_work_once_and_beats_while_it_runs(transactional_db):
    seen = []

    @periodic.every(hours=1)
    def hourly():
        seen.append(last_heartbeat())

    call_command("worker", "--until-idle", "--interval", "0")
    periodic._looked_at.clear()  # as if the second worker were another process
    call_command("worker", "--until-idle", "--interval", "0")
    # Two workers in the same hour: it ran once, and saw the heartbeat of the worker running it.
    assert len(seen) == 1
    assert seen[0] is not None
    # A worker that stops says so: no heartbeat is left behind to look alive.
    assert not WorkerBeat.objects.exists()
    assert last_heartbeat() is None


def test_a_failing_periodic_function_does_not_stop_the_others(transactional_db):
    @periodic.every(minutes=5)
    def broken():
        raise RuntimeError("boom")

    @periodic.every(minutes=5)
    def fine():
        ran.append("fine")

    call_command("worker", "--until-idle", "--interval", "0")
    assert ran == ["fine"]


def test_every_refuses_an_interval_under_a_second():
    with pytest.raises(ValueError, match="at least one second"):
        periodic.every(seconds=0)
