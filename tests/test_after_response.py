"""Bookkeeping a view leaves until its answer has been sent (flows_app/after_response.py)."""

import io
import logging

from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started

from flows_app.after_response import after_response
from flows_app.api import connect


def open_response(client, path):
    """The dashboard's answer to a GET of ``path`` with the client's session, as a WSGI server
    receives it: complete, but not yet closed (the server closes it once it has sent it)."""
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_COOKIE": f"sessionid={client.cookies['sessionid'].value}",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": io.StringIO(),
        "wsgi.url_scheme": "http",
    }
    statuses = []
    response = WSGIHandler()(environ, lambda status, headers: statuses.append(status))
    return statuses[0], b"".join(response), response


def test_a_cold_page_is_stored_for_the_next_view_only_once_it_has_been_sent(
    logged_in, connection, demo_flows, upstream
):
    status, body, response = open_response(logged_in, f"/connections/{connection.pk}/flows/")
    assert status == "200 OK" and b'id="flows-table"' in body
    assert len(upstream) == 1
    # Sent but not closed: the page is not in the cache yet, so the same page costs a call.
    connect(connection).list_flows(1, 25)
    assert len(upstream) == 2
    response.close()
    assert connect(connection).list_flows(1, 25).total == 40
    assert len(upstream) == 2, "the page was not stored once the response was closed"
    logged_in.get(f"/connections/{connection.pk}/flows/")
    assert len(upstream) == 2


def test_outside_a_request_the_work_runs_at_once():
    done = []
    after_response(done.append, "now")
    assert done == ["now"]


def test_work_that_fails_after_the_response_is_logged_and_the_rest_still_runs(caplog):
    done = []

    def broken():
        raise ConnectionError("cache server gone")

    request_started.send(sender=None)
    after_response(broken)
    after_response(done.append, "still")
    assert done == []
    with caplog.at_level(logging.ERROR, logger="flows_app.after_response"):
        request_finished.send(sender=None)
    assert done == ["still"]
    assert "work after the response failed" in caplog.text
