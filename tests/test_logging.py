"""One log line per request and per upstream call, so that an operator can see who spends a key's
budget; never the key itself. JSON lines from real gunicorn processes are tested in
test_production.py."""

import io
import json
import logging

import pytest
from django.urls import reverse

from flows_app.logging import JsonFormatter, RedactSecrets
from tests.faults import inject
from tests.helpers import make_flows
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier


@pytest.fixture
def log(caplog):
    caplog.set_level(logging.INFO)
    return caplog


def lines(log, name, **match):
    return [
        record
        for record in log.records
        if record.name == name and all(record.fields.get(field) == value for field, value in match.items())
    ]


@pytest.fixture
def flows(connection, sandbox_key, sandbox_media, settings):
    settings.SANDBOX_RATE_LIMIT = 60
    make_flows(sandbox_key, 3)


def test_a_page_logs_its_request_and_its_upstream_call_with_the_budget_left(
    logged_in, connection, flows, user, sandbox_key, log
):
    path = reverse("flows:list", args=[connection.pk])
    # Not yet viewed (the connection's names were read when it was made): one upstream call.
    assert logged_in.get(path + "?page=1&results_per_page=25").status_code == 200

    [upstream] = lines(log, "pushdeck.upstream", user=user.pk)
    assert upstream.levelno == logging.INFO
    assert upstream.fields["method"] == "GET"
    assert upstream.fields["path"] == "/sandbox/api/flows/"
    assert upstream.fields["status"] == 200
    assert upstream.fields["budget_limit"] == 60
    left = upstream.fields["budget_left"]
    assert 0 <= left < 60
    assert upstream.getMessage().startswith("upstream method=GET path=/sandbox/api/flows/ status=200 ")

    [request] = lines(log, "pushdeck.request", path=path)
    assert request.fields["method"] == "GET"
    assert request.fields["status"] == 200
    assert request.fields["user"] == user.pk
    assert request.fields["upstream"] == 1
    assert request.fields["budget_left"] == left
    assert isinstance(request.fields["ms"], int)
    # The path only: the query of a request is not logged.
    assert "results_per_page" not in request.getMessage()

    assert all(sandbox_key not in record.getMessage() for record in log.records)


def test_a_page_served_from_the_cache_logs_no_upstream_call(logged_in, connection, flows, user, log):
    path = reverse("flows:list", args=[connection.pk])
    logged_in.get(path)
    log.clear()
    logged_in.get(path)
    assert lines(log, "pushdeck.upstream", user=user.pk) == []
    [request] = lines(log, "pushdeck.request", path=path)
    assert request.fields["upstream"] == 0
    assert "budget_left" not in request.fields


def test_a_failed_upstream_call_is_a_warning_naming_what_went_wrong(
    logged_in, connection, flows, sandbox_key, user, log
):
    inject(sandbox_key, "drop", methods="GET", remaining=10)
    logged_in.get(reverse("flows:list", args=[connection.pk]))
    failed = lines(log, "pushdeck.upstream", user=user.pk)
    assert failed
    assert {record.levelno for record in failed} == {logging.WARNING}
    # The kind of failure, as the client names it (API errors: TimedOut, Unreachable, Unavailable).
    assert {record.fields["status"] for record in failed} == {"Unavailable"}


@pytest.mark.django_db
def test_health_probes_are_not_logged(client, log):
    client.get("/healthz")
    assert lines(log, "pushdeck.request") == []


def test_json_lines_carry_the_fields_and_redaction_still_applies():
    record = logging.LogRecord(
        "pushdeck.upstream", logging.INFO, __file__, 1, "%s", ("sent Bearer abc123",), None
    )
    record.fields = {"method": "GET", "status": 200, "budget_left": 12}
    RedactSecrets().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "sent Bearer [redacted]"
    assert (line["level"], line["logger"], line["method"], line["status"], line["budget_left"]) == (
        "INFO",
        "pushdeck.upstream",
        "GET",
        200,
        12,
    )
    assert line["time"].endswith("+00:00")


@pytest.mark.django_db
def test_a_request_for_an_unknown_host_is_a_logged_400_not_a_500(client, log):
    """Scanners send any Host header: refused before anyone is signed in, it gets the 400 page."""
    response = client.get("/accounts/login/", HTTP_HOST="scanner.example.net")
    assert response.status_code == 400
    [request] = lines(log, "pushdeck.request", path="/accounts/login/")
    assert request.fields["status"] == 400
    assert request.fields["user"] is None


@pytest.fixture
def console():
    """What the configured console handler (LOGGING in dashboard/settings.py) writes."""
    [handler] = [
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactSecrets) for f in h.filters)
    ]
    written = io.StringIO()
    before = handler.setStream(written)
    yield written
    handler.setStream(before)


def test_an_invitation_link_is_logged_with_its_token_masked(client, connection, user, console):
    from teams.models import Invitation

    invitation = Invitation(connection=connection, created_by=user)
    token = invitation.issue_token()
    invitation.save()
    assert client.get(f"/invitations/{token}/").status_code == 200
    invitation.revoked = invitation.created
    invitation.save()
    # A revoked link answers 410, which Django logs itself ("Gone: <path>").
    assert client.get(f"/invitations/{token}/").status_code == 410
    written = console.getvalue()
    assert "path=/invitations/[masked]/" in written
    assert "Gone: /invitations/[masked]/" in written
    assert token not in written


def test_a_masked_path_keeps_the_ids_of_other_addresses():
    from flows_app.logging import mask_path

    assert mask_path("/connections/5/invitations/3/revoke/") == "/connections/5/invitations/3/revoke/"
    assert mask_path('"GET /uploads/abc/ HTTP/1.1"') == '"GET /uploads/[masked]/ HTTP/1.1"'
    assert mask_path("http://testserver/invitations/abc/") == "http://testserver/invitations/[masked]/"
