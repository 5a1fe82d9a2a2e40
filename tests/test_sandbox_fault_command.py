"""`manage.py sandbox_fault`: the documented way to make the sandbox misbehave."""

import io

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from sandbox.models import Fault


def run(*args):
    out = io.StringIO()
    call_command("sandbox_fault", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_a_503_injected_by_the_command_reaches_the_dashboard(logged_in, connection, sandbox_key):
    # Three: a GET is tried up to three times before the dashboard gives up.
    said = run("status", "--status", "503", "--methods", "get", "--times", "3", "--key", sandbox_key)
    assert "status 503 on GET, 3 more request(s)" in said
    response = logged_in.get(reverse("flows:detail", args=[connection.pk, 1]))
    assert response.status_code >= 500
    assert Fault.objects.get().remaining == 0


def test_list_and_clear(sandbox_key):
    run("hang", "--seconds", "8", "--key", sandbox_key)
    assert "hang 8 s on every method, until cleared" in run("--list", "--key", sandbox_key)
    assert "Removed 1 fault(s)." in run("--clear", "--key", sandbox_key)
    assert not Fault.objects.exists()


def test_an_unknown_key_or_a_missing_kind_is_refused_plainly(sandbox_key):
    with pytest.raises(CommandError, match="No sandbox account has this key"):
        run("drop", "--key", "nobody")
    with pytest.raises(CommandError, match="Name a kind of fault"):
        run("--key", sandbox_key)
