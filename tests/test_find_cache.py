"""The whole set of flows behind every search, kept decoded by each process: a changed search or
sort costs no call and decodes nothing, and whatever another instance writes or reads anew retires
the copy, since the shared cache stays the truth. Views end to end against the sandbox."""

import datetime as dt
import time
from contextlib import contextmanager
from unittest import mock

import pytest
from django.urls import reverse

from flows_app.access import WebsiteScoped
from flows_app.api import connect, service
from flows_app.api.records import Flow, FlowSet, FlowSettings
from sandbox.models import Flow as SandboxFlow
from tests.helpers import HTMX, flow_calls, shown_ids
from tests.inprocess import inprocess_db, inprocess_sandbox_url  # noqa: F401 -- the fast tier


def url(connection):
    return reverse("flows:list", args=[connection.pk])


@pytest.fixture
def decoded(monkeypatch):
    """Each whole set decoded from the shared cache, by its number of flows."""
    sizes = []
    unpack = FlowSet.unpack.__func__

    def counting(cls, packed, read_at):
        flows = unpack(cls, packed, read_at)
        sizes.append(len(flows))
        return flows

    monkeypatch.setattr(FlowSet, "unpack", classmethod(counting))
    return sizes


@contextmanager
def another_instance():
    """The block runs as another instance (process) would: the same shared cache, and a memo of
    its own, which starts empty."""
    with mock.patch.object(service, "_sets", service._SetMemo(size=8)):
        yield


def test_a_changed_search_or_sort_costs_no_call_and_decodes_nothing(
    logged_in, connection, demo_flows, upstream, decoded
):
    assert logged_in.get(url(connection), {"q": "cart", "sort": "-sent"}).status_code == 200
    calls = len(upstream)
    assert len(flow_calls(upstream)) == 1
    for params in (
        {"q": "welcome", "sort": "name"},
        {"sort": "-click_rate"},
        {"status": "paused", "sort": "website"},
        {"q": "cart"},
    ):
        response = logged_in.get(url(connection), {**params, "results_per_page": 100}, **HTMX)
        assert response.status_code == 200
    named = logged_in.get(url(connection), {"q": "WELCOME", "sort": "-name", "results_per_page": 100})
    welcome = [flow for flow in demo_flows if "welcome" in f"{flow.name} {flow.title} {flow.url}".casefold()]
    assert welcome, "the demo has welcome flows"
    expected = sorted(welcome, key=lambda flow: flow.name.casefold(), reverse=True)
    assert [SandboxFlow.objects.get(pk=pk).name for pk in shown_ids(named)] == [
        flow.name for flow in expected
    ]
    assert len(upstream) == calls, "every query after the first was served without a call"
    assert decoded == [], "and from this process's copy, not decoded again from the shared cache"


def test_a_write_on_another_instance_retires_this_process_copy(logged_in, connection, demo_flows, upstream):
    flow = demo_flows.filter(is_enabled=True).first()
    before = logged_in.get(url(connection), {"status": "paused", "results_per_page": 100})
    assert flow.id not in shown_ids(before)
    with another_instance():
        connect(connection).update_flow(flow.id, {"is_enabled": 0}, read_back=False)
    calls = len(flow_calls(upstream))
    after = logged_in.get(url(connection), {"status": "paused", "sort": "name", "results_per_page": 100})
    assert flow.id in shown_ids(after)
    assert len(flow_calls(upstream)) == calls + 1, "the set was read again after the write"


def test_a_whole_read_on_another_instance_replaces_this_process_copy(
    logged_in, connection, demo_flows, upstream, decoded, clock, settings
):
    assert shown_ids(logged_in.get(url(connection), {"sort": "name"}))
    # Past the moments a Refresh is served from the last read (docs/BUDGET.md).
    clock[0] += settings.BUDGET_REFRESH_SECONDS
    flow = demo_flows.last()
    # Changed outside Pushdeck (on the vendor's own dashboard): only a new read can show it.
    SandboxFlow.objects.filter(pk=flow.pk).update(name="Zz renamed elsewhere")
    with another_instance():
        # Its Refresh: a whole read, shared through the cache.
        connect(connection).every_flow(fresh=True)
    calls = len(upstream)
    after = logged_in.get(url(connection), {"sort": "-name"}, **HTMX)
    assert shown_ids(after)[0] == flow.id and "Zz renamed elsewhere" in after.content.decode()
    assert len(upstream) == calls, "the other instance's read served this view"
    assert decoded == [len(demo_flows)], "decoded once from the shared cache"
    logged_in.get(url(connection), {"sort": "name"}, **HTMX)
    assert decoded == [len(demo_flows)], "then kept"


