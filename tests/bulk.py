"""Bulk jobs as a user starts them and as the worker carries them out, for the tests of jobs."""

from django.core.management import call_command

from jobs.models import BulkJob


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
