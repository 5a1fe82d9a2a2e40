"""What the worker gathered of every flow's deliveries (deliveries/gathering.py), so that the flows
list and the connection's home show failure shares without a call of their own."""

from django.db import models

from flows_app.models import Connection


class Gathering(models.Model):
    """A connection's last gathering: how fresh its figures are, and what it cost."""

    connection = models.OneToOneField(Connection, on_delete=models.CASCADE, related_name="gathering")
    gathered_at = models.DateTimeField(help_text="When the failures of every flow were last counted.")
    calls = models.PositiveIntegerField(default=0, help_text="Upstream requests the last gathering spent.")
    pending = models.PositiveIntegerField(
        default=0, help_text="Flows whose deliveries are still to be counted (put off for the budget)."
    )

    def __str__(self):
        return f"{self.connection_id} @ {self.gathered_at:%Y-%m-%d %H:%M}"


class FlowDeliveries(models.Model):
    """One flow's deliveries over the logs' window, as last gathered."""

    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="+")
    flow_id = models.PositiveBigIntegerField()
    website_id = models.PositiveBigIntegerField()
    # The flow's running total when its deliveries were counted: a flow whose total has not moved
    # since has no new delivery to count.
    counted_at_total = models.PositiveBigIntegerField(null=True)
    delivered = models.PositiveBigIntegerField(null=True, help_text="Empty until first counted.")
    failed = models.PositiveBigIntegerField(default=0)
    attempts = models.PositiveBigIntegerField(
        null=True, help_text="Over the same window; empty when not known."
    )
    # Failures of the 7 whole days (UTC) before ``days_to``, and of the 7 before them.
    failed_7d = models.PositiveBigIntegerField(default=0)
    failed_prev_7d = models.PositiveBigIntegerField(default=0)
    days_to = models.DateTimeField()
    gathered_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "flow_id"], name="one_deliveries_row_per_flow"),
        ]

    def __str__(self):
        return f"flow {self.flow_id} of connection {self.connection_id}"

    @property
    def failed_share(self):
        """Failed ÷ attempts over the logs' window; None when the attempts are not known."""
        return min(1.0, self.failed / self.attempts) if self.attempts else None
