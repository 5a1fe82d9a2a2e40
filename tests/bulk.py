"""Bulk jobs as a user starts them and as the worker carries them out, for the tests of jobs."""

from django.core.management import call_command
from django.utils import timezone

from jobs.models import BulkItem, BulkJob, note, server_words


def start(client, connection, action, ids, **fields):
    """Post the list's bulk form as ``client``; the job it started (or found running)."""
    response = client.post(
        f"/connections/{connection.pk}/flows/bulk/", {"action": action, "ids": ids, **fields}
    )
    assert response.status_code == 302, response.content[:500]
    return BulkJob.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))


def work():
    """Run the worker until nothing is queued, in this process (its tasks, its periodic work)."""
    call_command("worker", "--until-idle", "--interval", "0.05")


def stopped_job(ctx):
    """A delete job stopped half-way, its items' outcomes all kinds: Pushdeck's notes (translated
    for the reader), the server's words (kept as they came), a cancelled one."""
    job = BulkJob.objects.create(
        connection=ctx.connection,
        created_by=ctx.user,
        action=BulkJob.Action.DELETE,
        fingerprint="i18n",
        state=BulkJob.State.STOPPED,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        **note("The server refused the connection's API key: %(reason)s", reason="Invalid API key"),
    )
    outcomes = [
        (BulkItem.State.DONE, note("Deleted.")),
        (BulkItem.State.DONE, note("Already deleted.")),
        (BulkItem.State.FAILED, server_words("Flow is locked by another request")),
        (
            BulkItem.State.FAILED,
            note("Not one of the websites you may change (%(allowed)s): left as it was.", allowed="#3"),
        ),
        (BulkItem.State.PENDING, note("Trying again: %(reason)s", reason="Service Unavailable")),
        (BulkItem.State.SKIPPED, server_words("")),
    ]
    for flow, (state, message) in zip(ctx.demo_flows[:6], outcomes, strict=True):
        BulkItem.objects.create(job=job, flow_id=flow.id, name=flow.name, state=state, **message)
    return job
