"""The background worker that ``manage.py worker`` runs: one plain loop.

Each turn it writes the worker's heartbeat, runs the periodic functions that are due
(jobs/periodic.py), then runs one queued task through django-tasks-db's own worker, which
claims it with a row lock so that several workers can share one database queue. Long work
(a bulk job) runs in short slices and queues its own continuation, so the loop comes round
often: the heartbeat stays fresh and periodic work runs on time even while a job is under way.
"""

import logging
import os
import socket
import time
from datetime import timedelta

from django.conf import settings
from django.db import InterfaceError, OperationalError, connections
from django.db.models import Max
from django.tasks import TaskResultStatus
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.management.commands.db_worker import Worker as QueueWorker
from django_tasks_db.models import DBTaskResult

from jobs import periodic
from jobs.models import WorkerBeat

logger = logging.getLogger(__name__)

BEAT_EVERY = 5
DATABASE_RETRY_SECONDS = 2


def last_heartbeat():
    """When a worker last showed life, or None when none ever ran (for health checks)."""
    return WorkerBeat.objects.aggregate(last=Max("beat_at"))["last"]


def worker_alive():
    """A worker beat within WORKER_STALE_SECONDS (the same test as /healthz's)."""
    beat = last_heartbeat()
    return beat is not None and timezone.now() - beat < timedelta(seconds=settings.WORKER_STALE_SECONDS)


class Worker:
    def __init__(self, interval=1.0, until_idle=False):
        self.interval = interval
        # With until_idle the worker stops once no task is queued (tests, one-off runs).
        self.until_idle = until_idle
        self.worker_id = get_random_string(32)
        self.queue = QueueWorker(
            queue_names=["*"],
            excluded_queue_names=[],
            interval=interval,
            batch=True,
            max_tasks=1,
            backend_name="default",
            startup_delay=False,
            worker_id=self.worker_id,
        )
        self.started_at = timezone.now()
        self.beaten_at = 0.0

    def run(self):
        # Every app's tasks.py: their tasks and their @every registrations.
        autodiscover_modules("tasks")
        self.queue.configure_signals()
        logger.info("Worker %s started (pid %s)", self.worker_id, os.getpid())
        try:
            while self.queue.running:
                try:
                    self.beat()
                    periodic.run_due()
                    if self.run_one_task():
                        continue
                    if self.until_idle and not self.anything_queued():
                        return
                except (OperationalError, InterfaceError) as error:
                    # The database went away (a restart, a failover): drop the broken connection
                    # and try again, rather than exit and leave the work to whoever restarts us.
                    logger.warning("Worker %s: the database is unavailable (%s)", self.worker_id, error)
                    connections.close_all()
                    time.sleep(DATABASE_RETRY_SECONDS)
                    continue
                time.sleep(self.interval)
        finally:
            self.queue.reset_signals()
            WorkerBeat.objects.filter(pk=self.worker_id).delete()

    @staticmethod
    def anything_queued():
        # Deferred tasks count: a job waiting for the budget's reset is not finished.
        return DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()

    def beat(self):
        if time.monotonic() - self.beaten_at < BEAT_EVERY:
            return
        WorkerBeat.objects.update_or_create(
            worker_id=self.worker_id,
            defaults={
                "hostname": socket.gethostname()[:255],
                "pid": os.getpid(),
                "started_at": self.started_at,
                "beat_at": timezone.now(),
            },
        )
        self.beaten_at = time.monotonic()

    def run_one_task(self):
        """Claim and run at most one ready task; True when one ran.

        django-tasks-db's worker, in batch mode with max_tasks=1, returns after one task or
        as soon as none is ready; its count of tasks run (reset here) says which it was.
        """
        self.queue._run_tasks = 0
        self.queue.run()
        return self.queue._run_tasks > 0
