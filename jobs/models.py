from django.db import models


class WorkerBeat(models.Model):
    """A worker process's sign of life, written on every turn of its loop (see jobs/worker.py)."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    beat_at = models.DateTimeField(db_index=True)

    def __str__(self):
        return f"{self.hostname}:{self.pid}"


class PeriodicRun(models.Model):
    """The last period in which a periodic function ran. A worker runs a period only if it moves
    this number forward itself (one conditional UPDATE), so two workers never run the same one."""

    name = models.CharField(max_length=200, primary_key=True)
    period = models.BigIntegerField()
    ran_at = models.DateTimeField(null=True)

    def __str__(self):
        return self.name