def test_a_limited_member_sharing_the_process_copy_sees_only_their_websites(
    logged_in, connection, limited, upstream
):
    client, websites, mine, theirs = limited
    # The owner's view reads the whole set; the member's views reuse it, cut to their websites.
    assert len(shown_ids(logged_in.get(url(connection), {"sort": "name", "results_per_page": 100}))) == len(
        mine + theirs
    )
    calls = len(upstream)
    for params in ({"sort": "-sent"}, {"q": "cart"}, {"website": websites[1]}, {"status": "paused"}, {}):
        shown = shown_ids(client.get(url(connection), {**params, "results_per_page": 100}))
        assert set(shown) <= {flow.id for flow in mine}, params
    everything = shown_ids(client.get(url(connection), {"sort": "-name", "results_per_page": 100}))
    assert sorted(everything) == sorted(flow.id for flow in mine)
    assert len(upstream) == calls


def test_a_whole_set_comes_back_from_the_shared_cache_as_it_was_read(connection, demo_flows):
    flows = connect(connection).every_flow()
    odd = Flow(
        id=7,
        website_id=3,
        name="Ünïcode “quoted” \\ ✓ 中文",
        title="",
        description="line\nbreak",
        settings=FlowSettings(ttl=0, urgency="high", is_silent=True, utm_campaign="x"),
        is_enabled=False,
        last_sent_datetime=None,
        datetime=dt.datetime(2026, 12, 3, 9, 30, 15),
        user_id=None,
    )
    original = FlowSet((*flows, odd), read_at=flows.read_at)
    again = FlowSet.unpack(original.pack(), original.read_at)
    assert again.flows == original.flows and again.read_at == original.read_at
    assert all(type(flow) is Flow and type(flow.settings) is FlowSettings for flow in again)


def test_a_whole_read_after_a_write_still_asks_for_every_page_at_once(connection, demo_flows):
    api = connect(connection)
    count = len(api.every_flow())
    api.delete_flow(demo_flows.first().id)
    asked = []
    real = api.client.all_flows
    api.client.all_flows = lambda **kwargs: asked.append(kwargs["expected_total"]) or real(**kwargs)
    assert len(api.every_flow()) == count - 1
    assert asked == [count], "the last count seen, kept across the write"


def test_a_flow_kept_from_a_page_is_known_within_the_cache_life_and_to_those_who_may_see_it(
    connection, demo_flows, monkeypatch
):
    api = connect(connection)
    flow = demo_flows.first()
    api.get_flow(flow.id)
    assert api.cached_flow(flow.id).name == flow.name
    # A member limited to another website is not told of it.
    assert WebsiteScoped(api, {flow.website_id + 1000}).cached_flow(flow.id) is None
    assert WebsiteScoped(api, {flow.website_id}).cached_flow(flow.id).name == flow.name
    # Past the cache's life (the entry is kept a little longer, for stale pages) it is not trusted.
    later = time.time() + api.ttl + 1
    monkeypatch.setattr(time, "time", lambda: later)
    assert api.cached_flow(flow.id) is None


def test_a_cache_that_drops_the_generation_never_serves_a_page_from_before_a_write(
    logged_in, connection, demo_flows
):
    # A cache may drop the generation: Redis evicting under its memory limit, a cleared table.
    gone = demo_flows.first()
    assert gone.id in shown_ids(logged_in.get(url(connection)))
    assert logged_in.post(reverse("flows:delete", args=[connection.pk, gone.id]), **HTMX).status_code == 200
    service.caches["shared"].delete(connect(connection)._generation_key)
    assert gone.id not in shown_ids(logged_in.get(url(connection)))
