"""The jobs app's tasks and periodic work (the worker imports every app's tasks.py)."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from jobs import bulk

# The task lives beside the slices it runs; the queue stores a task's dotted path, and slices
# queued before it moved name "jobs.tasks.run_job": that name keeps resolving to it.
from jobs.bulk import run_job as run_job
from jobs.models import WorkerBeat
from jobs.periodic import every


@every(seconds=15)
def resume_stalled_jobs():
    bulk.resume_stalled()


@every(hours=24)
def prune_bookkeeping():
    """Finished task results are kept two weeks (django-tasks-db's default), the heartbeats of
    workers that were killed (and so could not remove theirs) a day."""
    call_command("prune_db_task_results", "--queue-name", "*", verbosity=0)
    WorkerBeat.objects.filter(beat_at__lt=timezone.now() - timedelta(days=1)).delete()
