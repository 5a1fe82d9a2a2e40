"""The jobs app's tasks and periodic work (the worker imports every app's tasks.py)."""

from datetime import timedelta

from django.core.management import call_command
from django.tasks import task
from django.utils import timezone

from jobs import bulk
from jobs.models import WorkerBeat
from jobs.periodic import every


@task
def run_job(job_id, holder):
    """One slice of a bulk job (jobs/bulk.py)."""
    return bulk.run_slice(job_id, holder)


@every(seconds=15)
def resume_stalled_jobs():
    bulk.resume_stalled()


@every(hours=24)
def prune_bookkeeping():
    """Finished task results are kept two weeks (django-tasks-db's default), the heartbeats of
    workers that were killed (and so could not remove theirs) a day."""
    call_command("prune_db_task_results", "--queue-name", "*", verbosity=0)
    WorkerBeat.objects.filter(beat_at__lt=timezone.now() - timedelta(days=1)).delete()
