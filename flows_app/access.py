"""The one door to a user's connections: every view looks a connection up through here."""

from django.http import Http404
from django.shortcuts import get_object_or_404

from flows_app.api import connect
from flows_app.models import Connection


def get_connection(request, connection_id):
    """The user's connection with this id; another user's id answers 404, like a missing one.

    The connection is also kept on the request so that the error middleware can link an
    Unauthorized answer to the page where its key is replaced.
    """
    # One query serves the lookup and the page's connection menu (see user_connections).
    request.user_connections = list(Connection.objects.for_user(request.user))
    connection = next((item for item in request.user_connections if item.pk == int(connection_id)), None)
    if connection is None:
        raise Http404("No such connection.")
    request.connection = connection
    return connection


def flows_api(request, connection_id):
    """The connection and the flows API reached through it."""
    connection = get_connection(request, connection_id)
    return connection, connect(connection)


def get_job(request, job_id):
    """A bulk job on one of the user's connections; anyone else's answers 404 like a missing one."""
    from jobs.models import BulkJob  # jobs builds on flows_app, not the other way round

    job = get_object_or_404(BulkJob, pk=job_id)
    job.connection = get_connection(request, job.connection_id)
    return job
