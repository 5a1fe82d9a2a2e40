"""The jobs app's tasks and periodic work (the worker imports every app's tasks.py)."""

from django.tasks import task

from jobs import bulk
from jobs.periodic import every


@task
def run_job(job_id, holder):
    """One slice of a bulk job (jobs/bulk.py)."""
    return bulk.run_slice(job_id, holder)


@every(seconds=15)
def resume_stalled_jobs():
    bulk.resume_stalled()
