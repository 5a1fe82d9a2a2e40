"""Every page and action against every way the flows API misbehaves (the sandbox's fault injection,
reached in-process through the client's own session: tests/inprocess.py): a readable message, a
status that is not 500, no traceback, and an answer within one timeout-plus-retries budget (twice
FLOWS_API_TIMEOUT) plus a little slack."""

import re
import time
from dataclasses import dataclass

import pytest
from django.urls import reverse

from sandbox.models import ApiAccount, Fault
from tests.faults import FAULTS, expected_message, hang_seconds, inject
from tests.helpers import HTMX
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import form_with, what_the_user_reads

# What the page must do besides waiting on the API: render, and the client's backoff sleeps.
SLACK = 1.0


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    path: str  # formatted with c (connection id) and f (flow id)
    htmx: bool = False
    form: str = ""  # how the data to send is prepared, before the fault is injected

    def url(self, connection, flow_id):
        return self.path.format(c=connection.pk, f=flow_id)


ACTIONS = [
    Action("list page", "GET", "/connections/{c}/flows/"),
    Action("list fragment", "GET", "/connections/{c}/flows/?page=2", htmx=True),
    Action("detail page", "GET", "/connections/{c}/flows/{f}/"),
    Action("edit page", "GET", "/connections/{c}/flows/{f}/edit/"),
    Action("duplicate page", "GET", "/connections/{c}/flows/{f}/duplicate/"),
    Action("delete page", "GET", "/connections/{c}/flows/{f}/delete/"),
    Action("toggle (htmx)", "POST", "/connections/{c}/flows/{f}/toggle/", htmx=True, form="toggle"),
    Action("toggle (form)", "POST", "/connections/{c}/flows/{f}/toggle/", form="toggle"),
    Action("create", "POST", "/connections/{c}/flows/new/", form="create"),
    Action("edit", "POST", "/connections/{c}/flows/{f}/edit/", form="edit"),
    Action("delete (htmx)", "POST", "/connections/{c}/flows/{f}/delete/", htmx=True),
    Action("delete (form)", "POST", "/connections/{c}/flows/{f}/delete/"),
    Action("connection key check", "POST", "/connections/new/", form="connection"),
]


def prepare(action, client, connection, flow_id, sandbox_key):
    """The data a user would send, read from the pages while the API still works."""
    if action.form == "toggle":
        return {"is_enabled": "0"}
    if action.form == "create":
        fields = form_with(client.get(f"/connections/{connection.pk}/flows/new/").content, "form_token")
        website = ApiAccount.objects.with_key(sandbox_key).get().websites.order_by("id").first()
        return {**fields, "website_id": website.id, "name": "New", "title": "Hello", "description": "Hi"}
    if action.form == "edit":
        page = client.get(f"/connections/{connection.pk}/flows/{flow_id}/edit/")
        return {**form_with(page.content, "fingerprint"), "title": "Edited title"}
    if action.form == "connection":
        return {"label": "Second", "server": "sandbox", "api_key": sandbox_key}
    return {}


def send(client, action, connection, flow_id, data):
    headers = HTMX if action.htmx else {}
    url = action.url(connection, flow_id)
    if action.method == "GET":
        return client.get(url, **headers)
    return client.post(url, data, **headers)


def assert_handled(response, elapsed, expected, budget):
    told = what_the_user_reads(response)
    body = response.content.decode(errors="replace")
    assert response.status_code != 500, told[:500]
    assert response.status_code >= 400, f"a failure answered {response.status_code}: {told[:300]}"
    assert "Traceback" not in body
    assert "Something went wrong on our side" not in told
    assert re.search(expected, told), f"no readable message matching {expected!r} in: {told[:600]!r}"
    assert elapsed < budget, f"took {elapsed:.2f} s, more than one timeout-plus-retries budget"


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_every_page_and_action_explains_every_api_failure(
    logged_in, connection, flow_id, sandbox_key, settings, action, fault
):
    data = prepare(action, logged_in, connection, flow_id, sandbox_key)
    inject(sandbox_key, fault, settings)

    started = time.monotonic()
    response = send(logged_in, action, connection, flow_id, data)
    elapsed = time.monotonic() - started

    assert_handled(response, elapsed, expected_message(fault), 2 * settings.FLOWS_API_TIMEOUT + SLACK)
    time.sleep(hang_seconds(fault))


@pytest.mark.parametrize("fault", ["401", "404", "500", "not-json", "200-status-error"])
def test_a_failed_write_changes_nothing_upstream(logged_in, connection, flow_id, sandbox_key, fault):
    flow = ApiAccount.objects.with_key(sandbox_key).get().flows.get(pk=flow_id)
    inject(sandbox_key, fault, methods="POST,DELETE")
    logged_in.post(f"/connections/{connection.pk}/flows/{flow_id}/toggle/", {"is_enabled": "0"}, **HTMX)
    logged_in.post(f"/connections/{connection.pk}/flows/{flow_id}/delete/")
    after = flow.account.flows.get(pk=flow_id)
    assert (after.is_enabled, after.name) == (flow.is_enabled, flow.name)


def test_a_page_that_needs_two_calls_still_answers_within_one_budget(
    logged_in, connection, flow_id, sandbox_key, settings
):
    """A toggle writes, then reads the flow back: a slow write and a hung read must not add up to
    more than one budget (the page's, not each call's)."""
    settings.FLOWS_API_TIMEOUT = timeout = 1.0
    account = ApiAccount.objects.with_key(sandbox_key).get()
    Fault.objects.create(account=account, kind="hang", seconds=0.8 * timeout, methods="POST", remaining=1)
    Fault.objects.create(account=account, kind="hang", seconds=1.1 * timeout, methods="GET")
    started = time.monotonic()
    response = logged_in.post(
        f"/connections/{connection.pk}/flows/{flow_id}/toggle/", {"is_enabled": "0"}, **HTMX
    )
    elapsed = time.monotonic() - started
    assert response.status_code != 500
    # Each call on its own budget would take 0.8 + 2 = 2.8 s.
    assert elapsed < 2 * timeout + 0.5, f"took {elapsed:.2f} s"
    time.sleep(1.1 * timeout)


def test_the_error_page_links_to_the_connection_when_the_key_is_refused(
    logged_in, connection, flow_id, sandbox_key
):
    inject(sandbox_key, "401")
    response = logged_in.get(f"/connections/{connection.pk}/flows/")
    assert reverse("connection_edit", args=[connection.pk]) in response.content.decode()
