"""History the flows API does not keep: snapshots of every flow's running totals, stored as changes.

The API gives running totals only (API_CONTRACT.md, "Stats"). A snapshot reads them all; a flow
whose totals moved since its last record adds its difference to the current hour's ``Delta`` row,
and a flow that did not move writes nothing. Hourly rows older than STATS_HOURLY_DAYS are summed
into one row at the day's midnight (``trends.snapshots.thin``).
"""

from django.db import models

from flows_app.models import Connection

COUNTERS = ("sent", "displayed", "clicked", "closed")


class Snapshot(models.Model):
    """One reading of a connection's flows for one period of STATS_SNAPSHOT_MINUTES.

    The row is written before the API is read: the unique constraint is what stops two workers
    (or two instances) from taking the same period twice.
    """

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="snapshots")
    period = models.DateTimeField(help_text="Start of the period this snapshot stands for.")
    taken_at = models.DateTimeField(null=True, help_text="When its changes were stored; empty while it runs.")
    flows = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0, help_text="Upstream requests it spent.")
    demo = models.BooleanField(default=False, help_text="Made-up history back-filled by `manage.py demo`.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "period"], name="one_snapshot_per_period"),
        ]

    def __str__(self):
        return f"{self.connection_id} @ {self.period:%Y-%m-%d %H:%M}"


class Counters(models.Model):
    """One flow's four figures (API_CONTRACT.md, "Stats"), with the connection and website it is of."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    flow_id = models.PositiveBigIntegerField()
    website_id = models.PositiveBigIntegerField()
    sent = models.PositiveBigIntegerField(default=0)
    displayed = models.PositiveBigIntegerField(default=0)
    clicked = models.PositiveBigIntegerField(default=0)
    closed = models.PositiveBigIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def of(cls, figures, **fields):
        """A row with ``figures`` (the four, in COUNTERS' order) and the other ``fields``."""
        return cls(**fields, **dict(zip(COUNTERS, figures, strict=True)))


class FlowRecord(Counters):
    """A flow's totals as last seen changing: what the next snapshot's differences start from."""

    name = models.CharField(max_length=256, blank=True)
    first_seen = models.DateTimeField()
    deleted_at = models.DateTimeField(null=True, help_text="When a snapshot first missed it.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "flow_id"], name="one_record_per_flow"),
        ]

    def __str__(self):
        return f"flow {self.flow_id} of connection {self.connection_id}"


class Delta(Counters):
    """What a flow did in one hour (or, once thinned, one whole day starting at midnight UTC)."""

    bucket = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "flow_id", "bucket"], name="one_delta_per_bucket"),
        ]
        indexes = [models.Index(fields=["connection", "bucket"], name="delta_connection_bucket")]

    def __str__(self):
        return f"flow {self.flow_id} @ {self.bucket:%Y-%m-%d %H:%M}"
