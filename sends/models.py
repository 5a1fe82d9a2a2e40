"""A person's test devices (subscribers they marked as their own browsers) and the test sends they
made, kept until the server's record of each is deleted (it counts against the plan's limit)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from flows_app.models import Connection


class TestDevice(models.Model):
    """One subscriber a person sends their tests to ("my Chrome at work"). Only ids and a label:
    the subscriber's details stay on the server (docs/SECURITY.md, "Subscribers' data")."""

    # Not a test case, though pytest collects classes named Test... from the modules importing it.
    __test__ = False

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="test_devices")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="test_devices")
    website_id = models.PositiveBigIntegerField()
    subscriber_id = models.PositiveBigIntegerField()
    label = models.CharField(_("label"), max_length=64)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["label", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "connection", "subscriber_id"], name="sends_one_device_per_subscriber"
            )
        ]

    def __str__(self):
        return self.label


class TestSend(models.Model):
    """One test push: the personal notification the server keeps for it, followed in the logs
    until its outcome is read, then deleted (by the page following it, or by the worker)."""

    __test__ = False

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    connection = models.ForeignKey(Connection, on_delete=models.CASCADE, related_name="test_sends")
    flow_id = models.PositiveBigIntegerField(null=True, blank=True)
    website_id = models.PositiveBigIntegerField()
    subscriber_id = models.PositiveBigIntegerField()
    device_label = models.CharField(max_length=64, blank=True)
    notification_id = models.PositiveBigIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)
    # The last outcome read from the logs (sends.follow.OUTCOMES), "" before any.
    outcome = models.CharField(max_length=16, blank=True)
    # When the server's record was deleted: nothing more to follow or clean.
    cleaned_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-sent_at", "-id"]

    def __str__(self):
        return f"test {self.notification_id} to {self.subscriber_id}"
