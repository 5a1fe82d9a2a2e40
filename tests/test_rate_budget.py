"""The key's shared rate budget: the dashboard reads X-RateLimit-Remaining, and once the budget is
spent its pages say when to retry instead of sending requests that would fail with a 429."""

import re

import pytest
from django.urls import reverse

from flows_app.api import RateLimited, connect
from flows_app.api.client import FlowsClient
from flows_app.api.records import Directory
from flows_app.models import SANDBOX, Connection
from sandbox.models import ApiAccount, Fault
from tests.helpers import HTMX
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier
from tests.pages import what_the_user_reads

RETRY = re.compile(r"(?:[Tt]ry|Ready) again in (\d+) seconds?")


@pytest.fixture
def sent(monkeypatch):
    """Every request that really left for the API."""
    calls = []
    real = FlowsClient._send

    def recording(self, method, url, *args):
        calls.append((method, url))
        return real(self, method, url, *args)

    monkeypatch.setattr(FlowsClient, "_send", recording)
    return calls


def pages(connection, flow_id):
    base = f"/connections/{connection.pk}/flows/"
    return [
        # Page 1 may come from the shared cache (no request needed); page 2 must be fetched.
        ("get", f"{base}?page=2&results_per_page=10", {}),
        ("get", f"{base}?page=2&results_per_page=10", HTMX),
        ("get", f"{base}{flow_id}/", {}),
        ("get", f"{base}{flow_id}/edit/", {}),
        ("get", f"{base}{flow_id}/duplicate/", {}),
        ("post", f"{base}{flow_id}/toggle/", HTMX),
        ("post", f"{base}{flow_id}/delete/", HTMX),
    ]


def test_the_list_says_how_often_its_viewer_can_still_refresh_or_change_and_when_that_refills(
    logged_in, connection, flow_id, clock
):
    html = what_the_user_reads(logged_in.get(f"/connections/{connection.pk}/flows/"))
    # One request this window (the page), of the viewer's 30 (half the key's 60), 59 s before it ends.
    assert (
        "You can refresh or change flows 29 more times this minute (the count starts again in 59 s)" in html
    )
    html = what_the_user_reads(
        logged_in.get(f"/connections/{connection.pk}/flows/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    assert "本分钟您还可刷新或修改流程 29 次（59 秒后重新计数）" in html  # noqa: RUF001


def test_a_spent_budget_stops_every_page_with_when_to_retry_and_sends_nothing(
    logged_in, connection, flow_id, settings, sent, clock, people_spend
):
    people_spend(connection, 60)
    sent.clear()
    for method, url, headers in pages(connection, flow_id):
        data = {"is_enabled": "0"} if url.endswith("toggle/") else {}
        response = getattr(logged_in, method)(url, data, **headers)
        told = what_the_user_reads(response)
        assert response.status_code == 429, (url, told[:200])
        wait = RETRY.search(told)
        assert wait, f"{url} does not say when to retry: {told[:300]}"
        assert 1 <= int(wait.group(1)) <= 60
    assert sent == [], "requests were sent although the budget was spent"
    assert ApiAccount.objects.with_key(connection.api_key).get().flows.filter(pk=flow_id).exists()


def test_a_spent_budget_page_carries_retry_after(
    logged_in, connection, flow_id, settings, clock, people_spend
):
    people_spend(connection, 60)
    response = logged_in.get(f"/connections/{connection.pk}/flows/{flow_id}/")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert f"{response['Retry-After']} seconds" in what_the_user_reads(response)


def test_pages_work_again_once_the_window_reopens(
    logged_in, connection, flow_id, settings, sent, clock, people_spend
):
    people_spend(connection, 60)
    assert logged_in.get(f"/connections/{connection.pk}/flows/{flow_id}/").status_code == 429
    clock[0] += 61
    assert logged_in.get(f"/connections/{connection.pk}/flows/{flow_id}/").status_code == 200


def test_the_budget_is_shared_by_everyone_using_the_key(
    logged_in, client, connection, flow_id, other_user, settings, sent, clock, people_spend
):
    people_spend(connection, 60)
    theirs = Connection(owner=other_user, label="Same key", server=SANDBOX, is_default=True)
    theirs.set_api_key(connection.api_key)
    theirs.save()
    client.force_login(other_user)
    sent.clear()
    response = client.get(f"/connections/{theirs.pk}/flows/{flow_id}/")
    assert response.status_code == 429
    assert RETRY.search(what_the_user_reads(response))
    assert sent == []


def test_a_429_from_the_server_is_retried_after_its_reset_only_when_that_is_soon(
    logged_in, connection, flow_id, sandbox_key, sent, clock
):
    # 45 s before the sandbox's window ends: too long to wait inside a page view.
    clock[0] = (clock[0] // 60) * 60 + 15
    Fault.objects.create(account=ApiAccount.objects.with_key(sandbox_key).get(), kind="status", status=429)
    sent.clear()
    response = logged_in.get(f"/connections/{connection.pk}/flows/{flow_id}/")
    assert response.status_code == 429
    assert RETRY.search(what_the_user_reads(response)).group(1) == "45"
    assert len(sent) == 1
    # Later pages within the window are answered without asking the server again.
    assert logged_in.get(f"/connections/{connection.pk}/flows/?fresh=1").status_code == 429
    assert len(sent) == 1


def test_the_edit_form_keeps_its_values_when_the_budget_runs_out_on_save(
    logged_in, connection, flow_id, settings, clock, people_spend
):
    from tests.pages import form_with

    data = form_with(
        logged_in.get(f"/connections/{connection.pk}/flows/{flow_id}/edit/").content, "fingerprint"
    )
    # All the key's minute but the one request the edit page took.
    people_spend(connection, 59)
    response = logged_in.post(reverse("flows:edit", args=[connection.pk, flow_id]), {**data, "title": "Mine"})
    assert response.status_code == 429
    assert form_with(response.content, "title")["title"] == "Mine"
    assert RETRY.search(what_the_user_reads(response))


def test_the_names_take_their_three_requests_first_and_are_not_read_on_fewer(connection, flow_id, sent):
    api = connect(connection)
    # The server's last answer left two requests in its window.
    api.client.key_budget.record(60, 2)
    left = api.budget_left()
    before = len(sent)
    # Sent together, two would be answered and the third would draw a 429.
    assert api.names(fresh=True) == Directory(), "a page then shows ids, as when the names fail"
    with pytest.raises(RateLimited, match="3 requests"):
        api.directory(fresh=True)
    assert sent[before:] == [], "nothing was sent"
    assert api.budget_left() == left, "and the requests are still there for the flows"
