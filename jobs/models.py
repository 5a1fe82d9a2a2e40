from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from flows_app.untranslated import untranslated, with_names


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


def note(message, **params):
    """The fields (for ``update()``) keeping one of Pushdeck's own messages: its text marked with
    gettext_noop, and its placeholders' values (names, numbers, the server's words)."""
    # str(): an error's message may be a lazy translation, which JSON cannot hold.
    return {"message": str(message), "params": {name: str(value) for name, value in params.items()}}


def server_words(text):
    """The fields (for ``update()``) keeping what the server said, shown as it came."""
    return {"message": str(text), "params": None}


class Noted(models.Model):
    """What the worker wrote about a job or an item: a message of Pushdeck's own, kept as its
    untranslated text and placeholder values (the worker serves nobody's language, so it is
    translated when read, into the reader's), or the server's words (``params`` None)."""

    message = models.TextField(blank=True)
    params = models.JSONField(null=True, blank=True, default=dict)

    class Meta:
        abstract = True

    @property
    def shown_message(self):
        """The message as HTML in the reader's language; what is not ours (the server's words,
        names) marked translate="no", as page translators and the i18n tests then leave it."""
        if self.params is None:
            return untranslated(self.message)
        if not self.message:
            return ""
        return with_names(gettext(self.message), **self.params)


class BulkJobQuerySet(models.QuerySet):
    def seen_with(self, access):
        """The jobs a member with this access (flows_app.access.Access) may see: those whose every
        flow is on one of their websites. A flow whose website is not known counts as another's."""
        if not access.limited:
            return self
        outside = BulkItem.objects.filter(job=models.OuterRef("pk")).exclude(website_id__in=access.websites)
        return self.exclude(models.Exists(outside))


class BulkJob(Noted):
    """One action on many flows of a connection, carried out by the worker within the key's budget.

    The worker holds a lease on the job while it works on it (``lease_owner``, ``lease_until``):
    only the holder sends its items, and a lease that runs out (a worker killed mid-job) lets
    another worker take the job over (jobs/bulk.py).
    """

    class Action(models.TextChoices):
        ENABLE = "enable", _("Enable")
        PAUSE = "pause", _("Pause")
        DELETE = "delete", _("Delete")
        SET = "set", _("Set fields")
        # Both create flows on the job's connection (jobs/copies.py): from another website's
        # flows, of this connection or of another one, or from an exported file.
        COPY = "copy", _("Copy")
        IMPORT = "import", _("Import")

    class State(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        CANCELLED = "cancelled", _("Cancelled")
        STOPPED = "stopped", _("Stopped")

    connection = models.ForeignKey("flows_app.Connection", on_delete=models.CASCADE, related_name="jobs")
    # For a copy: the connection its flows are read from (the job's own, or another one, whose
    # members alone may see the job), and what it was called, kept for the history and for a file's
    # name when it was an import.
    source = models.ForeignKey(
        "flows_app.Connection", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source_label = models.CharField(max_length=256, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    # Whose rights the worker writes with: who started the job, or who last retried it.
    run_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True)
    action = models.CharField(max_length=10, choices=Action.choices)
    # For "set": the fields written to every flow, as the API names them.
    changes = models.JSONField(default=dict, blank=True)
    # The action, changes and flow ids hashed: the same request sent twice finds the first job.
    fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RUNNING)
    # Why a stopped job stopped: the message (Noted) says it.
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True)
    finished_at = models.DateTimeField(null=True)
    lease_owner = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, db_index=True)
    # When the job read every flow (once, at its start) for its items' ``before``.
    flows_read_at = models.DateTimeField(null=True)
    # The language of the person who started it, in which the worker writes (jobs/bulk.py).
    language = models.CharField(max_length=15, default=settings.LANGUAGE_CODE)
    requests = models.PositiveIntegerField(default=0)
    rate_limited = models.PositiveIntegerField(default=0)

    objects = BulkJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "fingerprint"],
                condition=models.Q(state="running"),
                name="one_running_job_per_request",
            )
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.pk}"

    @property
    def running(self):
        return self.state == self.State.RUNNING


class BulkItem(Noted):
    """One flow of a job. Its state is stored before its call (sending) and after (done, failed),
    so a worker taking over a job never sends a finished item again."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("In progress")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Cancelled")

    job = models.ForeignKey(BulkJob, on_delete=models.CASCADE, related_name="items")
    flow_id = models.PositiveBigIntegerField()
    name = models.CharField(max_length=256, blank=True)
    # The flow's website, once known (from the list the job was started from, or the job's read):
    # who may see the job, and how the pages name the flow beside another of the same name.
    website_id = models.PositiveBigIntegerField(null=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # The server's words when it refused, or what became of the flow: the message (Noted).
    attempts = models.PositiveSmallIntegerField(default=0)
    # The flow's fields when the job started (flows_app.fields.flow_values): the history's "before".
    before = models.JSONField(null=True, blank=True)
    # For a copy or an import: what to create (jobs/copies.py, ``Planned.stored``); then the id of
    # the flow it created (``flow_id`` being the source's).
    copy = models.JSONField(null=True, blank=True)
    created_flow_id = models.PositiveBigIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["job", "flow_id"], name="one_item_per_flow")]
        indexes = [models.Index(fields=["job", "state"])]

    def __str__(self):
        return self.name or f"#{self.flow_id}"
